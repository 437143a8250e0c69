package report

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/smallstep/certinfo"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// Writer writes a report one result at a time.
type Writer interface {
	Write(r *chain.Result) error
	// Close writes the summary (where the format has one) and flushes.
	Close() error
	// Summary returns the totals so far.
	Summary() *Summary
}

// Format is a report format.
type Format string

// The report formats.
const (
	FormatText  Format = "text"
	FormatJSON  Format = "json"
	FormatJSONL Format = "jsonl"
)

// Options shape a report.
type Options struct {
	Format  Format
	Color   bool // text only: ANSI colours
	Verbose bool // text: certificate details; json: unchanged
	// Public says whether a root is in a public root program; nil when
	// no public list was loaded.
	Public func(*x509.Certificate) *bool
}

// NewWriter returns a report writer for opts.Format writing to w.
func NewWriter(w io.Writer, opts Options) (Writer, error) {
	bw := bufio.NewWriter(w)
	switch opts.Format {
	case FormatJSON, FormatJSONL:
		return &jsonWriter{w: bw, lines: opts.Format == FormatJSONL, public: opts.Public}, nil
	case FormatText, "":
		return &textWriter{w: bw, opts: opts}, nil
	}
	return nil, fmt.Errorf("report: unknown format %q (want text, json or jsonl)", opts.Format)
}

type jsonWriter struct {
	w       *bufio.Writer
	lines   bool
	public  func(*x509.Certificate) *bool
	n       int
	summary Summary
}

func (j *jsonWriter) Summary() *Summary { return &j.summary }

func (j *jsonWriter) Write(r *chain.Result) error {
	j.summary.Add(r)
	b, err := json.Marshal(FromResult(r, j.public))
	if err != nil {
		return err
	}
	if j.lines {
		j.w.Write(b)
		j.w.WriteByte('\n')
		return j.w.Flush() // a line per target, as it completes
	}
	if j.n == 0 {
		j.w.WriteString("{\"targets\":[\n")
	} else {
		j.w.WriteString(",\n")
	}
	j.n++
	_, err = j.w.Write(b)
	return err
}

func (j *jsonWriter) Close() error {
	if j.lines {
		return j.w.Flush()
	}
	if j.n == 0 {
		j.w.WriteString("{\"targets\":[\n")
	}
	j.summary.finish()
	b, err := json.Marshal(&j.summary)
	if err != nil {
		return err
	}
	fmt.Fprintf(j.w, "\n],\n\"summary\":%s}\n", b)
	return j.w.Flush()
}

type textWriter struct {
	w       *bufio.Writer
	opts    Options
	summary Summary
}

func (t *textWriter) Summary() *Summary { return &t.summary }

const (
	ansiRed    = "\x1b[31m"
	ansiYellow = "\x1b[33m"
	ansiGreen  = "\x1b[32m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

func (t *textWriter) paint(code, s string) string {
	if !t.opts.Color {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) Write(r *chain.Result) error {
	t.summary.Add(r)
	w := t.w
	v := r.Verdict()
	col := ansiGreen
	switch v {
	case chain.VerdictFail, chain.VerdictUnreachable:
		col = ansiRed
	case chain.VerdictWarn:
		col = ansiYellow
	}
	fmt.Fprintf(w, "%s  %s %s", t.paint(col, fmt.Sprintf("%-11s", strings.ToUpper(string(v)))), t.paint(ansiBold, string(r.Target.Role)), r.Target.Raw)
	if r.Addr != "" {
		fmt.Fprintf(w, " (%s)", r.Addr)
	}
	w.WriteByte('\n')
	if r.Path != nil {
		var names []string
		for _, l := range r.Path.Links {
			n := terminalSafe(certutil.Name(l.Cert))
			if l.Source != chain.FromServer {
				n += " [" + string(l.Source) + "]"
			}
			names = append(names, n)
		}
		fmt.Fprintf(w, "    chain:   %s\n", strings.Join(names, " <- "))
		if root := r.Root(); root != nil {
			where := "not in client store"
			switch {
			case r.InStore:
				where = "in client store"
			case r.LyncRoot:
				where = "a lync target's root"
			}
			pub := ""
			if t.opts.Public != nil {
				if p := t.opts.Public(root.Cert); p != nil && *p {
					pub = ", public"
				} else if p != nil {
					pub = ", private"
				}
			}
			fmt.Fprintf(w, "    root:    %s (SHA-1 %s, %s%s)\n", terminalSafe(certutil.Name(root.Cert)), certutil.Thumbprint(root.Cert), where, pub)
		} else {
			w.WriteString("    root:    none (chain incomplete)\n")
		}
		trusted := "no"
		if r.Trusted {
			trusted = "yes"
		}
		fmt.Fprintf(w, "    trusted: %s\n", trusted)
	}
	for _, f := range r.Findings {
		sc := ansiRed
		switch f.Severity {
		case finding.SevWarning:
			sc = ansiYellow
		case finding.SevInfo:
			sc = ""
		}
		sev := fmt.Sprintf("%-7s", f.Severity)
		if sc != "" {
			sev = t.paint(sc, sev)
		}
		fmt.Fprintf(w, "    %s %s: %s\n", sev, f.Code, f.Message)
		fmt.Fprintf(w, "            fix: %s\n", f.Fix)
	}
	if t.opts.Verbose && r.Path != nil {
		for i, l := range r.Path.Links {
			txt, err := certinfo.CertificateText(l.Cert)
			if err != nil {
				txt = fmt.Sprintf("(certificate text unavailable: %v)\n", err)
			}
			fmt.Fprintf(w, "    --- certificate %d (%s) ---\n", i, l.Source)
			for _, line := range strings.Split(strings.TrimRight(txt, "\n"), "\n") {
				fmt.Fprintf(w, "    %s\n", terminalSafe(line))
			}
		}
	}
	w.WriteByte('\n')
	return w.Flush()
}

// terminalSafe replaces what a terminal would act on in certificate text
// (control characters, ANSI escapes, bidirectional overrides) with '?': a
// certificate's subject is the server's choice.
func terminalSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, s)
}

func (t *textWriter) Close() error {
	s := &t.summary
	s.finish()
	fmt.Fprintf(t.w, "%d targets: %d trusted, %d untrusted, %d unreachable; %d errors, %d warnings\n",
		s.Targets, s.Trusted, s.Untrusted, s.Unreachable, s.Errors, s.Warnings)
	if s.Interrupted {
		fmt.Fprintf(t.w, "interrupted: %d targets not scanned\n", s.NotScanned)
	}
	if len(s.Codes) > 0 {
		codes := make([]string, 0, len(s.Codes))
		for c := range s.Codes {
			codes = append(codes, c)
		}
		sort.Strings(codes)
		var parts []string
		for _, c := range codes {
			parts = append(parts, fmt.Sprintf("%s %d", c, s.Codes[c]))
		}
		fmt.Fprintf(t.w, "findings: %s\n", strings.Join(parts, ", "))
	}
	return t.w.Flush()
}

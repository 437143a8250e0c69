package chain

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/smallstep/certinfo"
)

// CertReport is a certificate as reports show it.
type CertReport struct {
	Subject    string `json:"subject"`
	Issuer     string `json:"issuer"`
	SHA1       string `json:"sha1"`
	SHA256     string `json:"sha256"`
	NotBefore  string `json:"not_before"`
	NotAfter   string `json:"not_after"`
	SelfSigned bool   `json:"self_signed"`
	CA         bool   `json:"ca"`
	Source     Source `json:"source"`
	// DER is the certificate itself, so a saved report can be turned into a
	// bundle offline (trustgap bundle --from).
	DER []byte `json:"der"`
}

// RootReport is the root of a built chain.
type RootReport struct {
	CertReport
	InStore bool `json:"in_store"`
	// Public is set when a public root list was loaded (--roots mozilla):
	// whether the root is in Mozilla's root program.
	Public *bool `json:"public,omitempty"`
}

// TargetReport is one target's entry in a JSON report.
type TargetReport struct {
	Role     Role         `json:"role"`
	Target   string       `json:"target"`
	Host     string       `json:"host"`
	Port     int          `json:"port"`
	Address  string       `json:"address"`
	Chain    []CertReport `json:"chain"`
	Root     *RootReport  `json:"root"`
	Trusted  bool         `json:"trusted"`
	Findings []Finding    `json:"findings"`
}

// NewCertReport describes c.
func NewCertReport(c *x509.Certificate, src Source) CertReport {
	s1 := sha1.Sum(c.Raw)
	s256 := sha256.Sum256(c.Raw)
	return CertReport{
		Subject:    c.Subject.String(),
		Issuer:     c.Issuer.String(),
		SHA1:       hex.EncodeToString(s1[:]),
		SHA256:     hex.EncodeToString(s256[:]),
		NotBefore:  c.NotBefore.UTC().Format(time.RFC3339),
		NotAfter:   c.NotAfter.UTC().Format(time.RFC3339),
		SelfSigned: IsSelfSigned(c),
		CA:         c.IsCA,
		Source:     src,
		DER:        c.Raw,
	}
}

// Report converts r to its JSON shape. public, when non-nil, says whether a
// root is in a public root program.
func (r *Result) Report(public func(*x509.Certificate) *bool) TargetReport {
	tr := TargetReport{
		Role: r.Target.Role, Target: r.Target.Raw, Host: r.Target.Host, Port: r.Target.Port,
		Address: r.Addr, Chain: []CertReport{}, Trusted: r.Trusted, Findings: r.Findings,
	}
	if tr.Findings == nil {
		tr.Findings = []Finding{}
	}
	if r.Path != nil {
		for _, l := range r.Path.Links {
			tr.Chain = append(tr.Chain, NewCertReport(l.Cert, l.Source))
		}
	}
	if root := r.Root(); root != nil {
		tr.Root = &RootReport{CertReport: NewCertReport(root.Cert, root.Source), InStore: r.InStore}
		if public != nil {
			tr.Root.Public = public(root.Cert)
		}
	}
	return tr
}

// Summary totals a scan.
type Summary struct {
	Targets     int            `json:"targets"`
	Trusted     int            `json:"trusted"`
	Untrusted   int            `json:"untrusted"`
	Unreachable int            `json:"unreachable"`
	Failed      int            `json:"failed"` // targets with an error-severity finding
	Errors      int            `json:"errors"`
	Warnings    int            `json:"warnings"`
	Info        int            `json:"info"`
	Codes       map[string]int `json:"codes"`
	Roots       []RootCount    `json:"roots"`

	roots map[string]*RootCount
}

// RootCount is one distinct root and how many targets chain to it.
type RootCount struct {
	Subject string `json:"subject"`
	SHA1    string `json:"sha1"`
	InStore bool   `json:"in_store"`
	Trusted bool   `json:"trusted"`
	Targets int    `json:"targets"`
}

// Add counts r.
func (s *Summary) Add(r *Result) {
	if s.Codes == nil {
		s.Codes = map[string]int{}
		s.roots = map[string]*RootCount{}
	}
	s.Targets++
	switch {
	case r.Err != nil:
		s.Unreachable++
	case r.Trusted:
		s.Trusted++
	default:
		s.Untrusted++
	}
	if r.Failed() {
		s.Failed++
	}
	for _, f := range r.Findings {
		s.Codes[f.Code]++
		switch f.Severity {
		case SevError:
			s.Errors++
		case SevWarning:
			s.Warnings++
		default:
			s.Info++
		}
	}
	if root := r.Root(); root != nil {
		k := Thumbprint(root.Cert)
		rc := s.roots[k]
		if rc == nil {
			rc = &RootCount{Subject: root.Cert.Subject.String(), SHA1: strings.ToLower(k), InStore: r.InStore, Trusted: r.Trusted}
			s.roots[k] = rc
		}
		rc.Targets++
	}
}

func (s *Summary) finish() {
	if s.Codes == nil {
		s.Codes = map[string]int{}
	}
	s.Roots = make([]RootCount, 0, len(s.roots))
	for _, rc := range s.roots {
		s.Roots = append(s.Roots, *rc)
	}
	sort.Slice(s.Roots, func(i, j int) bool {
		if s.Roots[i].Subject != s.Roots[j].Subject {
			return s.Roots[i].Subject < s.Roots[j].Subject
		}
		return s.Roots[i].SHA1 < s.Roots[j].SHA1
	})
}

// Writer writes a report one result at a time.
type Writer interface {
	Write(r *Result) error
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

// WriterOptions shape a report.
type WriterOptions struct {
	Format  Format
	Color   bool // text only: ANSI colours
	Verbose bool // text: certificate details; json: unchanged
	// Public says whether a root is in a public root program; nil when
	// no public list was loaded.
	Public func(*x509.Certificate) *bool
}

// NewWriter returns a report writer for opts.Format writing to w.
func NewWriter(w io.Writer, opts WriterOptions) (Writer, error) {
	bw := bufio.NewWriter(w)
	switch opts.Format {
	case FormatJSON, FormatJSONL:
		return &jsonWriter{w: bw, lines: opts.Format == FormatJSONL, public: opts.Public}, nil
	case FormatText, "":
		return &textWriter{w: bw, opts: opts}, nil
	}
	return nil, fmt.Errorf("chain: unknown format %q (want text, json or jsonl)", opts.Format)
}

type jsonWriter struct {
	w       *bufio.Writer
	lines   bool
	public  func(*x509.Certificate) *bool
	n       int
	summary Summary
}

func (j *jsonWriter) Summary() *Summary { return &j.summary }

func (j *jsonWriter) Write(r *Result) error {
	j.summary.Add(r)
	b, err := json.Marshal(r.Report(j.public))
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
	opts    WriterOptions
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

// Verdict is a one-word judgement of r for text reports.
func (r *Result) Verdict() string {
	switch {
	case r.Err != nil:
		return "UNREACHABLE"
	case r.Failed():
		return "FAIL"
	}
	for _, f := range r.Findings {
		if f.Severity == SevWarning {
			return "WARN"
		}
	}
	return "OK"
}

func (t *textWriter) Write(r *Result) error {
	t.summary.Add(r)
	w := t.w
	v := r.Verdict()
	col := ansiGreen
	switch v {
	case "FAIL", "UNREACHABLE":
		col = ansiRed
	case "WARN":
		col = ansiYellow
	}
	fmt.Fprintf(w, "%s  %s %s", t.paint(col, fmt.Sprintf("%-11s", v)), t.paint(ansiBold, string(r.Target.Role)), r.Target.Raw)
	if r.Addr != "" {
		fmt.Fprintf(w, " (%s)", r.Addr)
	}
	w.WriteByte('\n')
	if r.Path != nil {
		var names []string
		for _, l := range r.Path.Links {
			n := Name(l.Cert)
			if l.Source != FromServer {
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
			fmt.Fprintf(w, "    root:    %s (SHA-1 %s, %s%s)\n", Name(root.Cert), Thumbprint(root.Cert), where, pub)
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
		case SevWarning:
			sc = ansiYellow
		case SevInfo:
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
				fmt.Fprintf(w, "    %s\n", line)
			}
		}
	}
	w.WriteByte('\n')
	return w.Flush()
}

func (t *textWriter) Close() error {
	s := &t.summary
	s.finish()
	fmt.Fprintf(t.w, "%d targets: %d trusted, %d untrusted, %d unreachable; %d errors, %d warnings\n",
		s.Targets, s.Trusted, s.Untrusted, s.Unreachable, s.Errors, s.Warnings)
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

package report

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

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
	Verbose bool // text: addresses, the chain as presented, certificate details; json: unchanged
	// Public says whether a root is in a public root program; nil when
	// no public list was loaded.
	Public func(*x509.Certificate) *bool
	// Store is the client store the verdicts rest on: a header line in
	// text, the "store" object in a JSON document. Nil: neither.
	Store *Store
	// Index writes each target's position in the scanned list ("index")
	// into JSON and jsonl: a shard's report (scan --shard), so that
	// reports merged from shards keep the list's order.
	Index bool
}

// NewWriter returns a report writer for opts.Format writing to w.
func NewWriter(w io.Writer, opts Options) (Writer, error) {
	bw := bufio.NewWriter(w)
	switch opts.Format {
	case FormatJSON, FormatJSONL:
		return &jsonWriter{w: bw, lines: opts.Format == FormatJSONL, public: opts.Public, store: opts.Store, index: opts.Index}, nil
	case FormatText, "":
		return &textWriter{w: bw, opts: opts, infos: map[string]*infoGroup{}}, nil
	}
	return nil, fmt.Errorf("report: unknown format %q (want text, json or jsonl)", opts.Format)
}

type jsonWriter struct {
	w       *bufio.Writer
	lines   bool
	public  func(*x509.Certificate) *bool
	store   *Store
	index   bool
	n       int
	summary Summary
}

func (j *jsonWriter) Summary() *Summary { return &j.summary }

// start writes the document's opening: the store, then the targets array.
func (j *jsonWriter) start() error {
	j.w.WriteString("{")
	if j.store != nil {
		b, err := json.Marshal(j.store)
		if err != nil {
			return err
		}
		fmt.Fprintf(j.w, "\"store\":%s,\n", b)
	}
	_, err := j.w.WriteString("\"targets\":[\n")
	return err
}

func (j *jsonWriter) Write(r *chain.Result) error {
	j.summary.Add(r)
	tr := FromResult(r, j.public)
	if j.index {
		tr.Index = &r.Index
	}
	b, err := json.Marshal(tr)
	if err != nil {
		return err
	}
	if j.lines {
		j.w.Write(b)
		j.w.WriteByte('\n')
		return j.w.Flush() // a line per target, as it completes
	}
	if j.n == 0 {
		if err := j.start(); err != nil {
			return err
		}
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
		if err := j.start(); err != nil {
			return err
		}
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
	started bool
	// infos groups info findings by code, message and fix, in order of
	// first appearance: they are said once, after the total.
	infos     map[string]*infoGroup
	infoOrder []*infoGroup
}

// infoGroup is one info finding and the targets it was found on.
type infoGroup struct {
	f       finding.Finding
	targets []string // the first maxInfoTargets
	n       int
}

// maxInfoTargets bounds the targets named under a grouped info finding.
const maxInfoTargets = 3

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

// header writes the store line once, before anything else.
func (t *textWriter) header() {
	if t.started {
		return
	}
	t.started = true
	if t.opts.Store != nil {
		fmt.Fprintf(t.w, "%s\n\n", t.opts.Store.Line())
	}
}

func verdictColour(v chain.Verdict) string {
	switch v {
	case chain.VerdictFail, chain.VerdictUnreachable:
		return ansiRed
	case chain.VerdictWarn:
		return ansiYellow
	}
	return ansiGreen
}

// safe escapes what a server, a certificate or a file chose before it
// reaches the terminal.
func safe(s string) string { return certutil.SafeText(s) }

func (t *textWriter) Write(r *chain.Result) error {
	t.header()
	t.summary.Add(r)
	w := t.w
	v := r.Verdict()
	fmt.Fprintf(w, "%s  %s %s", t.paint(verdictColour(v), fmt.Sprintf("%-11s", strings.ToUpper(string(v)))), t.paint(ansiBold, string(r.Target.Role)), safe(r.Target.Raw))
	if r.Addr != "" {
		fmt.Fprintf(w, " (%s)", r.Addr)
	}
	w.WriteByte('\n')
	if len(r.Addresses) > 1 {
		var parts []string
		for _, a := range r.Addresses {
			parts = append(parts, a.Addr+" "+strings.ToUpper(string(a.Verdict())))
		}
		fmt.Fprintf(w, "    servers: %s\n", strings.Join(parts, ", "))
	}
	if r.Path != nil {
		var names []string
		for i, l := range r.Path.Links {
			n := certutil.Name(l.Cert)
			switch {
			case l.Source != chain.FromServer:
				n += " [" + string(l.Source) + "]"
			case i > 0 && i == len(r.Path.Links)-1 && r.Path.Complete:
				n += " [sent]" // a root the server sent
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
			fmt.Fprintf(w, "    root:    %s (SHA-1 %s, %s%s)\n", certutil.Name(root.Cert), certutil.Thumbprint(root.Cert), where, pub)
		} else {
			w.WriteString("    root:    none (chain incomplete)\n")
		}
		trusted := "no"
		if r.Trusted {
			trusted = "yes"
		}
		fmt.Fprintf(w, "    trusted: %s\n", trusted)
		if line := revocationLine(r.Path); line != "" {
			fmt.Fprintf(w, "    revocation: %s\n", line)
		}
	} else if r.Err == nil {
		w.WriteString("    chain:   none (the server's certificate does not parse)\n")
	}
	if line := protocolLine(r.Protocols); line != "" {
		fmt.Fprintf(w, "    protocols: %s\n", line)
	}
	for _, f := range r.Findings {
		if f.Severity == finding.SevInfo {
			t.addInfo(f, string(r.Target.Role)+" "+r.Target.Raw)
			continue
		}
		t.writeFinding(f, "    ")
	}
	if t.opts.Verbose {
		t.verbose(r)
	}
	w.WriteByte('\n')
	return w.Flush()
}

func (t *textWriter) writeFinding(f finding.Finding, indent string) {
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
	fmt.Fprintf(t.w, "%s%s %s: %s\n", indent, sev, f.Code, safe(f.Message))
	fmt.Fprintf(t.w, "%s        fix: %s\n", indent, safe(f.Fix))
}

func (t *textWriter) addInfo(f finding.Finding, target string) {
	k := f.Code + "\x00" + f.Message + "\x00" + f.Fix
	g := t.infos[k]
	if g == nil {
		g = &infoGroup{f: f}
		t.infos[k] = g
		t.infoOrder = append(t.infoOrder, g)
	}
	g.n++
	if len(g.targets) < maxInfoTargets {
		g.targets = append(g.targets, target)
	}
}

// protocolLine says which probed TLS versions a server accepts.
func protocolLine(ps []chain.Protocol) string {
	var yes, no, unknown []string
	for _, p := range ps {
		n := tls.VersionName(p.Version)
		switch {
		case p.Err != nil:
			unknown = append(unknown, n)
		case p.Accepted:
			yes = append(yes, n)
		default:
			no = append(no, n)
		}
	}
	var parts []string
	if len(yes) > 0 {
		parts = append(parts, "accepts "+strings.Join(yes, ", "))
	}
	if len(no) > 0 {
		parts = append(parts, "refuses "+strings.Join(no, ", "))
	}
	if len(unknown) > 0 {
		parts = append(parts, "unknown "+strings.Join(unknown, ", "))
	}
	return strings.Join(parts, "; ")
}

// verbose writes what -v adds: each address and its handshake, the chain
// as presented, and every certificate's details.
func (t *textWriter) verbose(r *chain.Result) {
	w := t.w
	addrs := r.Addresses
	if len(addrs) == 0 && r.Addr != "" {
		addrs = []*chain.Result{r}
	}
	for _, a := range addrs {
		line := strings.ToUpper(string(a.Verdict()))
		if a.TLSVersion != 0 {
			line += ", " + versionName(a.TLSVersion) + ", " + suiteName(a.CipherSuite)
		}
		if a.Err != nil {
			line += ", " + safe(finding.Text(a.Err))
		}
		if len(r.Addresses) > 1 && len(a.Protocols) > 0 {
			line += "; " + protocolLine(a.Protocols)
		}
		fmt.Fprintf(w, "    address %s: %s\n", a.Addr, line)
	}
	if len(r.Presented) > 0 {
		w.WriteString("    presented (as the server sent it):\n")
		used := r.Used()
		for i, c := range r.Presented {
			note := ""
			if !used[i] {
				note = " (not used by the chain)"
			}
			fmt.Fprintf(w, "      %d %s (SHA-1 %s)%s\n", i, certutil.Name(c), certutil.Thumbprint(c), note)
		}
	}
	if r.Path == nil {
		return
	}
	for i, l := range r.Path.Links {
		fmt.Fprintf(w, "    --- certificate %d (%s) ---\n", i, l.Source)
		if l.Revocation != nil {
			fmt.Fprintf(w, "        %-18s %s\n", "revocation:", revocationDetail(l.Revocation))
		}
		for _, kv := range certLines(l.Cert) {
			fmt.Fprintf(w, "        %-18s %s\n", kv[0]+":", kv[1])
		}
	}
}

// maxListed bounds the names and URLs a verbose line lists.
const maxListed = 20

func list(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	more := ""
	if len(items) > maxListed {
		more = fmt.Sprintf(" and %d more", len(items)-maxListed)
		items = items[:maxListed]
	}
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = safe(s)
	}
	return strings.Join(out, ", ") + more
}

// certLines are a certificate's details for verbose text, every value
// escaped.
func certLines(c *x509.Certificate) [][2]string {
	id, d := certutil.IdentityOf(c), certutil.DetailsOf(c)
	var names []string
	for _, n := range d.DNSNames {
		names = append(names, "DNS:"+n)
	}
	for _, n := range d.IPAddresses {
		names = append(names, "IP:"+n)
	}
	bc := "none"
	if b := d.BasicConstraints; b != nil {
		bc = "CA:FALSE"
		if b.CA {
			bc = "CA:TRUE"
			if b.MaxPathLen != nil {
				bc += fmt.Sprintf(", pathlen:%d", *b.MaxPathLen)
			}
		}
	}
	key := d.KeyType
	if d.KeyBits > 0 {
		key += fmt.Sprintf(" %d", d.KeyBits)
	}
	return [][2]string{
		{"subject", id.Subject},
		{"issuer", id.Issuer},
		{"serial", d.Serial},
		{"valid", id.NotBefore + " to " + id.NotAfter},
		{"SHA-1", certutil.Thumbprint(c)},
		{"SHA-256", strings.ToUpper(id.SHA256)},
		{"key", key},
		{"signature", d.SignatureAlgorithm},
		{"names", list(names)},
		{"key usage", list(d.KeyUsage)},
		{"ext key usage", list(d.ExtKeyUsage)},
		{"basic constraints", bc},
		{"CA issuers", list(d.CAIssuers)},
		{"OCSP", list(d.OCSP)},
		{"CRL", list(d.CRL)},
	}
}

func (t *textWriter) Close() error {
	t.header()
	s := &t.summary
	s.finish()
	v := s.Verdicts
	fmt.Fprintf(t.w, "%d targets: %d OK, %d WARN, %d FAIL, %d UNREACHABLE (%d trusted, %d untrusted); %d errors, %d warnings, %d info\n",
		s.Targets, v.OK, v.Warn, v.Fail, v.Unreachable, s.Trusted, s.Untrusted, s.Errors, s.Warnings, s.Info)
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
	for _, c := range s.Republish {
		state := "expires"
		if c.Expired {
			state = "expired"
		}
		fmt.Fprintf(t.w, "republish: the CRL %s of %s (%s %s)\n", strconv.QuoteToASCII(c.URL), strconv.QuoteToASCII(c.Issuer), state, c.NextUpdate)
	}
	// Info findings change no verdict: each is said once, with the targets
	// it concerns.
	for _, g := range t.infoOrder {
		t.w.WriteByte('\n')
		t.writeFinding(g.f, "")
		on := make([]string, len(g.targets))
		for i, tg := range g.targets {
			on[i] = safe(tg)
		}
		more := ""
		if g.n > len(g.targets) {
			more = fmt.Sprintf(" and %d more", g.n-len(g.targets))
		}
		fmt.Fprintf(t.w, "        on %s: %s%s\n", plural(g.n, "target", "targets"), strings.Join(on, ", "), more)
	}
	return t.w.Flush()
}

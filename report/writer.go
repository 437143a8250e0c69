package report

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

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
	FormatHTML  Format = "html" // one self-contained page (see html.go)
	FormatCSV   Format = "csv"  // one row per target, or per address (see csv.go)
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
	// Run is when and by which trustgap the report is made: the "run"
	// object of a JSON document, the page's footer in HTML. Nil: neither.
	Run *Run
	// Bundle is the remediation bundle written with the report, which
	// the HTML page lists. Nil: none was asked for; empty (no Dir): none
	// was needed. The HTML writer reads it when it is closed, so it may
	// be filled in until then.
	Bundle *Bundle
	// Sources names the saved reports an HTML page was rendered from
	// (report --from); empty for a scan.
	Sources []string
	// CSVBOM starts CSV with a UTF-8 byte order mark, so that Excel reads
	// it as UTF-8 (--csv-bom).
	CSVBOM bool
	// Index writes each target's position in the scanned list ("index")
	// into JSON and jsonl (other formats ignore it): a shard's report
	// (scan --shard), so that reports merged from shards keep the list's
	// order.
	Index bool
}

// NewWriter returns a report writer for opts.Format writing to w.
func NewWriter(w io.Writer, opts Options) (Writer, error) {
	bw := bufio.NewWriter(w)
	switch opts.Format {
	case FormatJSON, FormatJSONL:
		return &jsonWriter{w: bw, lines: opts.Format == FormatJSONL, public: opts.Public, store: opts.Store, run: opts.Run, index: opts.Index}, nil
	case FormatText, "":
		return &textWriter{w: bw, opts: opts, infos: map[string]*infoGroup{}}, nil
	case FormatHTML:
		return &htmlWriter{w: bw, opts: opts}, nil
	case FormatCSV:
		return newCSVWriter(bw, opts), nil
	}
	return nil, fmt.Errorf("report: unknown format %q (want text, json, jsonl, html or csv)", opts.Format)
}

type jsonWriter struct {
	w       *bufio.Writer
	lines   bool
	public  func(*x509.Certificate) *bool
	store   *Store
	run     *Run
	index   bool
	n       int
	summary Summary
}

func (j *jsonWriter) Summary() *Summary { return &j.summary }

// start writes the document's opening: the store, then the targets array.
func (j *jsonWriter) start() error {
	j.w.WriteString("{")
	if j.run != nil {
		b, err := json.Marshal(j.run)
		if err != nil {
			return err
		}
		fmt.Fprintf(j.w, "\"run\":%s,\n", b)
	}
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
	tr := FromResult(r, j.public)
	if j.index {
		i := r.Index
		tr.Index = &i
	}
	j.summary.addStale(r)
	return j.put(&tr, nil)
}

func (j *jsonWriter) put(tr *Target, _ map[string]string) error {
	j.summary.AddTarget(tr)
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
	tr := FromResult(r, t.opts.Public)
	t.summary.addStale(r)
	return t.put(&tr, liveNames(r))
}

// liveNames are the short names (certutil.Name) of the certificates of a
// result, by SHA-1, so text from a scan needs no parsing again.
func liveNames(r *chain.Result) map[string]string {
	names := map[string]string{}
	if r.Path != nil {
		for _, l := range r.Path.Links {
			names[certutil.SHA1Hex(l.Cert)] = certutil.Name(l.Cert)
		}
	}
	for _, c := range r.Presented {
		names[certutil.SHA1Hex(c)] = certutil.Name(c)
	}
	return names
}

// put writes one target. names holds the short names of its certificates
// by SHA-1 when they are known (a live scan); others are worked out from
// the report ([shortName]).
func (t *textWriter) put(tr *Target, names map[string]string) error {
	t.header()
	t.summary.AddTarget(tr)
	n := certNamer{known: names, tr: tr}
	w := t.w
	v := tr.Verdict
	fmt.Fprintf(w, "%s  %s %s", t.paint(verdictColour(v), fmt.Sprintf("%-11s", strings.ToUpper(safe(string(v))))), t.paint(ansiBold, safe(string(tr.Role))), safe(tr.Target))
	if tr.Address != "" {
		fmt.Fprintf(w, " (%s)", safe(tr.Address))
	}
	w.WriteByte('\n')
	if len(tr.Addresses) > 1 {
		var parts []string
		for _, a := range tr.Addresses {
			parts = append(parts, safe(a.Address)+" "+strings.ToUpper(safe(string(a.Verdict))))
		}
		fmt.Fprintf(w, "    servers: %s\n", strings.Join(parts, ", "))
	}
	if len(tr.Chain) > 0 {
		var names []string
		for i := range tr.Chain {
			c := &tr.Chain[i]
			n := n.cert(c)
			switch {
			case c.Source != SourceServer:
				n += " [" + safe(string(c.Source)) + "]"
			case i > 0 && i == len(tr.Chain)-1 && tr.Root != nil:
				n += " [sent]" // a root the server sent
			}
			names = append(names, n)
		}
		fmt.Fprintf(w, "    chain:   %s\n", strings.Join(names, " <- "))
		if root := tr.Root; root != nil {
			where := "not in client store"
			switch {
			case root.InStore:
				where = "in client store"
			case tr.LyncRoot():
				where = "a lync target's root"
			}
			pub := ""
			if p := root.Public; p != nil && *p {
				pub = ", public"
			} else if p != nil {
				pub = ", private"
			}
			fmt.Fprintf(w, "    root:    %s (SHA-1 %s, %s%s)\n", n.cert(&root.Cert), thumb(root.SHA1), where, pub)
		} else {
			w.WriteString("    root:    none (chain incomplete)\n")
		}
		trusted := "no"
		if tr.Trusted {
			trusted = "yes"
		}
		fmt.Fprintf(w, "    trusted: %s\n", trusted)
		if line := revocationLine(tr); line != "" {
			fmt.Fprintf(w, "    revocation: %s\n", line)
		}
	} else if tr.Reached() {
		w.WriteString("    chain:   none (the server's certificate does not parse)\n")
	}
	if line := protocolLine(tr.Protocols); line != "" {
		fmt.Fprintf(w, "    protocols: %s\n", line)
	}
	for _, f := range tr.Findings {
		if f.Severity == finding.SevInfo {
			t.addInfo(f, string(tr.Role)+" "+tr.Target)
			continue
		}
		t.writeFinding(f, "    ")
	}
	if t.opts.Verbose {
		t.verbose(tr, n)
	}
	w.WriteByte('\n')
	return w.Flush()
}

// thumb is a SHA-1 as people read it: upper-case hex (and escaped, since a
// saved report may hold anything).
func thumb(sha1 string) string { return safe(strings.ToUpper(sha1)) }

func (t *textWriter) writeFinding(f finding.Finding, indent string) {
	sc := ansiRed
	switch f.Severity {
	case finding.SevWarning:
		sc = ansiYellow
	case finding.SevInfo:
		sc = ""
	}
	sev := fmt.Sprintf("%-7s", safe(string(f.Severity)))
	if sc != "" {
		sev = t.paint(sc, sev)
	}
	fmt.Fprintf(t.w, "%s%s %s: %s\n", indent, sev, safe(f.Code), safe(f.Message))
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
func protocolLine(ps []Protocol) string {
	var yes, no, unknown []string
	for _, p := range ps {
		n := safe(p.Version)
		switch {
		case p.Accepted == nil:
			unknown = append(unknown, n)
		case *p.Accepted:
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
func (t *textWriter) verbose(tr *Target, n certNamer) {
	w := t.w
	addrs := tr.Addresses
	if len(addrs) == 0 && tr.Address != "" {
		addrs = []Address{{Address: tr.Address, Verdict: tr.Verdict, TLSVersion: tr.TLSVersion, CipherSuite: tr.CipherSuite,
			Chain: []string{}, Protocols: tr.Protocols, Findings: tr.Findings}}
		for _, c := range tr.Chain {
			addrs[0].Chain = append(addrs[0].Chain, c.SHA1)
		}
	}
	for _, a := range addrs {
		line := strings.ToUpper(safe(string(a.Verdict)))
		if a.TLSVersion != "" {
			line += ", " + safe(a.TLSVersion) + ", " + safe(a.CipherSuite)
		}
		if msg, failed := a.FetchError(); failed {
			line += ", " + safe(msg)
		}
		if len(tr.Addresses) > 1 && len(a.Protocols) > 0 {
			line += "; " + protocolLine(a.Protocols)
		}
		fmt.Fprintf(w, "    address %s: %s\n", safe(a.Address), line)
		if len(tr.Addresses) > 1 {
			if rev := addressRevocation(tr, a.Chain); rev != "" {
				fmt.Fprintf(w, "      revocation: %s\n", rev)
			}
		}
	}
	if len(tr.Presented) > 0 {
		w.WriteString("    presented (as the server sent it):\n")
		for i, p := range tr.Presented {
			note := ""
			if !p.Used {
				note = " (not used by the chain)"
			}
			fmt.Fprintf(w, "      %d %s (SHA-1 %s)%s\n", i, n.presented(&p), thumb(p.SHA1), note)
		}
	}
	for i := range tr.Chain {
		c := &tr.Chain[i]
		fmt.Fprintf(w, "    --- certificate %d (%s) ---\n", i, safe(string(c.Source)))
		if tr.RevocationChecked {
			fmt.Fprintf(w, "        %-18s %s\n", "revocation:", revocationDetail(c.Revocation))
		}
		for _, kv := range certLines(c) {
			fmt.Fprintf(w, "        %-18s %s\n", kv[0]+":", kv[1])
		}
		writeFullText(w, c)
	}
}

// writeFullText writes c in full, as OpenSSL's "x509 -text" lays it out
// (github.com/smallstep/certinfo), every line escaped: the certificate's
// names and extensions are its issuer's choice. certinfo's text splits on
// line feeds a string of the certificate may hold, so it is written only
// when no string value in the certificate holds a control or format
// character (certutil.PlainStrings); otherwise one line says it is left
// out.
func writeFullText(w *bufio.Writer, c *Cert) {
	if !certutil.PlainStrings(c.DER) {
		w.WriteString("        (full text left out: the certificate's text holds control or format characters; the escaped details above show them)\n")
		return
	}
	x, err := x509.ParseCertificate(c.DER)
	if err != nil {
		fmt.Fprintf(w, "        (full text unavailable: %s)\n", safe(err.Error()))
		return
	}
	txt, err := certinfo.CertificateText(x)
	if err != nil {
		fmt.Fprintf(w, "        (full text unavailable: %s)\n", safe(err.Error()))
		return
	}
	for _, line := range strings.Split(strings.TrimRight(txt, "\n"), "\n") {
		fmt.Fprintf(w, "        | %s\n", safe(line))
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
func certLines(c *Cert) [][2]string {
	id, d := c.Identity, c.Details
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
	key := safe(d.KeyType)
	if d.KeyBits > 0 {
		key += fmt.Sprintf(" %d", d.KeyBits)
	}
	return [][2]string{
		{"subject", safe(id.Subject)},
		{"issuer", safe(id.Issuer)},
		{"serial", safe(d.Serial)},
		{"valid", safe(id.NotBefore + " to " + id.NotAfter)},
		{"SHA-1", thumb(id.SHA1)},
		{"SHA-256", safe(strings.ToUpper(id.SHA256))},
		{"key", key},
		{"signature", safe(d.SignatureAlgorithm)},
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
			parts = append(parts, fmt.Sprintf("%s %d", safe(c), s.Codes[c]))
		}
		fmt.Fprintf(t.w, "findings: %s\n", strings.Join(parts, ", "))
	}
	for _, c := range s.Republish {
		state := "expires"
		if c.Expired {
			state = "expired"
		}
		fmt.Fprintf(t.w, "republish: the CRL %s of %s (%s %s)\n", strconv.QuoteToASCII(c.URL), strconv.QuoteToASCII(c.Issuer), state, safe(c.NextUpdate))
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

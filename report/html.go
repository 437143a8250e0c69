package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
)

// The HTML page is self-contained: its style and script are inline, and a
// Content-Security-Policy meta tag allows exactly them (by hash) and
// nothing else: no network, no other script, no frame, no form.
//
//go:embed templates/report.html.tmpl templates/diff.html.tmpl templates/report.css templates/report.js
var htmlFS embed.FS

var (
	pageCSS = mustRead("templates/report.css")
	pageJS  = mustRead("templates/report.js")
	// PageCSP is the page's Content-Security-Policy.
	PageCSP = "default-src 'none'; style-src '" + cspHash(pageCSS) + "'; script-src '" + cspHash(pageJS) +
		"'; img-src 'none'; base-uri 'none'; form-action 'none'"
	pageTemplates = template.Must(template.New("").Funcs(template.FuncMap{
		"upper": strings.ToUpper,
	}).ParseFS(htmlFS, "templates/*.html.tmpl"))
)

func mustRead(name string) string {
	b, err := htmlFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// cspHash is a CSP source expression for an inline element's content.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// Bundle is what a remediation bundle written with a report holds, for the
// HTML page to list.
type Bundle struct {
	Dir     string
	Files   []BundleFile
	Certs   []BundleCert
	LeftOut []BundleCert // self-signed server certificates left out
	// Interrupted: the run was interrupted, so the bundle asked for was
	// not written (one from part of a scan would be wrong).
	Interrupted bool
}

// BundleFile is one file of a bundle.
type BundleFile struct {
	Name   string
	Size   int
	SHA256 string
}

// BundleCert is one certificate of a bundle.
type BundleCert struct {
	Store    string // Root or CA
	Subject  string
	SHA1     string // lower-case hex
	NotAfter string
	File     string
	// LyncAssumedOnly: in the bundle only because of the Lync assumption.
	LyncAssumedOnly bool
	SelfSignedLeaf  bool
	Targets         []string
}

// htmlWriter collects the targets and renders the page when closed.
type htmlWriter struct {
	w       *bufio.Writer
	opts    Options
	targets []*Target
	summary Summary
}

func (h *htmlWriter) Summary() *Summary { return &h.summary }

func (h *htmlWriter) Write(r *chain.Result) error {
	tr := FromResult(r, h.opts.Public)
	h.summary.addStale(r)
	return h.put(&tr, nil)
}

func (h *htmlWriter) put(tr *Target, _ map[string]string) error {
	h.summary.AddTarget(tr)
	h.targets = append(h.targets, tr)
	return nil
}

func (h *htmlWriter) Close() error {
	h.summary.finish()
	page := newPage(h.targets, &h.summary, h.opts)
	if err := pageTemplates.ExecuteTemplate(h.w, "report.html.tmpl", page); err != nil {
		return fmt.Errorf("report: rendering HTML: %w", err)
	}
	return h.w.Flush()
}

// htmlPage is what the report template renders. Every string that came
// from a server, a certificate or a file has been through [safe]; the
// template escapes it for HTML.
type htmlPage struct {
	Title    string
	CSP      string
	CSS      template.CSS
	JS       template.JS
	RunTime  string
	Version  string
	Sources  []string
	Store    *htmlStore
	Summary  *Summary
	Codes    []htmlCode
	Targets  []*htmlTarget
	Graph    *Graph
	Legend   []htmlLegend
	Bundle   *Bundle
	Verdicts []htmlCount
	// CAs are the roots and intermediates of every chain, each once.
	CAs []*htmlCA
	// NothingToDeploy: --bundle was given, but no bundle was needed.
	NothingToDeploy bool
	// BundleInterrupted: --bundle was given, but the run was interrupted.
	BundleInterrupted bool
	// Republish are the CRLs to republish (the summary's
	// crls_to_republish).
	Republish []htmlStale
}

// htmlStale is a CRL to republish.
type htmlStale struct {
	URL, Issuer, NextUpdate, State string
}

// htmlCA is a CA certificate of the report's chains, with the number of
// targets whose chain it is in.
type htmlCA struct {
	Cert      *htmlCert
	Kind      string // root or intermediate
	Trust     string
	TrustWord string
	Targets   int
}

type htmlStore struct {
	Line     string
	Sources  []htmlSource
	Warnings []string
	Public   int
	Private  int
}

type htmlSource struct {
	Source                           string
	Roots, Intermediates, Disallowed int
}

type htmlCount struct {
	Name, Class string
	N           int
}

type htmlCode struct {
	Code, Severity string
	N              int
	Targets        []htmlLink
	More           int
}

type htmlLink struct{ ID, Text string }

type htmlLegend struct {
	Trust string
	Style trustStyle
	Text  string
}

type htmlTarget struct {
	ID, Role, Target, Host, Address string
	Index, Port                     int
	Verdict, VerdictClass           string
	VerdictRank                     int
	Trusted, Trust, TrustWord       string
	Root                            *htmlCert
	RootWhere                       string
	Expires, ExpiresSort, ExpiresIn string
	Codes                           []string
	Chain                           []*htmlCert
	Presented                       []htmlPresented
	Addresses                       []htmlAddress
	Protocols                       string
	TLS                             string
	Findings                        []htmlFinding
	Reached                         bool
	// Revocation is the chain's revocation, leaf first (as text's
	// revocation line); empty when no check ran.
	Revocation string
}

type htmlCert struct {
	// ID is the page anchor of a CA certificate ("ca-<sha1>").
	ID                                                       string
	Name, Subject, Issuer, SHA1, SHA256, NotBefore, NotAfter string
	Source, Note, Serial, Key, Signature, Names, Usage, AIA  string
	// Revocation is the certificate's revocation status (as -v text
	// says it); empty when no check ran.
	Revocation string
}

type htmlPresented struct {
	Name, SHA1 string
	Used       bool
}

type htmlAddress struct {
	Address, Verdict, VerdictClass, TLS, Error, Trusted, Leaf string
}

type htmlFinding struct {
	Severity, Code, Message, Fix string
}

var verdictRanks = map[chain.Verdict]int{chain.VerdictOK: 0, chain.VerdictWarn: 1, chain.VerdictFail: 2, chain.VerdictUnreachable: 3}

// newPage builds the page's data from the report model.
func newPage(targets []*Target, s *Summary, opts Options) *htmlPage {
	p := &htmlPage{Title: "trustgap report", CSP: PageCSP, CSS: template.CSS(pageCSS), JS: template.JS(pageJS), Summary: s}
	var at time.Time
	haveTime := false
	if opts.Run != nil {
		p.RunTime, p.Version = safe(opts.Run.Time), safe(opts.Run.Version)
		at, haveTime = opts.Run.At()
	}
	for _, src := range opts.Sources {
		p.Sources = append(p.Sources, safe(src))
	}
	if st := opts.Store; st != nil {
		hs := &htmlStore{Line: safe(st.Line()), Public: st.Public, Private: st.Private}
		for _, sc := range st.Sources {
			hs.Sources = append(hs.Sources, htmlSource{Source: safe(sc.Source), Roots: sc.Roots, Intermediates: sc.Intermediates, Disallowed: sc.Disallowed})
		}
		for _, w := range st.Warnings {
			hs.Warnings = append(hs.Warnings, safe(w))
		}
		p.Store = hs
	}
	for _, c := range s.Republish {
		state := "expires"
		if c.Expired {
			state = "expired"
		}
		p.Republish = append(p.Republish, htmlStale{URL: safe(c.URL), Issuer: safe(c.Issuer), NextUpdate: safe(c.NextUpdate), State: state})
	}
	v := s.Verdicts
	p.Verdicts = []htmlCount{{"OK", "ok", v.OK}, {"WARN", "warn", v.Warn}, {"FAIL", "fail", v.Fail}, {"UNREACHABLE", "unreachable", v.Unreachable}}
	ids := make([]string, len(targets))
	codes := map[string]*htmlCode{}
	cas := map[string]*htmlCA{}
	for i, tr := range targets {
		ids[i] = fmt.Sprintf("t%d", i+1)
		ht := newHTMLTarget(tr, ids[i], i, at, haveTime)
		p.Targets = append(p.Targets, ht)
		for j, hc := range ht.Chain {
			if j == 0 || hc.ID == "" {
				continue
			}
			ca := cas[hc.ID]
			if ca == nil {
				ca = &htmlCA{Cert: hc, Kind: "intermediate", Trust: TrustUntrusted}
				if j == len(ht.Chain)-1 && tr.Root != nil {
					ca.Kind, ca.Trust = "root", rootTrust(tr)
				} else if tr.Root != nil {
					ca.Trust = rootTrust(tr)
				}
				ca.TrustWord = trustStyles[ca.Trust].Word
				cas[hc.ID] = ca
				p.CAs = append(p.CAs, ca)
			}
			ca.Targets++
		}
		for _, code := range Codes(tr.Findings) {
			hc := codes[code]
			if hc == nil {
				hc = &htmlCode{Code: safe(code)}
				codes[code] = hc
			}
			hc.N++
			if len(hc.Targets) < 10 {
				hc.Targets = append(hc.Targets, htmlLink{ID: ids[i], Text: ht.Role + " " + ht.Target})
			} else {
				hc.More++
			}
		}
		for _, f := range tr.Findings {
			hc := codes[f.Code]
			if rankSeverity(string(f.Severity)) > rankSeverity(hc.Severity) {
				hc.Severity = safe(string(f.Severity))
			}
		}
	}
	for _, hc := range codes {
		p.Codes = append(p.Codes, *hc)
	}
	sort.Slice(p.Codes, func(i, j int) bool {
		a, b := p.Codes[i], p.Codes[j]
		if ra, rb := rankSeverity(a.Severity), rankSeverity(b.Severity); ra != rb {
			return ra > rb
		}
		return a.Code < b.Code
	})
	p.Graph = buildGraph(targets, ids)
	for _, t := range []string{TrustStore, TrustLync, TrustUntrusted, TrustFail, TrustUnreachable} {
		p.Legend = append(p.Legend, htmlLegend{Trust: t, Style: trustStyles[t], Text: legendText[t]})
	}
	switch b := opts.Bundle; {
	case b != nil && b.Interrupted:
		p.BundleInterrupted = true
	case b != nil && b.Dir != "":
		p.Bundle = safeBundle(b)
	case b != nil:
		p.NothingToDeploy = true // a bundle was asked for, and none written
	}
	return p
}

var legendText = map[string]string{
	TrustStore:       "trusted: the chain ends at a root in the client store",
	TrustLync:        "Lync only: trusted only because it is a Lync target's root (clients that lack it fail)",
	TrustUntrusted:   "untrusted: clients refuse the chain (or its issuer was not found)",
	TrustUnreachable: "unreachable: no server behind the name answered",
	TrustFail:        "fails: clients trust the chain, but the server fails all the same (the box names the errors, such as name-mismatch)",
}

func rankSeverity(s string) int {
	switch finding.Severity(s) {
	case finding.SevError:
		return 3
	case finding.SevWarning:
		return 2
	case finding.SevInfo:
		return 1
	}
	return 0
}

func newHTMLTarget(tr *Target, id string, i int, at time.Time, haveTime bool) *htmlTarget {
	ht := &htmlTarget{ID: id, Index: i, Role: safe(string(tr.Role)), Target: safe(tr.Target), Host: safe(tr.Host), Port: tr.Port,
		Address: safe(tr.Address), Verdict: strings.ToUpper(safe(string(tr.Verdict))), VerdictClass: verdictClass(tr.Verdict),
		VerdictRank: verdictRanks[tr.Verdict], Trust: serverTrust(tr), Reached: tr.Reached()}
	ht.TrustWord = trustStyles[ht.Trust].Word
	switch {
	case !tr.Reached():
		ht.Trusted = "no (unreachable)"
	case tr.Trusted && ht.Trust == TrustLync:
		ht.Trusted = "yes, Lync only"
	case tr.Trusted:
		ht.Trusted = "yes"
	default:
		ht.Trusted = "no"
	}
	if tr.TLSVersion != "" {
		ht.TLS = safe(tr.TLSVersion + ", " + tr.CipherSuite)
	}
	n := certNamer{tr: tr}
	for j := range tr.Chain {
		c := &tr.Chain[j]
		hc := newHTMLCert(n, c)
		if tr.RevocationChecked {
			hc.Revocation = revocationDetail(c.Revocation)
		}
		if j > 0 {
			hc.ID = "ca-" + anchorSafe(c.SHA1)
		}
		switch {
		case c.Source != SourceServer:
			hc.Note = "from " + safe(string(c.Source))
		case j > 0 && j == len(tr.Chain)-1 && tr.Root != nil:
			hc.Note = "root sent by the server"
		default:
			hc.Note = "sent by the server"
		}
		ht.Chain = append(ht.Chain, hc)
	}
	if tr.Root != nil {
		ht.Root = newHTMLCert(n, &tr.Root.Cert)
		switch {
		case tr.Root.InStore:
			ht.RootWhere = "in the client store"
		case tr.LyncRoot():
			ht.RootWhere = "a lync target's root, not in the client store"
		default:
			ht.RootWhere = "not in the client store"
		}
		if p := tr.Root.Public; p != nil {
			if *p {
				ht.RootWhere += ", public"
			} else {
				ht.RootWhere += ", private"
			}
		}
	}
	ht.ExpiresSort = "~" // sorts after every date
	if len(tr.Chain) > 0 {
		na := tr.Chain[0].NotAfter
		ht.Expires, ht.ExpiresSort = safe(strings.SplitN(na, "T", 2)[0]), safe(na)
		if t, err := time.Parse(time.RFC3339, na); err == nil && haveTime {
			ht.ExpiresIn = expiresIn(t.Sub(at))
		}
	}
	for _, c := range Codes(tr.Findings) {
		ht.Codes = append(ht.Codes, safe(c))
	}
	for _, p := range tr.Presented {
		ht.Presented = append(ht.Presented, htmlPresented{Name: n.presented(&p), SHA1: thumb(p.SHA1), Used: p.Used})
	}
	for _, a := range tr.Addresses {
		ha := htmlAddress{Address: safe(a.Address), Verdict: strings.ToUpper(safe(string(a.Verdict))), VerdictClass: verdictClass(a.Verdict)}
		if a.TLSVersion != "" {
			ha.TLS = safe(a.TLSVersion + ", " + a.CipherSuite)
		}
		if msg, failed := a.FetchError(); failed {
			ha.Error = safe(msg)
		} else {
			ha.Trusted = yesNo(a.Trusted)
		}
		if len(a.Chain) > 0 {
			ha.Leaf = thumb(a.Chain[0])
			if c := tr.Cert(a.Chain[0]); c != nil {
				ha.Leaf = n.cert(c) + " (SHA-1 " + thumb(c.SHA1) + ", expires " + safe(c.NotAfter) + ")"
			}
		}
		ht.Addresses = append(ht.Addresses, ha)
	}
	ht.Protocols = protocolLine(tr.Protocols)
	ht.Revocation = revocationLine(tr)
	for _, f := range tr.Findings {
		ht.Findings = append(ht.Findings, htmlFinding{Severity: safe(string(f.Severity)), Code: safe(f.Code), Message: safe(f.Message), Fix: safe(f.Fix)})
	}
	return ht
}

func newHTMLCert(n certNamer, c *Cert) *htmlCert {
	d := c.Details
	key := safe(d.KeyType)
	if d.KeyBits > 0 {
		key += fmt.Sprintf(" %d", d.KeyBits)
	}
	var names []string
	for _, s := range d.DNSNames {
		names = append(names, "DNS:"+s)
	}
	for _, s := range d.IPAddresses {
		names = append(names, "IP:"+s)
	}
	usage := slices.Concat(d.KeyUsage, d.ExtKeyUsage)
	var aia []string
	aia = append(aia, d.CAIssuers...)
	aia = append(aia, d.OCSP...)
	aia = append(aia, d.CRL...)
	return &htmlCert{Name: n.cert(c), Subject: safe(c.Subject), Issuer: safe(c.Issuer), SHA1: thumb(c.SHA1), SHA256: safe(strings.ToUpper(c.SHA256)),
		NotBefore: safe(c.NotBefore), NotAfter: safe(c.NotAfter), Source: safe(string(c.Source)), Serial: safe(d.Serial), Key: key,
		Signature: safe(d.SignatureAlgorithm), Names: list(names), Usage: list(usage), AIA: list(aia)}
}

// anchorSafe keeps what may be in a page anchor: hex digits and letters.
func anchorSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			return r
		}
		return '_'
	}, s)
}

func verdictClass(v chain.Verdict) string {
	switch v {
	case chain.VerdictOK, chain.VerdictWarn, chain.VerdictFail:
		return string(v)
	}
	return "unreachable"
}

// expiresIn says how far d is, in days.
func expiresIn(d time.Duration) string {
	days := int(d.Hours() / 24)
	switch {
	case d < 0:
		return fmt.Sprintf("expired %d days ago", -days)
	case days == 0:
		return "expires within a day"
	}
	return fmt.Sprintf("in %d days", days)
}

func safeBundle(b *Bundle) *Bundle {
	out := &Bundle{Dir: safe(b.Dir)}
	for _, f := range b.Files {
		out.Files = append(out.Files, BundleFile{Name: safe(f.Name), Size: f.Size, SHA256: safe(f.SHA256)})
	}
	cert := func(c BundleCert) BundleCert {
		o := BundleCert{Store: safe(c.Store), Subject: safe(c.Subject), SHA1: thumb(c.SHA1), NotAfter: safe(c.NotAfter), File: safe(c.File),
			LyncAssumedOnly: c.LyncAssumedOnly, SelfSignedLeaf: c.SelfSignedLeaf}
		for _, t := range c.Targets {
			o.Targets = append(o.Targets, safe(t))
		}
		return o
	}
	for _, c := range b.Certs {
		out.Certs = append(out.Certs, cert(c))
	}
	for _, c := range b.LeftOut {
		out.LeftOut = append(out.LeftOut, cert(c))
	}
	return out
}

// renderHTML renders a template of the page's style to bytes.
func renderHTML(name string, data any) ([]byte, error) {
	var buf bytes.Buffer
	if err := pageTemplates.ExecuteTemplate(&buf, name, data); err != nil {
		return nil, fmt.Errorf("report: rendering HTML: %w", err)
	}
	return buf.Bytes(), nil
}

package report_test

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"html"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/report"
)

// hostileDoc is a report of a lab's worth of targets, one of them with a
// hostile chain: markup, quotes, an RTL override and a javascript: URL.
func hostileDoc(t *testing.T) *report.Document {
	root := testca.Root("Contoso Root CA")
	inter := testca.Intermediate("Contoso Issuing CA", root)
	evil := testca.New(testca.Options{CN: "<script>alert(1)</script>\"'\u202Eexe.txt", DNSNames: []string{"evil.test", "<img src=x onerror=alert(2)>"},
		IssuingURL: "javascript:alert(3)"}, root)
	rs := []*chain.Result{
		judged(t, []*x509.Certificate{root.Cert}, "a.test", testca.Leaf(inter, "a.test"), inter.Cert),
		judged(t, nil, "evil.test", evil, root.Cert),
		unreachable(t, "gone.test"),
	}
	rs[1].Findings = append(rs[1].Findings, finding.Finding{Code: "x</td><script>", Severity: "error", Message: "</textarea><script>alert(4)</script>", Fix: "<a href=javascript:alert(5)>fix</a>"})
	doc := &report.Document{Run: report.NewRun(testca.Epoch, "test<b>"), Store: &report.Store{Sources: nil, Warnings: []string{"<i>warning</i>"}}}
	for _, r := range rs {
		tr := report.FromResult(r, nil)
		doc.Targets = append(doc.Targets, &tr)
	}
	return doc
}

func renderHTML(t *testing.T, doc *report.Document, opts report.Options) string {
	t.Helper()
	var buf bytes.Buffer
	opts.Format = report.FormatHTML
	if _, err := report.Render(&buf, doc, opts); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestHTMLPolicy: the page's only style and script are inline, and its
// Content-Security-Policy allows exactly them, by hash, and nothing else:
// no other source, no URL but links inside the page.
func TestHTMLPolicy(t *testing.T) {
	doc := hostileDoc(t)
	page := renderHTML(t, doc, report.Options{Bundle: &report.Bundle{Dir: "b<"}, Sources: []string{"r.json"}})
	meta := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindAllStringSubmatch(page, -1)
	if len(meta) != 1 {
		t.Fatalf("%d CSP meta tags, want 1", len(meta))
	}
	csp := html.UnescapeString(meta[0][1])
	inline := func(tag string) string {
		m := regexp.MustCompile(`(?s)<`+tag+`>(.*?)</`+tag+`>`).FindAllStringSubmatch(page, -1)
		if len(m) != 1 {
			t.Fatalf("%d <%s> elements, want 1", len(m), tag)
		}
		sum := sha256.Sum256([]byte(m[0][1]))
		return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	}
	for _, want := range []string{"default-src 'none'", "style-src " + inline("style") + ";", "script-src " + inline("script") + ";", "img-src 'none'", "base-uri 'none'", "form-action 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	// Text is escaped (TestHTMLEscapes), so every "<" starts a real tag.
	if m := regexp.MustCompile(`<[a-zA-Z][^>]*\s(style|src|srcset|action|on[a-z]+)=`).FindString(page); m != "" {
		t.Errorf("a tag with a style, source or handler attribute: %s", m)
	}
	if strings.Contains(page, "url(") || strings.Contains(page, "@import") {
		t.Error("the style refers to a resource")
	}
	for _, href := range regexp.MustCompile(`href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(href[1], "#") {
			t.Errorf("a link out of the page: %s", href[0])
		}
	}
	if page != renderHTML(t, doc, report.Options{Bundle: &report.Bundle{Dir: "b<"}, Sources: []string{"r.json"}}) {
		t.Error("two renderings of the same report differ")
	}
}

// TestHTMLEscapes: whatever a server or a saved report chose is text.
func TestHTMLEscapes(t *testing.T) {
	page := renderHTML(t, hostileDoc(t), report.Options{Bundle: &report.Bundle{Dir: "<b>dir</b>", Files: []report.BundleFile{{Name: "<x>"}}}, Sources: []string{"<r>.json"}})
	for _, bad := range []string{"<script>alert", "<img", "</textarea>", "<a href=javascript", "<i>", "<b>", "<x>", "<r>", "\u202E", `x</td>`} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q as markup", bad)
		}
	}
	for _, want := range []string{`CN=\&lt;script\&gt;alert(1)\&lt;/script\&gt;\&#34;&#39;\E2\80\AEexe.txt`, `DNS:&lt;img src=x onerror=alert(2)&gt;`,
		`&lt;/textarea&gt;&lt;script&gt;alert(4)&lt;/script&gt;`, `javascript:alert(3)`, `&lt;i&gt;warning&lt;/i&gt;`, `trustgap test&lt;b&gt;`} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
}

// TestCSVCell neutralises formulas and keeps rows on one line.
func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+1": "'+1", "-1": "'-1", "@A1": "'@A1", "＠A1": "'＠A1", "\t=1": `\x09=1`, "a\nb": `a\x0ab`,
		"CN=x": "CN=x", "": "", "1-2": "1-2", "a=b": "a=b", "\u202Eevil": `\xe2\x80\xaeevil`,
	} {
		if got := report.CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderJSONL: a jsonl report renders to every format, with no run
// (the page says so) and no store.
func TestRenderJSONL(t *testing.T) {
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatJSONL})
	root := testca.Root("R")
	w.Write(judged(t, []*x509.Certificate{root.Cert}, "a.test", testca.Leaf(root, "a.test")))
	w.Close()
	doc, err := report.ReadDocument(&buf, "r.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if doc.Run != nil || doc.Store != nil || len(doc.Targets) != 1 {
		t.Fatalf("jsonl document: %+v", doc)
	}
	for _, f := range []report.Format{report.FormatText, report.FormatJSON, report.FormatJSONL, report.FormatHTML, report.FormatCSV} {
		var out bytes.Buffer
		s, err := report.Render(&out, doc, report.Options{Format: f})
		if err != nil || s.Targets != 1 || out.Len() == 0 {
			t.Errorf("%s: %v, %+v", f, err, s)
		}
		if f == report.FormatHTML && !strings.Contains(out.String(), "Time of the scan not recorded") {
			t.Error("the page does not say the time is unknown")
		}
	}
}

// FuzzRender renders whatever a saved report may hold, in every format,
// and compares it with itself: nothing panics.
func FuzzRender(f *testing.F) {
	f.Add(`{"run":{"time":"2026-01-01T00:00:00Z","version":"x"},"store":{"sources":[{"source":"s"}],"warnings":["w"]},"targets":[{"role":"ews","target":"a","host":"a","port":443,"address":"1:1","verdict":"fail","tls_version":"TLS 1.3","chain":[{"subject":"CN=a","issuer":"CN=b","sha1":"01","not_after":"2027-01-01T00:00:00Z","der":"AAAA"},{"subject":"CN=b","sha1":"02","ca":true}],"root":null,"presented":[{"sha1":"03","subject":"O=x\\"}],"addresses":[{"address":"1:1","chain":["01","02"]},{"address":"1:2","chain":["04"],"verdict":"ok"}],"other_certs":[{"sha1":"04","self_signed":true}],"findings":[{"code":"incomplete-chain","severity":"error"},{"code":"lync-root-assumed","severity":"info"}]}],"summary":{}}`)
	f.Add(`{"role":"lync","target":"b","chain":[{"sha1":"aa","self_signed":true}],"root":{"sha1":"aa","in_store":true,"public":true},"trusted":true,"protocols":[{"version":"TLS 1.0","accepted":null,"error":"x"}]}`)
	f.Add(`{"targets":[{"target":"x","verdict":"zzz","addresses":[{"address":"a"},{"address":"b","tls_version":"t"}]}]}`)
	f.Add(`{"targets":[{"target":"r","verdict":"fail","revocation_checked":true,"chain":[{"sha1":"01","revocation":{"status":"revoked","source":"crl\u001b[2J","url":"http://x\u202e","revoked_at":"\r","reason":"\u0007","checked_at":"\u2028","next_update":"\u001b"}},{"sha1":"02","revocation":{"status":"\u001b]0;x\u0007"}},{"sha1":"03"}],"addresses":[{"address":"a","chain":["01","04"]},{"address":"b","chain":["02"]}]}],"summary":{"interrupted":true,"not_scanned":-1,"crls_to_republish":[{"url":"\u001b","issuer":"\r\n","next_update":"\u202e","expired":true},{"url":"\u001b"}]}}`)
	f.Add(`{"targets":[{"target":"x\u001b[2J","role":"\r","verdict":"\u001b[31m","address":"\u0007","tls_version":"\u202e","findings":[{"code":"\u001b]0;x\u0007","severity":"\u2028"}]}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		doc, err := report.ReadDocument(strings.NewReader(s), "f")
		if err != nil {
			return
		}
		for _, format := range []report.Format{report.FormatText, report.FormatJSON, report.FormatHTML, report.FormatCSV} {
			var out bytes.Buffer
			if _, err := report.Render(&out, doc, report.Options{Format: format, Verbose: true}); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			// Text reaches terminals: nothing a terminal acts on.
			if format == report.FormatText && strings.ContainsAny(out.String(), "\x1b\r\x07\u202e\u2028") {
				t.Fatalf("text holds control characters: %q", out.String())
			}
		}
		d := report.Diff(doc, &report.Document{Targets: doc.Targets[len(doc.Targets)/2:]}, time.Unix(0, 0))
		var text bytes.Buffer
		report.WriteDiffText(&text, d)
		if strings.ContainsAny(text.String(), "\x1b\r\x07\u202e\u2028") {
			t.Fatalf("diff text holds control characters: %q", text.String())
		}
		report.WriteDiffHTML(io.Discard, d)
	})
}

// TestHTMLBundle: the bundle written is listed; one asked for but not
// needed, or not written because the run was interrupted, is said so; none
// asked for, no section.
func TestHTMLBundle(t *testing.T) {
	doc := hostileDoc(t)
	b := &report.Bundle{Dir: "trust-bundle", Files: []report.BundleFile{{Name: "roots.p7b", Size: 10, SHA256: "ab"}},
		Certs: []report.BundleCert{{Store: "Root", Subject: "CN=Contoso Root CA", SHA1: "0a1b", LyncAssumedOnly: true, Targets: []string{"lync pool.test"}}}}
	for _, tc := range []struct {
		b    *report.Bundle
		want []string
		not  []string
	}{
		{b, []string{"Written to <code>trust-bundle</code>", "<code>roots.p7b</code>", "Trusted Root Certification Authorities", "0A1B", "only because of the Lync assumption"}, []string{"None was written"}},
		{&report.Bundle{}, []string{"None was written: no untrusted root or missing intermediate to deploy."}, []string{"Written to"}},
		{&report.Bundle{Interrupted: true}, []string{"None was written: the run was interrupted"}, []string{"Written to", "no untrusted root"}},
		{nil, nil, []string{"bundle-heading"}},
	} {
		page := renderHTML(t, doc, report.Options{Bundle: tc.b})
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("bundle %+v: the page lacks %q", tc.b, w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(page, w) {
				t.Errorf("bundle %+v: the page has %q", tc.b, w)
			}
		}
	}
}

package main

// End-to-end tests of the report formats (issue 15): a lab scanned through
// the CLI into JSON, HTML and CSV; the HTML loaded in headless Chromium;
// the CSV read back by Go's encoding/csv and Python's csv module.

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/report"
)

// hostileCN is a subject a hostile server chose: markup, quotes and a
// right-to-left override.
const hostileCN = "<script>window.pwned=1</script>\"'\u202Etxt.exe"

// hostileDNS is a SAN a hostile server chose (crypto/x509 keeps it as it is).
const hostileDNS = "<img src=x onerror=window.pwned=2>.test"

// reportLab starts servers for every trust class the report draws and
// returns the folder holding the target file and the client store, and
// the scan arguments (--dns, --roots, -f, --now):
//
//   - owa.contoso.test: Corp's CA, whose root the client store holds;
//   - lyncpool and autodiscover: Contoso's CA, trusted only as the Lync
//     pool's root;
//   - mail.contoso.test: two servers, one on Contoso's CA, one on its
//     self-signed certificate (inconsistent-servers);
//   - evil.contoso.test: a hostile chain (markup, quotes, RTL override);
//   - gone.contoso.test: not in DNS.
func reportLab(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	corp, contoso := newPKI("Corp"), newPKI("Contoso")
	evilRoot := testca.New(testca.Options{CN: hostileCN, Org: "Evil \"Corp\" <b>", IsCA: true}, nil)
	dns := lab.NewDNS()
	t.Cleanup(dns.Close)
	serve := func(name string, addrs []string, leaf []*testca.Cert, chain ...*x509.Certificate) int {
		port := lab.FreePort()
		for i, a := range addrs {
			s, err := lab.TLSAt(a+":"+strconv.Itoa(port), testca.TLSCert(leaf[i], chain...), lab.TLSOptions{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
		}
		dns.A(name, addrs...)
		return port
	}
	one := func(l *testca.Cert) []*testca.Cert { return []*testca.Cert{l} }
	// Leaves expire at different times, so that sorting by expiry shows.
	expires := func(days int) func(*testca.Options) {
		return func(o *testca.Options) { o.NotAfter = testca.Epoch.Add(time.Duration(days) * 24 * time.Hour) }
	}
	owa := serve("owa.contoso.test", []string{"127.0.0.1"}, one(leafFor("owa.contoso.test", corp.inter, expires(60))), corp.inter.Cert)
	// The pool sends its root: the Lync assumption then trusts it.
	lync := serve("lyncpool.contoso.test", []string{"127.0.0.1"}, one(leafFor("lyncpool.contoso.test", contoso.inter, expires(300))), contoso.inter.Cert, contoso.root.Cert)
	ad := serve("autodiscover.contoso.test", []string{"127.0.0.1"}, one(leafFor("autodiscover.contoso.test", contoso.inter, expires(100))), contoso.inter.Cert)
	self := testca.New(testca.Options{CN: "EXCH02", DNSNames: []string{"mail.contoso.test"}}, nil)
	mailLeaf := leafFor("mail.contoso.test", contoso.inter, expires(200))
	// Both servers send the intermediate; the self-signed one ignores it.
	mail := serve("mail.contoso.test", []string{"127.0.0.2", "127.0.0.3"}, []*testca.Cert{mailLeaf, self}, contoso.inter.Cert)
	evilLeaf := testca.New(testca.Options{CN: hostileCN, DNSNames: []string{"evil.contoso.test", hostileDNS}}, evilRoot)
	evil := serve("evil.contoso.test", []string{"127.0.0.1"}, one(evilLeaf), evilRoot.Cert)
	targets := fmt.Sprintf("lync lyncpool.contoso.test:%d\news owa.contoso.test:%d\news mail.contoso.test:%d\nautodiscover autodiscover.contoso.test:%d\news evil.contoso.test:%d\news gone.contoso.test:443\n",
		lync, owa, mail, ad, evil)
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	return dir, []string{"-f", write("lab.targets", []byte(targets)), "--dns", dns.Addr, "--roots", write("corp-root.pem", testca.PEM(corp.root.Cert)),
		"--no-aia", "--timeout", "5s", "--now", testca.Epoch.Format(time.RFC3339)}
}

// run runs trustgap with args and returns its exit code and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return testca.Epoch }, Version: "e2e"}
	code := cmd.Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func readDoc(t *testing.T, path string) *report.Document {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := report.ReadDocument(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// sources hides the line of an HTML page that names the reports it was
// rendered from: the one difference between a scan's page and the page
// rendered later from its JSON.
var sources = regexp.MustCompile(`[;,] (rendered )?from <code>[^<]*</code>`)

// TestReportFormatsFromOneScan scans the lab into every format: the pages
// and sheets rendered later from the JSON are the scan's own, and the
// exit codes agree.
func TestReportFormatsFromOneScan(t *testing.T) {
	dir, args := reportLab(t)
	out := func(name string) string { return filepath.Join(dir, name) }
	for _, f := range []string{"json", "html", "csv"} {
		if code, _, stderr := run(t, append([]string{"scan", "--format", f, "--out", out("scan." + f)}, args...)...); code != 1 {
			t.Fatalf("scan --format %s exited %d, want 1: %s", f, code, stderr)
		}
	}
	// Text with -v: every address (one unreachable, two behind mail), the
	// chain as sent and each certificate.
	if code, _, stderr := run(t, append([]string{"scan", "-v", "--out", out("scan.text")}, args...)...); code != 1 {
		t.Fatalf("scan -v exited %d: %s", code, stderr)
	}
	for _, f := range []string{"html", "csv", "text", "json"} {
		a := []string{"report", "--from", out("scan.json"), "--format", f}
		if f == "text" {
			a = append(a, "-v")
		}
		code, stdout, stderr := run(t, a...)
		if code != 1 {
			t.Fatalf("report --format %s exited %d, want 1 as the scan did: %s", f, code, stderr)
		}
		scan, err := os.ReadFile(out("scan." + f))
		if err != nil {
			t.Fatal(err)
		}
		want, got := string(scan), stdout
		if f == "html" {
			want, got = sources.ReplaceAllString(want, ""), sources.ReplaceAllString(got, "")
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("report --from scan.json --format %s differs from scan --format %s (-scan +report):\n%s", f, f, d)
		}
	}
	// --out replaces the file only when done: a failing run leaves it.
	if code, _, _ := run(t, "report", "--from", out("missing.json"), "--format", "html", "--out", out("scan.html")); code != 2 {
		t.Errorf("a missing report exited %d, want 2", code)
	}
	if _, err := os.Stat(out("scan.html")); err != nil {
		t.Errorf("a failed report removed the last page: %v", err)
	}
	if ents, _ := filepath.Glob(out(".scan.html.*")); len(ents) > 0 {
		t.Errorf("temporary files left: %v", ents)
	}
	// An OK report exits 0: only the store-trusted target.
	doc := readDoc(t, out("scan.json"))
	var ok report.Document
	ok.Run, ok.Store = doc.Run, doc.Store
	for _, tr := range doc.Targets {
		if tr.Host == "owa.contoso.test" {
			ok.Targets = append(ok.Targets, tr)
		}
	}
	b, _ := json.Marshal(ok)
	os.WriteFile(out("ok.json"), b, 0o644)
	if code, _, stderr := run(t, "report", "--from", out("ok.json"), "--format", "html"); code != 0 {
		t.Errorf("a report without errors exited %d, want 0: %s", code, stderr)
	}
	// Two reports merged: the target both hold counted once, the totals
	// recomputed.
	code, stdout, _ := run(t, "report", "--from", out("ok.json"), "--from", out("scan.json"))
	if code != 1 || !strings.Contains(stdout, "6 targets: 3 OK, 0 WARN, 2 FAIL, 1 UNREACHABLE") {
		t.Errorf("two reports: exit %d:\n%s", code, stdout)
	}
}

// TestReportMergesApartScans: the lync pool scanned apart from the rest,
// the two reports merged by trustgap report, are the scan of both, byte for
// byte: the Exchange chains on the pool's root become lync-root-assumed,
// per address too (addresses[].trusted), and mail's inconsistent-servers is
// rebuilt from both servers' leaves (the self-signed one only in
// other_certs). The page and the sheet render from the merge.
func TestReportMergesApartScans(t *testing.T) {
	dir, args := reportLab(t)
	out := func(name string) string { return filepath.Join(dir, name) }
	list, err := os.ReadFile(out("lab.targets"))
	if err != nil {
		t.Fatal(err)
	}
	var lync, others []string
	for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		if strings.HasPrefix(l, "lync ") {
			lync = append(lync, l)
		} else {
			others = append(others, l)
		}
	}
	scan := func(name string, lines []string) []byte {
		t.Helper()
		f := out(name + ".targets")
		if err := os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		a := append(slices.Clone(args), "-f", f, "--format", "json", "--out", out(name+".json"))
		a = slices.Delete(a, 0, 2) // the whole list's -f
		if code, _, stderr := run(t, append([]string{"scan"}, a...)...); code != 1 && code != 0 {
			t.Fatalf("scan %s exited %d: %s", name, code, stderr)
		}
		b, err := os.ReadFile(out(name + ".json"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// With --no-aia, the Exchange servers' chains reach Contoso's root
	// only from the pool (in a scan with it) or from --issuers: give it,
	// as the organisation would, to every scan.
	var pool struct {
		Targets []report.Target `json:"targets"`
	}
	if err := json.Unmarshal(scan("lync", lync), &pool); err != nil || len(pool.Targets) != 1 || pool.Targets[0].Root == nil {
		t.Fatalf("the pool's scan: %v", err)
	}
	c, err := x509.ParseCertificate(pool.Targets[0].Root.DER)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out("contoso-root.pem"), testca.PEM(c), 0o644); err != nil {
		t.Fatal(err)
	}
	args = append(args, "--issuers", out("contoso-root.pem"))
	whole := scan("whole", append(slices.Clone(lync), others...))
	scan("lync", lync)
	apart := scan("others", others)
	if !bytes.Contains(apart, []byte(`"untrusted-root"`)) || bytes.Contains(apart, []byte(`"lync-root-assumed"`)) ||
		!bytes.Contains(apart, []byte(`"other_certs"`)) || !bytes.Contains(apart, []byte(`"inconsistent-servers"`)) {
		t.Fatalf("scanned without the pool, mail should be untrusted-root, with other_certs and inconsistent-servers:\n%s", apart)
	}
	code, stdout, stderr := run(t, "report", "--from", out("lync.json"), "--from", out("others.json"), "--format", "json")
	if code != 1 {
		t.Fatalf("report exited %d: %s", code, stderr)
	}
	if d := cmp.Diff(string(whole), stdout); d != "" {
		t.Errorf("the apart scans merged differ from the scan of both (-scan +merged):\n%s", d)
	}
	for _, f := range []string{"html", "csv"} {
		if code, _, stderr := run(t, "report", "--from", out("lync.json"), "--from", out("others.json"), "--format", f, "--out", out("merged."+f)); code != 1 {
			t.Errorf("report --format %s exited %d: %s", f, code, stderr)
		}
	}
}

// TestHTMLInChromium loads the HTML of the lab's scan in headless
// Chromium: nothing is fetched, the script runs under the page's CSP, the
// graph has a node per root and per server in its trust class's colours,
// the table sorts and filters, and every hostile string is text.
func TestHTMLInChromium(t *testing.T) {
	b := testtool.StartBrowser(t)
	dir, args := reportLab(t)
	page := filepath.Join(dir, "scan.html")
	if code, _, stderr := run(t, append([]string{"scan", "--format", "json", "--out", filepath.Join(dir, "scan.json")}, args...)...); code != 1 {
		t.Fatalf("scan exited %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, "report", "--from", filepath.Join(dir, "scan.json"), "--format", "html", "--out", page); code != 1 {
		t.Fatalf("report exited %d: %s", code, stderr)
	}
	doc := readDoc(t, filepath.Join(dir, "scan.json"))
	p := b.Open("file://"+page, 1280, 900)

	// Nothing but the page itself was requested, and nothing was refused
	// or thrown: the inline script and style match the CSP.
	if reqs := p.Requests(); len(reqs) != 1 || reqs[0] != "file://"+page {
		t.Errorf("the page requested %v, want only itself", reqs)
	}
	if msgs := p.Messages(); len(msgs) > 0 {
		t.Errorf("the page logged: %v", msgs)
	}
	var controls bool
	p.MustEval(`!document.getElementById('controls').hidden`, &controls)
	if !controls {
		t.Error("the script did not run: the table's controls are still hidden")
	}

	// The graph: one node per root (summary.roots) and per server, in its
	// trust class's colours.
	fills := map[string]string{"store": "#dafbe1", "lync": "#fff8c5", "untrusted": "#ffebe9", "unreachable": "#eaeef2", "fail": "#ffcecb"}
	type node struct{ Kind, Trust, SHA1, Target, Fill, Stroke, Text string }
	var nodes []node
	p.MustEval(`Array.from(document.querySelectorAll('#topology g.node')).map(g => ({Kind: g.dataset.kind, Trust: g.dataset.trust,
		SHA1: g.dataset.sha1 || '', Target: g.dataset.target || '', Fill: g.querySelector('rect').getAttribute('fill'),
		Stroke: g.querySelector('rect').getAttribute('stroke'), Text: g.textContent}))`, &nodes)
	find := func(kind, sha1, target string) *node {
		for i := range nodes {
			if n := &nodes[i]; n.Kind == kind && (sha1 == "" || n.SHA1 == sha1) && (target == "" || n.Target == target) {
				return n
			}
		}
		return nil
	}
	roots := 0
	for _, n := range nodes {
		if n.Kind == "root" {
			roots++
		}
	}
	// The summary's roots, plus the self-signed certificate of mail's
	// second server, which only its address's chain reaches.
	if want := len(doc.Summary.Roots) + 1; roots != want {
		t.Errorf("%d root nodes, want %d: %+v", roots, want, nodes)
	}
	for _, r := range doc.Summary.Roots {
		want := "untrusted"
		switch {
		case r.InStore:
			want = "store"
		case r.Trusted:
			want = "lync"
		}
		n := find("root", r.SHA1, "")
		if n == nil {
			t.Errorf("no node for root %s", r.Subject)
			continue
		}
		if n.Trust != want || n.Fill != fills[want] {
			t.Errorf("root %s: trust %s fill %s, want %s %s", r.Subject, n.Trust, n.Fill, want, fills[want])
		}
	}
	for i, tr := range doc.Targets {
		want := "untrusted"
		lyncOnly := slices.ContainsFunc(tr.Findings, func(f finding.Finding) bool { return f.Code == "lync-root-assumed" })
		switch {
		case tr.TLSVersion == "":
			want = "unreachable"
		case tr.Trusted && tr.Verdict == "fail":
			want = "fail" // a trusted chain, a failing server: never green
		case tr.Trusted && lyncOnly:
			want = "lync"
		case tr.Trusted:
			want = "store"
		}
		n := find("server", "", fmt.Sprintf("t%d", i+1))
		if n == nil {
			t.Errorf("no server node for %s", tr.Target)
			continue
		}
		if n.Trust != want || n.Fill != fills[want] || !strings.Contains(n.Text, tr.Host) {
			t.Errorf("%s: node %+v, want trust %s fill %s", tr.Target, n, want, fills[want])
		}
	}
	// mail fails (its servers differ) though its first server's chain is
	// trusted: drawn in the fail class, with the error named.
	wantTrust := map[string]string{"owa.contoso.test": "store", "lyncpool.contoso.test": "lync", "autodiscover.contoso.test": "lync",
		"mail.contoso.test": "fail", "evil.contoso.test": "untrusted", "gone.contoso.test": "unreachable"}
	for i, tr := range doc.Targets {
		if n := find("server", "", fmt.Sprintf("t%d", i+1)); n != nil && n.Trust != wantTrust[tr.Host] {
			t.Errorf("%s is drawn %s, want %s", tr.Host, n.Trust, wantTrust[tr.Host])
		}
	}
	// Every line fits its box as the browser draws it (the hostile names
	// are cut, with an ellipsis, and whole in the box's title), and each
	// column's first box is at the top.
	var lines []struct {
		Text  string
		Width float64
		Box   float64
	}
	p.MustEval(`Array.from(document.querySelectorAll('#topology g.node text')).map(t => ({Text: t.textContent, Width: t.getComputedTextLength(),
		Box: +t.closest('svg').getAttribute('width') - 2 * +t.getAttribute('x')}))`, &lines)
	cut := 0
	for _, l := range lines {
		if l.Width > l.Box {
			t.Errorf("%q is %.0f wide, its box holds %.0f", l.Text, l.Width, l.Box)
		}
		if strings.HasSuffix(l.Text, "…") {
			cut++
		}
	}
	if cut == 0 {
		t.Error("no name was cut: the lab's hostile names are long")
	}
	var tops []int
	p.MustEval(`Array.from(new Set(Array.from(document.querySelectorAll('#topology g.node > svg, #topology g.node > a > svg')).map(s => s.getAttribute('x')))).map(x =>
		Math.min(...Array.from(document.querySelectorAll('#topology svg[x="' + x + '"]')).map(s => +s.getAttribute('y'))))`, &tops)
	if len(tops) < 3 {
		t.Errorf("columns %v, want roots, intermediates and servers", tops)
	}
	for _, y := range tops {
		if y != 40 {
			t.Errorf("a column starts at y=%d, want the top (40): %v", y, tops)
		}
	}

	// mail's second server, on its self-signed certificate, is a server
	// of its own under that certificate.
	mailID := ""
	for i, tr := range doc.Targets {
		if tr.Host == "mail.contoso.test" {
			mailID = fmt.Sprintf("t%d", i+1)
		}
	}
	var second int
	p.MustEval(`document.querySelectorAll('#topology g.node[data-kind=server][data-target=`+mailID+`]').length`, &second)
	if second != 2 {
		t.Errorf("mail.contoso.test has %d server nodes, want 2 (one per chain)", second)
	}

	// The table sorts: by expiry, both ways, and by verdict.
	rows := func() []int {
		var idx []int
		p.MustEval(`Array.from(document.querySelectorAll('#targets tbody tr')).map(r => +r.dataset.index)`, &idx)
		return idx
	}
	click := func(col string) {
		p.MustEval(`(() => { for (const b of document.querySelectorAll('#targets thead button')) if (b.textContent === '`+col+`') { b.click(); return true } throw new Error('no column `+col+`') })()`, nil)
	}
	input := rows()
	if !slices.Equal(input, []int{0, 1, 2, 3, 4, 5}) {
		t.Errorf("rows not in input order before sorting: %v", input)
	}
	byExpiry := slices.Clone(input)
	expiry := func(i int) string {
		if len(doc.Targets[i].Chain) == 0 {
			return "~"
		}
		return doc.Targets[i].Chain[0].NotAfter
	}
	slices.SortStableFunc(byExpiry, func(a, b int) int { return strings.Compare(expiry(a), expiry(b)) })
	if slices.Equal(byExpiry, input) {
		t.Fatal("the lab's leaves expire in input order: sorting would show nothing")
	}
	click("Expires")
	if got := rows(); !slices.Equal(got, byExpiry) {
		t.Errorf("sorted by expiry: %v, want %v", got, byExpiry)
	}
	var sortAttr string
	p.MustEval(`Array.from(document.querySelectorAll('#targets thead th')).find(th => th.textContent === 'Expires').getAttribute('aria-sort')`, &sortAttr)
	if sortAttr != "ascending" {
		t.Errorf("aria-sort %q, want ascending", sortAttr)
	}
	click("Expires")
	desc := slices.Clone(input)
	slices.SortStableFunc(desc, func(a, b int) int { return strings.Compare(expiry(b), expiry(a)) })
	if got := rows(); !slices.Equal(got, desc) {
		t.Errorf("sorted by expiry, descending: %v, want %v", got, desc)
	}
	rank := map[string]int{"ok": 0, "warn": 1, "fail": 2, "unreachable": 3}
	byVerdict := slices.Clone(input)
	slices.SortStableFunc(byVerdict, func(a, b int) int { return rank[string(doc.Targets[a].Verdict)] - rank[string(doc.Targets[b].Verdict)] })
	click("Verdict")
	if got := rows(); !slices.Equal(got, byVerdict) {
		t.Errorf("sorted by verdict: %v, want %v", got, byVerdict)
	}
	// And filters: by verdict, then by text.
	var shown []int
	p.MustEval(`(() => { const s = document.getElementById('filter-verdict'); s.value = 'fail'; s.dispatchEvent(new Event('change'));
		return Array.from(document.querySelectorAll('#targets tbody tr')).filter(r => !r.hidden).map(r => +r.dataset.index) })()`, &shown)
	var fails []int
	for _, i := range byVerdict {
		if doc.Targets[i].Verdict == "fail" {
			fails = append(fails, i)
		}
	}
	if !slices.Equal(shown, fails) || len(fails) == 0 {
		t.Errorf("filtered on FAIL: %v, want %v", shown, fails)
	}

	// It prints: no controls, every details element opened.
	p.EmulateMedia("print")
	var printed struct {
		Controls string
		Closed   int
		Details  int
	}
	p.MustEval(`(() => { window.dispatchEvent(new Event('beforeprint'));
		return {Controls: getComputedStyle(document.getElementById('controls')).display,
			Closed: document.querySelectorAll('details:not([open])').length, Details: document.querySelectorAll('details').length} })()`, &printed)
	if printed.Controls != "none" || printed.Closed != 0 || printed.Details == 0 {
		t.Errorf("printing: %+v, want no controls and every details element open", printed)
	}
	p.EmulateMedia("screen")

	// Hostile strings are text: no script ran, no element was made of
	// them, and the RTL override shows escaped.
	var state struct {
		Pwned, Pwned2 bool
		Scripts, Imgs int
		RLO           bool
		Text          string
	}
	p.MustEval(`({Pwned: window.pwned !== undefined, Pwned2: window.pwned2 !== undefined, Scripts: document.scripts.length,
		Imgs: document.images.length, RLO: document.documentElement.outerHTML.includes('\u202E'), Text: document.body.textContent})`, &state)
	if state.Pwned || state.Pwned2 || state.Scripts != 1 || state.Imgs != 0 || state.RLO {
		t.Errorf("a hostile name got through: %+v", state)
	}
	for _, want := range []string{`CN=\<script\>window.pwned=1\</script\>\"'\E2\80\AEtxt.exe`, `DNS:` + hostileDNS, `O=Evil \"Corp\" \<b\>`} {
		if !strings.Contains(state.Text, want) {
			t.Errorf("the page does not show %q as text", want)
		}
	}
}

// csvWant is the sheet the README documents for doc, worked out here on
// its own from the JSON report: one row per target, or per address when
// a name has several.
func csvWant(doc *report.Document) [][]string {
	rows := [][]string{{"role", "target", "host", "port", "address", "verdict", "trusted", "root_subject", "root_sha1", "root_in_store",
		"leaf_subject", "leaf_sha1", "leaf_issuer", "leaf_not_after", "tls_version", "codes", "revocation"}}
	yn := func(b bool) string { return map[bool]string{true: "yes", false: "no"}[b] }
	codes := func(fs []finding.Finding) string {
		var cs []string
		for _, f := range fs {
			if !slices.Contains(cs, f.Code) {
				cs = append(cs, f.Code)
			}
		}
		return strings.Join(cs, " ")
	}
	certs := func(tr *report.Target) map[string]report.Cert {
		m := map[string]report.Cert{}
		for _, c := range append(slices.Clone(tr.Chain), tr.OtherCerts...) {
			m[c.SHA1] = c
		}
		return m
	}
	// revocation is the chain's statuses, leaf first, each certificate's
	// as the target's chain has it; empty when no check ran.
	revocation := func(tr *report.Target, chain []string) string {
		if !tr.RevocationChecked || len(chain) == 0 {
			return ""
		}
		var parts []string
		for _, h := range chain {
			part := "not checked"
			for _, c := range tr.Chain {
				if c.SHA1 != h || c.Revocation == nil {
					continue
				}
				switch r := c.Revocation; r.Status {
				case "good", "revoked":
					part = r.Status + " (" + r.Source + ")"
				case "not-checked":
				default:
					part = r.Status
				}
				break
			}
			parts = append(parts, part)
		}
		return strings.Join(parts, " <- ")
	}
	sha1s := func(cs []report.Cert) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.SHA1)
		}
		return out
	}
	for _, tr := range doc.Targets {
		base := []string{string(tr.Role), tr.Target, tr.Host, strconv.Itoa(tr.Port)}
		if len(tr.Addresses) <= 1 {
			row := append(slices.Clone(base), tr.Address, string(tr.Verdict), yn(tr.Trusted))
			if tr.Root != nil {
				row = append(row, tr.Root.Subject, tr.Root.SHA1, yn(tr.Root.InStore))
			} else {
				row = append(row, "", "", "")
			}
			if len(tr.Chain) > 0 {
				l := tr.Chain[0]
				row = append(row, l.Subject, l.SHA1, l.Issuer, l.NotAfter)
			} else {
				row = append(row, "", "", "", "")
			}
			rows = append(rows, append(row, tr.TLSVersion, codes(tr.Findings), revocation(tr, sha1s(tr.Chain))))
			continue
		}
		byHash := certs(tr)
		for _, a := range tr.Addresses {
			row := append(slices.Clone(base), a.Address, string(a.Verdict), yn(a.Trusted))
			var leaf, root report.Cert
			inStore := ""
			if len(a.Chain) > 0 {
				leaf = byHash[a.Chain[0]]
				last := a.Chain[len(a.Chain)-1]
				if tr.Root != nil && last == tr.Root.SHA1 {
					root, inStore = tr.Root.Cert, yn(tr.Root.InStore)
				} else if c := byHash[last]; c.SelfSigned {
					root = c
				}
			}
			fs := a.Findings
			for _, f := range tr.Findings {
				if f.Code == "inconsistent-servers" {
					fs = append([]finding.Finding{f}, fs...)
				}
			}
			row = append(row, root.Subject, root.SHA1, inStore, leaf.Subject, leaf.SHA1, leaf.Issuer, leaf.NotAfter, a.TLSVersion, codes(fs), revocation(tr, a.Chain))
			rows = append(rows, row)
		}
	}
	return rows
}

// readCSVs reads a CSV file with Go's encoding/csv and with Python's csv
// module, which must agree.
func readCSVs(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))))
	r.FieldsPerRecord = 17
	goRows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv: %v", err)
	}
	py := testtool.Require(t, "python3", "Debian package python3")
	out, err := exec.Command(py, "-c", `import csv, json, sys
with open(sys.argv[1], newline="", encoding="utf-8-sig") as f:
    json.dump(list(csv.reader(f, strict=True)), sys.stdout)`, path).Output()
	if err != nil {
		t.Fatalf("python3 csv: %v", err)
	}
	var pyRows [][]string
	if err := json.Unmarshal(out, &pyRows); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(goRows, pyRows); d != "" {
		t.Errorf("Go and Python read %s differently (-go +python):\n%s", path, d)
	}
	return goRows
}

// TestCSVEqualsJSON: the lab's sheet, with and without a byte order mark,
// read back by Go and by Python, holds what the JSON report holds; the
// name with two servers has a row for each.
func TestCSVEqualsJSON(t *testing.T) {
	dir, args := reportLab(t)
	out := func(name string) string { return filepath.Join(dir, name) }
	if code, _, stderr := run(t, append([]string{"scan", "--format", "json", "--out", out("scan.json")}, args...)...); code != 1 {
		t.Fatalf("scan exited %d: %s", code, stderr)
	}
	doc := readDoc(t, out("scan.json"))
	want := csvWant(doc)
	for _, bom := range []bool{false, true} {
		a := []string{"report", "--from", out("scan.json"), "--format", "csv", "--out", out("scan.csv")}
		if bom {
			a = append(a, "--csv-bom")
		}
		if code, _, stderr := run(t, a...); code != 1 {
			t.Fatalf("report exited %d: %s", code, stderr)
		}
		raw, _ := os.ReadFile(out("scan.csv"))
		if got := bytes.HasPrefix(raw, []byte("\xEF\xBB\xBF")); got != bom {
			t.Errorf("--csv-bom %v: starts with a BOM: %v", bom, got)
		}
		if !bytes.Contains(raw, []byte("\r\n")) || bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
			t.Errorf("rows do not end in CRLF (RFC 4180)")
		}
		got := readCSVs(t, out("scan.csv"))
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("the sheet differs from the JSON report (-json +csv):\n%s", d)
		}
	}
	mail := 0
	for _, row := range want {
		if row[2] == "mail.contoso.test" {
			mail++
		}
	}
	if mail != 2 {
		t.Errorf("mail.contoso.test has %d rows, want one per server (2)", mail)
	}
	if code, _, stderr := run(t, "report", "--from", out("scan.json"), "--csv-bom"); code != 2 || !strings.Contains(stderr, "--csv-bom goes with --format csv") {
		t.Errorf("--csv-bom without csv: exit %d: %s", code, stderr)
	}
}

// TestCSVFormulaInjection renders a saved report whose values would be
// formulas in a spreadsheet: every such cell starts with an apostrophe,
// read the same by Go and Python, and nothing else changes.
func TestCSVFormulaInjection(t *testing.T) {
	dir := t.TempDir()
	hostile := []struct{ in, want string }{
		{`=HYPERLINK("http://x.test/","click")`, `'=HYPERLINK("http://x.test/","click")`},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"＝1+1", "'＝1+1"},
		// Control characters are written escaped: a row is one line.
		{"\t=1", `\x09=1`},
		{"\r=2", `\x0d=2`},
		{"safe, \"quoted\"\nline", `safe, "quoted"\x0aline`},
		{"CN=mail.contoso.test", "CN=mail.contoso.test"},
	}
	doc := report.Document{Targets: []*report.Target{}}
	for _, h := range hostile {
		doc.Targets = append(doc.Targets, &report.Target{Role: "ews", Target: h.in, Host: h.in, Port: 443, Address: h.in, Verdict: "ok", TLSVersion: h.in,
			Chain: []report.Cert{{Identity: certutilIdentity(h.in)}}, Root: &report.Root{Cert: report.Cert{Identity: certutilIdentity(h.in)}}})
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "hostile.json")
	os.WriteFile(in, b, 0o644)
	outPath := filepath.Join(dir, "hostile.csv")
	if code, _, stderr := run(t, "report", "--from", in, "--format", "csv", "--out", outPath); code != 0 {
		t.Fatalf("report exited %d: %s", code, stderr)
	}
	rows := readCSVs(t, outPath)
	if len(rows) != len(hostile)+1 {
		t.Fatalf("%d rows, want %d", len(rows), len(hostile)+1)
	}
	for i, h := range hostile {
		row := rows[i+1]
		for _, col := range []int{1, 2, 4, 7, 8, 10, 11, 12, 13, 14} {
			if row[col] != h.want {
				t.Errorf("row %d column %s: %q, want %q", i+1, rows[0][col], row[col], h.want)
			}
		}
	}
}

func certutilIdentity(s string) certutil.Identity {
	return certutil.Identity{Subject: s, Issuer: s, SHA1: s, NotAfter: s}
}

// diffLab serves names on fixed loopback ports, so that a server can be
// given another certificate between two scans of the same targets.
type diffLab struct {
	t       *testing.T
	dir     string
	dns     *lab.DNS
	ports   map[string]int
	servers map[string]*lab.Server
	roots   string
}

func newDiffLab(t *testing.T, roots ...*x509.Certificate) *diffLab {
	l := &diffLab{t: t, dir: t.TempDir(), dns: lab.NewDNS(), ports: map[string]int{}, servers: map[string]*lab.Server{}}
	t.Cleanup(l.dns.Close)
	l.roots = filepath.Join(l.dir, "roots.pem")
	if err := os.WriteFile(l.roots, testca.PEM(roots...), 0o644); err != nil {
		t.Fatal(err)
	}
	return l
}

// set (re)starts the server for name with leaf and chain.
func (l *diffLab) set(name string, leaf *testca.Cert, chain ...*x509.Certificate) {
	l.setAt(name, "127.0.0.1", leaf, chain...)
}

// setAt (re)starts the server for name at one of its addresses.
func (l *diffLab) setAt(name, addr string, leaf *testca.Cert, chain ...*x509.Certificate) {
	key := name + " " + addr
	if s := l.servers[key]; s != nil {
		s.Close()
	}
	port, ok := l.ports[name]
	if !ok {
		port = lab.FreePort()
		l.ports[name] = port
	}
	if l.servers[key] == nil {
		l.dns.A(name, addr)
	}
	s, err := lab.TLSAt(addr+":"+strconv.Itoa(port), testca.TLSCert(leaf, chain...), lab.TLSOptions{})
	if err != nil {
		l.t.Fatal(err)
	}
	l.t.Cleanup(s.Close)
	l.servers[key] = s
}

// scan scans names at now into the JSON report file and returns its path.
func (l *diffLab) scan(file string, now time.Time, names ...string) string {
	l.t.Helper()
	var lines []string
	for _, n := range names {
		port, ok := l.ports[n]
		if !ok {
			port = 443 // a name that is not served: not in DNS either
		}
		lines = append(lines, fmt.Sprintf("ews %s:%d", n, port))
	}
	targets := filepath.Join(l.dir, file+".targets")
	os.WriteFile(targets, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	out := filepath.Join(l.dir, file)
	// Revocation is off: the lab's certificates name no CRL or OCSP, and
	// what diff is asked about here is the certificates.
	code, _, stderr := run(l.t, "scan", "-f", targets, "--dns", l.dns.Addr, "--roots", l.roots, "--no-aia", "--no-lync-assumption",
		"--revocation", "off", "--timeout", "5s", "--now", now.Format(time.RFC3339), "--format", "json", "--out", out)
	if code == 2 {
		l.t.Fatalf("scan: %s", stderr)
	}
	return out
}

// diffRun runs trustgap diff in each format and returns the exit code, the
// text and the JSON comparison; every format exits the same.
func diffRun(t *testing.T, old, cur string) (int, string, report.DiffReport) {
	t.Helper()
	code, text, stderr := run(t, "diff", old, cur)
	if code == 2 {
		t.Fatalf("diff: %s", stderr)
	}
	jcode, js, _ := run(t, "diff", old, cur, "--format", "json")
	var d report.DiffReport
	if err := json.Unmarshal([]byte(js), &d); err != nil {
		t.Fatalf("diff --format json: %v\n%s", err, js)
	}
	hcode, html, _ := run(t, "diff", old, cur, "--format", "html")
	if jcode != code || hcode != code {
		t.Errorf("exit codes differ by format: text %d, json %d, html %d", code, jcode, hcode)
	}
	if !strings.Contains(html, `<meta http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;;`) || !strings.Contains(html, "script-src &#39;none&#39;") || strings.Contains(html, "<script") {
		t.Errorf("the diff page has no CSP or has a script")
	}
	return code, text, d
}

// kinds lists a comparison's changes as "target kind[!]" (! when worse).
func kinds(d report.DiffReport) []string {
	var out []string
	for _, td := range d.Targets {
		host := strings.SplitN(td.Target, ":", 2)[0]
		for _, c := range td.Changes {
			k := host + " " + c.Kind
			if c.Worse {
				k += "!"
			}
			out = append(out, k)
		}
	}
	return out
}

// TestDiff scans servers twice, changing them in between as admins and
// CAs do, and compares the reports: each change is named, and diff exits 1
// exactly when something got worse.
func TestDiff(t *testing.T) {
	corp, contoso, fabrikam := newPKI("Corp"), newPKI("Contoso"), newPKI("Fabrikam")
	at := testca.Epoch
	days := func(n int) time.Time { return at.Add(time.Duration(n) * 24 * time.Hour) }
	leaf := func(name string, p pki, notAfter time.Time, key *testca.Cert) *testca.Cert {
		return leafFor(name, p.inter, func(o *testca.Options) {
			o.NotAfter = notAfter
			if key != nil {
				o.Key = key.Key
			}
		})
	}
	for _, tc := range []struct {
		name      string
		old, cur  func(l *diffLab)
		oldNames  []string
		curNames  []string
		curAt     time.Time
		want      []string
		wantText  []string
		wantExit  int
		wantCount report.DiffSummary
	}{{
		name: "renewed with the same key",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(200), renewKey), corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(600), renewKey), corp.inter.Cert)
		},
		want:     []string{"mail.contoso.test leaf-renewed"},
		wantText: []string{"server certificate renewed with the same key: \"CN=mail.contoso.test\""},
		wantExit: 0,
	}, {
		name: "re-keyed",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(200), nil), corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(600), nil), corp.inter.Cert)
		},
		want:     []string{"mail.contoso.test leaf-rekeyed"},
		wantText: []string{"server certificate replaced, with a new key"},
		wantExit: 0,
	}, {
		name: "a CA switch, both CAs trusted",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), nil), corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", contoso, days(400), nil), contoso.inter.Cert)
		},
		// A move to a root clients trust is a change, shown loudly, not a
		// change for the worse.
		want:     []string{"mail.contoso.test leaf-rekeyed", "mail.contoso.test issuer", "mail.contoso.test root"},
		wantText: []string{"CHANGED  ews mail.contoso.test", "    CA CHANGED: the chain now ends at root \"CN=Contoso Root CA\"", ": clients trust the new root\n", "issuer changed: \"CN=Corp Issuing CA\" -> \"CN=Contoso Issuing CA\""},
		wantExit: 0,
	}, {
		name: "a CA switch to a root clients do not have",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), nil), corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", fabrikam, days(400), nil), fabrikam.inter.Cert, fabrikam.root.Cert)
		},
		want: []string{"mail.contoso.test verdict!", "mail.contoso.test trusted!", "mail.contoso.test leaf-rekeyed", "mail.contoso.test issuer", "mail.contoso.test root!",
			"mail.contoso.test finding-added!", "mail.contoso.test finding-added"},
		wantText: []string{"WORSE    ews mail.contoso.test", "! CA CHANGED: the chain now ends at root \"CN=Fabrikam Root CA\"", ": clients must trust the new root\n"},
		wantExit: 1,
	}, {
		name: "a new failure: the intermediate no longer sent",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), nil), corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), nil))
		},
		want:     []string{"mail.contoso.test verdict!", "mail.contoso.test trusted!", "mail.contoso.test leaf-rekeyed", "mail.contoso.test root!", "mail.contoso.test finding-added!"},
		wantText: []string{"! verdict OK -> FAIL", "! new error incomplete-chain"},
		wantExit: 1,
	}, {
		name: "a fixed failure: a root clients have",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", fabrikam, days(400), nil), fabrikam.inter.Cert, fabrikam.root.Cert)
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), nil), corp.inter.Cert)
		},
		want:     []string{"mail.contoso.test verdict", "mail.contoso.test trusted", "mail.contoso.test leaf-rekeyed", "mail.contoso.test issuer", "mail.contoso.test root", "mail.contoso.test finding-resolved", "mail.contoso.test finding-resolved"},
		wantText: []string{"verdict FAIL -> OK", "resolved error untrusted-root", "resolved info root-presented", "CA CHANGED: the chain now ends at root \"CN=Corp Root CA\""},
		// The fix is a change of CA, to a root clients trust: reported,
		// not worse.
		wantExit: 0,
	}, {
		name: "a fixed failure: the intermediate sent again",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), renewKey))
		},
		cur: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), renewKey), corp.inter.Cert)
		},
		want:     []string{"mail.contoso.test verdict", "mail.contoso.test trusted", "mail.contoso.test leaf-renewed", "mail.contoso.test root", "mail.contoso.test finding-resolved"},
		wantText: []string{"  verdict FAIL -> OK", "  resolved error incomplete-chain", "the chain now reaches root"},
		wantExit: 0,
	}, {
		name: "the same certificate a week later, now within 90 days of expiry",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(95), renewKey), corp.inter.Cert)
		},
		curAt:    days(7),
		want:     []string{"mail.contoso.test expiry!"},
		wantText: []string{"! the server certificate now expires within 90 days"},
		wantExit: 1,
	}, {
		name: "one of the servers behind a name changed",
		old: func(l *diffLab) {
			same := leaf("mail.contoso.test", corp, days(400), renewKey)
			l.setAt("mail.contoso.test", "127.0.0.2", same, corp.inter.Cert)
			l.setAt("mail.contoso.test", "127.0.0.3", same, corp.inter.Cert)
		},
		cur: func(l *diffLab) {
			self := testca.New(testca.Options{CN: "EXCH02", DNSNames: []string{"mail.contoso.test"}, NotAfter: days(400)}, nil)
			l.setAt("mail.contoso.test", "127.0.0.3", self)
		},
		want: []string{"mail.contoso.test verdict!", "mail.contoso.test finding-added!", "mail.contoso.test verdict!",
			"mail.contoso.test leaf-rekeyed", "mail.contoso.test root!"},
		wantText: []string{"WORSE    ews mail.contoso.test:", ": OK -> FAIL", "! new error inconsistent-servers", "! 127.0.0.3:", ": verdict OK -> FAIL",
			": CA CHANGED: the chain now ends at root \"CN=EXCH02\""},
		wantExit: 1,
	}, {
		name: "targets added and removed",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), renewKey), corp.inter.Cert)
			l.set("old.contoso.test", leaf("old.contoso.test", corp, days(400), nil), corp.inter.Cert)
			l.set("new.contoso.test", leaf("new.contoso.test", corp, days(400), nil), corp.inter.Cert)
		},
		oldNames: []string{"mail.contoso.test", "old.contoso.test"},
		curNames: []string{"new.contoso.test", "mail.contoso.test"},
		want:     []string{"new.contoso.test added", "old.contoso.test removed"},
		wantText: []string{"ADDED    ews new.contoso.test:", "REMOVED  ews old.contoso.test:"},
		wantExit: 0,
	}, {
		name: "a failing target added",
		old: func(l *diffLab) {
			l.set("mail.contoso.test", leaf("mail.contoso.test", corp, days(400), renewKey), corp.inter.Cert)
		},
		oldNames: []string{"mail.contoso.test"},
		curNames: []string{"mail.contoso.test", "gone.contoso.test"},
		want:     []string{"gone.contoso.test added!"},
		wantText: []string{"WORSE    ews gone.contoso.test:443: UNREACHABLE", "new target, UNREACHABLE (dns-failure)"},
		wantExit: 1,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			l := newDiffLab(t, corp.root.Cert, contoso.root.Cert)
			names := func(n []string) []string {
				if n == nil {
					return []string{"mail.contoso.test"}
				}
				return n
			}
			tc.old(l)
			old := l.scan("old.json", at, names(tc.oldNames)...)
			if tc.cur != nil {
				tc.cur(l)
			}
			curAt := at
			if !tc.curAt.IsZero() {
				curAt = tc.curAt
			}
			cur := l.scan("new.json", curAt, names(tc.curNames)...)
			code, text, d := diffRun(t, old, cur)
			if code != tc.wantExit {
				t.Errorf("exit %d, want %d:\n%s", code, tc.wantExit, text)
			}
			if got := kinds(d); !slices.Equal(got, tc.want) {
				t.Errorf("changes %q, want %q:\n%s", got, tc.want, text)
			}
			for _, w := range tc.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("the text lacks %q:\n%s", w, text)
				}
			}
			// The same report twice: nothing changed, exit 0.
			if code, text, d := diffRun(t, cur, cur); code != 0 || len(d.Targets) != 0 || !strings.Contains(text, "0 changed") {
				t.Errorf("a report against itself: exit %d:\n%s", code, text)
			}
		})
	}
}

// renewKey is a leaf whose key renewed certificates reuse.
var renewKey = leafFor("renew.contoso.test", newPKI("Key").inter, nil)

// TestDemoPageInChromium loads the page "trustgap demo" writes in headless
// Chromium: it loads clean under its CSP, its script runs, and the graph
// shows Exchange on other roots than Lync. With -update it also takes the
// README's screenshot (docs/report-demo.png).
func TestDemoPageInChromium(t *testing.T) {
	b := testtool.StartBrowser(t)
	dir := t.TempDir()
	ios, _, _, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return testca.Epoch }, Version: "dev"}
	if code := cmd.Run(context.Background(), f, []string{"demo", "--bundle", filepath.Join(dir, "bundle")}); code != 1 {
		t.Fatalf("demo exited %d: %s", code, errOut)
	}
	page := filepath.Join(dir, "trustgap-demo-report.html")
	p := b.Open("file://"+page, 1200, 1100)
	if msgs := p.Messages(); len(msgs) > 0 {
		t.Errorf("the page logged: %v", msgs)
	}
	var got struct {
		Controls bool
		Roots    []string
		Servers  []string
	}
	p.MustEval(`({Controls: !document.getElementById('controls').hidden,
		Roots: Array.from(document.querySelectorAll('#topology g.node[data-kind=root]')).map(g => g.dataset.trust + ' ' + g.querySelector('text').textContent),
		Servers: Array.from(document.querySelectorAll('#topology g.node[data-kind=server]')).map(g => g.dataset.trust + ' ' + g.querySelector('text').textContent)})`, &got)
	wantRoots := []string{"lync CN=Contoso Root CA,O=Contoso", "untrusted CN=Fabrikam Root CA,O=Fabrikam", "untrusted CN=EXCH02"}
	wantServers := []string{"lync lync lyncpool.contoso.test", "lync autodiscover autodiscover.contoso.test", "untrusted ews mail.contoso.test", "untrusted ews exch02.contoso.test"}
	if !got.Controls || !slices.Equal(got.Roots, wantRoots) || !slices.Equal(got.Servers, wantServers) {
		t.Errorf("the demo's page: %+v, want roots %q and servers %q", got, wantRoots, wantServers)
	}
	if *update {
		shot := filepath.Join("..", "..", "docs", "report-demo.png")
		if err := os.WriteFile(shot, p.Screenshot(false), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

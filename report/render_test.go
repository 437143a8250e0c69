package report_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/report"
)

// interruptedResults are the results of an interrupted run: a revoked
// chain with two CRLs to republish, and a target whose chain was never
// checked.
func interruptedResults(t *testing.T) []*chain.Result {
	return []*chain.Result{revoked(t), judged(t, nil, "a.test", testca.Leaf(testca.Root("Other Root"), "a.test"))}
}

// interruptedRun writes rs in format, as scan does for an interrupted run:
// the summary is marked before Close.
func interruptedRun(t *testing.T, rs []*chain.Result, format report.Format, verbose bool) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := report.NewWriter(&buf, report.Options{Format: format, Verbose: verbose})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	s := w.Summary()
	s.Interrupted, s.NotScanned = true, 3
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// TestRenderKeepsRevocationAndInterruption: a saved report renders as the
// scan wrote it, byte for byte in text (with -v too) and JSON: the
// revocation lines and details come from the report model, and what the
// targets do not hold (interrupted, not_scanned, crls_to_republish) from
// the saved summary.
func TestRenderKeepsRevocationAndInterruption(t *testing.T) {
	rs := interruptedResults(t)
	saved := interruptedRun(t, rs, report.FormatJSON, false)
	doc, err := report.ReadDocument(strings.NewReader(saved), "r.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format  report.Format
		verbose bool
	}{{report.FormatText, false}, {report.FormatText, true}, {report.FormatJSON, false}} {
		live := interruptedRun(t, rs, tc.format, tc.verbose)
		var out bytes.Buffer
		if _, err := report.Render(&out, doc, report.Options{Format: tc.format, Verbose: tc.verbose}); err != nil {
			t.Fatal(err)
		}
		if out.String() != live {
			t.Errorf("%s -v=%v: rendered from the saved report:\n%s\nwant, as the scan wrote it:\n%s", tc.format, tc.verbose, out.String(), live)
		}
	}
	text := interruptedRun(t, rs, report.FormatText, true)
	for _, want := range []string{
		"    revocation: revoked (crl) <- unknown <- not checked\n",
		"interrupted: 3 targets not scanned\n",
		`republish: the CRL "http://pki.contoso.test/root.crl" of "CN=Contoso Root CA" (expired 2026-05-31T12:00:00Z)`,
		"        revocation:        unknown, checked at 2026-06-01T12:00:00Z\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the text lacks %q:\n%s", want, text)
		}
	}
	// The target whose chain was not checked has no revocation line, and
	// its certificate no revocation detail.
	_, other, _ := strings.Cut(text, "a.test")
	if strings.Contains(other, "revocation") {
		t.Errorf("an unchecked chain shows revocation:\n%s", other)
	}

	page := renderHTML(t, doc, report.Options{})
	for _, want := range []string{
		`<p id="interrupted"><strong>Interrupted:</strong> the run was stopped before every target was scanned; 3 targets were not scanned`,
		`<dt>Revocation</dt><dd>revoked (crl) &lt;- unknown &lt;- not checked <span class="note">(leaf first)</span></dd>`,
		`<tr><th scope="row">Revocation</th><td class="name">revoked, from the crl &#34;http://pki.contoso.test/\x1b[2Jissuing.crl&#34;, revoked on 2026-05-29T12:00:00Z (keyCompromise)`,
		`<h2 id="republish-heading">CRLs to republish</h2>`,
		`<tr><td><code class="wrap">http://pki.contoso.test/root.crl</code></td><td class="name">CN=Contoso Root CA</td><td>expired 2026-05-31T12:00:00Z</td></tr>`,
		`<tr><td><code class="wrap">http://pki.contoso.test/issuing.crl</code></td><td class="name">CN=Contoso Issuing CA</td><td>expires 2026-06-02T12:00:00Z</td></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(page, "\x1b") {
		t.Error("the page holds an escape character")
	}
	if n := strings.Count(page, `<dt>Revocation</dt>`); n != 1 {
		t.Errorf("%d revocation lines on the page, want 1 (the unchecked chain has none)", n)
	}

	var sheet bytes.Buffer
	if _, err := report.Render(&sheet, doc, report.Options{Format: report.FormatCSV}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&sheet).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := len(rows[0]) - 1
	if rows[0][col] != "revocation" || rows[1][col] != "revoked (crl) <- unknown <- not checked" || rows[2][col] != "" {
		t.Errorf("revocation column: %q, %q, %q", rows[0][col], rows[1][col], rows[2][col])
	}
}

// TestMergeKeepsSummaries: reports merged for rendering keep what their
// summaries hold beyond the targets: interrupted when any was, the targets
// not scanned added up (each report's), every CRL to republish once; the
// targets of the report given twice are counted once.
func TestMergeKeepsSummaries(t *testing.T) {
	read := func(s string) *report.Document {
		doc, err := report.ReadDocument(strings.NewReader(s), "r.json")
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
	var complete bytes.Buffer
	w, _ := report.NewWriter(&complete, report.Options{Format: report.FormatJSON})
	w.Write(unreachable(t, "b.test"))
	w.Close()
	saved := interruptedRun(t, interruptedResults(t), report.FormatJSON, false)
	doc, err := report.Merge([]*report.Document{read(saved), read(complete.String()), read(saved)})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s, err := report.Render(&out, doc, report.Options{Format: report.FormatText})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.NotScanned != 6 || len(s.Republish) != 2 || s.Targets != 3 {
		t.Errorf("merged summary: interrupted %v, not scanned %d, %d CRLs to republish, %d targets; want true, 6, 2, 3",
			s.Interrupted, s.NotScanned, len(s.Republish), s.Targets)
	}
	if !strings.Contains(out.String(), "interrupted: 6 targets not scanned\n") || strings.Count(out.String(), "republish: ") != 2 {
		t.Errorf("merged text:\n%s", out.String())
	}
}

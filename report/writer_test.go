package report_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// judged builds and judges the chain a server for host presents, against a
// client store, as a scan would.
func judged(t *testing.T, store []*x509.Certificate, host string, leaf *testca.Cert, presented ...*x509.Certificate) *chain.Result {
	t.Helper()
	tg, err := target.ParseTarget(host)
	if err != nil {
		t.Fatal(err)
	}
	set := chain.NewCertSet(store...)
	p := (&chain.Builder{Store: set}).Build(context.Background(), leaf.Cert, presented)
	r := &chain.Result{Target: tg, Addr: "192.0.2.1:443", Path: &p, Presented: append([]*x509.Certificate{leaf.Cert}, presented...)}
	chain.NewJudge(set, &chain.CertSet{}, testca.Epoch).Apply(r)
	return r
}

// unreachable is the result for a name that does not resolve.
func unreachable(t *testing.T, host string) *chain.Result {
	t.Helper()
	tg, _ := target.ParseTarget(host)
	r := &chain.Result{Target: tg, Err: &network.FetchError{Code: finding.CodeDNSFailure, Host: host,
		Err: &network.DNSError{Name: host, Type: "A/AAAA", Kind: network.NXDomain}}}
	chain.NewJudge(&chain.CertSet{}, &chain.CertSet{}, testca.Epoch).Apply(r)
	return r
}

func TestTextWriterColourAndVerbose(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	inter := testca.Intermediate("Contoso Issuing CA", root)
	// root not in store: FAIL
	r := judged(t, nil, "mail.contoso.test", testca.Leaf(inter, "mail.contoso.test"), inter.Cert, root.Cert)
	for _, tc := range []struct {
		opts    report.Options
		want    []string
		notWant []string
	}{
		{report.Options{Format: report.FormatText}, []string{"FAIL ", "untrusted-root"}, []string{"\x1b[", "serial:"}},
		{report.Options{Format: report.FormatText, Color: true}, []string{"\x1b[31mFAIL"}, nil},
		{report.Options{Format: report.FormatText, Verbose: true}, []string{"--- certificate 0 (server) ---", "serial:", "DNS:mail.contoso.test", "presented (as the server sent it):", "address 192.0.2.1:443: FAIL"}, nil},
	} {
		var buf bytes.Buffer
		w, err := report.NewWriter(&buf, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(r)
		w.Close()
		for _, s := range tc.want {
			if !strings.Contains(buf.String(), s) {
				t.Errorf("%+v: output lacks %q:\n%s", tc.opts, s, buf.String())
			}
		}
		for _, s := range tc.notWant {
			if strings.Contains(buf.String(), s) {
				t.Errorf("%+v: output has %q", tc.opts, s)
			}
		}
	}
}

func TestJSONDocumentParses(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	inter := testca.Intermediate("Contoso Issuing CA", root)
	rs := []*chain.Result{judged(t, []*x509.Certificate{root.Cert}, "a.test", testca.Leaf(inter, "a.test"), inter.Cert), unreachable(t, "unknown.test")}
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatJSON})
	for _, r := range rs {
		w.Write(r)
	}
	w.Close()
	var doc struct {
		Targets []report.Target `json:"targets"`
		Summary report.Summary  `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, buf.String())
	}
	if len(doc.Targets) != 2 || !doc.Targets[0].Trusted || doc.Targets[0].Root == nil || !doc.Targets[0].Root.InStore {
		t.Errorf("targets: %+v", doc.Targets)
	}
	if doc.Targets[1].Root != nil || len(doc.Targets[1].Chain) != 0 || doc.Targets[1].Findings[0].Code != "dns-failure" {
		t.Errorf("unreachable target: %+v", doc.Targets[1])
	}
	s := doc.Summary
	if s.Targets != 2 || s.Trusted != 1 || s.Unreachable != 1 || s.Failed != 1 || s.Codes["dns-failure"] != 1 || len(s.Roots) != 1 || s.Roots[0].Targets != 1 {
		t.Errorf("summary: %+v", s)
	}
}

// TestHostileNamesStayOnOneLine: a certificate whose subject and names hold
// CR, LF and ESC, and a discovery whose server answered with them, print as
// escaped text, in every format a terminal shows.
func TestHostileNamesStayOnOneLine(t *testing.T) {
	root := testca.Root("Root\r\nCA\x1b[2J")
	leaf := testca.New(testca.Options{CN: "mail\r\ninjected: yes\x1b[31m", DNSNames: []string{"evil\x1b]0;title\x07.test"}, IssuingURL: "http://pki\x1b[1m.test/x"}, root)
	r := judged(t, nil, "mail.contoso.test", leaf, root.Cert)
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatText, Verbose: true})
	w.Write(r)
	w.Close()
	out := buf.String()
	if strings.ContainsAny(out, "\r\x1b\x07") {
		t.Errorf("text output holds control characters:\n%q", out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "injected") || strings.HasPrefix(line, "CA") {
			t.Errorf("a name started a line of its own: %q", line)
		}
	}
	for _, want := range []string{`CN=mail\0D\0Ainjected: yes\1B[31m`, `DNS:evil\x1b]0;title\x07.test`, `http://pki\x1b[1m.test/x`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks the escaped %q:\n%s", want, out)
		}
	}

	d := &discover.Report{Domain: "contoso.test", Verdict: "clients find nothing\x1b[2J",
		Autodiscover: []*discover.Step{{N: 1, What: "https://contoso.test/", Outcome: "HTTP 302 redirect to http://x/\r\nfake: line\x1b[31m"}},
		Findings:     []finding.Finding{{Code: "autodiscover-not-found", Severity: finding.SevError, Message: "m\x1b[1m", Fix: "f\r\nx"}}}
	buf.Reset()
	if err := report.WriteDiscoverText(&buf, d); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.ContainsAny(out, "\r\x1b") || strings.Contains(out, "\nfake") || strings.Contains(out, "\nx") {
		t.Errorf("discover text holds control characters or injected lines:\n%q", out)
	}
}

// TestInterruptedSummary: an interrupted run says so in the JSON summary
// and the text total; a complete run's summary has neither field.
func TestInterruptedSummary(t *testing.T) {
	for _, interrupted := range []bool{false, true} {
		for _, format := range []report.Format{report.FormatJSON, report.FormatText} {
			var buf bytes.Buffer
			w, err := report.NewWriter(&buf, report.Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(unreachable(t, "a.test"))
			if interrupted {
				s := w.Summary()
				s.Interrupted, s.NotScanned = true, 3
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			switch {
			case format == report.FormatText && interrupted:
				if !strings.HasSuffix(out, "interrupted: 3 targets not scanned\nfindings: dns-failure 1\n") {
					t.Errorf("text:\n%s", out)
				}
			case format == report.FormatJSON:
				var doc struct{ Summary map[string]any }
				if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
					t.Fatal(err)
				}
				_, has := doc.Summary["interrupted"]
				if has != interrupted || interrupted && (doc.Summary["interrupted"] != true || doc.Summary["not_scanned"] != 3.0) {
					t.Errorf("interrupted=%v: summary %v", interrupted, doc.Summary)
				}
			case strings.Contains(out, "interrupted"):
				t.Errorf("a complete run says interrupted:\n%s", out)
			}
		}
	}
}

// TestTextIsTerminalSafe: a subject holding ANSI escapes, line breaks or a
// right-to-left override reaches the terminal as '?', in the chain, the root
// and the verbose certificate text.
func TestTextIsTerminalSafe(t *testing.T) {
	evil := "Evil\x1b[2J\x1b]0;owned\x07\r\nFAKE OK\u202eCA"
	root := testca.New(testca.Options{CN: evil, IsCA: true}, nil)
	r := judged(t, nil, "mail.contoso.test", testca.Leaf(root, "mail.contoso.test"), root.Cert)
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatText, Verbose: true})
	w.Write(r)
	w.Close()
	out := buf.String()
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u202e", "\nFAKE OK"} {
		if strings.Contains(out, bad) {
			t.Errorf("the text report holds %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `CN=Evil\1B[2J\1B]0\;owned\07\0D\0AFAKE OK\E2\80\AECA`) {
		t.Errorf("the subject is not shown escaped:\n%s", out)
	}
}

package chain_test

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

func TestTextWriterColourAndVerbose(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t) // root not in store: FAIL
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert, p.root.Cert}, lab.TLSOptions{})
	r := e.scan("mail.contoso.test")[0]
	for _, tc := range []struct {
		opts    chain.WriterOptions
		want    []string
		notWant []string
	}{
		{chain.WriterOptions{Format: chain.FormatText}, []string{"FAIL ", "untrusted-root"}, []string{"\x1b[", "Serial Number"}},
		{chain.WriterOptions{Format: chain.FormatText, Color: true}, []string{"\x1b[31mFAIL"}, nil},
		{chain.WriterOptions{Format: chain.FormatText, Verbose: true}, []string{"--- certificate 0 (server) ---", "Serial Number:", "DNS:mail.contoso.test"}, nil},
	} {
		var buf bytes.Buffer
		w, err := chain.NewWriter(&buf, tc.opts)
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
	p := newPKI("Contoso")
	e := newEnv(t, p.root.Cert)
	e.serve("a.test", 443, testca.Leaf(p.inter, "a.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	rs := e.scan("a.test", "unknown.test")
	var buf bytes.Buffer
	w, _ := chain.NewWriter(&buf, chain.WriterOptions{Format: chain.FormatJSON})
	for _, r := range rs {
		w.Write(r)
	}
	w.Close()
	var doc struct {
		Targets []chain.TargetReport `json:"targets"`
		Summary chain.Summary        `json:"summary"`
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

package report_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/report"
)

// revoked is a judged result whose leaf a CRL lists as revoked and whose
// issuing CA's CRL has expired.
func revoked(t *testing.T) *chain.Result {
	root := testca.Root("Contoso Root CA")
	inter := testca.Intermediate("Contoso Issuing CA", root)
	r := judged(t, nil, "mail.contoso.test", testca.Leaf(inter, "mail.contoso.test"), inter.Cert, root.Cert)
	ls := r.Path.Links
	ls[0].Revocation = &chain.Revocation{Status: chain.RevocationRevoked, Source: chain.SourceCRL, URL: "http://pki.contoso.test/\x1b[2Jissuing.crl",
		CheckedAt: testca.Epoch, NextUpdate: testca.Epoch.Add(24 * time.Hour), RevokedAt: testca.Epoch.AddDate(0, 0, -3), Reason: "keyCompromise",
		Stale: []chain.StaleCRL{{URL: "http://pki.contoso.test/issuing.crl", Issuer: "CN=Contoso Issuing CA", NextUpdate: testca.Epoch.Add(24 * time.Hour)}}}
	ls[1].Revocation = &chain.Revocation{Status: chain.RevocationUnknown, CheckedAt: testca.Epoch,
		Stale: []chain.StaleCRL{{URL: "http://pki.contoso.test/root.crl", Issuer: "CN=Contoso Root CA", NextUpdate: testca.Epoch.AddDate(0, 0, -1), Expired: true}}}
	ls[2].Revocation = &chain.Revocation{Status: chain.RevocationNotChecked}
	return r
}

func TestRevocationText(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatText, Verbose: verbose})
		w.Write(revoked(t))
		w.Close()
		out := buf.String()
		want := []string{
			"    revocation: revoked (crl) <- unknown <- not checked\n",
			`republish: the CRL "http://pki.contoso.test/issuing.crl" of "CN=Contoso Issuing CA" (expires 2026-06-02T12:00:00Z)`,
			`republish: the CRL "http://pki.contoso.test/root.crl" of "CN=Contoso Root CA" (expired 2026-05-31T12:00:00Z)`,
		}
		if verbose {
			want = append(want, `        revocation:        revoked, from the crl "http://pki.contoso.test/\x1b[2Jissuing.crl", revoked on 2026-05-29T12:00:00Z (keyCompromise), checked at 2026-06-01T12:00:00Z, next update 2026-06-02T12:00:00Z`,
				"        revocation:        unknown, checked at 2026-06-01T12:00:00Z\n", "        revocation:        not checked\n")
		}
		for _, s := range want {
			if !strings.Contains(out, s) {
				t.Errorf("verbose=%v: no %q in\n%s", verbose, s, out)
			}
		}
		if strings.Contains(out, "\x1b") {
			t.Errorf("verbose=%v: a URL reached the terminal unescaped", verbose)
		}
	}
}

func TestRevocationJSON(t *testing.T) {
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatJSON})
	w.Write(revoked(t))
	r := judged(t, nil, "a.test", testca.Leaf(testca.Root("Other Root"), "a.test")) // no check ran
	w.Write(r)
	w.Close()
	var doc struct {
		Targets []struct {
			Chain []struct {
				Revocation map[string]any `json:"revocation"`
			} `json:"chain"`
			Root map[string]any `json:"root"`
		} `json:"targets"`
		Summary struct {
			Republish []report.StaleCRL `json:"crls_to_republish"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	leaf := doc.Targets[0].Chain[0].Revocation
	for k, v := range map[string]any{"status": "revoked", "source": "crl", "url": "http://pki.contoso.test/\x1b[2Jissuing.crl", "checked_at": "2026-06-01T12:00:00Z",
		"next_update": "2026-06-02T12:00:00Z", "revoked_at": "2026-05-29T12:00:00Z", "reason": "keyCompromise"} {
		if leaf[k] != v {
			t.Errorf("leaf %s = %v, want %v", k, leaf[k], v)
		}
	}
	if got := doc.Targets[0].Chain[1].Revocation; len(got) != 2 || got["status"] != "unknown" || got["checked_at"] != "2026-06-01T12:00:00Z" {
		t.Errorf("intermediate: %v", got)
	}
	if got := doc.Targets[0].Chain[2].Revocation; len(got) != 1 || got["status"] != "not-checked" {
		t.Errorf("root link: %v", got)
	}
	if _, ok := doc.Targets[0].Root["revocation"]; ok {
		t.Error("the root entry carries a revocation status")
	}
	if got := doc.Targets[1].Chain[0].Revocation; len(got) != 1 || got["status"] != "not-checked" {
		t.Errorf("unchecked leaf: %v", got)
	}
	if rp := doc.Summary.Republish; len(rp) != 2 || rp[0].URL != "http://pki.contoso.test/issuing.crl" || rp[0].Expired || !rp[1].Expired {
		t.Errorf("crls_to_republish: %+v", rp)
	}
}

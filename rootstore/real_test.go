//go:debug x509negativeserial=1

package rootstore_test

// Real Windows files (../shared/fixtures/real, test data only). This test
// binary reads negative serial numbers, as trustgap's main package does.

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/rootstore"
)

// TestRealSSTFromWindowsUpdate reads the 434 roots certutil
// -generateSSTFromWU wrote: every one is read (MD2, MD5 and the
// negative-serial one included), none is called non-self-signed, the two
// MD2 roots are "signature not checkable", the MD5 ones verify, and the one
// root whose self-signature is broken is reported as such.
func TestRealSSTFromWindowsUpdate(t *testing.T) {
	path := testtool.Shared(t, "fixtures/real/generateSSTFromWU-roots.sst")
	s, err := rootstore.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roots) != 434 || len(s.Warnings) != 0 {
		t.Fatalf("read %d roots with warnings %q, want all 434 and none skipped", len(s.Roots), s.Warnings)
	}
	var md2, md5, negative []string
	for _, r := range s.Roots {
		c := r.Cert
		switch {
		case certutil.IsMD2(c):
			md2 = append(md2, certutil.Name(c))
		case c.SignatureAlgorithm == x509.MD5WithRSA:
			md5 = append(md5, certutil.Name(c))
			if certutil.CheckSignedBy(c, c) != certutil.SigValid {
				t.Errorf("MD5 root %s: self-signature %v, want valid (checked with crypto.MD5)", certutil.Name(c), certutil.CheckSignedBy(c, c))
			}
		}
		if c.SerialNumber.Sign() < 0 {
			negative = append(negative, certutil.Name(c))
		}
		if !certutil.IsSelfSigned(c) && certutil.Name(c) != "CN=CCA India 2015 SPL" {
			t.Errorf("%s is not self-signed by trustgap's rule", certutil.Name(c))
		}
	}
	if len(md2) != 2 || len(md5) != 8 || len(negative) != 1 || negative[0] != "CN=EC-ACC" {
		t.Errorf("MD2 %q, MD5 %q, negative serial %q: want 2, 8 and EC-ACC", md2, md5, negative)
	}

	rep := rootstore.AuditStore(s, testca.Epoch)
	got := codesOf(rep)
	if n := got["non-self-signed-root"]; len(n) != 0 {
		t.Errorf("non-self-signed-root on Microsoft's own roots: %q", n)
	}
	if n := got["signature-not-checkable"]; len(n) != 2 {
		t.Errorf("signature-not-checkable on %q, want the 2 MD2 roots", n)
	}
	if n := got["bad-self-signature"]; len(n) != 1 || !strings.Contains(n[0], "CCA India 2015 SPL") {
		t.Errorf("bad-self-signature on %q, want CCA India 2015 SPL (its self-signature does not verify, openssl agrees)", n)
	}
	if rep.Summary.Roots != 434 || len(rep.Sources) != 1 || rep.Sources[0].Roots != 434 {
		t.Errorf("summary %+v, sources %+v", rep.Summary, rep.Sources)
	}
}

// TestRealGPMCRegistryPol reads the GPMC Registry.pol: 4 roots (Root), 33
// intermediates (CA), and the builder uses that CA store: each of its
// certificates, presented alone, builds to one of the GPO's roots.
func TestRealGPMCRegistryPol(t *testing.T) {
	path := testtool.Shared(t, "fixtures/real/nsa-shb-certificates-Registry.pol")
	s, err := rootstore.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roots) != 4 || len(s.Intermediates) != 33 || len(s.Disallowed) != 0 || len(s.Warnings) != 0 {
		t.Fatalf("roots %d, intermediates %d, disallowed %d, warnings %q: want 4, 33, 0, none", len(s.Roots), len(s.Intermediates), len(s.Disallowed), s.Warnings)
	}
	want := rootstore.SourceCount{Source: path, Roots: 4, Intermediates: 33}
	if len(s.Sources) != 1 || s.Sources[0] != want {
		t.Errorf("sources %+v, want %+v", s.Sources, want)
	}
	b := &chain.Builder{Store: chain.NewCertSet(s.Certificates()...), Intermediates: chain.NewCertSet(s.IntermediateCertificates()...), Now: testca.Epoch}
	for _, r := range s.Intermediates {
		// A server that sends only a certificate this CA issued would be
		// completed the same way; here the CA certificate is the start.
		p := b.Build(context.Background(), r.Cert, nil)
		if !p.Anchored || len(p.Links) != 2 || p.Links[1].Source != chain.FromStore {
			t.Errorf("%s: %d links, anchored %v: want it built to a GPO root", certutil.Name(r.Cert), len(p.Links), p.Anchored)
		}
	}
	rep := rootstore.AuditStore(s, testca.Epoch)
	if n := codesOf(rep)["non-self-signed-root"]; len(n) != 0 {
		t.Errorf("non-self-signed-root: %q", n)
	}
	if rep.Summary.Intermediates != 33 || rep.Summary.Roots != 4 {
		t.Errorf("summary %+v: want 4 roots and 33 intermediates read", rep.Summary)
	}
}

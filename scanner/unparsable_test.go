package scanner_test

// This test binary runs without the x509negativeserial setting that
// package main has: a negative serial number does not parse here, which
// makes it a realistic unparsable certificate.

import (
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

func negativeSerial(c, issuer *testca.Cert) *testca.Cert {
	return testca.Rewrite(c, issuer, testca.RewriteOptions{}, func(tbs *testca.TBS) {
		tbs.SerialNumber = new(big.Int).Neg(tbs.SerialNumber)
	})
}

func TestUnparsableCertificates(t *testing.T) {
	p := newPKI("Contoso")
	leaf := testca.Leaf(p.inter, "mail.contoso.test")
	badLeaf := negativeSerial(leaf, p.inter)
	badInter := negativeSerial(testca.Intermediate("Contoso Stray CA", p.root), p.root)
	if badLeaf.Cert != nil || badInter.Cert != nil {
		t.Fatal("negative serials parse in this test binary: the fixture is no longer unparsable")
	}
	e := newEnv(t, p.root.Cert)
	e.noAIA = true
	// The server's own certificate does not parse (TLS 1.2 and 1.3 offered:
	// trustgap reads the TLS 1.2 records to say which one).
	e.serve("bad.contoso.test", 443, badLeaf, []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	// An extra certificate does not parse: it is ignored, the chain judged.
	mixed := testca.Leaf(p.inter, "mixed.contoso.test")
	srv := lab.TLS(tls.Certificate{Certificate: [][]byte{mixed.Cert.Raw, badInter.DER, p.inter.Cert.Raw}, PrivateKey: mixed.Key, Leaf: mixed.Cert}, lab.TLSOptions{})
	t.Cleanup(srv.Close)
	e.pin("mixed.contoso.test", 443, srv.Addr)
	// TLS 1.3 only: which certificate is bad cannot be told.
	e.serve("tls13.contoso.test", 443, badLeaf, []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{MinVersion: tls.VersionTLS13})

	rs := e.scan("bad.contoso.test", "mixed.contoso.test", "tls13.contoso.test")
	wantCodes(t, rs[0], "unparsable-certificate/error")
	if f := findMsg(t, rs[0], "unparsable-certificate"); !strings.Contains(f.Message, "certificate 1 of the chain") || !strings.Contains(f.Message, "negative serial number") {
		t.Errorf("message should name the position and the parser's error: %s", f.Message)
	}
	if rs[0].Path != nil || rs[0].Err != nil || rs[0].Trusted {
		t.Errorf("an unparsable server certificate: no chain, no fetch error, not trusted")
	}
	wantCodes(t, rs[1], "unparsable-certificate/warning")
	if f := findMsg(t, rs[1], "unparsable-certificate"); !strings.Contains(f.Message, "certificate 2 of the chain") {
		t.Errorf("message: %s", f.Message)
	}
	if !rs[1].Trusted {
		t.Error("the rest of the chain is judged: trusted")
	}
	wantCodes(t, rs[2], "unparsable-certificate/error")
	if f := findMsg(t, rs[2], "unparsable-certificate"); !strings.Contains(f.Message, "does not offer TLS 1.2") {
		t.Errorf("message: %s", f.Message)
	}
}

// TestLongPresentedChain: a server sends more than 32 certificates and the
// one the path needs comes last; it is still found, with bounded work.
func TestLongPresentedChain(t *testing.T) {
	p := newPKI("Contoso")
	var sent []*x509.Certificate
	for i := 0; i < 60; i++ {
		// Same name as the real intermediate, another key: only the
		// signature tells them apart.
		sent = append(sent, testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, NoSKI: true}, p.root).Cert)
	}
	sent = append(sent, p.inter.Cert)
	leaf := testca.New(testca.Options{CN: "long.contoso.test", DNSNames: []string{"long.contoso.test"}}, p.inter)
	e := newEnv(t, p.root.Cert)
	e.noAIA = true
	e.serve("long.contoso.test", 443, leaf, sent, lab.TLSOptions{})
	r := e.scan("long.contoso.test")[0]
	wantCodes(t, r, "extra-certificates/warning") // the 60 look-alikes
	if !r.Trusted || !r.Path.Links[1].Cert.Equal(p.inter.Cert) {
		t.Errorf("chain %q: the 61st presented certificate should complete it", sources(r))
	}
}

// TestIssuerNowhere: the top of the path is a CA whose issuer is nowhere;
// the finding names the issuer, every AIA URL tried with its outcome, and
// --issuers as the fix.
func TestIssuerNowhere(t *testing.T) {
	root := testca.Root("Contoso Offline Root CA")
	inter := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, IssuingURL: "ldap:///CN=Contoso%20Offline%20Root%20CA,CN=AIA,CN=Public%20Key%20Services"}, root)
	inter2 := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, Key: inter.Key, IssuingURL: "http://pki.contoso.test/root.crt"}, root)
	leaf := testca.Leaf(inter, "mail.contoso.test")
	e := newEnv(t)
	e.pin("pki.contoso.test", 80, lab.ClosedPort())
	e.serve("mail.contoso.test", 443, leaf, []*x509.Certificate{inter.Cert}, lab.TLSOptions{})
	e.serve("mail2.contoso.test", 443, testca.Leaf(inter2, "mail2.contoso.test"), []*x509.Certificate{inter2.Cert}, lab.TLSOptions{})
	rs := e.scan("mail.contoso.test", "mail2.contoso.test")
	for _, r := range rs {
		wantCodes(t, r, "incomplete-chain/error")
		f := findMsg(t, r, "incomplete-chain")
		if !strings.Contains(f.Message, `its issuer "CN=Contoso Offline Root CA" is not presented by the server, not in the client store and not given with --issuers`) {
			t.Errorf("message should name the missing issuer and where it was looked for: %s", f.Message)
		}
		if !strings.Contains(f.Fix, `give the certificate of "CN=Contoso Offline Root CA" with --issuers FILE (or --roots if clients should trust it)`) || strings.Contains(f.Fix, "configure the server") {
			t.Errorf("fix: %s", f.Fix)
		}
	}
	if m := findMsg(t, rs[0], "incomplete-chain").Message; !strings.Contains(m, `"ldap:///CN=Contoso%20Offline%20Root%20CA,CN=AIA,CN=Public%20Key%20Services": not an HTTP URL (LDAP caIssuers are not fetched)`) {
		t.Errorf("message should give the LDAP URL's outcome: %s", m)
	}
	if m := findMsg(t, rs[1], "incomplete-chain").Message; !strings.Contains(m, `"http://pki.contoso.test/root.crt": `) || !strings.Contains(m, "connection refused") {
		t.Errorf("message should give the HTTP URL's outcome: %s", m)
	}
}

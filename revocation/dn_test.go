package revocation

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
)

// TestIssuerNamesAsDN: a CA named with DC= parts (every AD CS CA) is
// shown as certutil.DN shows it, in messages, the stale CRL record (JSON
// and republish lines) and the "CRL of another CA" reason: DC=contoso, not
// 0.9.2342.19200300.100.1.25=contoso as pkix.Name.String writes it.
func TestIssuerNamesAsDN(t *testing.T) {
	dc := asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	adName := func(cn string) *pkix.Name {
		return &pkix.Name{CommonName: cn, ExtraNames: []pkix.AttributeTypeAndValue{{Type: dc, Value: "com"}, {Type: dc, Value: "contoso"}}}
	}
	r := newRig(t)
	root := testca.New(testca.Options{CN: "Test Root CA", IsCA: true}, nil)
	inter := testca.New(testca.Options{Subject: adName("Contoso Issuing CA"), IsCA: true, CRLURLs: []string{base + "/root.crl"}}, root)
	other := testca.New(testca.Options{Subject: adName("Contoso Other CA"), IsCA: true}, nil)
	r.file("/root.crl", testca.CRL(root, testca.CRLOptions{}))
	r.file("/other.crl", testca.CRL(other, testca.CRLOptions{}))
	r.file("/inter.crl", testca.CRL(inter, testca.CRLOptions{NextUpdate: testca.Epoch.Add(24 * time.Hour)}))
	// other.crl first: the wrong CA's CRL, then the right one, expiring.
	leaf := testca.New(testca.Options{CN: "mail.test", DNSNames: []string{"mail.test"}, CRLURLs: []string{base + "/other.crl", base + "/inter.crl"}}, inter)
	p := (&pki{root: root, inter: inter, leaf: leaf}).path()
	fs := r.checker(Soft).Check(context.Background(), p)

	want, wantOther := certutil.Subject(inter.Cert), certutil.Subject(other.Cert)
	if !strings.Contains(want, "DC=contoso") {
		t.Fatalf("certutil.Subject = %q", want)
	}
	stale := p.Links[0].Revocation.Stale
	if len(stale) != 1 || stale[0].Issuer != want {
		t.Errorf("stale CRLs %+v: issuer should be %q", stale, want)
	}
	var text []string
	for _, f := range fs {
		text = append(text, f.Message, f.Fix)
	}
	all := strings.Join(text, "\n")
	if strings.Contains(all, "0.9.2342") {
		t.Errorf("a DC name shown as an OID:\n%s", all)
	}
	for _, w := range []string{`the CRL "http://pki.test/inter.crl" of "` + want + `" expires`, `it is the CRL of "` + wantOther + `", not of the certificate's issuer "` + want + `"`} {
		if !strings.Contains(all, w) {
			t.Errorf("no %q in:\n%s", w, all)
		}
	}
}

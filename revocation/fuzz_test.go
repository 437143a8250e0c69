package revocation

import (
	"crypto/x509/pkix"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/testca"
	"golang.org/x/crypto/ocsp"
)

// fuzzPKI is a fixed PKI (seeded keys) for the fuzz tests.
func fuzzPKI() *pki {
	root := testca.New(testca.Options{CN: "Fuzz Root", IsCA: true, RSABits: 1024, Seed: "fuzz root"}, nil)
	inter := testca.New(testca.Options{CN: "Fuzz CA", IsCA: true, RSABits: 1024, Seed: "fuzz ca", CRLURLs: []string{base + "/root.crl"}}, root)
	leaf := testca.New(testca.Options{CN: "fuzz.test", RSABits: 1024, Seed: "fuzz leaf", CRLURLs: []string{base + "/inter.crl"}, OCSPURLs: []string{base + "/ocsp"}}, inter)
	return &pki{root: root, inter: inter, leaf: leaf}
}

func FuzzParseDistributionPoints(f *testing.F) {
	f.Add(distPoints(base+"/a.crl", "ldap:///CN=x"))
	f.Add(distPoints())
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		urls, err := parseDistributionPoints(b)
		if err == nil && len(urls) > maxNames {
			t.Fatalf("%d URLs, more than %d", len(urls), maxNames)
		}
	})
}

func FuzzParseIDP(f *testing.F) {
	f.Add(idpExt(true, false, base+"/a.crl").Value)
	f.Add(idpExt(false, true).Value)
	f.Add([]byte{0x30, 0x03, 0x81, 0x01, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseIDP(b)
		if err == nil && len(d.URIs) > maxNames {
			t.Fatalf("%d URIs", len(d.URIs))
		}
	})
}

// FuzzCRL feeds anything as the CRL at a distribution point: it must end
// as a CRL that is used or a failure, never a panic.
func FuzzCRL(f *testing.F) {
	p := fuzzPKI()
	for _, o := range []testca.CRLOptions{
		{},
		{Number: 10, Revoked: []testca.Revoked{{Serial: p.leaf.Cert.SerialNumber, Reason: 1}}, ExtraExtensions: []pkix.Extension{freshestExt(base + "/d.crl")}},
		{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}, Revoked: []testca.Revoked{{Serial: p.leaf.Cert.SerialNumber, Reason: 8}}},
		{ExtraExtensions: []pkix.Extension{idpExt(true, false, base+"/inter.crl")}},
	} {
		f.Add(testca.CRL(p.inter, o))
	}
	f.Add([]byte("-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n"))
	c := New(nil, Soft, testca.Epoch)
	f.Fuzz(func(t *testing.T, b []byte) {
		ci, err := parseCRL(b)
		if err != nil {
			return
		}
		for _, delta := range []bool{false, true} {
			c.use(ci, p.leaf.Cert, p.inter.Cert, delta)
		}
		o := &outcome{}
		c.stale(o, base+"/inter.crl", ci, p.inter.Cert)
	})
}

// FuzzOCSP feeds anything as an OCSP responder's answer.
func FuzzOCSP(f *testing.F) {
	p := fuzzPKI()
	for _, st := range []int{ocsp.Good, ocsp.Revoked, ocsp.Unknown} {
		resp, err := ocsp.CreateResponse(p.inter.Cert, p.inter.Cert, ocsp.Response{Status: st, SerialNumber: p.leaf.Cert.SerialNumber,
			ThisUpdate: testca.Epoch.Add(-time.Hour), NextUpdate: testca.Epoch.Add(time.Hour), RevokedAt: testca.Epoch.Add(-2 * time.Hour)}, p.inter.Key)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(resp)
	}
	f.Add(ocsp.UnauthorizedErrorResponse)
	c := New(nil, Soft, testca.Epoch)
	f.Fuzz(func(t *testing.T, b []byte) {
		a := c.parseOCSP(b, p.leaf.Cert, p.inter.Cert)
		if (a.resp == nil) == (a.bad == "") {
			t.Fatalf("answer %+v is neither usable nor bad", a)
		}
	})
}

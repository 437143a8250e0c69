package certutil_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
)

func ext(t *testing.T, oid asn1.ObjectIdentifier, v any) pkix.Extension {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oid, Value: b}
}

// TestPlainStrings: a control, format or separator character in any string
// a certificate carries (its names, GeneralNames in its extensions, policy
// texts, what a text extension holds) makes it not plain; binary fields do
// not, nor do characters that are merely not ASCII.
func TestPlainStrings(t *testing.T) {
	root := testca.Root("Plain Root CA")
	type userNotice struct {
		ExplicitText asn1.RawValue
	}
	bmp := func(s string) asn1.RawValue {
		var b []byte
		for _, r := range s {
			b = append(b, byte(r>>8), byte(r))
		}
		return asn1.RawValue{Tag: 30, Bytes: b}
	}
	policy := func(text string) pkix.Extension {
		notice, _ := asn1.Marshal(userNotice{ExplicitText: bmp(text)})
		type qualifier struct {
			ID    asn1.ObjectIdentifier
			Value asn1.RawValue
		}
		type policyInfo struct {
			ID         asn1.ObjectIdentifier
			Qualifiers []qualifier
		}
		return ext(t, asn1.ObjectIdentifier{2, 5, 29, 32}, []policyInfo{{ID: asn1.ObjectIdentifier{1, 2, 3, 4}, Qualifiers: []qualifier{{ID: asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 2, 2}, Value: asn1.RawValue{FullBytes: notice}}}}})
	}
	type provisioner struct {
		Type         int
		Name         []byte
		CredentialID []byte
	}
	// An AD CS style authority key identifier: keyid, the issuer's name and
	// its serial number, whose bytes are binary (a line feed among them).
	aki := func() pkix.Extension {
		type akiT struct {
			KeyID  []byte        `asn1:"optional,tag:0"`
			Issuer asn1.RawValue `asn1:"optional,tag:1"`
			Serial []byte        `asn1:"optional,tag:2"`
		}
		dir, _ := asn1.Marshal(asn1.RawValue{Class: 2, Tag: 4, IsCompound: true, Bytes: root.Cert.RawSubject})
		return ext(t, asn1.ObjectIdentifier{2, 5, 29, 35}, akiT{KeyID: root.Cert.SubjectKeyId, Issuer: asn1.RawValue{Class: 2, Tag: 1, IsCompound: true, Bytes: dir}, Serial: []byte{0x0a, 0x0d, 0x1b, 0x00}})
	}
	for _, tc := range []struct {
		name  string
		o     testca.Options
		plain bool
	}{
		{"plain", testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test"}, CRLURLs: []string{"http://pki.test/a.crl"}, IssuingURL: "http://pki.test/a.crt"}, true},
		{"accents are fine", testca.Options{CN: "Société Générale CA", Org: "Ünïcödé"}, true},
		{"binary serial in the AKI", testca.Options{CN: "adcs.test", ExtraExtensions: []pkix.Extension{aki()}}, true},
		{"a policy text", testca.Options{CN: "x.test", ExtraExtensions: []pkix.Extension{policy("Contoso CPS")}}, true},
		{"unknown extension with raw bytes", testca.Options{CN: "x.test", ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 2, 3, 99}, Value: []byte("x\ny\x1b")}}}, true},
		{"LF in the CN", testca.Options{CN: "mail\ninjected"}, false},
		{"right-to-left override in the O", testca.Options{CN: "x", Org: "abc\u202etxt.exe"}, false},
		{"zero-width space", testca.Options{CN: "x\u200b.test"}, false},
		{"LF in a DNS name", testca.Options{CN: "x", DNSNames: []string{"a.test\n        | Issuer: CN=Trusted"}}, false},
		{"CR in a CRL URL", testca.Options{CN: "x", CRLURLs: []string{"http://pki.test/\r\na.crl"}}, false},
		{"ESC in an AIA URL", testca.Options{CN: "x", IssuingURL: "http://pki\x1b[1m.test/x"}, false},
		{"NEL in an OCSP URL", testca.Options{CN: "x", OCSPURLs: []string{"http://ocsp.test/\u0085x"}}, false},
		{"line separator in a policy text", testca.Options{CN: "x", ExtraExtensions: []pkix.Extension{policy("CPS\u2028fake line")}}, false},
		{"LF in a Netscape comment", testca.Options{CN: "x", ExtraExtensions: []pkix.Extension{ext(t, asn1.ObjectIdentifier{2, 16, 840, 1, 113730, 1, 13}, "comment\nline")}}, false},
		{"LF in a step provisioner name", testca.Options{CN: "x", ExtraExtensions: []pkix.Extension{ext(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 37476, 9000, 64, 1}, provisioner{Type: 1, Name: []byte("evil\nline"), CredentialID: []byte("id")})}}, false},
		{"a plain step provisioner", testca.Options{CN: "x", ExtraExtensions: []pkix.Extension{ext(t, asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 37476, 9000, 64, 1}, provisioner{Type: 1, Name: []byte("admin"), CredentialID: []byte("id")})}}, true},
	} {
		c := testca.New(tc.o, root)
		if got := certutil.PlainStrings(c.Raw()); got != tc.plain {
			t.Errorf("%s: PlainStrings = %v, want %v", tc.name, got, tc.plain)
		}
	}
	for name, der := range map[string][]byte{
		"empty":               nil,
		"truncated":           root.Cert.Raw[:len(root.Cert.Raw)-1],
		"indefinite length":   {0x30, 0x80, 0x00, 0x00},
		"nested too deep":     deep(64),
		"length past the end": {0x30, 0x84, 0x7f, 0xff, 0xff, 0xff},
	} {
		if certutil.PlainStrings(der) {
			t.Errorf("%s: DER it cannot walk counts as plain", name)
		}
	}
}

// deep nests n SEQUENCEs.
func deep(n int) []byte {
	b := []byte{0x05, 0x00}
	for i := 0; i < n; i++ {
		b = append([]byte{0x30, byte(len(b))}, b...)
		if len(b) > 120 {
			break
		}
	}
	for len(b) < 2*n { // keep nesting with long lengths
		l := len(b)
		b = append([]byte{0x30, 0x82, byte(l >> 8), byte(l)}, b...)
	}
	return b
}

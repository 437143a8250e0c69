package certutil_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testtool"
)

var (
	oidCN    = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidO     = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidOU    = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidC     = asn1.ObjectIdentifier{2, 5, 4, 6}
	oidDC    = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}
	oidUID   = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}
	oidEmail = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
	oidOther = asn1.ObjectIdentifier{1, 2, 3, 4}
)

// str is an attribute value of a given ASN.1 string type.
func str(tag int, s string) asn1.RawValue {
	b := []byte(s)
	if tag == 30 { // BMPString: UTF-16BE
		b = nil
		for _, u := range utf16.Encode([]rune(s)) {
			b = append(b, byte(u>>8), byte(u))
		}
	}
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: tag, Bytes: b}
}

func atv(oid asn1.ObjectIdentifier, v any) pkix.AttributeTypeAndValue {
	if s, ok := v.(string); ok {
		v = str(12, s)
	}
	return pkix.AttributeTypeAndValue{Type: oid, Value: v}
}

func rdn(atvs ...pkix.AttributeTypeAndValue) []pkix.AttributeTypeAndValue { return atvs }

// certWithSubject returns a self-signed certificate whose subject (and
// issuer) is exactly the given RDN sequence.
func certWithSubject(t *testing.T, seq pkix.RDNSequence) *x509.Certificate {
	t.Helper()
	raw, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), RawSubject: raw, NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1e9, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dnCases are names a CA or a hostile server may carry, with the RFC 4514
// form trustgap shows. deviates names the cases where OpenSSL (the oracle)
// prints something else on purpose, and why.
var dnCases = []struct {
	name     string
	seq      pkix.RDNSequence
	want     string
	deviates string
}{
	{"AD CS CA name", pkix.RDNSequence{rdn(atv(oidDC, str(22, "com"))), rdn(atv(oidDC, str(22, "contoso"))), rdn(atv(oidCN, "contoso-DC01-CA"))},
		"CN=contoso-DC01-CA,DC=contoso,DC=com", ""},
	{"user name", pkix.RDNSequence{rdn(atv(oidC, str(19, "US"))), rdn(atv(oidO, "Contoso")), rdn(atv(oidUID, "jdoe")), rdn(atv(oidEmail, str(22, "jdoe@contoso.com"))), rdn(atv(oidCN, "Jane Doe"))},
		"CN=Jane Doe,emailAddress=jdoe@contoso.com,UID=jdoe,O=Contoso,C=US", ""},
	{"multi-valued RDN", pkix.RDNSequence{rdn(atv(oidO, "Contoso")), rdn(atv(oidOU, "PKI"), atv(oidCN, "Issuing CA"))},
		"CN=Issuing CA+OU=PKI,O=Contoso", ""},
	{"repeated RDNs", pkix.RDNSequence{rdn(atv(oidOU, "Servers")), rdn(atv(oidOU, "Exchange")), rdn(atv(oidCN, "mail"))},
		"CN=mail,OU=Exchange,OU=Servers", ""},
	{"special characters", pkix.RDNSequence{rdn(atv(oidO, `Smith, Jones & "Partners"`)), rdn(atv(oidCN, `#1 a+b;c<d>e\f `))},
		`CN=\#1 a\+b\;c\<d\>e\\f\ ,O=Smith\, Jones & \"Partners\"`, ""},
	{"control characters", pkix.RDNSequence{rdn(atv(oidCN, "evil\r\nCN=root\x1b[2J\x07"))},
		`CN=evil\0D\0ACN=root\1B[2J\07`, ""},
	{"BMPString", pkix.RDNSequence{rdn(atv(oidCN, str(30, "Zürich Root")))}, "CN=Zürich Root", ""},
	{"T61String as Latin-1", pkix.RDNSequence{rdn(atv(oidCN, str(20, "caf\xe9")))}, "CN=café", ""},
	{"unknown attribute", pkix.RDNSequence{rdn(atv(oidOther, "x"))}, "1.2.3.4=#0C0178", ""},
	{"bidi override", pkix.RDNSequence{rdn(atv(oidCN, "abc\u202edef"))}, `CN=abc\E2\80\AEdef`,
		"OpenSSL passes U+202E (RIGHT-TO-LEFT OVERRIDE) through; trustgap escapes every format character so a name cannot reorder a terminal line"},
	{"empty", pkix.RDNSequence{}, "", "OpenSSL prints nothing after subject="},
}

func TestDN(t *testing.T) {
	for _, tc := range dnCases {
		c := certWithSubject(t, tc.seq)
		if got := certutil.Subject(c); got != tc.want {
			t.Errorf("%s: DN %q, want %q", tc.name, got, tc.want)
		}
		if got := certutil.Issuer(c); got != tc.want {
			t.Errorf("%s: issuer %q, want %q", tc.name, got, tc.want)
		}
		if id := certutil.IdentityOf(c); id.Subject != tc.want {
			t.Errorf("%s: identity subject %q", tc.name, id.Subject)
		}
		if n := certutil.Name(c); strings.ContainsAny(n, "\r\n\x1b\x07") {
			t.Errorf("%s: Name %q holds control characters", tc.name, n)
		}
	}
}

// TestDNAgreesWithOpenSSL compares DN with "openssl x509 -nameopt
// RFC2253,-esc_msb" (RFC 2253 escaping, control characters as \XX, UTF-8
// kept) on every case, except those listed as deviating.
func TestDNAgreesWithOpenSSL(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	for i, tc := range dnCases {
		if tc.deviates != "" {
			t.Logf("%s: not compared: %s", tc.name, tc.deviates)
			continue
		}
		c := certWithSubject(t, tc.seq)
		f := filepath.Join(dir, "c"+string(rune('a'+i))+".pem")
		if err := os.WriteFile(f, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(openssl, "x509", "-in", f, "-noout", "-subject", "-nameopt", "RFC2253,-esc_msb").CombinedOutput()
		if err != nil {
			t.Fatalf("%s: openssl: %v\n%s", tc.name, err, out)
		}
		want := strings.TrimSuffix(strings.TrimPrefix(string(out), "subject="), "\n")
		if got := certutil.Subject(c); got != want {
			t.Errorf("%s: trustgap %q, openssl %q", tc.name, got, want)
		}
	}
}

func TestDNMalformed(t *testing.T) {
	for _, raw := range [][]byte{nil, {0x30}, {0x30, 0x02, 0x31, 0x00}, {0x31, 0x00}, {0x30, 0x00, 0x00}} {
		if got := certutil.DN(raw); !strings.HasPrefix(got, "#") && len(raw) > 0 {
			t.Errorf("DN(% x) = %q, want the # hex form", raw, got)
		}
	}
	if got := certutil.DN([]byte{0x30, 0x00}); got != "" {
		t.Errorf("empty sequence: %q", got)
	}
}

func TestSafeText(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, with spaces": "plain text, with spaces",
		"a\x1b[31mred\r\n":        `a\x1b[31mred\x0d\x0a`,
		"bad \xff utf8":           `bad \xff utf8`,
		"line\u2028sep":           `line\xe2\x80\xa8sep`,
		"ünïcode ok":              "ünïcode ok",
	} {
		if got := certutil.SafeText(in); got != want {
			t.Errorf("SafeText(%q) = %q, want %q", in, got, want)
		}
		if got := certutil.SafeText(certutil.SafeText(in)); got != want {
			t.Errorf("SafeText twice changed %q to %q", in, got)
		}
	}
}

func FuzzDN(f *testing.F) {
	for _, tc := range dnCases {
		raw, _ := asn1.Marshal(tc.seq)
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s := certutil.DN(raw)
		for _, r := range s {
			if r < 0x20 || r == 0x7f || r >= 0x80 && r < 0xa0 || r == '\u2028' || r == '\u2029' || r == '\u202e' {
				t.Fatalf("DN(% x) = %q holds %U", raw, s, r)
			}
		}
		if !strings.HasPrefix(s, "#") && s != "" && !strings.Contains(s, "=") {
			t.Fatalf("DN(% x) = %q: neither a name nor the hex form", raw, s)
		}
	})
}

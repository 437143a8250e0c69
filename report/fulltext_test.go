package report_test

import (
	"bytes"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/smallstep/certinfo"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/report"
)

// TestVerboseFullTextLeftOut: -v prints certinfo's full text of a
// certificate only when none of its strings holds a control or format
// character. A DNS name with a line feed would otherwise forge a line of
// that text; the certificate's escaped details still show it, and the
// other certificates of the chain keep their full text.
func TestVerboseFullTextLeftOut(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	leaf := testca.New(testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test", "a.test\n                Issuer: CN=Trusted Root"}}, root)
	r := judged(t, nil, "mail.contoso.test", leaf, root.Cert)
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatText, Verbose: true})
	w.Write(r)
	w.Close()
	out := buf.String()
	certs := strings.Split(out, "    --- certificate ")
	if len(certs) != 3 {
		t.Fatalf("want 2 certificates in -v output:\n%s", out)
	}
	if !strings.Contains(certs[1], "\n        (full text left out: the certificate's text holds control or format characters; the escaped details above show them)\n") ||
		strings.Contains(certs[1], "        | ") || !strings.Contains(certs[1], `DNS:a.test\x0a`) {
		t.Errorf("leaf with a line feed in a name:\n%s", certs[1])
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(strings.TrimLeft(line, " |"), "Issuer: CN=Trusted Root") {
			t.Errorf("the name forged a line: %q", line)
		}
	}
	if !strings.Contains(certs[2], "        | Certificate:\n") || strings.Contains(certs[2], "full text left out") {
		t.Errorf("the root's full text should be there:\n%s", certs[2])
	}
}

// FuzzFullText: whatever the DER, PlainStrings neither panics nor loops,
// and when it says a certificate is plain, certinfo's text of it holds no
// control or format character but its own line feeds: nothing a
// certificate says can start a line of that text.
func FuzzFullText(f *testing.F) {
	root := testca.Root("Fuzz Root CA")
	for _, o := range []testca.Options{
		{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test"}, CRLURLs: []string{"http://pki.test/a.crl"}, IssuingURL: "http://pki.test/a.crt", OCSPURLs: []string{"http://ocsp.test/"}},
		{CN: "mail\ninjected", DNSNames: []string{"a\n.test"}},
		{CN: "x", Org: "abc\u202etxt"},
		{CN: "Société", PermittedDNS: []string{"contoso.test"}},
	} {
		f.Add(testca.New(o, root).Raw())
	}
	f.Add(root.Cert.Raw)
	f.Fuzz(func(t *testing.T, der []byte) {
		plain := certutil.PlainStrings(der)
		if plain != certutil.PlainStrings(der) {
			t.Fatal("two answers for the same DER")
		}
		c, err := x509.ParseCertificate(der)
		if err != nil || !plain {
			return
		}
		txt, err := certinfo.CertificateText(c)
		if err != nil {
			return
		}
		for _, line := range strings.Split(txt, "\n") {
			if certutil.SafeText(line) != line {
				t.Fatalf("PlainStrings passed a certificate whose text holds %q", line)
			}
		}
	})
}

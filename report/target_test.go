package report

import (
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/internal/certfile"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
)

// TestShortNameMatchesName: the short name worked out from a subject (all
// a saved report holds for a certificate the chain does not use) is the
// one certutil.Name gives the certificate, for Microsoft's 434 roots and
// for made-up names with escapes, several CNs and no CN.
func TestShortNameMatchesName(t *testing.T) {
	b, err := os.ReadFile(testtool.Shared(t, "fixtures/real/generateSSTFromWU-roots.sst"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := certfile.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var certs []*x509.Certificate
	for _, e := range d.Entries {
		certs = append(certs, e.Cert)
	}
	for _, cn := range []string{"a,b+c", "  lead", "#hash", "tab\there", "\u202Eevil", `quote"s\back`} {
		certs = append(certs, testca.New(testca.Options{CN: cn}, nil).Cert)
	}
	certs = append(certs, testca.New(testca.Options{Org: "No CN, Inc."}, nil).Cert)
	if len(certs) < 400 {
		t.Fatalf("only %d certificates", len(certs))
	}
	for _, c := range certs {
		if got, want := shortName(certutil.Subject(c)), certutil.Name(c); got != want {
			t.Errorf("%s: short name %q, certutil.Name %q", certutil.Subject(c), got, want)
		}
	}
}

// TestSplitDN splits at unescaped separators only.
func TestSplitDN(t *testing.T) {
	for in, want := range map[string]string{
		`CN=a\,b,O=c`:    `CN=a\,b|O=c`,
		`CN=a\\,O=c`:     `CN=a\\|O=c`,
		`CN=\E2\80\AE,O`: `CN=\E2\80\AE|O`,
		`CN=x\`:          `CN=x\`,
		``:               ``,
	} {
		if got := strings.Join(splitDN(in, ','), "|"); got != want {
			t.Errorf("splitDN(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzShortName(f *testing.F) {
	f.Add(`CN=a\,b+O=c,DC=d`)
	f.Add(`O=x\`)
	f.Add("CN=\x1b[2J\u202E")
	f.Fuzz(func(t *testing.T, dn string) {
		s := shortName(dn)
		if s != certutil.SafeText(s) {
			t.Errorf("shortName(%q) = %q holds characters a terminal would act on", dn, s)
		}
	})
}

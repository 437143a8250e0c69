package scanner_test

import (
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
)

// TestOpenSSLAgrees checks trustgap's trust verdicts against
// "openssl verify", given the same store and the certificates the server
// sent.
func TestOpenSSLAgrees(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	p := newPKI("Contoso")
	other := newPKI("Fabrikam")
	oldRoot := testca.Root("Old Root CA")
	cross := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true, Key: p.root.Key}, oldRoot)

	for _, tc := range []struct {
		name   string
		store  *x509.Certificate
		served []*x509.Certificate
	}{
		{"trusted", p.root.Cert, []*x509.Certificate{p.inter.Cert}},
		{"cross-signed to old root", oldRoot.Cert, []*x509.Certificate{p.inter.Cert, cross.Cert}},
		{"untrusted root", other.root.Cert, []*x509.Certificate{p.inter.Cert, p.root.Cert}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := testca.Leaf(p.inter, "mail.contoso.test")
			e := newEnv(t, tc.store)
			e.noAIA = true
			e.serve("mail.contoso.test", 443, leaf, tc.served, lab.TLSOptions{})
			r := e.scan("mail.contoso.test")[0]

			dir := t.TempDir()
			write := func(name string, certs ...*x509.Certificate) string {
				f := filepath.Join(dir, name)
				if err := os.WriteFile(f, testca.PEM(certs...), 0o600); err != nil {
					t.Fatal(err)
				}
				return f
			}
			cmd := exec.Command(openssl, "verify", "-attime", strconv.FormatInt(testca.Epoch.Unix(), 10),
				"-CAfile", write("store.pem", tc.store), "-untrusted", write("served.pem", tc.served...),
				"-verify_hostname", "mail.contoso.test", write("leaf.pem", leaf.Cert))
			out, err := cmd.CombinedOutput()
			if opensslOK := err == nil; opensslOK != r.Trusted {
				t.Errorf("trustgap trusted=%v, openssl verify says:\n%s", r.Trusted, out)
			}
		})
	}
}

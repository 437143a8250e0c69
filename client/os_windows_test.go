package client_test

import (
	"crypto/x509"
	"testing"

	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/internal/testca"
)

// TestOSVerifyWindows puts chains from a CA no Windows machine trusts to the
// real chain engine: it must say CERT_E_UNTRUSTEDROOT (a chain that builds
// to an untrusted root), and the answer must be checked.
func TestOSVerifyWindows(t *testing.T) {
	root := testca.Root("trustgap Test Root (never trusted)")
	inter := testca.Intermediate("trustgap Test Issuing CA", root)
	leaf := testca.Leaf(inter, "mail.contoso.test")
	a := client.OSVerify([]*x509.Certificate{leaf.Cert, inter.Cert, root.Cert}, "mail.contoso.test", testca.Epoch)
	if !a.Checked || a.Err != nil {
		t.Fatalf("answer %+v", a)
	}
	if a.OK() || a.Status != 0x800B0109 {
		t.Errorf("untrusted test root: %s, want 0x800B0109", a)
	}
}

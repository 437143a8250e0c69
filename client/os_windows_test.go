package client_test

import (
	"crypto/x509"
	"testing"

	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/internal/testca"
)

// TestOSVerifyWindows puts a chain from a CA no Windows machine trusts to
// the real chain engine: it must reject it, with CERT_TRUST_IS_UNTRUSTED_ROOT
// among the chain's errors (the policy error is CERT_E_UNTRUSTEDROOT unless
// the missing CRL distribution points are reported first).
func TestOSVerifyWindows(t *testing.T) {
	root := testca.Root("trustgap Test Root (never trusted)")
	inter := testca.Intermediate("trustgap Test Issuing CA", root)
	leaf := testca.Leaf(inter, "mail.contoso.test")
	a := client.OSVerify([]*x509.Certificate{leaf.Cert, inter.Cert, root.Cert}, "mail.contoso.test", testca.Epoch)
	if !a.Checked || a.Err != nil {
		t.Fatalf("answer %+v", a)
	}
	const untrustedRoot = 0x20 // CERT_TRUST_IS_UNTRUSTED_ROOT
	if a.OK() || a.ChainErrors&untrustedRoot == 0 {
		t.Errorf("untrusted test root: %s, want a rejection with CERT_TRUST_IS_UNTRUSTED_ROOT", a)
	}
	t.Logf("Windows says: %s", a)
}

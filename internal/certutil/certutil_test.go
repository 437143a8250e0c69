//go:debug rsa1024min=0

package certutil_test

import (
	"crypto/elliptic"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
)

// TestMD5AgainstOpenSSL checks MD5-RSA links, which crypto/x509 refuses to
// check, against openssl verify (security level 0, which checks MD5).
func TestMD5AgainstOpenSSL(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	root := testca.New(testca.Options{CN: "MD5 Root CA", IsCA: true, RSABits: 2048}, nil)
	inter := testca.New(testca.Options{CN: "MD5 Issuing CA", IsCA: true, RSABits: 2048}, root)
	dir := t.TempDir()
	rootPEM := filepath.Join(dir, "root.pem")
	os.WriteFile(rootPEM, testca.PEM(root.Cert), 0o644)
	for _, tc := range []struct {
		name string
		o    testca.RewriteOptions
		want certutil.SigStatus
	}{
		{"good", testca.RewriteOptions{MD5: true}, certutil.SigValid},
		{"tampered", testca.RewriteOptions{MD5: true, BadSignature: true}, certutil.SigInvalid},
	} {
		c := testca.Rewrite(inter, root, tc.o, nil).Cert
		got := certutil.CheckSignedBy(c, root.Cert)
		p := filepath.Join(dir, tc.name+".pem")
		os.WriteFile(p, testca.PEM(c), 0o644)
		out, err := exec.Command(openssl, "verify", "-auth_level", "0", "-CAfile", rootPEM, p).CombinedOutput()
		oracle := certutil.SigValid
		if err != nil {
			oracle = certutil.SigInvalid
		}
		if got != tc.want || got != oracle {
			t.Errorf("%s: trustgap says %v, openssl %v (want %v)\n%s", tc.name, got, oracle, tc.want, out)
		}
	}
	// The same key with SHA-256 keeps verifying through crypto/x509.
	if s := certutil.CheckSignedBy(inter.Cert, root.Cert); s != certutil.SigValid {
		t.Errorf("SHA-256 link: %v", s)
	}
}

// TestKeyWeakness pins the one key-strength rule: RSA below 1024 blocked,
// below 2048 weak, EC below 256 weak.
func TestKeyWeakness(t *testing.T) {
	for _, tc := range []struct {
		o       testca.Options
		desc    string
		blocked bool
	}{
		{testca.Options{CN: "a", RSABits: 512}, "a 512-bit RSA key", true},
		{testca.Options{CN: "b", RSABits: 1024}, "a 1024-bit RSA key", false},
		{testca.Options{CN: "c", RSABits: 2048}, "", false},
		{testca.Options{CN: "d", Curve: elliptic.P224()}, "a 224-bit EC key", false},
		{testca.Options{CN: "e"}, "", false},
	} {
		desc, blocked := certutil.KeyWeakness(testca.New(tc.o, nil).Cert)
		if desc != tc.desc || blocked != tc.blocked {
			t.Errorf("%s: got %q blocked=%v, want %q blocked=%v", tc.o.CN, desc, blocked, tc.desc, tc.blocked)
		}
	}
}

// TestSelfSigned: issuer == subject and a signature that verifies or cannot
// be checked; a broken one is not, a re-keyed same-name CA is not.
func TestSelfSigned(t *testing.T) {
	root := testca.Root("Self Root CA")
	if !certutil.IsSelfSigned(root.Cert) || !certutil.SelfSignatureVerifies(root.Cert) {
		t.Error("a root is self-signed")
	}
	broken := testca.Rewrite(root, nil, testca.RewriteOptions{BadSignature: true}, nil).Cert
	if certutil.IsSelfSigned(broken) {
		t.Error("a root whose self-signature does not verify is not self-signed by signature")
	}
	other := testca.Root("Self Root CA")
	rekeyed := testca.New(testca.Options{CN: "Self Root CA", IsCA: true, Key: other.Key}, root)
	if certutil.IsSelfSigned(rekeyed.Cert) {
		t.Error("a certificate signed by another key of the same name is not self-signed")
	}
}

package rootstore_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/rootstore"
	"go.mozilla.org/pkcs7"
)

// badCert is a DER SEQUENCE that is not a certificate.
var badCert = []byte{0x30, 0x03, 0x02, 0x01, 0x05}

// TestOddStoreFiles loads store files that are a bit odd (issue 10): each
// still loads, and what is skipped is a warning naming file, position and
// reason.
func TestOddStoreFiles(t *testing.T) {
	a, b := testca.Root("Odd A"), testca.Root("Odd B")
	dir := t.TempDir()
	p7, err := pkcs7.DegenerateCertificate(bytes.Join([][]byte{a.Cert.Raw, badCert, b.Cert.Raw}, nil))
	if err != nil {
		t.Fatal(err)
	}
	good, err := pkcs7.DegenerateCertificate(bytes.Join([][]byte{a.Cert.Raw, b.Cert.Raw}, nil))
	if err != nil {
		t.Fatal(err)
	}
	preamble := "Certificate:\n    Data:\n" + strings.Repeat("        00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:\n", 200)
	for _, tc := range []struct {
		name, data string
		want       []string
		warn       string
	}{
		{"text.pem", preamble + string(testca.PEM(a.Cert)), []string{"Odd A"}, ""},
		{"two.cer", string(a.Cert.Raw) + string(badCert) + string(b.Cert.Raw), []string{"Odd A", "Odd B"}, "two.cer: certificate 2: x509: malformed tbs certificate: skipped"},
		{"tail.cer", string(a.Cert.Raw) + "\r\n", []string{"Odd A"}, "tail.cer: 2 bytes after certificate 1: not a DER sequence: skipped"},
		{"one-bad.p7b", string(p7), []string{"Odd A", "Odd B"}, "one-bad.p7b: certificate 2: x509: malformed tbs certificate: skipped"},
		// BER is read all or nothing (go.mozilla.org/pkcs7).
		{"ber.p7b", string(ber(t, good)), []string{"Odd A", "Odd B"}, ""},
	} {
		p := write(t, dir, tc.name, []byte(tc.data))
		s, err := rootstore.Load(p)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if diff := cmp.Diff(tc.want, subjects(s.Roots)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
		got := strings.Join(s.Warnings, "\n")
		if tc.warn == "" && got != "" || tc.warn != "" && !strings.Contains(got, filepath.Join(dir, tc.warn)) {
			t.Errorf("%s: warnings %q, want %q", tc.name, got, tc.warn)
		}
	}
}

// ber rewrites the outer SEQUENCE of a DER PKCS#7 with an indefinite
// length, as BER encoders write it.
func ber(t *testing.T, der []byte) []byte {
	t.Helper()
	if der[0] != 0x30 || der[1]&0x80 == 0 {
		t.Fatalf("unexpected DER header % x", der[:4])
	}
	hdr := 2 + int(der[1]&0x7f)
	out := append([]byte{0x30, 0x80}, der[hdr:]...)
	return append(out, 0, 0)
}

// TestEmptyPKCS7 reads an empty PKCS#7, as openssl crl2pkcs7 -nocrl writes
// it without -certfile: a clear "holds no certificate", not "not PKCS#7".
func TestEmptyPKCS7(t *testing.T) {
	dir := t.TempDir()
	p7, err := pkcs7.DegenerateCertificate(nil)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"empty.p7b": p7}
	if openssl, err := exec.LookPath("openssl"); err == nil {
		out := filepath.Join(dir, "openssl-empty.p7b")
		if b, err := exec.Command(openssl, "crl2pkcs7", "-nocrl", "-outform", "DER", "-out", out).CombinedOutput(); err != nil {
			t.Fatalf("openssl: %v\n%s", err, b)
		}
		data, _ := os.ReadFile(out)
		files["openssl-empty.p7b"] = data
	} else {
		testtool.Require(t, "openssl", "apt-get install openssl")
	}
	for name, data := range files {
		p := write(t, dir, name, data)
		_, err := rootstore.Load(p)
		if err == nil || err.Error() != "rootstore: "+p+": PKCS#7 holds no certificate" {
			t.Errorf("%s: got %v", name, err)
		}
	}
}

// TestOpenSSLTextOutput loads what "openssl x509 -text" writes: the
// certificate dump, then the PEM block.
func TestOpenSSLTextOutput(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	var names []string
	for i := 0; i < 200; i++ {
		names = append(names, fmt.Sprintf("host%03d.contoso.test", i))
	}
	a := testca.New(testca.Options{CN: "Text Root", IsCA: true, DNSNames: names}, nil)
	dir := t.TempDir()
	in := write(t, dir, "in.pem", testca.PEM(a.Cert))
	out := filepath.Join(dir, "text.pem")
	if b, err := exec.Command(openssl, "x509", "-in", in, "-text", "-out", out).CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, b)
	}
	data, _ := os.ReadFile(out)
	if i := bytes.Index(data, []byte("-----BEGIN")); i < 4096 {
		t.Fatalf("the text preamble is only %d bytes: the test needs a longer one", i)
	}
	s, err := rootstore.Load(out)
	if err != nil || len(s.Roots) != 1 || !s.Roots[0].Cert.Equal(a.Cert) {
		t.Errorf("got %v, %v", s, err)
	}
}

// TestEndlessFile: /dev/zero as a store is an error at the size limit, not
// memory exhaustion.
func TestEndlessFile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero")
	}
	_, err := rootstore.Load("/dev/zero")
	if err == nil || err.Error() != "rootstore: /dev/zero: larger than 64 MiB: not a certificate store file" {
		t.Errorf("got %v", err)
	}
}

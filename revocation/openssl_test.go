package revocation

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testtool"
)

// opensslConf is the configuration of the openssl-built CA: its database
// in DIR, leaves with a CDP and an OCSP URL (ext_ocsp) or a CDP only
// (ext_crl), and a delegated OCSP signer.
const opensslConf = `
[ ca ]
default_ca = testca
[ testca ]
dir = DIR
database = $dir/index.txt
new_certs_dir = $dir/newcerts
serial = $dir/serial
crlnumber = $dir/crlnumber
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
default_days = 10
default_crl_days = 7
policy = policy_any
unique_subject = no
copy_extensions = none
[ policy_any ]
commonName = supplied
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ ext_ocsp ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
crlDistributionPoints = URI:http://pki.test/ca.crl
authorityInfoAccess = OCSP;URI:http://pki.test/ocsp
[ ext_crl ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
crlDistributionPoints = URI:http://pki.test/ca.crl
[ ext_signer ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = OCSPSigning
`

// TestOpenSSLCA checks trustgap against a CA run by openssl: certificates
// issued and revoked with "openssl ca", its CRL from "openssl ca -gencrl",
// and "openssl ocsp -index" as the OCSP responder (behind a loopback HTTP
// server: openssl's own listener binds every interface). "openssl verify
// -crl_check" and "openssl ocsp" as a client are the oracles on the same
// files and the same responder.
func TestOpenSSLCA(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	dir := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(openssl, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("openssl.cnf", strings.Replace(opensslConf, "DIR", dir, 1))
	write("index.txt", "")
	write("serial", "1000\n")
	write("crlnumber", "1000\n")
	if err := os.Mkdir(filepath.Join(dir, "newcerts"), 0o700); err != nil {
		t.Fatal(err)
	}
	ec := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"}
	run(append([]string{"req", "-config", "openssl.cnf", "-x509", "-new", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=OpenSSL Test CA", "-days", "30", "-extensions", "v3_ca"}, ec...)...)
	issue := func(name, ext string) {
		run(append([]string{"req", "-config", "openssl.cnf", "-new", "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + name + ".test"}, ec...)...)
		run("ca", "-batch", "-config", "openssl.cnf", "-extensions", ext, "-in", name+".csr", "-out", name+".pem", "-notext")
	}
	leaves := map[string]string{"good-ocsp": "good/ocsp", "revoked-ocsp": "revoked/ocsp", "good-crl": "good/crl", "revoked-crl": "revoked/crl"}
	for name := range leaves {
		ext := "ext_crl"
		if strings.HasSuffix(name, "-ocsp") {
			ext = "ext_ocsp"
		}
		issue(name, ext)
	}
	issue("signer", "ext_signer")
	run("ca", "-config", "openssl.cnf", "-revoke", "revoked-ocsp.pem", "-crl_reason", "keyCompromise")
	run("ca", "-config", "openssl.cnf", "-revoke", "revoked-crl.pem", "-crl_reason", "superseded")
	run("ca", "-config", "openssl.cnf", "-gencrl", "-out", "ca.crl.pem")
	run("crl", "-in", "ca.crl.pem", "-outform", "DER", "-out", "ca.crl")

	r := newRig(t)
	crl, err := os.ReadFile(filepath.Join(dir, "ca.crl"))
	if err != nil {
		t.Fatal(err)
	}
	r.file("/ca.crl", crl)
	r.handle("/ocsp", opensslResponder(t, openssl, dir))
	ca := readCert(t, filepath.Join(dir, "ca.pem"))
	c := New(r.fetcher, Soft, time.Now())
	for name, want := range leaves {
		t.Run(name, func(t *testing.T) {
			leaf := readCert(t, filepath.Join(dir, name+".pem"))
			p := &chain.Path{Links: []chain.Link{{Cert: leaf}, {Cert: ca}}, Complete: true, Anchored: true}
			codes := check(t, c, p)
			if s := statuses(p); s != want+" not-checked" {
				t.Errorf("statuses %q, want %q", s, want+" not-checked")
			}
			wantCodes := ""
			if strings.HasPrefix(want, "revoked") {
				wantCodes = "revoked/error"
			}
			if codes != wantCodes {
				t.Errorf("findings %q, want %q", codes, wantCodes)
			}
			revoked := strings.HasPrefix(name, "revoked")
			// Oracle 1: openssl verify with the CA's CRL.
			cmd := exec.Command(openssl, "verify", "-crl_check", "-CAfile", "ca.pem", "-CRLfile", "ca.crl.pem", name+".pem")
			cmd.Dir = dir
			out, err := cmd.CombinedOutput()
			if revoked != strings.Contains(string(out), "certificate revoked") || !revoked && err != nil {
				t.Errorf("openssl verify -crl_check disagrees:\n%s", out)
			}
			// Oracle 2: openssl ocsp as a client of the same responder.
			if strings.HasSuffix(name, "-ocsp") {
				cmd := exec.Command(openssl, "ocsp", "-issuer", "ca.pem", "-cert", name+".pem", "-CAfile", "ca.pem",
					"-url", "http://"+r.srv.Addr+"/ocsp", "-timeout", "5")
				cmd.Dir = dir
				out, err := cmd.CombinedOutput()
				wantStatus := name + ".pem: good"
				if revoked {
					wantStatus = name + ".pem: revoked"
				}
				if err != nil || !strings.Contains(string(out), wantStatus) || !strings.Contains(string(out), "Response verify OK") {
					t.Errorf("openssl ocsp disagrees (%v):\n%s", err, out)
				}
			}
		})
	}
	if r.count("/ocsp") == 0 {
		t.Error("the OCSP responder was never asked")
	}
}

// opensslResponder answers each OCSP POST by running "openssl ocsp -index"
// on the CA's database, signed by the delegated signer.
func opensslResponder(t *testing.T, openssl, dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<16))
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		f, err := os.CreateTemp(dir, "req-*.der")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		f.Write(body)
		f.Close()
		respFile := f.Name() + ".resp"
		ctx, cancel := context.WithTimeout(req.Context(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, openssl, "ocsp", "-index", "index.txt", "-CA", "ca.pem", "-rsigner", "signer.pem", "-rkey", "signer.key",
			"-reqin", f.Name(), "-respout", respFile, "-ndays", "1")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("openssl ocsp responder: %v\n%s", err, out)
			http.Error(w, "responder failed", 500)
			return
		}
		resp, err := os.ReadFile(respFile)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	})
}

func readCert(t *testing.T, name string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatalf("%s: no PEM", name)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

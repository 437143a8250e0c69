package main

// End-to-end tests of the path rules (issue 9): trustgap scan, as built,
// against TLS servers on loopback, with the report read back as JSON and
// the bundle read from disk. This test binary runs with package main's
// //go:debug settings (negative serial numbers parse).

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/cmd"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
	"go.mozilla.org/pkcs7"
)

// e2e is one scan's inputs: servers on loopback and files in a folder.
type e2e struct {
	t    *testing.T
	dir  string
	args []string // --resolve pins
}

func newE2E(t *testing.T) *e2e { return &e2e{t: t, dir: t.TempDir()} }

// serve starts a TLS server for name:443 presenting leaf and chain.
func (e *e2e) serve(name string, leaf *testca.Cert, chain ...*x509.Certificate) {
	s := lab.TLS(testca.TLSCert(leaf, chain...), lab.TLSOptions{})
	e.t.Cleanup(s.Close)
	_, port, _ := net.SplitHostPort(s.Addr)
	e.args = append(e.args, "--resolve", name+":"+port+":127.0.0.1")
}

// target is name:port of a server started by serve.
func (e *e2e) target(name string) string {
	for i := 0; i+1 < len(e.args); i += 2 {
		if p := e.args[i+1]; strings.HasPrefix(p, name+":") {
			parts := strings.Split(p, ":")
			return name + ":" + parts[1]
		}
	}
	e.t.Fatalf("no server for %s", name)
	return ""
}

// file writes data into the folder and returns its path.
func (e *e2e) file(name string, data []byte) string {
	p := filepath.Join(e.dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// pol writes a Registry.pol deploying certificates to the named stores.
func (e *e2e) pol(name string, stores map[string][]*x509.Certificate) string {
	var entries []winfmt.PolEntry
	for store, certs := range stores {
		for _, c := range certs {
			entries = append(entries, winfmt.PolEntry{Key: winfmt.PolicyKey + `\` + store + `\Certificates\` + certutil.Thumbprint(c), Value: "Blob", Type: winfmt.RegBinary, Data: winfmt.EncodeBlob(c.Raw)})
		}
	}
	b, err := winfmt.EncodePol(entries)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.file(name, b)
}

// scan runs trustgap scan with the pins, --no-aia unless aia, at
// testca.Epoch, in JSON, and returns the exit code, the targets and stderr.
func (e *e2e) scan(args ...string) (int, []report.Target, string) {
	e.t.Helper()
	ios, _, out, errb := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return testca.Epoch }, Version: "e2e"}
	// Revocation is issue 12's and tested there: these lab CAs publish no
	// CRL, which would add no-revocation-info to every target.
	all := append(append([]string{"scan", "--format", "json", "--timeout", "5s", "--revocation", "off"}, e.args...), args...)
	code := cmd.Run(context.Background(), f, all)
	var ts []report.Target
	if out.Len() > 0 {
		if err := report.Read(bytes.NewReader(out.Bytes()), "stdout", func(tr *report.Target) error { ts = append(ts, *tr); return nil }); err != nil {
			e.t.Fatalf("%v\nstderr: %s", err, errb)
		}
	}
	return code, ts, errb.String()
}

func findingCodes(tr report.Target) string {
	var cs []string
	for _, f := range tr.Findings {
		cs = append(cs, f.Code+"/"+string(f.Severity))
	}
	return strings.Join(cs, " ")
}

func wantTarget(t *testing.T, tr report.Target, codes string, trusted bool) {
	t.Helper()
	if got := findingCodes(tr); got != codes || tr.Trusted != trusted {
		t.Errorf("%s: findings %q trusted %v, want %q trusted %v", tr.Target, got, tr.Trusted, codes, trusted)
		for _, f := range tr.Findings {
			t.Logf("  %s: %s\n    fix: %s", f.Code, f.Message, f.Fix)
		}
	}
}

func findingOf(t *testing.T, tr report.Target, code string) report.Target {
	t.Helper()
	for _, f := range tr.Findings {
		if f.Code == code {
			return report.Target{Findings: append(tr.Findings[:0:0], f)}
		}
	}
	t.Fatalf("%s: no %s in %q", tr.Target, code, findingCodes(tr))
	return report.Target{}
}

// manifest reads a bundle's manifest.json.
func manifest(t *testing.T, dir string) remediate.Manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m remediate.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func bundleHas(m remediate.Manifest, c *x509.Certificate, store remediate.Store) bool {
	for _, mc := range m.Certificates {
		if mc.SHA1 == certutil.SHA1Hex(c) && mc.Store == store {
			return true
		}
	}
	return false
}

type pki struct{ root, inter *testca.Cert }

func newPKI(name string) pki {
	root := testca.Root(name + " Root CA")
	return pki{root, testca.Intermediate(name+" Issuing CA", root)}
}

func leafFor(name string, issuer *testca.Cert, mod func(*testca.Options)) *testca.Cert {
	o := testca.Options{CN: name, DNSNames: []string{name}}
	if mod != nil {
		mod(&o)
	}
	return testca.New(o, issuer)
}

// TestE2ERules: a client-authentication-only leaf, a pathLen violation and a
// name-constraint violation, each against a root the client store holds.
func TestE2ERules(t *testing.T) {
	p := newPKI("Contoso")
	e := newE2E(t)
	e.serve("eku.contoso.test", leafFor("eku.contoso.test", p.inter, func(o *testca.Options) { o.EKU = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }), p.inter.Cert)
	policy := testca.New(testca.Options{CN: "Contoso Policy CA", IsCA: true, PathLenZero: true}, p.root)
	issuing := testca.Intermediate("Contoso Issuing CA 2", policy)
	e.serve("pathlen.contoso.test", leafFor("pathlen.contoso.test", issuing, nil), issuing.Cert, policy.Cert)
	constrained := testca.New(testca.Options{CN: "Contoso Constrained CA", IsCA: true, PermittedDNS: []string{"contoso.test"}}, p.root)
	e.serve("mail.fabrikam.test", leafFor("mail.fabrikam.test", constrained, nil), constrained.Cert)
	e.serve("ok.contoso.test", leafFor("ok.contoso.test", p.inter, nil), p.inter.Cert)
	roots := e.file("roots.pem", testca.PEM(p.root.Cert))

	code, ts, stderr := e.scan("--roots", roots, "--no-aia", e.target("eku.contoso.test"), e.target("pathlen.contoso.test"), e.target("mail.fabrikam.test"), e.target("ok.contoso.test"))
	if code != 1 || len(ts) != 4 {
		t.Fatalf("exit %d with %d targets, want 1 and 4\n%s", code, len(ts), stderr)
	}
	wantTarget(t, ts[0], "no-server-auth/error", false)
	wantTarget(t, ts[1], "path-length/error", false)
	wantTarget(t, ts[2], "name-constraints/error", false)
	wantTarget(t, ts[3], "", true)
	if f := findingOf(t, ts[0], "no-server-auth").Findings[0]; !strings.Contains(f.Fix, "Server Authentication (1.3.6.1.5.5.7.3.1)") {
		t.Errorf("fix: %s", f.Fix)
	}
}

// TestE2ERenewedCASentExpired: the server still sends the expired copy of
// its renewed CA; AIA serves the current one.
func TestE2ERenewedCASentExpired(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	oldCA := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, NotBefore: testca.Epoch.AddDate(-5, 0, 0), NotAfter: testca.Epoch.AddDate(0, -1, 0)}, root)
	newCA := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, Key: oldCA.Key}, root)
	srv := lab.Files(map[string][]byte{"/issuing.crt": newCA.Cert.Raw})
	t.Cleanup(srv.Close)
	_, srvPort, _ := net.SplitHostPort(srv.Addr)
	aiaURL := "http://pki.contoso.test:" + srvPort + "/issuing.crt"
	leaf := leafFor("mail.contoso.test", newCA, func(o *testca.Options) { o.IssuingURL = aiaURL })
	e := newE2E(t)
	e.serve("mail.contoso.test", leaf, oldCA.Cert)
	e.args = append(e.args, "--resolve", "pki.contoso.test:"+srvPort+":127.0.0.1")
	roots := e.file("roots.pem", testca.PEM(root.Cert))
	code, ts, stderr := e.scan("--roots", roots, e.target("mail.contoso.test"))
	if code != 0 || len(ts) != 1 {
		t.Fatalf("exit %d, want 0 (a warning only)\n%s", code, stderr)
	}
	wantTarget(t, ts[0], "expired-ca-sent/warning", true)
	f := findingOf(t, ts[0], "expired-ca-sent").Findings[0]
	if !strings.Contains(f.Fix, "replace the expired CA certificate on the server with the current one (SHA-1 "+certutil.Thumbprint(newCA.Cert)) {
		t.Errorf("fix: %s", f.Fix)
	}
	if ts[0].Chain[1].Source != report.SourceAIA || ts[0].Chain[1].SHA1 != certutil.SHA1Hex(newCA.Cert) {
		t.Errorf("the chain should use the current copy from AIA: %+v", ts[0].Chain[1].Identity)
	}
}

// TestE2ELyncRootBundled: the Lync pool's root is not in the store given;
// both targets count as trusted (lync-root-assumed), and the bundle carries
// the root, saying why. --no-lync-assumption makes both untrusted.
func TestE2ELyncRootBundled(t *testing.T) {
	p := newPKI("Contoso")
	other := testca.Root("Public Root CA")
	e := newE2E(t)
	e.serve("pool.contoso.test", leafFor("pool.contoso.test", p.inter, nil), p.inter.Cert, p.root.Cert)
	e.serve("mail.contoso.test", leafFor("mail.contoso.test", p.inter, nil), p.inter.Cert)
	roots := e.file("roots.pem", testca.PEM(other.Cert))
	out := filepath.Join(e.dir, "bundle")
	code, ts, stderr := e.scan("--roots", roots, "--no-aia", "--bundle", out, "lync "+e.target("pool.contoso.test"), "ews "+e.target("mail.contoso.test"))
	if code != 0 || len(ts) != 2 {
		t.Fatalf("exit %d, want 0\n%s", code, stderr)
	}
	wantTarget(t, ts[0], "lync-root-assumed/info root-presented/info", true) // the pool sends its root
	wantTarget(t, ts[1], "lync-root-assumed/info", true)
	m := manifest(t, out)
	if !bundleHas(m, p.root.Cert, remediate.StoreRoot) || len(m.Certificates) != 1 {
		t.Errorf("the bundle should hold the Lync root alone: %+v", m.Certificates)
	}
	instr, _ := os.ReadFile(filepath.Join(out, "INSTRUCTIONS.md"))
	if !strings.Contains(string(instr), "### Roots here only because of the Lync assumption\n") || !strings.Contains(string(instr), "| CN=Contoso Root CA | "+certutil.Thumbprint(p.root.Cert)+" |") {
		t.Errorf("INSTRUCTIONS.md should list the root kept only for the Lync assumption:\n%s", instr)
	}

	out2 := filepath.Join(e.dir, "bundle2")
	code, ts, _ = e.scan("--roots", roots, "--no-aia", "--no-lync-assumption", "--bundle", out2, "lync "+e.target("pool.contoso.test"), "ews "+e.target("mail.contoso.test"))
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	wantTarget(t, ts[0], "untrusted-root/error root-presented/info", false)
	wantTarget(t, ts[1], "untrusted-root/error", false)
	instr, _ = os.ReadFile(filepath.Join(out2, "INSTRUCTIONS.md"))
	if !bundleHas(manifest(t, out2), p.root.Cert, remediate.StoreRoot) || strings.Contains(string(instr), "Lync assumption") {
		t.Error("without the assumption the root is bundled as untrusted-root, not under the Lync assumption")
	}
}

// TestE2EDisallowedNeverBundled: an asserted Lync pool whose intermediate
// is in the client's Disallowed store: nothing is trusted, and the bundle
// deploys nothing for either target (not even the root the Lync assumption
// would have counted), saying why on standard error. A target whose leaf
// does not cover its name still gets its root, listed as still to fix.
func TestE2EDisallowedNeverBundled(t *testing.T) {
	p := newPKI("Contoso")
	x := newPKI("Fabrikam")
	e := newE2E(t)
	e.serve("pool.contoso.test", leafFor("pool.contoso.test", p.inter, nil), p.inter.Cert, p.root.Cert)
	e.serve("mail.contoso.test", leafFor("mail.contoso.test", p.inter, nil), p.inter.Cert)
	e.serve("web.fabrikam.test", leafFor("other.fabrikam.test", x.inter, nil), x.inter.Cert, x.root.Cert)
	roots := e.file("roots.pem", testca.PEM(testca.Root("Public Root CA").Cert))
	distrust := e.file("distrust.pem", testca.PEM(p.inter.Cert))
	out := filepath.Join(e.dir, "bundle")
	code, ts, stderr := e.scan("--roots", roots, "--roots", "disallowed:"+distrust, "--no-aia", "--bundle", out,
		"lync "+e.target("pool.contoso.test"), "ews "+e.target("mail.contoso.test"), "ews "+e.target("web.fabrikam.test"))
	if code != 1 || len(ts) != 3 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	for _, tr := range ts[:2] {
		if tr.Trusted || strings.Contains(findingCodes(tr), "lync-root-assumed") || !strings.Contains(findingCodes(tr), "disallowed/error") {
			t.Errorf("%s: trusted %v, findings %s", tr.Target, tr.Trusted, findingCodes(tr))
		}
		if !strings.Contains(stderr, tr.Target+" left out of the bundle: its chain has problems in the CA hierarchy that no deployment fixes (disallowed)") {
			t.Errorf("no warning that %s is left out:\n%s", tr.Target, stderr)
		}
	}
	m := manifest(t, out)
	if bundleHas(m, p.root.Cert, remediate.StoreRoot) || !bundleHas(m, x.root.Cert, remediate.StoreRoot) || len(m.Certificates) != 1 {
		t.Errorf("the bundle should hold Fabrikam's root alone: %+v", m.Certificates)
	}
	instr, _ := os.ReadFile(filepath.Join(out, "INSTRUCTIONS.md"))
	for _, want := range []string{
		"### Still to fix on the server", "| " + ts[2].Target + " | ews | name-mismatch |",
		"### Left out: problems in the CA hierarchy", "| " + ts[1].Target + " | ews | disallowed |",
	} {
		if !strings.Contains(string(instr), want) {
			t.Errorf("INSTRUCTIONS.md lacks %q:\n%s", want, instr)
		}
	}
}

// TestE2EGPOStores: a Registry.pol as the client store: its CA store
// completes a chain the server sends without its intermediate, its
// Disallowed store makes a chain untrusted; a "disallowed:" prefix does the
// same for a PEM file.
func TestE2EGPOStores(t *testing.T) {
	p := newPKI("Contoso")
	bad := newPKI("Compromised")
	e := newE2E(t)
	e.serve("mail.contoso.test", leafFor("mail.contoso.test", p.inter, nil)) // no intermediate sent
	e.serve("shop.contoso.test", leafFor("shop.contoso.test", bad.inter, nil), bad.inter.Cert)
	gpo := e.pol("Registry.pol", map[string][]*x509.Certificate{
		"Root": {p.root.Cert, bad.root.Cert}, "CA": {p.inter.Cert}, "Disallowed": {bad.inter.Cert},
	})
	code, ts, stderr := e.scan("--roots", gpo, "--no-aia", e.target("mail.contoso.test"), e.target("shop.contoso.test"))
	if code != 1 || len(ts) != 2 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	wantTarget(t, ts[0], "incomplete-chain/info", true)
	if ts[0].Chain[1].Source != report.SourceStore {
		t.Errorf("the intermediate should come from the GPO's CA store, got %s", ts[0].Chain[1].Source)
	}
	wantTarget(t, ts[1], "disallowed/error", false)

	roots := e.file("roots.pem", testca.PEM(p.root.Cert, bad.root.Cert))
	distrust := e.file("distrust.pem", testca.PEM(bad.inter.Cert))
	_, ts, _ = e.scan("--roots", roots, "--roots", "disallowed:"+distrust, "--no-aia", e.target("shop.contoso.test"))
	wantTarget(t, ts[0], "disallowed/error", false)
}

// TestE2EIssuers: the root is missing everywhere; the finding says to give
// it with --issuers, and with --issuers the chain completes to it (untrusted,
// as clients lack it) and the bundle holds it. An intermediate only
// --issuers has goes into the bundle's Intermediate store.
func TestE2EIssuers(t *testing.T) {
	offline := testca.New(testca.Options{CN: "Contoso Offline Root CA", IsCA: true}, nil)
	issuing := testca.Intermediate("Contoso Issuing CA", offline)
	e := newE2E(t)
	e.serve("mail.contoso.test", leafFor("mail.contoso.test", issuing, nil), issuing.Cert)
	e.serve("lean.contoso.test", leafFor("lean.contoso.test", issuing, nil))
	mozilla := "mozilla"

	_, ts, _ := e.scan("--roots", mozilla, "--no-aia", e.target("mail.contoso.test"))
	wantTarget(t, ts[0], "incomplete-chain/error", false)
	if f := findingOf(t, ts[0], "incomplete-chain").Findings[0]; !strings.Contains(f.Fix, `give the certificate of "CN=Contoso Offline Root CA" with --issuers FILE`) {
		t.Errorf("fix: %s", f.Fix)
	}

	issuers := e.file("pki.p7b", mustP7B(t, offline.Cert, issuing.Cert))
	out := filepath.Join(e.dir, "bundle")
	code, ts, stderr := e.scan("--roots", mozilla, "--no-aia", "--issuers", issuers, "--bundle", out, e.target("mail.contoso.test"), e.target("lean.contoso.test"))
	if code != 1 || len(ts) != 2 {
		t.Fatalf("exit %d, want 1\n%s", code, stderr)
	}
	wantTarget(t, ts[0], "untrusted-root/error", false)
	if ts[0].Root == nil || ts[0].Root.Source != report.SourceIssuers {
		t.Errorf("the root should come from --issuers: %+v", ts[0].Root)
	}
	wantTarget(t, ts[1], "untrusted-root/error incomplete-chain/error", false)
	m := manifest(t, out)
	if !bundleHas(m, offline.Cert, remediate.StoreRoot) || !bundleHas(m, issuing.Cert, remediate.StoreCA) || len(m.Certificates) != 2 {
		t.Errorf("the bundle should hold the offline root (Root) and the issuing CA (CA): %+v", m.Certificates)
	}
}

func mustP7B(t *testing.T, certs ...*x509.Certificate) []byte {
	t.Helper()
	var ders []byte
	for _, c := range certs {
		ders = append(ders, c.Raw...)
	}
	b, err := pkcs7.DegenerateCertificate(ders)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestE2ENegativeSerial: trustgap (package main) reads a negative serial
// number, as Windows does; the chain is judged like any other.
func TestE2ENegativeSerial(t *testing.T) {
	p := newPKI("Contoso")
	leaf := testca.Rewrite(leafFor("mail.contoso.test", p.inter, nil), p.inter, testca.RewriteOptions{}, func(tbs *testca.TBS) {
		tbs.SerialNumber = new(big.Int).Neg(tbs.SerialNumber)
	})
	if leaf.Cert == nil || leaf.Cert.SerialNumber.Sign() >= 0 {
		t.Fatal("a negative serial number does not parse in package main's test binary: is //go:debug x509negativeserial=1 gone from main.go?")
	}
	e := newE2E(t)
	e.serve("mail.contoso.test", leaf, p.inter.Cert)
	roots := e.file("roots.pem", testca.PEM(p.root.Cert))
	code, ts, stderr := e.scan("--roots", roots, "--no-aia", e.target("mail.contoso.test"))
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	wantTarget(t, ts[0], "", true)
}

package remediate_test

import (
	"bytes"
	"crypto/x509"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/cryptotest"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certfile"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// fixture is a scan's worth of reports: an untrusted Exchange root, an
// AIA-completed intermediate, a self-signed Exchange certificate and a
// trusted target.
type fixture struct {
	exchRoot, exchInter, contosoRoot, contosoInter, selfSigned, leafOK *testca.Cert
	reports                                                            []report.Target
}

func ln(c *x509.Certificate, src chain.Source) chain.Link { return chain.Link{Cert: c, Source: src} }

func targetReport(target string, role target.Role, trusted bool, links []chain.Link, root bool, codes ...string) report.Target {
	tr := report.Target{Role: role, Target: target, Trusted: trusted}
	for _, l := range links {
		tr.Chain = append(tr.Chain, report.NewCert(l.Cert, l.Source))
	}
	if root {
		last := links[len(links)-1]
		tr.Root = &report.Root{Cert: report.NewCert(last.Cert, last.Source)}
	}
	for _, c := range codes {
		tr.Findings = append(tr.Findings, finding.Finding{Code: c, Severity: finding.SevError})
	}
	return tr
}

func newFixture() *fixture {
	f := &fixture{}
	f.exchRoot = testca.New(testca.Options{CN: "Fabrikam Root CA", Org: "Fabrikam", IsCA: true}, nil)
	f.exchInter = testca.Intermediate("Fabrikam Issuing CA", f.exchRoot)
	f.contosoRoot = testca.Root("Contoso Root CA")
	f.contosoInter = testca.Intermediate("Contoso Issuing CA", f.contosoRoot)
	f.selfSigned = testca.New(testca.Options{CN: "EXCH01", DNSNames: []string{"exch01.contoso.test"}}, nil)
	mail := testca.Leaf(f.exchInter, "mail.contoso.test")
	ad := testca.Leaf(f.contosoInter, "autodiscover.contoso.test")
	f.leafOK = testca.Leaf(f.contosoInter, "pool.contoso.test")
	srv, aia, store := chain.FromServer, chain.FromAIA, chain.FromStore
	f.reports = []report.Target{
		targetReport("https://mail.contoso.test/EWS/Exchange.asmx", target.RoleEWS, false,
			[]chain.Link{ln(mail.Cert, srv), ln(f.exchInter.Cert, srv), ln(f.exchRoot.Cert, srv)}, true, "untrusted-root", "different-ca"),
		targetReport("https://autodiscover.contoso.test/autodiscover/autodiscover.xml", target.RoleAutodiscover, true,
			[]chain.Link{ln(ad.Cert, srv), ln(f.contosoInter.Cert, aia), ln(f.contosoRoot.Cert, store)}, true, "incomplete-chain"),
		targetReport("https://exch01.contoso.test/EWS/Exchange.asmx", target.RoleEWS, false,
			[]chain.Link{ln(f.selfSigned.Cert, srv)}, true, "self-signed"),
		targetReport("lync pool.contoso.test", target.RoleLync, true,
			[]chain.Link{ln(f.leafOK.Cert, srv), ln(f.contosoInter.Cert, srv), ln(f.contosoRoot.Cert, store)}, true),
		// A second target on the untrusted root: the root is listed once.
		targetReport("https://mail2.contoso.test/EWS/Exchange.asmx", target.RoleEWS, false,
			[]chain.Link{ln(testca.Leaf(f.exchInter, "mail2.contoso.test").Cert, srv), ln(f.exchInter.Cert, srv), ln(f.exchRoot.Cert, aia)}, true, "untrusted-root"),
	}
	return f
}

func plan(t *testing.T, reports []report.Target, selfSigned bool) *remediate.Plan {
	t.Helper()
	pl := &remediate.Planner{IncludeSelfSigned: selfSigned}
	for i := range reports {
		if err := pl.Add(&reports[i]); err != nil {
			t.Fatal(err)
		}
	}
	return pl.Plan()
}

func storeOf(p *remediate.Plan) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, string(it.Store)+":"+it.Cert.Subject.CommonName)
	}
	return out
}

func TestPlanRules(t *testing.T) {
	f := newFixture()
	p := plan(t, f.reports, false)
	if diff := cmp.Diff([]string{"Root:Fabrikam Root CA", "CA:Contoso Issuing CA"}, storeOf(p)); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
	if len(p.LeftOut) != 1 || !p.LeftOut[0].Cert.Equal(f.selfSigned.Cert) {
		t.Errorf("the self-signed leaf should be left out and listed, got %v", p.LeftOut)
	}
	if got := len(p.Items[0].Reasons); got != 2 {
		t.Errorf("Fabrikam root fixes 2 targets, got %d reasons", got)
	}

	p = plan(t, f.reports, true)
	if diff := cmp.Diff([]string{"Root:EXCH01", "Root:Fabrikam Root CA", "CA:Contoso Issuing CA"}, storeOf(p)); diff != "" {
		t.Errorf("plan with --include-self-signed (-want +got):\n%s", diff)
	}
	if !p.Items[0].SelfSignedLeaf {
		t.Error("EXCH01 should be marked as a self-signed leaf")
	}

	// Trusted targets contribute nothing.
	if p := plan(t, f.reports[3:4], true); !p.Empty() {
		t.Errorf("trusted target gave a plan: %v", storeOf(p))
	}
}

func TestPlanNeverPutsIntermediateInRoot(t *testing.T) {
	f := newFixture()
	// A report claiming an untrusted "root" that is really an intermediate
	// (not self-signed): it must not become a Root entry.
	bad := targetReport("x.test", target.RoleEWS, false,
		[]chain.Link{ln(testca.Leaf(f.exchInter, "x.test").Cert, chain.FromServer), ln(f.exchInter.Cert, chain.FromServer)}, true, "untrusted-root")
	if p := plan(t, []report.Target{bad}, true); !p.Empty() {
		t.Errorf("a non-self-signed certificate was planned: %v", storeOf(p))
	}
	// A self-signed end entity at the top of a longer chain is no root:
	// left out unless self-signed certificates are asked for.
	ee := testca.New(testca.Options{CN: "Not A CA"}, nil)
	odd := targetReport("y.test", target.RoleEWS, false,
		[]chain.Link{ln(testca.Leaf(ee, "y.test").Cert, chain.FromServer), ln(ee.Cert, chain.FromServer)}, true, "untrusted-root")
	if p := plan(t, []report.Target{odd}, false); !p.Empty() || len(p.LeftOut) != 1 {
		t.Errorf("non-CA root: items %v, left out %d", storeOf(p), len(p.LeftOut))
	}
	if p := plan(t, []report.Target{odd}, true); len(p.Items) != 1 || !p.Items[0].EndEntityRoot || p.Items[0].SelfSignedLeaf {
		t.Errorf("non-CA root with --include-self-signed: %v (a self-signed non-CA at the top of a chain, not a server's own certificate)", storeOf(p))
	}
	// A tampered der field is refused.
	bad = f.reports[0]
	bad.Root = &report.Root{Cert: bad.Root.Cert}
	bad.Root.DER = f.contosoRoot.Cert.Raw
	pl := &remediate.Planner{}
	if err := pl.Add(&bad); err == nil || !strings.Contains(err.Error(), "does not match its der field") {
		t.Errorf("tampered report: got %v", err)
	}
}

func render(t *testing.T, p *remediate.Plan) map[string][]byte {
	t.Helper()
	files, err := remediate.Render(p, remediate.Meta{Version: "v1.0.0-test", Time: testca.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, f := range files {
		m[f.Name] = f.Data
	}
	return m
}

func TestRenderDeterministic(t *testing.T) {
	f := newFixture()
	a := render(t, plan(t, f.reports, true))
	rev := append([]report.Target(nil), f.reports...)
	sort.Slice(rev, func(i, j int) bool { return i > j })
	b := render(t, plan(t, rev, true))
	if len(a) != len(b) {
		t.Fatalf("%d files vs %d", len(a), len(b))
	}
	for name, data := range a {
		if !bytes.Equal(data, b[name]) {
			t.Errorf("%s differs between two renders of the same inputs", name)
		}
	}
	// Written twice with --force: byte-identical folders.
	d1, d2 := filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "b")
	files, _ := remediate.Render(plan(t, f.reports, true), remediate.Meta{Version: "v", Time: testca.Epoch})
	if err := remediate.Write(d1, files, false); err != nil {
		t.Fatal(err)
	}
	if err := remediate.Write(d2, files, false); err != nil {
		t.Fatal(err)
	}
	if x, y := readTree(t, d1), readTree(t, d2); !cmp.Equal(x, y) {
		t.Error("two writes of the same bundle differ")
	}
}

func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		if !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func TestBundleLayout(t *testing.T) {
	f := newFixture()
	m := render(t, plan(t, f.reports, false))
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	want := []string{
		"Deploy-Gpo.ps1", "INSTRUCTIONS.md", "Import-Roots.ps1", "Registry.pol",
		"certs/Contoso-Issuing-CA_" + certutil.Thumbprint(f.contosoInter.Cert) + ".cer",
		"certs/Fabrikam-Root-CA_" + certutil.Thumbprint(f.exchRoot.Cert) + ".cer",
		"import-roots.cmd", "intermediates.p7b", "intermediates.sst", "manifest.json", "roots.p7b", "roots.sst",
	}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	for _, script := range []string{"Import-Roots.ps1", "Deploy-Gpo.ps1", "import-roots.cmd", "INSTRUCTIONS.md"} {
		for _, c := range []*x509.Certificate{f.exchRoot.Cert, f.contosoInter.Cert} {
			if !bytes.Contains(m[script], []byte(certutil.Thumbprint(c))) {
				t.Errorf("%s does not name thumbprint %s", script, certutil.Thumbprint(c))
			}
		}
	}
	for name, data := range m {
		if bytes.Contains(data, []byte("PRIVATE KEY")) {
			t.Errorf("%s holds a private key", name)
		}
	}
}

// TestFormatsRoundTrip decodes the bundle's PKCS#7, SST and Registry.pol with
// trustgap's own readers and checks they hold exactly the plan.
func TestFormatsRoundTrip(t *testing.T) {
	f := newFixture()
	p := plan(t, f.reports, false)
	m := render(t, p)
	for file, want := range map[string][]*x509.Certificate{
		"roots.p7b": {f.exchRoot.Cert}, "roots.sst": {f.exchRoot.Cert},
		"intermediates.p7b": {f.contosoInter.Cert}, "intermediates.sst": {f.contosoInter.Cert},
	} {
		d, err := certfile.Decode(m[file])
		if err != nil || len(d.Entries) != len(want) || !d.Entries[0].Cert.Equal(want[0]) {
			t.Errorf("%s: decoded %v (err %v), want %s", file, d, err, want[0].Subject)
		}
	}
	d, err := certfile.Decode(m["Registry.pol"])
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range d.Entries {
		got[e.Store] = e.Cert.Subject.CommonName
	}
	if diff := cmp.Diff(map[string]string{"Root": "Fabrikam Root CA", "CA": "Contoso Issuing CA"}, got); diff != "" {
		t.Errorf("Registry.pol stores (-want +got):\n%s", diff)
	}
	entries, err := winfmt.DecodePol(m["Registry.pol"])
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		keys = append(keys, strings.TrimPrefix(e.Key, winfmt.PolicyKey+`\`)+";"+e.Value)
	}
	wantKeys := []string{
		`CA\Certificates\` + certutil.Thumbprint(f.contosoInter.Cert) + ";Blob", `CA\CRLs;`, `CA\CTLs;`,
		`Root\Certificates\` + certutil.Thumbprint(f.exchRoot.Cert) + ";Blob", `Root\CRLs;`, `Root\CTLs;`,
	}
	if diff := cmp.Diff(wantKeys, keys); diff != "" {
		t.Errorf("Registry.pol entries (-want +got):\n%s", diff)
	}
	if pol, _ := winfmt.EncodePol(entries); !bytes.Equal(pol, m["Registry.pol"]) {
		t.Error("Registry.pol does not re-encode to the same bytes")
	}
}

func TestOpenSSLParsesP7B(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	f := newFixture()
	p := plan(t, f.reports, true)
	dir := t.TempDir()
	if err := remediate.Write(filepath.Join(dir, "b"), mustRender(t, p), false); err != nil {
		t.Fatal(err)
	}
	for file, store := range map[string]remediate.Store{"roots.p7b": remediate.StoreRoot, "intermediates.p7b": remediate.StoreCA} {
		out, err := exec.Command(openssl, "pkcs7", "-inform", "DER", "-in", filepath.Join(dir, "b", file), "-print_certs").CombinedOutput()
		if err != nil {
			t.Fatalf("openssl pkcs7 %s: %v\n%s", file, err, out)
		}
		d, err := certfile.Decode(out)
		if err != nil {
			t.Fatalf("openssl's PEM output for %s: %v", file, err)
		}
		var got, want []string
		for _, e := range d.Entries {
			got = append(got, certutil.Thumbprint(e.Cert))
		}
		for _, it := range p.ByStore(store) {
			want = append(want, it.Thumbprint())
		}
		sort.Strings(got)
		sort.Strings(want)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s per openssl (-want +got):\n%s", file, diff)
		}
	}
}

func mustRender(t *testing.T, p *remediate.Plan) []remediate.File {
	files, err := remediate.Render(p, remediate.Meta{Version: "v", Time: testca.Epoch})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// sambaValidator returns the command that runs testdata/validate_gpo.py,
// trustgap's own check of Registry.pol and SST files with Samba's PReg
// parser (NDR, byte-exact re-pack) and the cryptography package.
func sambaValidator(t *testing.T) func(args ...string) ([]byte, error) {
	t.Helper()
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import samba.dcerpc.preg, cryptography").Run(); err != nil {
		testtool.Missing(t, "/usr/bin/python3 lacks samba or cryptography (apt-get install python3-samba python3-cryptography)")
	}
	script, err := filepath.Abs(filepath.Join("testdata", "validate_gpo.py"))
	if err != nil {
		t.Fatal(err)
	}
	return func(args ...string) ([]byte, error) {
		return exec.Command(py, append([]string{script}, args...)...).CombinedOutput()
	}
}

// TestSambaValidator runs testdata/validate_gpo.py on a bundle's
// Registry.pol and serialized stores.
func TestSambaValidator(t *testing.T) {
	validate := sambaValidator(t)
	f := newFixture()
	dir := filepath.Join(t.TempDir(), "b")
	if err := remediate.Write(dir, mustRender(t, plan(t, f.reports, true)), false); err != nil {
		t.Fatal(err)
	}
	for _, sst := range []string{"roots.sst", "intermediates.sst"} {
		out, err := validate(filepath.Join(dir, "Registry.pol"), filepath.Join(dir, sst))
		if err != nil {
			t.Fatalf("validator on Registry.pol + %s: %v\n%s", sst, err, out)
		}
		if !strings.Contains(string(out), "Registry.pol: 3 certificate Blob(s), 0 error(s)") {
			t.Errorf("validator output:\n%s", out)
		}
	}
	// The validator must catch a corrupted separator: proof it checks.
	pol, _ := os.ReadFile(filepath.Join(dir, "Registry.pol"))
	bad := bytes.Replace(pol, []byte{';', 0, 'B', 0}, []byte{':', 0, 'B', 0}, 1)
	badFile := filepath.Join(t.TempDir(), "Registry.pol")
	os.WriteFile(badFile, bad, 0o644)
	if out, err := validate(badFile); err == nil {
		t.Errorf("validator accepted a corrupted Registry.pol:\n%s", out)
	}
	// And a Root entry that is not self-signed.
	pl := plan(t, f.reports, false)
	for _, it := range pl.Items {
		it.Store = remediate.StoreRoot
	}
	pol, err := remediate.RegistryPol(pl)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(badFile, pol, 0o644)
	if out, err := validate(badFile); err == nil || !strings.Contains(string(out), "not self-signed, in Root") {
		t.Errorf("validator accepted an intermediate in Root: %v\n%s", err, out)
	}
}

// TestSambaValidatorReadsGPMC checks the validator itself on a Registry.pol
// the Group Policy Management Console wrote (the shared real files), and
// that it finds the certificates trustgap's reader finds.
func TestSambaValidatorReadsGPMC(t *testing.T) {
	validate := sambaValidator(t)
	real := testtool.Shared(t, "fixtures/real/nsa-shb-certificates-Registry.pol")
	out, err := validate(real)
	if err != nil || !strings.Contains(string(out), "Registry.pol: 37 certificate Blob(s), 0 error(s)") {
		t.Fatalf("validator on GPMC's Registry.pol: %v\n%s", err, out)
	}
	data, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	d, err := certfile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range d.Entries {
		key := `SystemCertificates\` + e.Store + `\Certificates\` + certutil.Thumbprint(e.Cert) + ";Blob;REG_BINARY"
		if !strings.Contains(string(out), key) {
			t.Errorf("trustgap reads %s, Samba does not list it", key)
		}
	}
	if len(d.Entries) != 37 {
		t.Errorf("trustgap reads %d certificates, Samba 37", len(d.Entries))
	}
}

func TestGolden(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 1) // reproducible keys, serials and signatures
	f := newFixture()
	m := render(t, plan(t, f.reports, true))
	for _, name := range []string{"INSTRUCTIONS.md", "Import-Roots.ps1", "Deploy-Gpo.ps1", "import-roots.cmd", "manifest.json"} {
		golden := filepath.Join("testdata", "golden", name)
		if *update {
			if err := os.WriteFile(golden, m[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./remediate -run Golden -update)", err)
		}
		if diff := cmp.Diff(string(want), string(m[name])); diff != "" {
			t.Errorf("%s (-golden +got):\n%s", name, diff)
		}
	}
}

func TestWriteAtomicAndForce(t *testing.T) {
	f := newFixture()
	files := mustRender(t, plan(t, f.reports, false))
	parent := t.TempDir()
	dir := filepath.Join(parent, "bundle")
	if err := remediate.Write(dir, files, false); err != nil {
		t.Fatal(err)
	}
	old := readTree(t, dir)
	var ee *remediate.ExistsError
	err := remediate.Write(dir, files[:1], false)
	if !errors.As(err, &ee) {
		t.Fatalf("second write without force: %v, want ExistsError", err)
	}
	if !cmp.Equal(old, readTree(t, dir)) {
		t.Error("a refused write changed the old bundle")
	}
	if err := remediate.Write(dir, files[:1], true); err != nil {
		t.Fatal(err)
	}
	if got := readTree(t, dir); len(got) != 1 {
		t.Errorf("--force should replace the bundle whole, got %d files", len(got))
	}
	// A failing write (a file where a folder must go) leaves nothing behind.
	bad := []remediate.File{{Name: "a", Data: []byte("x")}, {Name: "a/b", Data: []byte("y")}}
	if err := remediate.Write(filepath.Join(parent, "new"), bad, false); err == nil {
		t.Fatal("want an error")
	}
	ents, _ := os.ReadDir(parent)
	if len(ents) != 1 {
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("failed write left %v", names)
	}
	// An empty existing folder is fine without force.
	empty := filepath.Join(parent, "empty")
	os.Mkdir(empty, 0o755)
	if err := remediate.Write(empty, files, false); err != nil {
		t.Errorf("empty folder: %v", err)
	}
}

// TestForceReplacesOnlyBundles: --force replaces a folder only when it holds
// a trustgap bundle and nothing else; any other folder is an error naming
// it, and stays as it was (issue 10: nothing of the user's is deleted).
func TestForceReplacesOnlyBundles(t *testing.T) {
	f := newFixture()
	files := mustRender(t, plan(t, f.reports, false))
	parent := t.TempDir()
	bundle := func(name string) string {
		dir := filepath.Join(parent, name)
		if err := remediate.Write(dir, files, false); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"documents", func(dir string) {
			os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
			os.WriteFile(filepath.Join(dir, "thesis.docx"), []byte("mine"), 0o644)
		}, "is not a trustgap bundle (it has no manifest.json)"},
		{"other-manifest", func(dir string) {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(`{"tool":"other","files":[]}`), 0o644)
		}, "its manifest.json is not a trustgap manifest"},
		{"bundle-plus-notes", func(dir string) {
			bundle(filepath.Base(dir))
			os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644)
		}, "it holds notes.txt, which its manifest.json does not list"},
		{"bundle-plus-state", func(dir string) {
			bundle(filepath.Base(dir))
			os.WriteFile(filepath.Join(dir, "Import-Roots.PC01.state"), []byte("added Root X"), 0o644)
		}, "it holds Import-Roots.PC01.state"},
		{"bundle-plus-subfolder", func(dir string) {
			bundle(filepath.Base(dir))
			os.MkdirAll(filepath.Join(dir, "certs", "old"), 0o755)
		}, "it holds certs/old, which"},
		// A file of the bundle the user edited (same size, or not) is
		// theirs now: refused, naming it.
		{"bundle-with-edited-instructions", func(dir string) {
			bundle(filepath.Base(dir))
			p := filepath.Join(dir, "INSTRUCTIONS.md")
			b, _ := os.ReadFile(p)
			b[len(b)-2] ^= 0x20
			os.WriteFile(p, b, 0o644)
		}, "its INSTRUCTIONS.md no longer matches the SHA-256 its manifest.json records: it was changed since trustgap wrote it"},
		{"bundle-with-grown-script", func(dir string) {
			bundle(filepath.Base(dir))
			p := filepath.Join(dir, "Import-Roots.ps1")
			b, _ := os.ReadFile(p)
			os.WriteFile(p, append(b, "# my change\r\n"...), 0o644)
		}, "its Import-Roots.ps1 no longer matches"},
	} {
		dir := filepath.Join(parent, tc.name)
		tc.setup(dir)
		before := readTree(t, dir)
		err := remediate.Write(dir, files, true)
		var ne *remediate.NotBundleError
		if !errors.As(err, &ne) || ne.Dir != dir || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a NotBundleError with %q", tc.name, err, tc.want)
		}
		if !cmp.Equal(before, readTree(t, dir)) {
			t.Errorf("%s: a refused --force changed the folder", tc.name)
		}
	}
	// A bundle trustgap wrote is replaced.
	dir := bundle("ours")
	if err := remediate.Write(dir, files[:1], true); err != nil {
		t.Errorf("replacing a bundle: %v", err)
	}
	if got := readTree(t, dir); len(got) != 1 {
		t.Errorf("the bundle was not replaced whole: %d files", len(got))
	}
}

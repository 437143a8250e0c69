package rootstore_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/rootstore"
	"go.mozilla.org/pkcs7"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Independent test encoders, written from windows-formats.md and not sharing
// code with the production encoders.

func elem(id uint32, v []byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, id)
	b = binary.LittleEndian.AppendUint32(b, 1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}

func testSST(certs ...*x509.Certificate) []byte {
	b := []byte{0, 0, 0, 0, 'C', 'E', 'R', 'T'}
	for _, c := range certs {
		// A friendly-name property before the certificate, as Windows
		// writes it: the reader must skip it.
		b = append(b, elem(11, u16("friendly"))...)
		b = append(b, elem(0x20, c.Raw)...)
	}
	return append(b, make([]byte, 12)...)
}

func u16(s string) []byte {
	var b []byte
	for _, r := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, r)
	}
	return append(b, 0, 0)
}

type polEntry struct {
	key, value string
	typ        uint32
	data       []byte
}

func testPol(entries ...polEntry) []byte {
	b := []byte("PReg\x01\x00\x00\x00")
	for _, e := range entries {
		b = append(b, '[', 0)
		b = append(b, u16(e.key)...)
		b = append(b, ';', 0)
		b = append(b, u16(e.value)...)
		b = append(b, ';', 0)
		b = binary.LittleEndian.AppendUint32(b, e.typ)
		b = append(b, ';', 0)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e.data)))
		b = append(b, ';', 0)
		b = append(b, e.data...)
		b = append(b, ']', 0)
	}
	return b
}

func certEntry(store string, c *x509.Certificate, thumb string) polEntry {
	return polEntry{key: winfmt.PolicyKey + `\` + store + `\Certificates\` + thumb, value: "Blob", typ: 3, data: elem(0x20, c.Raw)}
}

func tp(c *x509.Certificate) string {
	return fmt.Sprintf("%X", sha1sum(c.Raw))
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func subjects(certs []rootstore.Cert) []string {
	var out []string
	for _, c := range certs {
		out = append(out, c.Cert.Subject.CommonName)
	}
	return out
}

func TestLoadFormats(t *testing.T) {
	a, b, c := testca.Root("Root A"), testca.Root("Root B"), testca.Root("Root C")
	inter := testca.Intermediate("Inter A", a)
	dir := t.TempDir()
	p7, err := pkcs7.DegenerateCertificate(append(append([]byte{}, a.Cert.Raw...), b.Cert.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	mixed := append(testca.PEM(a.Cert), []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n")...)
	mixed = append(mixed, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})...)
	mixed = append(mixed, testca.PEM(b.Cert)...)
	hashed := filepath.Join(dir, "hashed")
	os.Mkdir(hashed, 0o755)
	write(t, hashed, "5ed36f99.0", testca.PEM(a.Cert))
	write(t, hashed, "a1b2c3d4.0", testca.PEM(b.Cert))
	write(t, hashed, "README", []byte("not a certificate"))

	for _, tc := range []struct {
		name     string
		data     []byte // written as the file; nil: use path
		path     string
		roots    []string
		inters   []string
		warnings []string
	}{
		{name: "multi.pem", data: testca.PEM(a.Cert, b.Cert, c.Cert), roots: []string{"Root A", "Root B", "Root C"}},
		{name: "mixed.pem", data: mixed, roots: []string{"Root A", "Root B"},
			warnings: []string{`PEM block 2 is "EC PRIVATE KEY", not a certificate: skipped`, "certificate 3: x509: malformed certificate: skipped"}},
		{name: "one.cer", data: a.Cert.Raw, roots: []string{"Root A"}},
		{name: "bundle.p7b", data: p7, roots: []string{"Root A", "Root B"}},
		{name: "bundle-pem.p7b", data: pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7}), roots: []string{"Root A", "Root B"}},
		{name: "client.sst", data: testSST(a.Cert, c.Cert), roots: []string{"Root A", "Root C"}},
		{name: "Registry.pol", data: testPol(
			certEntry("CA", inter.Cert, tp(inter.Cert)),
			polEntry{key: winfmt.PolicyKey + `\CA\CRLs`},
			certEntry("Root", b.Cert, tp(b.Cert)),
			certEntry("Root", c.Cert, tp(a.Cert)), // wrong key name: Windows skips it
			polEntry{key: winfmt.PolicyKey + `\Root\CRLs`},
			polEntry{key: `Software\Policies\Microsoft\Windows\Other`, value: "X", typ: 4, data: []byte{1, 0, 0, 0}},
		), roots: []string{"Root B"}, inters: []string{"Inter A"},
			warnings: []string{"key names thumbprint " + tp(a.Cert) + " but the certificate's is " + tp(c.Cert) + "; Windows ignores it: skipped"}},
		{name: "hashed", path: hashed, roots: []string{"Root A", "Root B"}, warnings: []string{"README: skipped: not PEM, DER"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = write(t, dir, tc.name, tc.data)
			}
			s, err := rootstore.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.roots, subjects(s.Roots)); diff != "" {
				t.Errorf("roots (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.inters, subjects(s.Intermediates)); diff != "" {
				t.Errorf("intermediates (-want +got):\n%s", diff)
			}
			if len(s.Warnings) != len(tc.warnings) {
				t.Fatalf("warnings %q, want %d", s.Warnings, len(tc.warnings))
			}
			for i, w := range tc.warnings {
				if !strings.Contains(s.Warnings[i], w) || !strings.Contains(s.Warnings[i], path) {
					t.Errorf("warning %q should name %s and say %q", s.Warnings[i], path, w)
				}
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ data, want string }{
		{"hello", "not PEM, DER, PKCS#7, a serialized store (.sst) or Registry.pol"},
		{"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "holds no certificate"},
		{"\x00\x00\x00\x00CERT\x20\x00\x00\x00\x01\x00\x00\x00\xff\xff\x00\x00", "serialized store: element 1: element 0x20 claims 65535 bytes"},
		{"PReg\x01\x00\x00\x00[\x00", "reading Registry.pol: entry 1"},
		{"", "not PEM"},
	} {
		p := write(t, dir, "f", []byte(tc.data))
		_, err := rootstore.Load(p)
		var le *rootstore.LoadError
		if err == nil || !strings.Contains(err.Error(), tc.want) || !asLoad(err, &le) || le.Source != p {
			t.Errorf("%q: got %v, want a LoadError naming %s with %q", tc.data, err, p, tc.want)
		}
	}
	if _, err := rootstore.Load(filepath.Join(dir, "missing")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

func asLoad(err error, t **rootstore.LoadError) bool {
	e, ok := err.(*rootstore.LoadError)
	*t = e
	return ok
}

func TestSystemHonoursSSLCertFile(t *testing.T) {
	a, b := testca.Root("Env Root A"), testca.Root("Env Root B")
	dir := t.TempDir()
	t.Setenv("SSL_CERT_FILE", write(t, dir, "bundle.pem", testca.PEM(a.Cert)))
	sub := filepath.Join(dir, "d")
	os.Mkdir(sub, 0o755)
	write(t, sub, "b.pem", testca.PEM(b.Cert))
	t.Setenv("SSL_CERT_DIR", sub)
	s, err := rootstore.Load("system")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"Env Root A", "Env Root B"}, subjects(s.Roots)); diff != "" {
		t.Errorf("system roots (-want +got):\n%s", diff)
	}
}

func TestMozilla(t *testing.T) {
	s, err := rootstore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roots) < 100 {
		t.Fatalf("only %d Mozilla roots", len(s.Roots))
	}
	if !rootstore.IsPublic(s.Roots[0].Cert) {
		t.Error("a Mozilla root is not labelled public")
	}
	if rootstore.IsPublic(testca.Root("Private CA").Cert) {
		t.Error("a private root is labelled public")
	}
}

// TestPublicReissuedRoot labels a public root re-issued (same name and key,
// new serial, validity and name encoding, not byte-identical to the Mozilla
// copy) as public, and a look-alike with another key as private.
func TestPublicReissuedRoot(t *testing.T) {
	s, err := rootstore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	var moz *x509.Certificate
	for _, r := range s.Roots {
		var seq pkix.RDNSequence
		if _, err := asn1.Unmarshal(r.Cert.RawSubject, &seq); err == nil && printableOnly(r.Cert.RawSubject) {
			moz = r.Cert
			break
		}
	}
	if moz == nil {
		t.Fatal("no Mozilla root with a PrintableString subject")
	}
	// The same name, re-encoded as UTF8String.
	var seq pkix.RDNSequence
	asn1.Unmarshal(moz.RawSubject, &seq)
	for _, rdn := range seq {
		for i := range rdn {
			rdn[i].Value = asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagUTF8String, Bytes: []byte(rdn[i].Value.(string))}
		}
	}
	name, err := asn1.Marshal(seq)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(name, moz.RawSubject) {
		t.Fatal("re-encoding left the name's bytes unchanged")
	}
	signer := testca.Root("Some Signer").Key
	reissue := func(pub any) *x509.Certificate {
		tpl := &x509.Certificate{SerialNumber: big.NewInt(4242), RawSubject: name, NotBefore: testca.Epoch, NotAfter: testca.Epoch.AddDate(5, 0, 0),
			IsCA: true, BasicConstraintsValid: true}
		der, err := x509.CreateCertificate(rand.Reader, tpl, &x509.Certificate{RawSubject: name}, pub, signer)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := reissue(moz.PublicKey); !rootstore.IsPublic(c) {
		t.Errorf("re-issued %q (same name and key) is labelled private", c.Subject)
	}
	if c := reissue(signer.Public()); rootstore.IsPublic(c) {
		t.Errorf("a look-alike of %q with another key is labelled public", c.Subject)
	}
}

// printableOnly reports whether every value of a DER name is a
// PrintableString (tag 19).
func printableOnly(raw []byte) bool {
	var seq []asn1.RawValue
	var outer asn1.RawValue
	if _, err := asn1.Unmarshal(raw, &outer); err != nil {
		return false
	}
	for b := outer.Bytes; len(b) > 0; {
		var set asn1.RawValue
		b, _ = asn1.Unmarshal(b, &set)
		var atv struct {
			Type  asn1.ObjectIdentifier
			Value asn1.RawValue
		}
		if _, err := asn1.Unmarshal(set.Bytes, &atv); err != nil {
			return false
		}
		seq = append(seq, atv.Value)
	}
	for _, v := range seq {
		if v.Tag != asn1.TagPrintableString {
			return false
		}
	}
	return len(seq) > 0
}

// TestClientWarning warns, once per store, that "system" is not a Windows
// client's store on any other system, and says how to get one.
func TestClientWarning(t *testing.T) {
	t.Setenv("SSL_CERT_FILE", write(t, t.TempDir(), "bundle.pem", testca.PEM(testca.Root("Env Root").Cert)))
	t.Setenv("SSL_CERT_DIR", "")
	sys, err := rootstore.Load("system")
	if err != nil {
		t.Fatal(err)
	}
	w := sys.ClientWarning("linux")
	// It points at authroot: (the CTL with its certificates), not at a bare
	// SST that keeps the program's retired roots, and says which Windows
	// Export-Certificate needs.
	for _, want := range []string{"linux machine's store, not a Windows client's", "--roots authroot:DIR/authroot.stl+roots.sst",
		"certutil -syncWithWU DIR, then certutil -generateSSTFromWU roots.sst", "roots.sst alone also holds roots the program has disabled",
		"Registry.pol", "Microsoft Serialized Certificate Store (any Windows)",
		"Export-Certificate -Type SST -FilePath client-roots.sst (Export-Certificate needs Windows 8 or Server 2012 and later: PowerShell 3.0's PKI module)"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning lacks %q: %s", want, w)
		}
	}
	if w := sys.ClientWarning("windows"); w != "" {
		t.Errorf("on Windows the system store is a client's: %s", w)
	}
	moz, _ := rootstore.Load("mozilla")
	if w := moz.ClientWarning("linux"); w != "" {
		t.Errorf("no system source, yet: %s", w)
	}
}

// TestOpenSSLFormats loads files written by openssl: a PEM bundle, a DER
// certificate and a PKCS#7 made with crl2pkcs7.
func TestOpenSSLFormats(t *testing.T) {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	a, b := testca.Root("OpenSSL A"), testca.Root("OpenSSL B")
	dir := t.TempDir()
	in := write(t, dir, "in.pem", testca.PEM(a.Cert, b.Cert))
	run := func(args ...string) {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	run("crl2pkcs7", "-nocrl", "-certfile", in, "-outform", "DER", "-out", filepath.Join(dir, "b.p7b"))
	run("x509", "-in", in, "-outform", "DER", "-out", filepath.Join(dir, "a.cer"))
	for file, want := range map[string][]string{"b.p7b": {"OpenSSL A", "OpenSSL B"}, "a.cer": {"OpenSSL A"}} {
		s, err := rootstore.Load(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, subjects(s.Roots)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", file, diff)
		}
	}
}

func auditFixture(t *testing.T) *rootstore.Store {
	t.Helper()
	now := testca.Epoch
	good := testca.New(testca.Options{CN: "Good Root", IsCA: true, RSABits: 2048}, nil)
	inter := testca.Intermediate("Misplaced Issuing CA", good)
	expired := testca.New(testca.Options{CN: "Expired Root", IsCA: true, NotBefore: now.AddDate(-10, 0, 0), NotAfter: now.AddDate(0, 0, -1)}, nil)
	expiring := testca.New(testca.Options{CN: "Expiring Root", IsCA: true, NotAfter: now.Add(30 * 24 * time.Hour)}, nil)
	weak := testca.New(testca.Options{CN: "Weak Root", IsCA: true, RSABits: 1024}, nil)
	leaf := testca.New(testca.Options{CN: "EXCH01", DNSNames: []string{"exch01"}}, nil)
	dup := testca.New(testca.Options{CN: "Good Root", IsCA: true, Key: good.Key}, nil)
	dir := t.TempDir()
	p := write(t, dir, "roots.pem", testca.PEM(good.Cert, inter.Cert, expired.Cert, expiring.Cert, weak.Cert, leaf.Cert, dup.Cert))
	s, err := rootstore.Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func codesOf(rep *rootstore.AuditReport) map[string][]string {
	out := map[string][]string{}
	for _, r := range rep.Roots {
		for _, f := range r.Findings {
			out[f.Code] = append(out[f.Code], strings.TrimPrefix(r.Subject, "CN="))
		}
	}
	for _, f := range rep.Findings {
		out[f.Code] = append(out[f.Code], "store/"+string(f.Severity))
	}
	return out
}

func TestAudit(t *testing.T) {
	rep := rootstore.AuditStore(auditFixture(t), testca.Epoch)
	want := map[string][]string{
		"non-self-signed-root": {"Misplaced Issuing CA"},
		"expired-root":         {"Expired Root"},
		"expiring-root":        {"Expiring Root"},
		"weak-root-key":        {"Weak Root"},
		"not-a-ca":             {"EXCH01"},
		"duplicate-root":       {"Good Root"},
	}
	if diff := cmp.Diff(want, codesOf(rep)); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if rep.Summary.Roots != 7 || rep.Summary.Private != 7 || rep.Summary.Errors != 1 || !rep.Failed() {
		t.Errorf("summary %+v", rep.Summary)
	}
}

// TestAuditIssuerList fills a store past the warning and error thresholds.
func TestAuditIssuerList(t *testing.T) {
	long := strings.Repeat("x", 60)
	var certs []*x509.Certificate
	size := 0
	for i := 0; size <= rootstore.IssuerListLimit; i++ {
		c := testca.New(testca.Options{CN: fmt.Sprintf("Root %03d %s", i, long), Org: long, IsCA: true}, nil).Cert
		certs = append(certs, c)
		size += len(c.RawSubject) + 2
		if len(certs) == 2 {
			s := load(t, certs)
			if got := codesOf(rootstore.AuditStore(s, testca.Epoch)); len(got) != 0 {
				t.Errorf("2 roots: %v", got)
			}
		}
		if size >= rootstore.IssuerListWarn && size-len(c.RawSubject)-2 < rootstore.IssuerListWarn {
			rep := rootstore.AuditStore(load(t, certs), testca.Epoch)
			if diff := cmp.Diff([]string{"store/warning"}, codesOf(rep)["issuer-list-too-large"]); diff != "" {
				t.Errorf("at %d bytes (-want +got):\n%s", size, diff)
			}
		}
	}
	rep := rootstore.AuditStore(load(t, certs), testca.Epoch)
	got := codesOf(rep)
	if diff := cmp.Diff([]string{"store/error"}, got["issuer-list-too-large"]); diff != "" {
		t.Errorf("at %d bytes (-want +got):\n%s", size, diff)
	}
	if rep.Summary.IssuerListBytes != size {
		t.Errorf("issuer list %d, want %d", rep.Summary.IssuerListBytes, size)
	}
	if len(certs) > rootstore.MaxRoots {
		if diff := cmp.Diff([]string{"store/warning"}, got["too-many-roots"]); diff != "" {
			t.Errorf("%d roots (-want +got):\n%s", len(certs), diff)
		}
	}
}

func load(t *testing.T, certs []*x509.Certificate) *rootstore.Store {
	t.Helper()
	s, err := rootstore.Load(write(t, t.TempDir(), "r.pem", testca.PEM(certs...)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuditGolden(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 2)
	s := auditFixture(t)
	for i := range s.Roots {
		s.Roots[i].Source = fmt.Sprintf("roots.pem#%d", i+1) // drop the temporary path
	}
	for i := range s.Sources {
		s.Sources[i].Source = "roots.pem"
	}
	rep := rootstore.AuditStore(s, testca.Epoch)
	for _, format := range []string{"text", "json"} {
		var buf bytes.Buffer
		if err := report.WriteAudit(&buf, rep, format); err != nil {
			t.Fatal(err)
		}
		golden := filepath.Join("testdata", "audit."+format)
		if *update {
			os.WriteFile(golden, buf.Bytes(), 0o644)
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./rootstore -run Golden -update)", err)
		}
		if diff := cmp.Diff(string(want), buf.String()); diff != "" {
			t.Errorf("%s (-golden +got):\n%s", format, diff)
		}
	}
}

func sha1sum(b []byte) [20]byte { return sha1.Sum(b) }

// TestPolStores sorts a Registry.pol's certificates by store: Root as roots,
// CA as intermediates, Disallowed apart, any other store skipped with a
// warning naming it; Sources counts what each source gave.
func TestPolStores(t *testing.T) {
	root, ca, bad, pub := testca.Root("Root A"), testca.Root("Inter B"), testca.Root("Bad C"), testca.Root("Publisher D")
	dir := t.TempDir()
	pol := write(t, dir, "Registry.pol", testPol(
		certEntry("Root", root.Cert, tp(root.Cert)),
		certEntry("CA", ca.Cert, tp(ca.Cert)),
		certEntry("Disallowed", bad.Cert, tp(bad.Cert)),
		certEntry("TrustedPublisher", pub.Cert, tp(pub.Cert)),
	))
	s, err := rootstore.Load(pol)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(subjects(s.Roots), ",") + "|" + strings.Join(subjects(s.Intermediates), ",") + "|" + strings.Join(subjects(s.Disallowed), ","); got != "Root A|Inter B|Bad C" {
		t.Errorf("roots|intermediates|disallowed = %q", got)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `store "TrustedPublisher"`) {
		t.Errorf("warnings %q, want one naming TrustedPublisher", s.Warnings)
	}
	want := rootstore.SourceCount{Source: pol, Roots: 1, Intermediates: 1, Disallowed: 1}
	if len(s.Sources) != 1 || s.Sources[0] != want {
		t.Errorf("sources %+v, want %+v", s.Sources, want)
	}
}

// TestStorePrefixes: a source without store names goes to the store its
// "root:", "ca:" or "disallowed:" prefix names; a Registry.pol keeps its
// own names; roots audit says what it read per store.
func TestStorePrefixes(t *testing.T) {
	a, b := testca.Root("Prefix A"), testca.Root("Prefix B")
	dir := t.TempDir()
	p := write(t, dir, "two.pem", testca.PEM(a.Cert, b.Cert))
	for _, tc := range []struct {
		src     string
		r, i, d int
	}{
		{p, 2, 0, 0}, {"root:" + p, 2, 0, 0}, {"ca:" + p, 0, 2, 0}, {"CA:" + p, 0, 2, 0}, {"disallowed:" + p, 0, 0, 2},
	} {
		s, err := rootstore.Load(tc.src)
		if err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		if len(s.Roots) != tc.r || len(s.Intermediates) != tc.i || len(s.Disallowed) != tc.d {
			t.Errorf("%s: %d roots, %d intermediates, %d disallowed; want %d, %d, %d", tc.src, len(s.Roots), len(s.Intermediates), len(s.Disallowed), tc.r, tc.i, tc.d)
		}
	}
	pol := write(t, dir, "Registry.pol", testPol(certEntry("Root", a.Cert, tp(a.Cert)), certEntry("Disallowed", b.Cert, tp(b.Cert))))
	s, err := rootstore.Load("ca:"+pol, "ca:"+p)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Roots) != 1 || len(s.Disallowed) != 1 || len(s.Intermediates) != 2 {
		t.Errorf("a Registry.pol keeps its store names: %d roots, %d intermediates, %d disallowed", len(s.Roots), len(s.Intermediates), len(s.Disallowed))
	}
	var buf bytes.Buffer
	if err := report.WriteAudit(&buf, rootstore.AuditStore(s, testca.Epoch), "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"read ca:" + pol + ": 1 roots (Root), 0 intermediates (CA), 1 disallowed (Disallowed)\n",
		"read ca:" + p + ": 0 roots (Root), 2 intermediates (CA), 0 disallowed (Disallowed)\n",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("audit text lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestSecondSourceOfDuplicates: a source whose certificates were all
// loaded already (the same roots given twice, mozilla beside a copy of one
// of its roots) is noted with a warning naming it, and loading goes on; an
// empty source stays an error.
func TestSecondSourceOfDuplicates(t *testing.T) {
	dir := t.TempDir()
	a, b := testca.Root("Dup Root A"), testca.Root("Dup Root B")
	both := write(t, dir, "both.pem", testca.PEM(a.Cert, b.Cert))
	one := write(t, dir, "one.pem", testca.PEM(b.Cert))
	s, err := rootstore.Load(both, one)
	if err != nil {
		t.Fatalf("a source of duplicates is no error: %v", err)
	}
	if len(s.Roots) != 2 || len(s.Warnings) != 1 || s.Warnings[0] != one+": every certificate it holds (1) was already loaded from an earlier source: it adds nothing" {
		t.Errorf("roots %d, warnings %q", len(s.Roots), s.Warnings)
	}
	if n := len(s.Sources); n != 2 || s.Sources[1].Source != one || s.Sources[1].Roots != 0 {
		t.Errorf("sources %+v: the second should be counted with 0 roots", s.Sources)
	}
	// The same certificate as an intermediate is no duplicate: it goes to
	// another store.
	if s, err := rootstore.Load(both, "ca:"+one); err != nil || len(s.Intermediates) != 1 || len(s.Warnings) != 0 {
		t.Errorf("ca: copy: %v, %d intermediates, warnings %q", err, len(s.Intermediates), s.Warnings)
	}
	empty := write(t, dir, "empty.pem", []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	if _, err := rootstore.Load(both, empty); err == nil || err.Error() != "rootstore: "+empty+": holds no certificate" {
		t.Errorf("an empty second source: %v, want holds no certificate", err)
	}
}

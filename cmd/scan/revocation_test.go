package scan

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// revLab is a loopback estate for --revocation: mail.contoso.test presents
// a leaf its CA has revoked (on an untrusted root, so there is a bundle to
// write), and lync.contoso.test a leaf whose only CDP is ldap://, on a root
// the store holds. pki.contoso.test serves the CRLs and counts requests.
type revLab struct {
	resolve []string
	targets []target.Target
	roots   string // a PEM file with the lync side's root
	pki     string // the CRL server's base URL
	mu      sync.Mutex
	hits    int
}

func newRevLab(t *testing.T) *revLab {
	l := &revLab{}
	files := map[string][]byte{}
	crlSrv := lab.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.hits++
		b, ok := files[r.URL.Path]
		l.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(crlSrv.Close)
	pki := "http://pki.contoso.test:" + strconv.Itoa(crlSrv.Port)
	l.pki = pki

	root := testca.New(testca.Options{CN: "Fabrikam Root CA", IsCA: true}, nil)
	inter := testca.New(testca.Options{CN: "Fabrikam Issuing CA", IsCA: true, CRLURLs: []string{pki + "/root.crl"}}, root)
	mail := testca.New(testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test"}, CRLURLs: []string{pki + "/inter.crl"}}, inter)
	l.mu.Lock()
	files["/root.crl"] = testca.CRL(root, testca.CRLOptions{})
	files["/inter.crl"] = testca.CRL(inter, testca.CRLOptions{Revoked: []testca.Revoked{{Serial: mail.Cert.SerialNumber, Reason: 1}}})
	l.mu.Unlock()

	lyncRoot := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true}, nil)
	pool := testca.New(testca.Options{CN: "lync.contoso.test", DNSNames: []string{"lync.contoso.test"},
		CRLURLs: []string{"ldap:///CN=Contoso%20Root%20CA,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=contoso,DC=com?certificateRevocationList"}}, lyncRoot)
	l.roots = filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(l.roots, testca.PEM(lyncRoot.Cert), 0o600); err != nil {
		t.Fatal(err)
	}

	mailSrv := lab.TLS(testca.TLSCert(mail, inter.Cert, root.Cert), lab.TLSOptions{})
	t.Cleanup(mailSrv.Close)
	poolSrv := lab.TLS(testca.TLSCert(pool), lab.TLSOptions{})
	t.Cleanup(poolSrv.Close)
	l.resolve = []string{
		"pki.contoso.test:" + strconv.Itoa(crlSrv.Port) + ":127.0.0.1",
		"mail.contoso.test:" + strconv.Itoa(mailSrv.Port) + ":127.0.0.1",
		"lync.contoso.test:" + strconv.Itoa(poolSrv.Port) + ":127.0.0.1",
	}
	for _, s := range []string{"ews https://mail.contoso.test:" + strconv.Itoa(mailSrv.Port) + "/EWS/Exchange.asmx", "lync lync.contoso.test:" + strconv.Itoa(poolSrv.Port)} {
		tg, err := target.ParseTarget(s)
		if err != nil {
			t.Fatal(err)
		}
		l.targets = append(l.targets, tg)
	}
	return l
}

func (l *revLab) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits
}

// scan runs a scan of the lab with --revocation mode and returns the exit
// code, standard output and the bundle's files.
func (l *revLab) scan(t *testing.T, mode, format string) (int, string, map[string][]byte) {
	t.Helper()
	ios, _, out, _ := cmdutil.Test()
	dir := filepath.Join(t.TempDir(), "bundle")
	f := &Flags{Roots: []string{l.roots}, Concurrency: 4, Format: format, At: testca.Epoch.Format(time.RFC3339), Revocation: mode,
		Bundle: BundleFlags{Dir: dir}}
	f.Net.Timeout = 5 * time.Second
	f.Net.Resolve = l.resolve
	err := Run(context.Background(), ios, time.Now, "test", f, l.targets)
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			files[rel] = b
		}
		return nil
	})
	return cmdutil.ExitCode(err), out.String(), files
}

// TestRevocationModes checks --revocation soft, hard and off end to end:
// the findings and their severities, the JSON fields, no revocation
// traffic with off, and a bundle that is byte for byte the same whatever
// the mode.
func TestRevocationModes(t *testing.T) {
	l := newRevLab(t)
	bundles := map[string]map[string][]byte{}

	code, out, b := l.scan(t, "soft", "text")
	bundles["soft"] = b
	for _, want := range []string{
		"revocation: revoked (crl) <- good (crl) <- not checked",
		`error   revoked: "CN=mail.contoso.test"`,
		`according to the CRL "http://pki.contoso.test:`,
		"warning revocation-ldap-only:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("soft: no %q in\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("soft: exit %d, want 1", code)
	}
	if l.count() == 0 {
		t.Fatal("soft: no CRL was fetched")
	}

	code, out, b = l.scan(t, "hard", "json")
	bundles["hard"] = b
	if code != 1 || !strings.Contains(out, `"code":"revocation-ldap-only","severity":"error"`) {
		t.Errorf("hard: exit %d\n%s", code, out)
	}
	var doc struct {
		Targets []report.Target `json:"targets"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	got := doc.Targets[0].Chain[0].Revocation
	want := &report.Revocation{Status: "revoked", Source: "crl", URL: l.pki + "/inter.crl", CheckedAt: "2026-06-01T12:00:00Z",
		NextUpdate: "2026-06-07T12:00:00Z", RevokedAt: "2026-05-30T12:00:00Z", Reason: "keyCompromise"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("leaf revocation (-want +got):\n%s", d)
	}
	if r := doc.Targets[0].Chain[2].Revocation; r == nil || r.Status != "not-checked" || r.CheckedAt != "" {
		t.Errorf("root revocation: %+v", r)
	}
	if r := doc.Targets[1].Chain[0].Revocation; r == nil || r.Status != "unknown" {
		t.Errorf("ldap-only leaf: %+v", r)
	}

	before := l.count()
	code, out, b = l.scan(t, "off", "json")
	bundles["off"] = b
	if n := l.count() - before; n != 0 {
		t.Errorf("off: %d revocation requests, want none", n)
	}
	if strings.Contains(out, `"revoked"`) || strings.Contains(out, "revocation-") || strings.Count(out, `"revocation":{"status":"not-checked"}`) != 5 {
		t.Errorf("off:\n%s", out)
	}
	if code != 1 {
		t.Errorf("off: exit %d, want 1 (untrusted root)", code)
	}

	if len(bundles["soft"]) == 0 {
		t.Fatal("no bundle written")
	}
	for _, m := range []string{"hard", "off"} {
		if d := cmp.Diff(bundles["soft"], bundles[m]); d != "" {
			t.Errorf("the %s bundle differs from the soft one:\n%s", m, d)
		}
	}
}

// TestRevocationHardFailsAlone checks that under hard a failure to check is
// enough for exit 1, and under soft it is not.
func TestRevocationHardFailsAlone(t *testing.T) {
	l := newRevLab(t)
	l.targets = l.targets[1:] // the lync pool only: trusted, ldap-only CDP
	if code, out, _ := l.scan(t, "soft", "text"); code != 0 || !strings.Contains(out, "warning revocation-ldap-only") {
		t.Errorf("soft: exit %d\n%s", code, out)
	}
	if code, out, _ := l.scan(t, "hard", "text"); code != 1 || !strings.Contains(out, "error   revocation-ldap-only") {
		t.Errorf("hard: exit %d\n%s", code, out)
	}
}

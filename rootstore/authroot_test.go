package rootstore_test

import (
	"crypto/x509"
	"encoding/asn1"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/certfile"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/rootstore"
)

// TestAuthrootReal loads Microsoft's root program from the real authroot.stl
// (2026) and the real SST certutil -generateSSTFromWU wrote (2021): the
// roots of the SST the CTL still lists become roots, checked thumbprint by
// thumbprint against the CTL, and the restrictions apply to known roots.
func TestAuthrootReal(t *testing.T) {
	stl := testtool.Shared(t, "fixtures/real/windows-root-program/authroot.stl")
	sst := testtool.Shared(t, "fixtures/real/generateSSTFromWU-roots.sst")
	s, err := rootstore.Load(rootstore.AuthrootPrefix + stl + "+" + sst)
	if err != nil {
		t.Fatal(err)
	}
	ctl, err := rootstore.ReadCTL(stl)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(sst)
	d, err := certfile.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	listed := 0
	for _, e := range d.Entries {
		if ctl.Find(e.Cert.Raw) != nil {
			listed++
		}
	}
	if len(s.Roots) != listed || listed < 300 {
		t.Fatalf("%d roots loaded; %d of the SST's %d certificates are in the CTL", len(s.Roots), listed, len(d.Entries))
	}
	for _, r := range s.Roots {
		if e := s.ProgramEntry(r.Cert); e == nil || ctl.Find(r.Cert.Raw).ID != e.ID {
			t.Errorf("root %s has no CTL entry of its own", r.Cert.Subject)
		}
	}
	if len(s.Sources) != 1 || s.Sources[0].Roots != listed {
		t.Errorf("sources %+v", s.Sources)
	}
	var warned []string
	for _, w := range s.Warnings {
		if strings.Contains(w, "not in") || strings.Contains(w, "have no certificate") {
			warned = append(warned, w)
		}
	}
	if len(warned) != 2 {
		t.Errorf("want a warning for the SST's unlisted certificates and one for the CTL's roots without certificate, got %q", s.Warnings)
	}

	rule := s.RootRule()
	if rule == nil {
		t.Fatal("no root rule for a store with program roots")
	}
	leaf := &x509.Certificate{NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	byID := map[string]*x509.Certificate{}
	for _, r := range s.Roots {
		byID[ctl.Find(r.Cert.Raw).ID] = r.Cert
	}
	for _, k := range []struct{ id, name, why string }{
		{"A8985D3A65E5E5C4B2D7D66D40C6DD2FB19C5436", "DigiCert Global Root CA", ""},
		{"DF3C24F9BFD666761B268073FE06D1CC8D4F82A4", "DigiCert Global Root G2", ""},
		{"CDD4EEAE6000AC7F40C3802C171E30148030C072", "Microsoft Root Certificate Authority", "disabled it on 2021-08-01"},
	} {
		c := byID[k.id]
		if c == nil {
			t.Errorf("%s (%s) is not among the loaded roots", k.name, k.id)
			continue
		}
		if c.Subject.CommonName != k.name {
			t.Errorf("%s is %q, want %q", k.id, c.Subject.CommonName, k.name)
		}
		why := rule(c, leaf, now)
		if k.why == "" && why != "" || !strings.Contains(why, k.why) {
			t.Errorf("%s: rule says %q, want %q", k.name, why, k.why)
		}
	}
}

func writeCTL(t *testing.T, dir string, entries ...winfmt.CTLEntry) string {
	t.Helper()
	der, err := winfmt.EncodeCTL(&winfmt.CTL{ThisUpdate: testca.Epoch, Entries: entries})
	if err != nil {
		t.Fatal(err)
	}
	return write(t, dir, "authroot.stl", der)
}

func TestAuthrootSource(t *testing.T) {
	dir := t.TempDir()
	listed, restricted, unlisted := testca.Root("Listed Root"), testca.Root("Restricted Root"), testca.Root("Unlisted Root")
	serverAuth := []asn1.ObjectIdentifier{winfmt.OIDServerAuth}
	stl := writeCTL(t, dir,
		winfmt.CTLEntry{ID: tp(listed.Cert), EKUs: serverAuth},
		winfmt.CTLEntry{ID: tp(restricted.Cert), NotBefore: testca.Epoch.AddDate(0, -6, 0), NotBeforeEKUs: serverAuth},
		winfmt.CTLEntry{ID: strings.Repeat("AB", 20)})
	sst := write(t, dir, "roots.sst", testSST(listed.Cert, restricted.Cert, unlisted.Cert))
	s, err := rootstore.Load(rootstore.AuthrootPrefix + stl + "+" + sst)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(subjects(s.Roots), ","); got != "Listed Root,Restricted Root" {
		t.Errorf("roots %s", got)
	}
	if len(s.Warnings) != 2 || !strings.Contains(s.Warnings[0], "1 certificates are not in") || !strings.Contains(s.Warnings[1], "1 roots it lists have no certificate") {
		t.Errorf("warnings %q", s.Warnings)
	}
	rule := s.RootRule()
	old := &x509.Certificate{NotBefore: testca.Epoch.AddDate(-1, 0, 0)}
	recent := &x509.Certificate{NotBefore: testca.Epoch.AddDate(0, -1, 0)}
	if why := rule(restricted.Cert, old, testca.Epoch); why != "" {
		t.Errorf("a leaf issued before the NotBefore date: %q", why)
	}
	if why := rule(restricted.Cert, recent, testca.Epoch); !strings.Contains(why, "distrusts certificates it issued from") {
		t.Errorf("a leaf issued after the NotBefore date: %q", why)
	}
	if why := rule(listed.Cert, recent, testca.Epoch); why != "" {
		t.Errorf("unrestricted root: %q", why)
	}
	// The same root from a file too: trusted on purpose, not restricted.
	pem := write(t, dir, "explicit.pem", testca.PEM(restricted.Cert))
	s2, err := rootstore.Load(pem, rootstore.AuthrootPrefix+stl+"+"+sst)
	if err != nil {
		t.Fatal(err)
	}
	if why := s2.RootRule()(restricted.Cert, recent, testca.Epoch); why != "" {
		t.Errorf("a root also given explicitly is restricted: %q", why)
	}
	if s3, _ := rootstore.Load(pem); s3.RootRule() != nil {
		t.Error("a store without program roots has a root rule")
	}
}

func TestAuthrootErrors(t *testing.T) {
	dir := t.TempDir()
	root := testca.Root("R")
	stl := writeCTL(t, dir, winfmt.CTLEntry{ID: tp(root.Cert)})
	sst := write(t, dir, "roots.sst", testSST(root.Cert))
	for _, tc := range []struct{ src, want string }{
		{stl, "names roots by thumbprint and holds no root certificate: give it with the roots' certificates as authroot:AUTHROOT.STL+ROOTS.SST"},
		{rootstore.AuthrootPrefix + stl, "want authroot:AUTHROOT.STL+ROOTS.SST"},
		{rootstore.AuthrootPrefix + sst + "+" + sst, "certificate trust list: "},
		{rootstore.AuthrootPrefix + stl + "+" + filepath.Join(dir, "none.sst"), "no such file"},
		{rootstore.AuthrootPrefix + stl + "+" + write(t, dir, "other.pem", testca.PEM(testca.Root("Other").Cert)), "holds no certificate"},
	} {
		_, err := rootstore.Load(tc.src)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.src) {
			t.Errorf("%s: got %v, want an error naming it with %q", tc.src, err, tc.want)
		}
	}
}

// TestSameRootTwice: a root a Registry.pol names in its Root store and a PEM
// file also gives is one root, not two (no store name means Root).
func TestSameRootTwice(t *testing.T) {
	dir := t.TempDir()
	r := testca.Root("Twice")
	pol := write(t, dir, "Registry.pol", testPol(certEntry("Root", r.Cert, tp(r.Cert))))
	pem := write(t, dir, "r.pem", testca.PEM(r.Cert))
	s, _ := rootstore.Load(pol, pem)
	if len(s.Roots) != 1 {
		t.Errorf("%d roots, want 1", len(s.Roots))
	}
}

package scanner_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/rootstore"
	"github.com/trustgap/trustgap/scanner"
	"github.com/trustgap/trustgap/target"
)

// scanWith scans lines (a target file) with e's scanner changed by mod.
func scanWith(e *env, mod func(*scanner.Scanner), lines ...string) []*chain.Result {
	e.t.Helper()
	var list target.List
	if err := list.AddFile(strings.NewReader(strings.Join(lines, "\n")), "test"); err != nil {
		e.t.Fatal(err)
	}
	s := e.scanner()
	if mod != nil {
		mod(s)
	}
	var out []*chain.Result
	if err := s.Scan(context.Background(), list.Targets, func(r *chain.Result) error { out = append(out, r); return nil }); err != nil {
		e.t.Fatal(err)
	}
	return out
}

// TestLyncAssumptionOnlyAsserted: a role inferred from port 5061 is judged
// as lync (the wildcard rule applies) but its root is no anchor, for
// itself or for Exchange on the same CA; the untrusted-root fix says how to
// assert it. Written "lync", the same server's root is assumed.
func TestLyncAssumptionOnlyAsserted(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t)
	e.noAIA = true
	wild := testca.New(testca.Options{CN: "*.contoso.test", DNSNames: []string{"*.contoso.test"}}, p.inter)
	e.serve("pool.contoso.test", 5061, wild, []*x509.Certificate{p.inter.Cert, p.root.Cert}, lab.TLSOptions{ClientAuth: tls.RequestClientCert})
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})

	rs := e.scan("ews mail.contoso.test", "pool.contoso.test:5061")
	ews, pool := rs[0], rs[1]
	if pool.Target.Role != target.RoleLync || !pool.Target.RoleInferred {
		t.Fatalf("port 5061: role %s, inferred %v", pool.Target.Role, pool.Target.RoleInferred)
	}
	wantCodes(t, pool, "untrusted-root/error lync-wildcard/warning root-presented/info")
	if pool.Trusted || pool.LyncRoot {
		t.Errorf("inferred lync target: trusted=%v lync root=%v, want neither", pool.Trusted, pool.LyncRoot)
	}
	if f := findMsg(t, pool, "untrusted-root"); !strings.Contains(f.Fix, "if this is your Lync pool, write it as `lync pool.contoso.test:5061` to have its root assumed trusted") {
		t.Errorf("untrusted-root fix: %s", f.Fix)
	}
	// Exchange on the same CA: the root completes the path but is no
	// anchor.
	wantCodes(t, ews, "untrusted-root/error")
	if ews.Trusted || ews.Root() == nil || !ews.Root().Cert.Equal(p.root.Cert) {
		t.Errorf("ews on the inferred lync root: trusted=%v root=%v", ews.Trusted, ews.Root())
	}
	if f := findMsg(t, ews, "untrusted-root"); strings.Contains(f.Fix, "write it as") {
		t.Errorf("the hint is for the lync target only: %s", f.Fix)
	}

	// Asserted: the root is assumed for both.
	rs = e.scan("ews mail.contoso.test", "lync pool.contoso.test:5061")
	wantCodes(t, rs[0], "lync-root-assumed/info")
	wantCodes(t, rs[1], "lync-wildcard/warning lync-root-assumed/info root-presented/info")
	if !rs[0].Trusted || !rs[1].Trusted {
		t.Error("asserted lync target: want both trusted")
	}
	// Given both ways, the target is asserted.
	rs = e.scan("ews mail.contoso.test", "pool.contoso.test:5061", "lync pool.contoso.test:5061")
	if len(rs) != 2 || !rs[0].Trusted {
		t.Errorf("a target given inferred and asserted should count as asserted: %d results, ews trusted %v", len(rs), rs[0].Trusted)
	}
	// Under --no-lync-assumption there is no hint to give.
	rs = scanWith(e, func(s *scanner.Scanner) { s.NoLyncAssumption = true }, "pool.contoso.test:5061")
	if f := findMsg(t, rs[0], "untrusted-root"); strings.Contains(f.Fix, "write it as") {
		t.Errorf("no hint under --no-lync-assumption: %s", f.Fix)
	}
}

// TestLyncRootDisallowedNotAssumed: an asserted lync target whose root is
// in the client's Disallowed store does not make that root trusted.
func TestLyncRootDisallowedNotAssumed(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t)
	e.noAIA = true
	e.serve("pool.contoso.test", 5061, testca.Leaf(p.inter, "pool.contoso.test"), []*x509.Certificate{p.inter.Cert, p.root.Cert}, lab.TLSOptions{})
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	rs := scanWith(e, func(s *scanner.Scanner) { s.Disallowed = chain.NewCertSet(p.root.Cert) }, "ews mail.contoso.test", "lync pool.contoso.test")
	for _, r := range rs {
		if r.Trusted || r.LyncRoot {
			t.Errorf("%s: trusted=%v lync root=%v through a Disallowed root", r.Target.Raw, r.Trusted, r.LyncRoot)
		}
		findMsg(t, r, "disallowed")
		if f := findMsg(t, r, "untrusted-root"); strings.Contains(f.Fix, "write it as") {
			t.Errorf("no assertion hint for a Disallowed root: %s", f.Fix)
		}
	}
}

// TestImpersonatingRoot: a lync server that presents a root with the name
// of a root of the client store, or of a Mozilla root, with its own key is
// impersonating-root (an error naming both), never assumed, and Exchange
// on it is not trusted either.
func TestImpersonatingRoot(t *testing.T) {
	real := testca.Root("Contoso Root CA")
	fake := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true}, nil)
	inter := testca.Intermediate("Contoso Issuing CA", fake)
	e := newEnv(t, real.Cert)
	e.noAIA = true
	e.serve("pool.contoso.test", 5061, testca.Leaf(inter, "pool.contoso.test"), []*x509.Certificate{inter.Cert, fake.Cert}, lab.TLSOptions{})
	e.serve("mail.contoso.test", 443, testca.Leaf(inter, "mail.contoso.test"), []*x509.Certificate{inter.Cert}, lab.TLSOptions{})
	rs := e.scan("ews mail.contoso.test", "lync pool.contoso.test")
	for _, r := range rs {
		if r.Trusted || r.LyncRoot {
			t.Errorf("%s: trusted=%v lync root=%v through an impersonating root", r.Target.Raw, r.Trusted, r.LyncRoot)
		}
		f := findMsg(t, r, "impersonating-root")
		if f.Severity != "error" || !strings.Contains(f.Message, certutil.Thumbprint(fake.Cert)) || !strings.Contains(f.Message, certutil.Thumbprint(real.Cert)) ||
			!strings.Contains(f.Message, `"CN=Contoso Root CA"`) || !strings.Contains(f.Message, "in the client store") {
			t.Errorf("%s: message %q", r.Target.Raw, f.Message)
		}
		if !strings.Contains(f.Fix, "do not deploy this root") || !strings.Contains(f.Fix, "intercepts") {
			t.Errorf("fix %q", f.Fix)
		}
		for _, c := range []string{"untrusted-root", "lync-root-assumed", "different-ca"} {
			if strings.Contains(codes(r), c) {
				t.Errorf("%s: %s beside impersonating-root: %s", r.Target.Raw, c, codes(r))
			}
		}
	}

	// A re-issued copy of the store root (same name, same key) is no
	// impersonation.
	reissued := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true, Key: real.Key}, nil)
	inter2 := testca.Intermediate("Contoso Issuing CA 2", reissued)
	e.serve("web.contoso.test", 443, testca.Leaf(inter2, "web.contoso.test"), []*x509.Certificate{inter2.Cert, reissued.Cert}, lab.TLSOptions{})
	r := e.scan("ews web.contoso.test")[0]
	if strings.Contains(codes(r), "impersonating-root") {
		t.Errorf("a re-issued store root is no impersonation: %s", codes(r))
	}

	// The name of a Mozilla root, with another key: the store here is
	// empty, so only the public program knows the name.
	var pub *x509.Certificate
	for _, c := range mustMozilla(t) {
		if c.Subject.CommonName != "" && len(c.Subject.Organization) > 0 {
			pub = c
			break
		}
	}
	copyCat := testca.New(testca.Options{RawSubject: pub.RawSubject, IsCA: true}, nil)
	ci := testca.Intermediate("Intercepting CA", copyCat)
	e2 := newEnv(t)
	e2.noAIA = true
	e2.serve("pool.contoso.test", 5061, testca.Leaf(ci, "pool.contoso.test"), []*x509.Certificate{ci.Cert, copyCat.Cert}, lab.TLSOptions{})
	rs = scanWith(e2, func(s *scanner.Scanner) { s.Namesake = rootstore.PublicNamesake }, "lync pool.contoso.test")
	f := findMsg(t, rs[0], "impersonating-root")
	if rs[0].Trusted || !strings.Contains(f.Message, "in Mozilla's root program") || !strings.Contains(f.Message, certutil.Thumbprint(pub)) {
		t.Errorf("mozilla namesake: trusted=%v, message %q", rs[0].Trusted, f.Message)
	}
	// Without the public list, the same root is merely unknown.
	rs = e2.scan("lync pool.contoso.test")
	wantCodes(t, rs[0], "lync-root-assumed/info root-presented/info")
}

func mustMozilla(t *testing.T) []*x509.Certificate {
	t.Helper()
	s, err := rootstore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	return s.Certificates()
}

// TestDifferentCAOnlyAssumedLyncRoots: different-ca compares Exchange's
// root with, and names, only the roots of Lync's CA: those of asserted lync
// targets, neither Disallowed nor impersonating. A root of an inferred lync
// target (port 5061), a Disallowed one or an impersonating one is not
// Lync's CA: with no other, there is no different-ca.
func TestDifferentCAOnlyAssumedLyncRoots(t *testing.T) {
	lync, exch, side := newPKI("Contoso Lync"), newPKI("Fabrikam"), newPKI("Sideline")
	real := testca.Root("Real Root CA")
	fake := testca.New(testca.Options{CN: "Real Root CA", IsCA: true}, nil)
	fakeInter := testca.Intermediate("Fake Issuing CA", fake)
	e := newEnv(t, real.Cert)
	e.noAIA = true
	e.serve("pool.contoso.test", 5061, testca.Leaf(lync.inter, "pool.contoso.test"), []*x509.Certificate{lync.inter.Cert, lync.root.Cert}, lab.TLSOptions{})
	e.serve("side.contoso.test", 5061, testca.Leaf(side.inter, "side.contoso.test"), []*x509.Certificate{side.inter.Cert, side.root.Cert}, lab.TLSOptions{})
	e.serve("fake.contoso.test", 5061, testca.Leaf(fakeInter, "fake.contoso.test"), []*x509.Certificate{fakeInter.Cert, fake.Cert}, lab.TLSOptions{})
	e.serve("mail.contoso.test", 443, testca.Leaf(exch.inter, "mail.contoso.test"), []*x509.Certificate{exch.inter.Cert, exch.root.Cert}, lab.TLSOptions{})
	ews := "ews mail.contoso.test"

	for name, c := range map[string]struct {
		mod   func(*scanner.Scanner)
		lines []string
	}{
		"inferred":      {nil, []string{ews, "side.contoso.test:5061"}},
		"disallowed":    {func(s *scanner.Scanner) { s.Disallowed = chain.NewCertSet(lync.root.Cert) }, []string{ews, "lync pool.contoso.test"}},
		"impersonating": {nil, []string{ews, "lync fake.contoso.test"}},
	} {
		rs := scanWith(e, c.mod, c.lines...)
		if strings.Contains(codes(rs[0]), "different-ca") {
			t.Errorf("%s: different-ca with no root of Lync's CA: %s", name, messages(rs[0]))
		}
	}

	// With an asserted lync target beside them, different-ca names only
	// its root.
	for _, mod := range []func(*scanner.Scanner){nil, func(s *scanner.Scanner) { s.NoLyncAssumption = true }} {
		rs := scanWith(e, mod, ews, "lync pool.contoso.test:5061", "side.contoso.test:5061", "lync fake.contoso.test:5061")
		f := findMsg(t, rs[0], "different-ca")
		if !strings.Contains(f.Message, certutil.Thumbprint(lync.root.Cert)) || strings.Contains(f.Message, certutil.Thumbprint(side.root.Cert)) || strings.Contains(f.Message, certutil.Thumbprint(fake.Cert)) {
			t.Errorf("different-ca should name Contoso Lync Root CA only: %s", f.Message)
		}
	}
}

//go:debug rsa1024min=0

package chain_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/target"
)

// setup is a client's view for one judgement.
type setup struct {
	store, intermediates, issuers, disallowed []*x509.Certificate
	host                                      string
	role                                      target.Role
}

// judge builds leaf's chain from presented and the setup's stores, at
// testca.Epoch, and judges it.
func (s setup) judge(t *testing.T, leaf *x509.Certificate, presented ...*x509.Certificate) *chain.Result {
	t.Helper()
	b := &chain.Builder{
		Store: chain.NewCertSet(s.store...), Intermediates: chain.NewCertSet(s.intermediates...),
		Issuers: chain.NewCertSet(s.issuers...), Disallowed: chain.NewCertSet(s.disallowed...), Now: testca.Epoch,
	}
	p := b.Build(context.Background(), leaf, presented)
	host := s.host
	if host == "" {
		host = leaf.Subject.CommonName
	}
	role := s.role
	if role == "" {
		role = target.RoleOther
	}
	r := &chain.Result{Target: target.Target{Host: host, Role: role, Raw: host}, Path: &p}
	j := chain.NewJudge(chain.NewCertSet(s.store...), nil, testca.Epoch)
	j.Disallowed = chain.NewCertSet(s.disallowed...)
	j.Apply(r)
	return r
}

func codeList(r *chain.Result) string {
	var cs []string
	for _, f := range r.Findings {
		cs = append(cs, f.Code+"/"+string(f.Severity))
	}
	return strings.Join(cs, " ")
}

// expect checks r's findings, in order, and its trust.
func expect(t *testing.T, r *chain.Result, codes string, trusted bool) {
	t.Helper()
	if got := codeList(r); got != codes {
		t.Errorf("findings %q, want %q", got, codes)
		for _, f := range r.Findings {
			t.Logf("  %s: %s\n    fix: %s", f.Code, f.Message, f.Fix)
		}
	}
	if r.Trusted != trusted {
		t.Errorf("trusted = %v, want %v", r.Trusted, trusted)
	}
}

// msg returns the finding with code, checking that message and fix both
// name the certificate at fault.
func msg(t *testing.T, r *chain.Result, code string, names *x509.Certificate) finding.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Code != code {
			continue
		}
		if names != nil {
			n := certutil.Name(names)
			if !strings.Contains(f.Message, n) || !strings.Contains(f.Fix, n) {
				t.Errorf("%s should name %s in message and fix:\n  %s\n  fix: %s", code, n, f.Message, f.Fix)
			}
		}
		return f
	}
	t.Fatalf("no %s finding in %q", code, codeList(r))
	return finding.Finding{}
}

type ca struct{ root, inter *testca.Cert }

func newCA(name string) ca {
	root := testca.Root(name + " Root CA")
	return ca{root: root, inter: testca.Intermediate(name+" Issuing CA", root)}
}

func leafOpts(name string) testca.Options {
	return testca.Options{CN: name, DNSNames: []string{name}}
}

func TestRuleEKU(t *testing.T) {
	p := newCA("Contoso")
	s := setup{store: []*x509.Certificate{p.root.Cert}}

	o := leafOpts("mail.contoso.test")
	o.EKU = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	clientOnly := testca.New(o, p.inter)
	r := s.judge(t, clientOnly.Cert, p.inter.Cert)
	expect(t, r, "no-server-auth/error", false)
	if f := msg(t, r, "no-server-auth", clientOnly.Cert); !strings.Contains(f.Message, "valid for Client Authentication, not Server Authentication") {
		t.Errorf("message: %s", f.Message)
	}

	// A CA restricted to code signing: nothing it issues is a TLS server.
	codeCA := testca.New(testca.Options{CN: "Code Signing CA", IsCA: true, EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning}}, p.root)
	leaf := testca.New(leafOpts("mail.contoso.test"), codeCA)
	r = s.judge(t, leaf.Cert, codeCA.Cert)
	expect(t, r, "no-server-auth/error", false)
	if f := msg(t, r, "no-server-auth", codeCA.Cert); !strings.Contains(f.Message, "restricts what it issues to Code Signing") {
		t.Errorf("message: %s", f.Message)
	}

	// No EKU at all, or a CA restricted to Server Authentication: fine.
	o = leafOpts("mail.contoso.test")
	o.EKU = []x509.ExtKeyUsage{}
	tlsCA := testca.New(testca.Options{CN: "TLS CA", IsCA: true, EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, p.root)
	expect(t, s.judge(t, testca.New(o, tlsCA).Cert, tlsCA.Cert), "", true)
}

func TestRuleIssuerNotCA(t *testing.T) {
	p := newCA("Contoso")
	s := setup{store: []*x509.Certificate{p.root.Cert}}
	// A server certificate used to issue another one.
	notCA := testca.New(leafOpts("www.contoso.test"), p.inter)
	leaf := testca.New(leafOpts("mail.contoso.test"), notCA)
	r := s.judge(t, leaf.Cert, notCA.Cert, p.inter.Cert)
	expect(t, r, "issuer-not-ca/error", false)
	msg(t, r, "issuer-not-ca", notCA.Cert)

	// An intermediate without basic constraints.
	bare := testca.New(testca.Options{CN: "Bare CA", IsCA: true, NoBasicConstraints: true}, p.root)
	r = s.judge(t, testca.New(leafOpts("mail.contoso.test"), bare).Cert, bare.Cert)
	expect(t, r, "issuer-not-ca/error", false)
}

func TestRuleV1Intermediate(t *testing.T) {
	p := newCA("Contoso")
	v1 := testca.Rewrite(p.inter, p.root, testca.RewriteOptions{}, func(tbs *testca.TBS) {
		tbs.Version, tbs.Extensions = 0, nil
	})
	if v1.Cert == nil || v1.Cert.Version != 1 {
		t.Fatalf("the rewritten intermediate is not a parsed v1 certificate")
	}
	leaf := testca.New(leafOpts("mail.contoso.test"), p.inter) // the same key signs it
	s := setup{store: []*x509.Certificate{p.root.Cert}}
	r := s.judge(t, leaf.Cert, v1.Cert)
	expect(t, r, "v1-intermediate/error", false)
	msg(t, r, "v1-intermediate", v1.Cert)

	// A v1 root is a fine anchor, as on Windows.
	v1root := testca.Rewrite(p.root, nil, testca.RewriteOptions{}, func(tbs *testca.TBS) { tbs.Version, tbs.Extensions = 0, nil })
	s = setup{store: []*x509.Certificate{v1root.Cert}}
	expect(t, s.judge(t, leaf.Cert, p.inter.Cert), "", true)
}

func TestRulePathLength(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	policy := testca.New(testca.Options{CN: "Contoso Policy CA", IsCA: true, PathLenZero: true}, root)
	issuing := testca.Intermediate("Contoso Issuing CA", policy)
	leaf := testca.New(leafOpts("mail.contoso.test"), issuing)
	s := setup{store: []*x509.Certificate{root.Cert}}
	r := s.judge(t, leaf.Cert, issuing.Cert, policy.Cert)
	expect(t, r, "path-length/error", false)
	if f := msg(t, r, "path-length", policy.Cert); !strings.Contains(f.Message, "allows 0 intermediate(s) below it (pathLenConstraint), but the path has 1") {
		t.Errorf("message: %s", f.Message)
	}
	// pathLen 1 allows it.
	policy1 := testca.New(testca.Options{CN: "Contoso Policy CA", IsCA: true, PathLen: 1}, root)
	issuing1 := testca.Intermediate("Contoso Issuing CA", policy1)
	expect(t, s.judge(t, testca.New(leafOpts("mail.contoso.test"), issuing1).Cert, issuing1.Cert, policy1.Cert), "", true)
}

func TestRuleKeyUsage(t *testing.T) {
	p := newCA("Contoso")
	s := setup{store: []*x509.Certificate{p.root.Cert}}
	noSign := testca.New(testca.Options{CN: "No Sign CA", IsCA: true, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign}, p.root)
	r := s.judge(t, testca.New(leafOpts("mail.contoso.test"), noSign).Cert, noSign.Cert)
	expect(t, r, "key-usage/error", false)
	if f := msg(t, r, "key-usage", noSign.Cert); !strings.Contains(f.Message, "keyUsage (digitalSignature, cRLSign) does not allow certificate signing") {
		t.Errorf("message: %s", f.Message)
	}

	o := leafOpts("mail.contoso.test")
	o.KeyUsage = x509.KeyUsageCertSign
	r = s.judge(t, testca.New(o, p.inter).Cert, p.inter.Cert)
	expect(t, r, "key-usage/error", false)

	o.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	r = s.judge(t, testca.New(o, p.inter).Cert, p.inter.Cert)
	expect(t, r, "key-usage/warning", true)
}

// directoryNameConstraint is a critical name constraints extension
// permitting one directoryName subtree (crypto/x509 cannot make one).
func directoryNameConstraint(t *testing.T, permitted pkix.Name) pkix.Extension {
	name, err := asn1.Marshal(permitted.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	dirName := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: name}
	subtree, _ := asn1.Marshal(struct{ Base asn1.RawValue }{dirName})
	subtrees := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: subtree}
	val, err := asn1.Marshal(struct{ Permitted asn1.RawValue }{subtrees})
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 30}, Critical: true, Value: val}
}

func TestRuleNameConstraints(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	s := setup{store: []*x509.Certificate{root.Cert}}

	dnsCA := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, PermittedDNS: []string{"contoso.test"}, ExcludedDNS: []string{"secret.contoso.test"}}, root)
	outside := testca.New(leafOpts("mail.fabrikam.test"), dnsCA)
	r := s.judge(t, outside.Cert, dnsCA.Cert)
	expect(t, r, "name-constraints/error", false)
	if f := msg(t, r, "name-constraints", outside.Cert); !strings.Contains(f.Message, `dNSName "mail.fabrikam.test" is outside every permitted dNSName subtree`) || !strings.Contains(f.Message, "Contoso Issuing CA") {
		t.Errorf("message: %s", f.Message)
	}
	excluded := testca.New(leafOpts("db.secret.contoso.test"), dnsCA)
	r = s.judge(t, excluded.Cert, dnsCA.Cert)
	expect(t, r, "name-constraints/error", false)
	if f := msg(t, r, "name-constraints", excluded.Cert); !strings.Contains(f.Message, `inside excluded subtree dNSName "secret.contoso.test"`) {
		t.Errorf("message: %s", f.Message)
	}
	expect(t, s.judge(t, testca.New(leafOpts("mail.contoso.test"), dnsCA).Cert, dnsCA.Cert), "", true)

	_, tenNet, _ := net.ParseCIDR("10.0.0.0/8")
	ipCA := testca.New(testca.Options{CN: "IP CA", IsCA: true, PermittedIPs: []*net.IPNet{tenNet}}, root)
	ipLeaf := testca.New(testca.Options{CN: "192.168.1.10", IPs: []net.IP{net.ParseIP("192.168.1.10")}}, ipCA)
	expect(t, s.judge(t, ipLeaf.Cert, ipCA.Cert), "name-constraints/error", false)

	// directoryName constraints, which crypto/x509 does not check: the
	// subject must start with O=Contoso.
	dnCA := testca.New(testca.Options{CN: "Contoso DN CA", IsCA: true, ExtraExtensions: []pkix.Extension{
		directoryNameConstraint(t, pkix.Name{Country: []string{"US"}, Organization: []string{"Contoso"}}),
	}}, root)
	in := testca.New(testca.Options{Subject: &pkix.Name{Country: []string{"US"}, Organization: []string{"contoso"}, CommonName: "mail.contoso.test"}, DNSNames: []string{"mail.contoso.test"}}, dnCA)
	expect(t, s.judge(t, in.Cert, dnCA.Cert), "", true) // case-insensitive, RFC 5280 §7.1
	out := testca.New(testca.Options{Subject: &pkix.Name{Country: []string{"US"}, Organization: []string{"Fabrikam"}, CommonName: "mail.contoso.test"}, DNSNames: []string{"mail.contoso.test"}}, dnCA)
	r = s.judge(t, out.Cert, dnCA.Cert)
	expect(t, r, "name-constraints/error", false)
	if f := msg(t, r, "name-constraints", out.Cert); !strings.Contains(f.Message, "directoryName") {
		t.Errorf("message: %s", f.Message)
	}
	// crypto/x509 leaves that critical extension unhandled, so it alone
	// would refuse even the good chain: trustgap reads it instead.
	if _, err := in.Cert.Verify(x509.VerifyOptions{Roots: pool(root.Cert), Intermediates: pool(dnCA.Cert), CurrentTime: testca.Epoch}); err == nil {
		t.Error("crypto/x509 now accepts a critical directoryName constraint: trustgap's cross-check could judge it")
	}
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

func TestRuleCriticalExtension(t *testing.T) {
	p := newCA("Contoso")
	o := leafOpts("mail.contoso.test")
	o.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}}
	leaf := testca.New(o, p.inter)
	r := setup{store: []*x509.Certificate{p.root.Cert}}.judge(t, leaf.Cert, p.inter.Cert)
	expect(t, r, "critical-extension/error", false)
	if f := msg(t, r, "critical-extension", leaf.Cert); !strings.Contains(f.Message, "1.3.6.1.4.1.99999.1") {
		t.Errorf("message: %s", f.Message)
	}
}

func TestRuleSignatures(t *testing.T) {
	root := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true, RSABits: 2048}, nil)
	inter := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, RSABits: 2048}, root)
	leaf := testca.New(leafOpts("mail.contoso.test"), inter)
	s := setup{store: []*x509.Certificate{root.Cert}}

	// A signature that does not verify: the builder still follows the
	// issuer by name, so the report can say which signature is bad.
	tampered := testca.Rewrite(leaf, inter, testca.RewriteOptions{BadSignature: true}, nil)
	r := s.judge(t, tampered.Cert, inter.Cert)
	expect(t, r, "bad-signature/error", false)
	msg(t, r, "bad-signature", tampered.Cert)

	// MD5: the link is checked (it verifies) and refused as Windows does.
	md5Inter := testca.Rewrite(inter, root, testca.RewriteOptions{MD5: true}, nil)
	r = s.judge(t, leaf.Cert, md5Inter.Cert)
	expect(t, r, "weak-signature/error", false)
	if r.Path.Links[1].Sig != certutil.SigValid {
		t.Errorf("MD5 link status %v, want valid (checked with crypto.MD5)", r.Path.Links[1].Sig)
	}
	if f := msg(t, r, "weak-signature", md5Inter.Cert); !strings.Contains(f.Message, "MD5-RSA, which Windows refuses") {
		t.Errorf("message: %s", f.Message)
	}
	badMD5 := testca.Rewrite(inter, root, testca.RewriteOptions{MD5: true, BadSignature: true}, nil)
	expect(t, s.judge(t, leaf.Cert, badMD5.Cert), "bad-signature/error", false)

	// SHA-1: a warning, and the chain is trusted. crypto/x509 refuses it
	// outright (listed deviation: Windows accepts SHA-1 outside browsers),
	// so the cross-check is skipped for it.
	sha1Inter := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, RSABits: 2048, SigAlg: x509.SHA1WithRSA, Key: inter.Key}, root)
	r = s.judge(t, leaf.Cert, sha1Inter.Cert)
	expect(t, r, "weak-signature/warning", true)
	_, err := leaf.Cert.Verify(x509.VerifyOptions{Roots: pool(root.Cert), Intermediates: pool(sha1Inter.Cert), CurrentTime: testca.Epoch})
	var ua x509.UnknownAuthorityError
	if !errors.As(err, &ua) || !strings.Contains(err.Error(), "insecure algorithm SHA1-RSA") {
		t.Errorf("crypto/x509 on a SHA-1 link: %v, want a refusal for SHA1-RSA", err)
	}
}

func TestRuleKeyStrength(t *testing.T) {
	p := newCA("Contoso")
	s := setup{store: []*x509.Certificate{p.root.Cert}}
	o := leafOpts("mail.contoso.test")
	o.RSABits = 512
	r := s.judge(t, testca.New(o, p.inter).Cert, p.inter.Cert)
	expect(t, r, "weak-key/error", false)
	if f := msg(t, r, "weak-key", nil); !strings.Contains(f.Message, "512-bit RSA key, which Windows refuses") {
		t.Errorf("message: %s", f.Message)
	}
	o.RSABits = 1024
	expect(t, s.judge(t, testca.New(o, p.inter).Cert, p.inter.Cert), "weak-key/warning", true)

	// A 512-bit CA: its signatures are refused for its key, not called bad.
	weakCA := testca.New(testca.Options{CN: "Weak CA", IsCA: true, RSABits: 512}, p.root)
	expect(t, s.judge(t, testca.New(leafOpts("mail.contoso.test"), weakCA).Cert, weakCA.Cert), "weak-key/error", false)
}

func TestRuleDisallowed(t *testing.T) {
	p := newCA("Contoso")
	leaf := testca.New(leafOpts("mail.contoso.test"), p.inter)
	s := setup{store: []*x509.Certificate{p.root.Cert}, disallowed: []*x509.Certificate{p.inter.Cert}}
	r := s.judge(t, leaf.Cert, p.inter.Cert)
	expect(t, r, "disallowed/error", false)
	msg(t, r, "disallowed", p.inter.Cert)

	// The same CA key certified by another trusted root (a cross-sign the
	// clients' CA store holds): the builder takes that path instead.
	other := testca.Root("Other Root CA")
	cross := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, Key: p.inter.Key}, other)
	s.store = append(s.store, other.Cert)
	s.intermediates = []*x509.Certificate{cross.Cert}
	r = s.judge(t, leaf.Cert, p.inter.Cert)
	expect(t, r, "incomplete-chain/info", true)
	if !r.Path.Links[1].Cert.Equal(cross.Cert) {
		t.Error("the path should go through the cross-certificate, not the disallowed one")
	}
}

// TestMissingIssuerDisallowed: a chain whose missing issuer the client
// store holds only as Disallowed (a pool on a distrusted root that does not
// send it) says so, instead of advising --issuers.
func TestMissingIssuerDisallowed(t *testing.T) {
	p := newCA("Distrusted")
	leaf := testca.New(leafOpts("pool.contoso.test"), p.inter)
	s := setup{disallowed: []*x509.Certificate{p.inter.Cert}}
	r := s.judge(t, leaf.Cert)
	expect(t, r, "incomplete-chain/error", false)
	f := r.Findings[0]
	for _, want := range []string{"the client store holds it as Disallowed: clients refuse it", certutil.Thumbprint(p.inter.Cert)} {
		if !strings.Contains(f.Message, want) {
			t.Errorf("message %q does not say %q", f.Message, want)
		}
	}
	if !strings.HasPrefix(f.Fix, "the store holds it as Disallowed: clients refuse it") || strings.Contains(f.Fix, "--issuers") {
		t.Errorf("fix %q", f.Fix)
	}
	// A Disallowed certificate with the issuer's name but another key did
	// not issue it: the usual advice.
	other := testca.New(testca.Options{CN: p.inter.Cert.Subject.CommonName, IsCA: true}, p.root)
	if string(other.Cert.RawSubject) != string(leaf.Cert.RawIssuer) {
		t.Fatal("the namesake does not have the issuer's name")
	}
	s.disallowed = []*x509.Certificate{other.Cert}
	r = s.judge(t, leaf.Cert)
	if f := r.Findings[0]; strings.Contains(f.Message, "Disallowed") || !strings.Contains(f.Fix, "--issuers") {
		t.Errorf("another key: %s / %s", f.Message, f.Fix)
	}
}

// TestPathChoice: among several paths, one valid at --now wins.
func TestPathChoice(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	day := testca.Epoch.AddDate(0, 0, 1).Sub(testca.Epoch)
	oldCA := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, NotBefore: testca.Epoch.AddDate(-3, 0, 0), NotAfter: testca.Epoch.Add(-day)}, root)
	newCA := testca.New(testca.Options{CN: "Contoso Issuing CA", IsCA: true, Key: oldCA.Key}, root) // renewed, same key
	leaf := testca.New(leafOpts("mail.contoso.test"), newCA)

	t.Run("renewed CA sent expired, current in client store", func(t *testing.T) {
		s := setup{store: []*x509.Certificate{root.Cert}, intermediates: []*x509.Certificate{newCA.Cert}}
		r := s.judge(t, leaf.Cert, oldCA.Cert)
		expect(t, r, "expired-ca-sent/warning", true)
		f := msg(t, r, "expired-ca-sent", nil)
		want := "replace the expired CA certificate on the server with the current one (SHA-1 " + certutil.Thumbprint(newCA.Cert)
		if !strings.Contains(f.Fix, want) || !strings.Contains(f.Message, certutil.Thumbprint(oldCA.Cert)) {
			t.Errorf("expired-ca-sent should say %q and name the expired copy:\n  %s\n  fix: %s", want, f.Message, f.Fix)
		}
	})
	t.Run("renewed CA sent expired, current only in --issuers", func(t *testing.T) {
		s := setup{store: []*x509.Certificate{root.Cert}, issuers: []*x509.Certificate{newCA.Cert}}
		r := s.judge(t, leaf.Cert, oldCA.Cert)
		expect(t, r, "expired-ca-sent/error", false)
		if r.Path.Links[1].Source != chain.FromIssuers {
			t.Errorf("current copy from %s, want issuers", r.Path.Links[1].Source)
		}
	})
	t.Run("renewed CA sent expired, no current copy", func(t *testing.T) {
		s := setup{store: []*x509.Certificate{root.Cert}}
		r := s.judge(t, leaf.Cert, oldCA.Cert)
		expect(t, r, "expired/error", false)
		if f := msg(t, r, "expired", oldCA.Cert); !strings.HasPrefix(f.Fix, "renew") {
			t.Errorf("fix: %s", f.Fix)
		}
	})
	t.Run("expired root beside its re-issue", func(t *testing.T) {
		oldRoot := testca.New(testca.Options{CN: "Fabrikam Root CA", IsCA: true, NotBefore: testca.Epoch.AddDate(-20, 0, 0), NotAfter: testca.Epoch.Add(-day)}, nil)
		newRoot := testca.New(testca.Options{CN: "Fabrikam Root CA", IsCA: true, Key: oldRoot.Key}, nil)
		inter := testca.Intermediate("Fabrikam Issuing CA", newRoot)
		leaf := testca.New(leafOpts("mail.fabrikam.test"), inter)
		for _, order := range [][]*x509.Certificate{{oldRoot.Cert, newRoot.Cert}, {newRoot.Cert, oldRoot.Cert}} {
			s := setup{store: order}
			r := s.judge(t, leaf.Cert, inter.Cert)
			expect(t, r, "", true)
			if !r.Root().Cert.Equal(newRoot.Cert) {
				t.Error("the chain should end at the root's current copy")
			}
		}
	})
	t.Run("cross-sign: the valid path wins over the expired one", func(t *testing.T) {
		oldRoot := testca.New(testca.Options{CN: "Old Root CA", IsCA: true, NotBefore: testca.Epoch.AddDate(-20, 0, 0), NotAfter: testca.Epoch.Add(-day)}, nil)
		newRoot := testca.Root("New Root CA")
		cross := testca.New(testca.Options{CN: "New Root CA", IsCA: true, Key: newRoot.Key}, oldRoot)
		inter := testca.Intermediate("Issuing CA", newRoot)
		leaf := testca.New(leafOpts("mail.contoso.test"), inter)
		s := setup{store: []*x509.Certificate{oldRoot.Cert, newRoot.Cert}}
		r := s.judge(t, leaf.Cert, inter.Cert, cross.Cert)
		expect(t, r, "", true)
		if len(r.Path.Links) != 3 || !r.Root().Cert.Equal(newRoot.Cert) {
			t.Errorf("want leaf <- inter <- new root, got %d links", len(r.Path.Links))
		}
	})
}

// TestCrossCheckInvalidChain: a refusal only crypto/x509 makes (certificate
// policies) is still reported, as invalid-chain.
func TestCrossCheckInvalidChain(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	// policyConstraints: SEQUENCE { requireExplicitPolicy [0] 0 }, and no
	// policy anywhere.
	pc := []byte{0x30, 0x03, 0x80, 0x01, 0x00}
	inter := testca.New(testca.Options{CN: "Policy CA", IsCA: true, ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 36}, Critical: true, Value: pc}}}, root)
	leaf := testca.New(leafOpts("mail.contoso.test"), inter)
	r := setup{store: []*x509.Certificate{root.Cert}}.judge(t, leaf.Cert, inter.Cert)
	expect(t, r, "invalid-chain/error", false)
	if f := msg(t, r, "invalid-chain", nil); !strings.Contains(f.Message, "policies") {
		t.Errorf("message: %s", f.Message)
	}
}

func TestAdviceFitsTheCase(t *testing.T) {
	p := newCA("Contoso")
	leaf := testca.New(leafOpts("mail.contoso.test"), p.inter)
	for _, host := range []string{"mail", "127.0.0.1"} {
		r := setup{store: []*x509.Certificate{p.root.Cert}, host: host}.judge(t, leaf.Cert, p.inter.Cert)
		expect(t, r, "name-mismatch/error", true)
		f := msg(t, r, "name-mismatch", nil)
		if !strings.Contains(f.Fix, "fully qualified name") || !strings.Contains(f.Fix, "mail.contoso.test") || strings.Contains(f.Fix, "among its Subject Alternative Names") {
			t.Errorf("%s: fix should point at the FQDN, not at the certificate: %s", host, f.Fix)
		}
	}
	r := setup{store: []*x509.Certificate{p.root.Cert}, host: "mail.contoso.test"}.judge(t, leaf.Cert, p.inter.Cert)
	expect(t, r, "", true)

	// A wildcard on a lync target.
	wild := testca.New(testca.Options{CN: "*.contoso.test", DNSNames: []string{"*.contoso.test"}}, p.inter)
	r = setup{store: []*x509.Certificate{p.root.Cert}, host: "pool.contoso.test", role: target.RoleLync}.judge(t, wild.Cert, p.inter.Cert)
	expect(t, r, "lync-wildcard/warning", true)
	explicit := testca.New(testca.Options{CN: "pool.contoso.test", DNSNames: []string{"pool.contoso.test", "*.contoso.test"}}, p.inter)
	r = setup{store: []*x509.Certificate{p.root.Cert}, host: "pool.contoso.test", role: target.RoleLync}.judge(t, explicit.Cert, p.inter.Cert)
	expect(t, r, "", true)
	// The same wildcard on Exchange (EWS, Autodiscover): Lync Phone Edition
	// cannot use it (domain.md check 10), so lync-wildcard too, saying so.
	for _, role := range []target.Role{target.RoleEWS, target.RoleAutodiscover} {
		r = setup{store: []*x509.Certificate{p.root.Cert}, host: "mail.contoso.test", role: role}.judge(t, wild.Cert, p.inter.Cert)
		expect(t, r, "lync-wildcard/warning", true)
		if f := msg(t, r, "lync-wildcard", nil); !strings.Contains(f.Message, "Lync Phone Edition cannot use a wildcard EWS certificate") || !strings.Contains(f.Fix, "Exchange certificate with mail.contoso.test") {
			t.Errorf("%s: %q / %q", role, f.Message, f.Fix)
		}
	}
	// Explicitly named, or any other role: no warning.
	r = setup{store: []*x509.Certificate{p.root.Cert}, host: "pool.contoso.test", role: target.RoleEWS}.judge(t, explicit.Cert, p.inter.Cert)
	expect(t, r, "", true)
	r = setup{store: []*x509.Certificate{p.root.Cert}, host: "mail.contoso.test", role: target.RoleOther}.judge(t, wild.Cert, p.inter.Cert)
	expect(t, r, "", true)
}

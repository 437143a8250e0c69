package scanner_test

import (
	"context"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"github.com/trustgap/trustgap/scanner"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/target"
)

// env is a loopback lab: names pinned to local servers, and a client store.
type env struct {
	t     *testing.T
	pins  network.Pins
	store []*x509.Certificate
	noAIA bool
	dns   string
	tmo   time.Duration
}

func newEnv(t *testing.T, store ...*x509.Certificate) *env {
	return &env{t: t, pins: network.Pins{}, store: store, tmo: 5 * time.Second}
}

// serve starts a TLS server presenting leaf and chain, reachable as name:port.
func (e *env) serve(name string, port int, leaf *testca.Cert, chainCerts []*x509.Certificate, o lab.TLSOptions) {
	s := lab.TLS(testca.TLSCert(leaf, chainCerts...), o)
	e.t.Cleanup(s.Close)
	e.pins[net.JoinHostPort(name, strconv.Itoa(port))] = s.Addr
}

func (e *env) pin(name string, port int, addr string) {
	e.pins[net.JoinHostPort(name, strconv.Itoa(port))] = addr
}

func (e *env) scanner() *scanner.Scanner {
	d := &network.Dialer{Pins: e.pins, Timeout: e.tmo}
	if e.dns != "" {
		d.Resolver = &network.DNSResolver{Server: e.dns, Timeout: e.tmo}
	} else {
		// Anything not pinned must not leave the machine: an empty DNS
		// server answers NXDOMAIN.
		srv := lab.NewDNS()
		e.t.Cleanup(srv.Close)
		d.Resolver = &network.DNSResolver{Server: srv.Addr, Timeout: e.tmo}
	}
	s := &scanner.Scanner{Dialer: d, Store: chain.NewCertSet(e.store...), Now: testca.Epoch, Concurrency: 4}
	if !e.noAIA {
		s.AIA = network.NewAIA(d)
	}
	return s
}

func (e *env) scan(lines ...string) []*chain.Result {
	e.t.Helper()
	var list target.List
	if err := list.AddFile(strings.NewReader(strings.Join(lines, "\n")), "test"); err != nil {
		e.t.Fatal(err)
	}
	var out []*chain.Result
	err := e.scanner().Scan(context.Background(), list.Targets, func(r *chain.Result) error {
		out = append(out, r)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out) != len(list.Targets) {
		e.t.Fatalf("got %d results for %d targets", len(out), len(list.Targets))
	}
	return out
}

func codes(r *chain.Result) string {
	var cs []string
	for _, f := range r.Findings {
		cs = append(cs, f.Code+"/"+string(f.Severity))
	}
	return strings.Join(cs, " ")
}

func wantCodes(t *testing.T, r *chain.Result, want string) {
	t.Helper()
	if got := codes(r); got != want {
		t.Errorf("%s: findings %q, want %q\n%s", r.Target.Raw, got, want, messages(r))
	}
}

func messages(r *chain.Result) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString("  " + f.Code + ": " + f.Message + "\n")
	}
	if r.Err != nil {
		b.WriteString("  err: " + r.Err.Error() + "\n")
	}
	return b.String()
}

func sources(r *chain.Result) string {
	var s []string
	for _, l := range r.Path.Links {
		s = append(s, l.Cert.Subject.CommonName+"@"+string(l.Source))
	}
	return strings.Join(s, " ")
}

func findMsg(t *testing.T, r *chain.Result, code string) finding.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Code == code {
			if f.Fix == "" {
				t.Errorf("%s finding has no fix", code)
			}
			return f
		}
	}
	t.Fatalf("no %s finding in %q", code, codes(r))
	return finding.Finding{}
}

type pki struct {
	root, inter *testca.Cert
}

func newPKI(name string) pki {
	root := testca.Root(name + " Root CA")
	return pki{root: root, inter: testca.Intermediate(name+" Issuing CA", root)}
}

func TestTrustedChain(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t, p.root.Cert)
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	r := e.scan("https://mail.contoso.test/EWS/Exchange.asmx")[0]
	wantCodes(t, r, "")
	if !r.Trusted || !r.InStore {
		t.Errorf("trusted=%v in_store=%v, want both", r.Trusted, r.InStore)
	}
	if got, want := sources(r), "mail.contoso.test@server Contoso Issuing CA@server Contoso Root CA@store"; got != want {
		t.Errorf("chain %q, want %q", got, want)
	}
	if r.Target.Role != target.RoleEWS {
		t.Errorf("role %q, want ews", r.Target.Role)
	}
}

func TestSelfSigned(t *testing.T) {
	exch := testca.New(testca.Options{CN: "EXCH01", DNSNames: []string{"exch01.contoso.test"}, RSABits: 2048}, nil)
	e := newEnv(t)
	e.serve("exch01.contoso.test", 443, exch, nil, lab.TLSOptions{})
	r := e.scan("ews https://exch01.contoso.test/ews/exchange.asmx")[0]
	wantCodes(t, r, "self-signed/error")
	if r.Trusted || r.Root() == nil || !r.Root().Cert.Equal(exch.Cert) {
		t.Errorf("want the untrusted self-signed leaf as root")
	}

	// The very certificate in the store: trusted, reported as info.
	e.store = []*x509.Certificate{exch.Cert}
	r = e.scan("ews https://exch01.contoso.test/ews/exchange.asmx")[0]
	wantCodes(t, r, "self-signed/info")
	if !r.Trusted {
		t.Error("a self-signed leaf in the store should be trusted")
	}
}

func TestUntrustedRootAndDifferentCA(t *testing.T) {
	lync, exch := newPKI("Contoso Lync"), newPKI("Fabrikam")
	other := newPKI("Public")
	e := newEnv(t, other.root.Cert)
	e.serve("pool.contoso.test", 5061, testca.Leaf(lync.inter, "pool.contoso.test"), []*x509.Certificate{lync.inter.Cert, lync.root.Cert}, lab.TLSOptions{ClientAuth: tls.RequestClientCert})
	e.serve("mail.contoso.test", 443, testca.Leaf(exch.inter, "mail.contoso.test"), []*x509.Certificate{exch.inter.Cert, exch.root.Cert}, lab.TLSOptions{})
	rs := e.scan("https://mail.contoso.test/EWS/Exchange.asmx", "lync pool.contoso.test:5061")
	ews, pool := rs[0], rs[1]
	wantCodes(t, pool, "lync-root-assumed/info root-presented/info")
	if !pool.Trusted || pool.InStore {
		t.Errorf("lync root: trusted=%v in_store=%v, want trusted, not in store", pool.Trusted, pool.InStore)
	}
	wantCodes(t, ews, "untrusted-root/error different-ca/warning root-presented/info")
	f := findMsg(t, ews, "different-ca")
	if !strings.Contains(f.Message, "Fabrikam Root CA") || !strings.Contains(f.Message, "Contoso Lync Root CA") {
		t.Errorf("different-ca message should name both CAs: %s", f.Message)
	}
	if f := findMsg(t, ews, "untrusted-root"); !strings.Contains(f.Fix, certutil.Thumbprint(exch.root.Cert)) {
		t.Errorf("untrusted-root fix should name the root's thumbprint: %s", f.Fix)
	}

	// Exchange's root in the store: trusted, and a different CA is then no
	// problem (clients trust it anyway).
	e.store = append(e.store, exch.root.Cert)
	rs = e.scan("https://mail.contoso.test/EWS/Exchange.asmx", "lync pool.contoso.test:5061")
	wantCodes(t, rs[0], "root-presented/info")
	if !rs[0].Trusted || !rs[0].InStore {
		t.Error("want trusted and in store")
	}
}

func TestLyncRootCompletesOtherChains(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t)
	e.noAIA = true
	e.serve("pool.contoso.test", 5061, testca.Leaf(p.inter, "pool.contoso.test"), []*x509.Certificate{p.inter.Cert, p.root.Cert}, lab.TLSOptions{})
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	rs := e.scan("ews mail.contoso.test", "lync pool.contoso.test")
	wantCodes(t, rs[0], "lync-root-assumed/info")
	if !rs[0].Trusted {
		t.Error("an Exchange chain to the Lync root should be trusted")
	}
}

func TestIncompleteChainAIA(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	var hits atomic.Int32
	inter := testca.Intermediate("Contoso Issuing CA", root)
	aia := lab.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/issuing.p7c" {
			http.NotFound(w, r)
			return
		}
		w.Write(testca.PEM(inter.Cert)) // PEM answer: accepted too
	}))
	t.Cleanup(aia.Close)
	e := newEnv(t, root.Cert)
	e.pin("pki.contoso.test", 80, aia.Addr)
	for _, n := range []string{"a.contoso.test", "b.contoso.test", "c.contoso.test"} {
		leaf := testca.New(testca.Options{CN: n, DNSNames: []string{n}, IssuingURL: "http://pki.contoso.test/issuing.p7c"}, inter)
		e.serve(n, 443, leaf, nil, lab.TLSOptions{})
	}
	rs := e.scan("a.contoso.test", "b.contoso.test", "c.contoso.test")
	for _, r := range rs {
		wantCodes(t, r, "incomplete-chain/warning")
		if !r.Trusted {
			t.Errorf("%s: AIA-completed chain should be trusted", r.Target.Raw)
		}
		if got := sources(r); !strings.Contains(got, "Contoso Issuing CA@aia") {
			t.Errorf("chain %q should mark the intermediate as from aia", got)
		}
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("AIA URL fetched %d times, want once (shared cache)", n)
	}

	// AIA unreachable: the chain cannot be completed.
	e2 := newEnv(t, root.Cert)
	e2.pin("pki.contoso.test", 80, lab.ClosedPort())
	leaf := testca.New(testca.Options{CN: "d.contoso.test", DNSNames: []string{"d.contoso.test"}, IssuingURL: "http://pki.contoso.test/issuing.p7c"}, inter)
	e2.serve("d.contoso.test", 443, leaf, nil, lab.TLSOptions{})
	r := e2.scan("d.contoso.test")[0]
	wantCodes(t, r, "incomplete-chain/error")
	if f := findMsg(t, r, "incomplete-chain"); !strings.Contains(f.Message, "AIA could not supply it") {
		t.Errorf("message should say AIA failed: %s", f.Message)
	}
	if r.Root() != nil || r.Trusted {
		t.Error("an incomplete chain has no root and is not trusted")
	}

	// --no-aia: the same chain stays incomplete.
	e.noAIA = true
	r = e.scan("a.contoso.test")[0]
	wantCodes(t, r, "incomplete-chain/error")
}

func TestWrongOrderExtrasDuplicates(t *testing.T) {
	p := newPKI("Contoso")
	inter2 := testca.Intermediate("Contoso Policy CA", p.inter)
	stray := newPKI("Stray")
	leaf := testca.Leaf(inter2, "mail.contoso.test")
	e := newEnv(t, p.root.Cert)
	e.noAIA = true
	e.serve("mail.contoso.test", 443, leaf, []*x509.Certificate{stray.inter.Cert, p.inter.Cert, stray.root.Cert, inter2.Cert, p.inter.Cert}, lab.TLSOptions{})
	r := e.scan("mail.contoso.test")[0]
	// The chain builds all the same; the order and the extras are findings.
	wantCodes(t, r, "chain-order/warning extra-certificates/warning")
	if f := findMsg(t, r, "extra-certificates"); !strings.Contains(f.Message, "sends 3 certificate(s)") || !strings.Contains(f.Message, `"CN=Stray Root CA"`) ||
		!strings.Contains(f.Message, `"CN=Contoso Issuing CA" (SHA-1 `+certutil.Thumbprint(p.inter.Cert)+`) a second time`) {
		t.Errorf("extra-certificates should name the stray CAs and the duplicate: %s", f.Message)
	}
	if got, want := sources(r), "mail.contoso.test@server Contoso Policy CA@server Contoso Issuing CA@server Contoso Root CA@store"; got != want {
		t.Errorf("chain %q, want %q", got, want)
	}
}

func TestCrossSigned(t *testing.T) {
	oldRoot := testca.Root("Old Root CA")
	newRoot := testca.Root("New Root CA")
	// The new root's key, certified by the old root.
	cross := testca.New(testca.Options{CN: "New Root CA", IsCA: true, Key: newRoot.Key}, oldRoot)
	inter := testca.Intermediate("Issuing CA", newRoot)
	leaf := testca.Leaf(inter, "mail.contoso.test")
	served := []*x509.Certificate{inter.Cert, cross.Cert}

	for _, tc := range []struct {
		name  string
		store *x509.Certificate
		want  string
	}{
		{"old root in store", oldRoot.Cert, "mail.contoso.test@server Issuing CA@server New Root CA@server Old Root CA@store"},
		{"new root in store", newRoot.Cert, "mail.contoso.test@server Issuing CA@server New Root CA@store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.store)
			e.noAIA = true
			e.serve("mail.contoso.test", 443, leaf, served, lab.TLSOptions{})
			r := e.scan("mail.contoso.test")[0]
			wantCodes(t, r, "")
			if got := sources(r); got != tc.want {
				t.Errorf("chain %q, want %q", got, tc.want)
			}
			if !r.Trusted {
				t.Error("want trusted")
			}
		})
	}
}

func TestReKeyedCA(t *testing.T) {
	// Two CAs with the same name and different keys: only the signature
	// tells them apart.
	root := testca.Root("Contoso Root CA")
	oldInter := testca.Intermediate("Contoso Issuing CA", root)
	newInter := testca.Intermediate("Contoso Issuing CA", root)
	leaf := testca.Leaf(newInter, "mail.contoso.test")
	e := newEnv(t, root.Cert)
	e.noAIA = true
	e.serve("mail.contoso.test", 443, leaf, []*x509.Certificate{oldInter.Cert, newInter.Cert}, lab.TLSOptions{})
	r := e.scan("mail.contoso.test")[0]
	// The old-key intermediate is sent for nothing.
	wantCodes(t, r, "extra-certificates/warning")
	if !r.Path.Links[1].Cert.Equal(newInter.Cert) {
		t.Error("built through the wrong (old-key) intermediate")
	}
}

func TestValidity(t *testing.T) {
	p := newPKI("Contoso")
	day := 24 * time.Hour
	e := newEnv(t, p.root.Cert)
	mk := func(name string, nb, na time.Time) {
		e.serve(name, 443, testca.New(testca.Options{CN: name, DNSNames: []string{name}, NotBefore: nb, NotAfter: na}, p.inter), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	}
	mk("expired.test", testca.Epoch.Add(-400*day), testca.Epoch.Add(-day))
	mk("future.test", testca.Epoch.Add(day), testca.Epoch.Add(400*day))
	mk("soon.test", testca.Epoch.Add(-300*day), testca.Epoch.Add(10*day))
	rs := e.scan("expired.test", "future.test", "soon.test")
	wantCodes(t, rs[0], "expired/error")
	wantCodes(t, rs[1], "not-yet-valid/error")
	wantCodes(t, rs[2], "expiring-soon/warning")
	if f := findMsg(t, rs[2], "expiring-soon"); !strings.Contains(f.Message, "in 10 days") {
		t.Errorf("message: %s", f.Message)
	}
}

func TestNameMismatch(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t, p.root.Cert)
	e.serve("contoso.test", 443, testca.Leaf(p.inter, "www.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	cnOnly := testca.New(testca.Options{CN: "legacy.contoso.test"}, p.inter)
	e.serve("legacy.contoso.test", 443, cnOnly, []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	e.serve("wild.contoso.test", 443, testca.Leaf(p.inter, "*.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	rs := e.scan("https://contoso.test/autodiscover/autodiscover.xml", "legacy.contoso.test", "wild.contoso.test")
	wantCodes(t, rs[0], "name-mismatch/error")
	if f := findMsg(t, rs[0], "name-mismatch"); !strings.Contains(f.Message, "www.contoso.test") || !strings.Contains(f.Message, "not contoso.test") {
		t.Errorf("message: %s", f.Message)
	}
	wantCodes(t, rs[1], "") // CN counts when there are no SANs
	wantCodes(t, rs[2], "")
}

func TestWeakKeyAndSignature(t *testing.T) {
	root := testca.New(testca.Options{CN: "Old Root CA", IsCA: true, RSABits: 2048, SigAlg: x509.SHA1WithRSA}, nil)
	inter := testca.New(testca.Options{CN: "SHA1 Issuing CA", IsCA: true, RSABits: 2048, SigAlg: x509.SHA1WithRSA}, root)
	leaf := testca.New(testca.Options{CN: "weak.test", DNSNames: []string{"weak.test"}, RSABits: 1024}, inter)
	e := newEnv(t, root.Cert)
	e.serve("weak.test", 443, leaf, []*x509.Certificate{inter.Cert}, lab.TLSOptions{})
	r := e.scan("weak.test")[0]
	// The leaf is signed by an RSA key with SHA-256 (x509 default), the
	// intermediate with SHA-1; the trusted root's own SHA-1 does not count.
	wantCodes(t, r, "weak-signature/warning weak-key/warning")
	if f := findMsg(t, r, "weak-signature"); !strings.Contains(f.Message, "SHA1 Issuing CA") {
		t.Errorf("weak-signature should name the intermediate: %s", f.Message)
	}
	if f := findMsg(t, r, "weak-key"); !strings.Contains(f.Message, "1024-bit RSA") {
		t.Errorf("weak-key message: %s", f.Message)
	}
}

func TestWeakECKey(t *testing.T) {
	root := testca.Root("Root CA")
	inter := testca.New(testca.Options{CN: "P-224 Issuing CA", IsCA: true, Curve: elliptic.P224()}, root)
	e := newEnv(t, root.Cert)
	e.serve("ec.test", 443, testca.Leaf(inter, "ec.test"), []*x509.Certificate{inter.Cert}, lab.TLSOptions{})
	r := e.scan("ec.test")[0]
	wantCodes(t, r, "weak-key/warning")
	if f := findMsg(t, r, "weak-key"); !strings.Contains(f.Message, "P-224 Issuing CA") || !strings.Contains(f.Message, "224-bit EC key") {
		t.Errorf("weak-key message: %s", f.Message)
	}
}

func TestClientCertificateRequired(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t, p.root.Cert)
	e.serve("pool.contoso.test", 5061, testca.Leaf(p.inter, "pool.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{ClientAuth: tls.RequireAnyClientCert})
	r := e.scan("lync pool.contoso.test")[0]
	wantCodes(t, r, "")
	if r.Target.Port != 5061 || !r.Trusted {
		t.Errorf("port %d trusted %v: want the chain captured from a server that demands a client certificate", r.Target.Port, r.Trusted)
	}
}

func TestUnreachable(t *testing.T) {
	dns := lab.NewDNS().A("closed.contoso.test", "127.0.0.1")
	t.Cleanup(dns.Close)
	silent, garbage := lab.Silent(), lab.Garbage()
	t.Cleanup(silent.Close)
	t.Cleanup(garbage.Close)
	e := newEnv(t)
	e.dns = dns.Addr
	e.tmo = 300 * time.Millisecond
	e.pin("silent.test", 443, silent.Addr)
	e.pin("garbage.test", 443, garbage.Addr)
	_, closedPort, _ := net.SplitHostPort(lab.ClosedPort())
	rs := e.scan("unknown.contoso.test", "closed.contoso.test:"+closedPort, "silent.test", "garbage.test")
	for i, want := range []string{"dns-failure", "connect-failure", "timeout", "handshake-failure"} {
		wantCodes(t, rs[i], want+"/error")
		if rs[i].Path != nil || rs[i].Trusted {
			t.Errorf("%s: unreachable target has a chain", rs[i].Target.Raw)
		}
	}
	if m := rs[0].Findings[0].Message; !strings.Contains(m, "unknown.contoso.test") || !strings.Contains(m, "NXDOMAIN") || !strings.Contains(m, dns.Addr) {
		t.Errorf("dns-failure message should name the name, the server and NXDOMAIN: %s", m)
	}
	if m := rs[1].Findings[0].Message; !strings.Contains(m, "closed.contoso.test") || !strings.Contains(m, "127.0.0.1:"+closedPort) {
		t.Errorf("connect-failure message should name host and address: %s", m)
	}
	if m := rs[2].Findings[0].Message; !strings.Contains(m, "did not complete within") {
		t.Errorf("timeout message: %s", m)
	}
}

func TestOutputKeepsInputOrder(t *testing.T) {
	p := newPKI("Contoso")
	silent := lab.Silent()
	t.Cleanup(silent.Close)
	e := newEnv(t, p.root.Cert)
	e.tmo = 200 * time.Millisecond
	e.pin("slow.test", 443, silent.Addr)
	var lines []string
	lines = append(lines, "slow.test")
	for i := 0; i < 20; i++ {
		n := "h" + strconv.Itoa(i) + ".test"
		e.serve(n, 443, testca.Leaf(p.inter, n), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
		lines = append(lines, n)
	}
	lines = append(lines, "lync pool.test") // not served: a lync dns-failure
	rs := e.scan(lines...)
	for i, r := range rs {
		if r.Index != i || r.Target.Raw != strings.Fields(lines[i])[len(strings.Fields(lines[i]))-1] {
			t.Fatalf("result %d is %q (index %d): output not in input order", i, r.Target.Raw, r.Index)
		}
	}
}

func TestGiantChainIsCut(t *testing.T) {
	p := newPKI("Contoso")
	var extras []*x509.Certificate
	for i := 0; i < 200; i++ {
		extras = append(extras, p.inter.Cert)
	}
	e := newEnv(t, p.root.Cert)
	e.serve("big.test", 443, testca.Leaf(p.inter, "big.test"), extras, lab.TLSOptions{})
	// 200 copies of the intermediate fit in crypto/tls's handshake limit;
	// trustgap reads them all (duplicates are ignored) and builds.
	r := e.scan("big.test")[0]
	wantCodes(t, r, "extra-certificates/warning")
	if f := findMsg(t, r, "extra-certificates"); !strings.Contains(f.Message, "sends 199 certificate(s)") || !strings.Contains(f.Message, "199 more times") {
		t.Errorf("the copies should be counted, not listed: %s", f.Message)
	}
	if got := sources(r); got != "big.test@server Contoso Issuing CA@server Contoso Root CA@store" {
		t.Errorf("chain %q", got)
	}

	// Far past the limit (about 4 MB of certificates): the handshake is
	// refused, reported as a handshake failure.
	huge := testca.New(testca.Options{CN: "huge", IsCA: true, DNSNames: bigNames(2000)}, p.root)
	var many []*x509.Certificate
	for i := 0; i < 40; i++ {
		many = append(many, huge.Cert)
	}
	e.serve("huge.test", 443, testca.Leaf(p.inter, "huge.test"), many, lab.TLSOptions{})
	r = e.scan("huge.test")[0]
	wantCodes(t, r, "handshake-failure/error")
}

func bigNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "name-" + strconv.Itoa(i) + ".padding.example.test"
	}
	return out
}

// benchLab serves n distinct names from 4 loopback servers, with an AIA
// server for the intermediate they do not send.
func benchLab(b *testing.B, n int) (targets []target.Target, pins network.Pins, root *x509.Certificate) {
	r := testca.Root("Bench Root")
	inter := testca.Intermediate("Bench Issuing", r)
	aia := lab.Files(map[string][]byte{"/i.crt": inter.Cert.Raw})
	b.Cleanup(aia.Close)
	pins = network.Pins{"pki.bench.test:80": aia.Addr}
	var servers []*lab.Server
	for i := 0; i < 4; i++ {
		leaf := testca.New(testca.Options{CN: "*.bench.test", DNSNames: []string{"*.bench.test"}, IssuingURL: "http://pki.bench.test/i.crt"}, inter)
		s := lab.TLS(testca.TLSCert(leaf), lab.TLSOptions{})
		b.Cleanup(s.Close)
		servers = append(servers, s)
	}
	for i := 0; i < n; i++ {
		name := "h" + strconv.Itoa(i) + ".bench.test"
		pins[name+":443"] = servers[i%4].Addr
		t, _ := target.ParseTarget(name)
		targets = append(targets, t)
	}
	return targets, pins, r.Cert
}

func benchScan(b *testing.B, targets []target.Target, pins network.Pins, root *x509.Certificate, each func(int)) {
	d := &network.Dialer{Pins: pins, Timeout: 5 * time.Second}
	s := &scanner.Scanner{Dialer: d, AIA: network.NewAIA(d), Store: chain.NewCertSet(root), Now: testca.Epoch, Concurrency: 64}
	n := 0
	if err := s.Scan(context.Background(), targets, func(r *chain.Result) error {
		if !r.Trusted {
			b.Fatalf("%s: not trusted: %v", r.Target.Raw, r.Findings)
		}
		n++
		if each != nil {
			each(n)
		}
		return nil
	}); err != nil || n != len(targets) {
		b.Fatal(err, n)
	}
}

// BenchmarkScan scans 1000 distinct targets served by 4 loopback servers,
// with a shared AIA cache.
func BenchmarkScan(b *testing.B) {
	targets, pins, root := benchLab(b, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchScan(b, targets, pins, root, nil)
	}
}

// BenchmarkScanMemory reports the peak live heap while scanning 1000 and
// 10000 targets: with results streamed out it should not grow with the
// list. Run it with -benchtime 1x.
func BenchmarkScanMemory(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			targets, pins, root := benchLab(b, n)
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var peak uint64
				benchScan(b, targets, pins, root, func(done int) {
					if done%250 == 0 {
						var m runtime.MemStats
						runtime.ReadMemStats(&m)
						peak = max(peak, m.HeapInuse)
					}
				})
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			}
		})
	}
}

// TestRootRuleRestricts: a root the store holds only through Microsoft's
// root program, whose CTL entry refuses the chain, gives ctl-restricted
// instead of trust (and not untrusted-root: it is in the store).
func TestRootRuleRestricts(t *testing.T) {
	p := newPKI("Program")
	e := newEnv(t, p.root.Cert)
	e.serve("mail.contoso.test", 443, testca.Leaf(p.inter, "mail.contoso.test"), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	s := e.scanner()
	var gotRoot, gotLeaf *x509.Certificate
	s.RootRule = func(root, leaf *x509.Certificate, now time.Time) string {
		gotRoot, gotLeaf = root, leaf
		if !now.Equal(testca.Epoch) {
			return "wrong instant"
		}
		return "Microsoft's root program disabled it on 2026-01-01"
	}
	var list target.List
	list.Add(target.Target{Role: target.RoleEWS, Raw: "mail.contoso.test", Host: "mail.contoso.test", Port: 443})
	var r *chain.Result
	if err := s.Scan(context.Background(), list.Targets, func(res *chain.Result) error { r = res; return nil }); err != nil {
		t.Fatal(err)
	}
	wantCodes(t, r, "ctl-restricted/error")
	if r.Trusted || !r.InStore {
		t.Errorf("trusted=%v in_store=%v, want untrusted but in store", r.Trusted, r.InStore)
	}
	f := findMsg(t, r, finding.CodeCTLRestricted)
	if !strings.Contains(f.Message, `"CN=Program Root CA"`) || !strings.Contains(f.Message, "disabled it on 2026-01-01") {
		t.Errorf("message %q", f.Message)
	}
	if gotRoot == nil || gotRoot.Subject.CommonName != "Program Root CA" || gotLeaf.Subject.CommonName != "mail.contoso.test" {
		t.Errorf("the rule was asked about root %v, leaf %v", gotRoot, gotLeaf)
	}
}

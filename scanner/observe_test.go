package scanner_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/revocation"
	"github.com/trustgap/trustgap/target"
)

// serveAt starts a TLS server on ip:port, skipping the test where loopback
// aliases (127.0.0.2 ...) do not exist.
func serveAt(t *testing.T, ip string, port int, leaf *testca.Cert, chainCerts []*x509.Certificate) {
	t.Helper()
	s, err := lab.TLSAt(net.JoinHostPort(ip, strconv.Itoa(port)), testca.TLSCert(leaf, chainCerts...), lab.TLSOptions{})
	if err != nil {
		t.Skipf("cannot listen on %s (loopback aliases are Linux-only): %v", ip, err)
	}
	t.Cleanup(s.Close)
}

// jsonReport scans lines and returns the JSON report, as scan writes it.
func jsonReport(t *testing.T, e *env, conc int, lines ...string) ([]*chain.Result, string) {
	t.Helper()
	var list target.List
	if err := list.AddFile(strings.NewReader(strings.Join(lines, "\n")), "test"); err != nil {
		t.Fatal(err)
	}
	s := e.scanner()
	s.Concurrency = conc
	var buf bytes.Buffer
	w, err := report.NewWriter(&buf, report.Options{Format: report.FormatJSON})
	if err != nil {
		t.Fatal(err)
	}
	var out []*chain.Result
	if err := s.Scan(context.Background(), list.Targets, func(r *chain.Result) error {
		out = append(out, r)
		return w.Write(r)
	}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	return out, buf.String()
}

// TestEveryAddress is one name on three servers, the middle one still on
// its self-signed certificate: every address is checked, the target fails
// with inconsistent-servers, and the report is the same byte for byte
// whatever order DNS answers in and however many connections run at once.
func TestEveryAddress(t *testing.T) {
	p := newPKI("Contoso")
	port := lab.FreePort()
	good := testca.Leaf(p.inter, "mail.contoso.test")
	self := testca.New(testca.Options{CN: "EXCH02", DNSNames: []string{"mail.contoso.test"}, RSABits: 2048}, nil)
	serveAt(t, "127.0.0.2", port, good, []*x509.Certificate{p.inter.Cert})
	serveAt(t, "127.0.0.3", port, self, nil)
	serveAt(t, "127.0.0.4", port, good, []*x509.Certificate{p.inter.Cert})
	line := "ews mail.contoso.test:" + strconv.Itoa(port)

	var first string
	for i, order := range [][]string{
		{"127.0.0.2", "127.0.0.3", "127.0.0.4"},
		{"127.0.0.4", "127.0.0.3", "127.0.0.2"},
		{"127.0.0.3", "127.0.0.2", "127.0.0.4"},
	} {
		dns := lab.NewDNS().A("mail.contoso.test", order...)
		t.Cleanup(dns.Close)
		e := newEnv(t, p.root.Cert)
		e.dns = dns.Addr
		rs, js := jsonReport(t, e, 1+i, line)
		if i == 0 {
			first = js
			r := rs[0]
			if r.Verdict() != chain.VerdictFail || !r.Failed() {
				t.Errorf("verdict %s, want fail", r.Verdict())
			}
			var addrs []string
			for _, a := range r.Addresses {
				addrs = append(addrs, a.Addr+" "+string(a.Verdict()))
			}
			want := []string{"127.0.0.2:" + strconv.Itoa(port) + " ok", "127.0.0.3:" + strconv.Itoa(port) + " fail", "127.0.0.4:" + strconv.Itoa(port) + " ok"}
			if diff := cmp.Diff(want, addrs); diff != "" {
				t.Errorf("addresses (-want +got):\n%s", diff)
			}
			if r.Addr != "127.0.0.2:"+strconv.Itoa(port) || !r.Trusted || r.Path.Links[0].Cert.Subject.CommonName != "mail.contoso.test" {
				t.Errorf("the target should carry the first address's chain: addr %s trusted %v", r.Addr, r.Trusted)
			}
			wantCodes(t, r, "inconsistent-servers/error")
			f := findMsg(t, r, "inconsistent-servers")
			for _, s := range []string{"the 3 servers behind mail.contoso.test differ",
				`127.0.0.3:` + strconv.Itoa(port) + `: "CN=EXCH02" (SHA-1 `, `): FAIL (self-signed)`,
				`127.0.0.2:` + strconv.Itoa(port) + `: "CN=mail.contoso.test" (SHA-1 `, "expires 2028-06-01): OK"} {
				if !strings.Contains(f.Message, s) {
					t.Errorf("inconsistent-servers message lacks %q: %s", s, f.Message)
				}
			}
			continue
		}
		if js != first {
			t.Errorf("DNS order %v gave another report:\n%s\nthan the first:\n%s", order, js, first)
		}
	}
}

// TestOneAddressUnreachable: a dead node behind a name makes the target
// unreachable, with the answering node's chain kept.
func TestOneAddressUnreachable(t *testing.T) {
	p := newPKI("Contoso")
	port := lab.FreePort()
	serveAt(t, "127.0.0.2", port, testca.Leaf(p.inter, "rr.contoso.test"), []*x509.Certificate{p.inter.Cert})
	dns := lab.NewDNS().A("rr.contoso.test", "127.0.0.2", "127.0.0.9") // nothing on .9
	t.Cleanup(dns.Close)
	e := newEnv(t, p.root.Cert)
	e.dns = dns.Addr
	r := e.scan("rr.contoso.test:" + strconv.Itoa(port))[0]
	if r.Verdict() != chain.VerdictUnreachable || r.Path == nil || r.Err != nil {
		t.Errorf("verdict %s, path %v, err %v: want unreachable with the first server's chain", r.Verdict(), r.Path != nil, r.Err)
	}
	wantCodes(t, r, "inconsistent-servers/error")
	if f := findMsg(t, r, "inconsistent-servers"); !strings.Contains(f.Message, "127.0.0.9:"+strconv.Itoa(port)+": no chain (connect-failure): UNREACHABLE") {
		t.Errorf("message: %s", f.Message)
	}
	// The same servers agreeing: no finding.
	dns2 := lab.NewDNS().A("rr.contoso.test", "127.0.0.2")
	t.Cleanup(dns2.Close)
	e.dns = dns2.Addr
	r = e.scan("rr.contoso.test:" + strconv.Itoa(port))[0]
	wantCodes(t, r, "")
	if len(r.Addresses) != 1 || r.Verdict() != chain.VerdictOK {
		t.Errorf("one address: %d addresses, verdict %s", len(r.Addresses), r.Verdict())
	}
}

// TestPresentedOrder is a server sending its leaf, an unrelated root, its
// root, then its intermediate: the order is kept as sent, the chain is
// built all the same, and the order, the extra and the root are findings.
func TestPresentedOrder(t *testing.T) {
	p := newPKI("Contoso")
	stray := testca.Root("Unrelated Root CA")
	leaf := testca.Leaf(p.inter, "mail.contoso.test")
	e := newEnv(t, p.root.Cert)
	e.noAIA = true
	e.serve("mail.contoso.test", 443, leaf, []*x509.Certificate{stray.Cert, p.root.Cert, p.inter.Cert}, lab.TLSOptions{})
	r := e.scan("mail.contoso.test")[0]
	wantCodes(t, r, "chain-order/warning extra-certificates/warning root-presented/info")
	var sent []string
	for _, c := range r.Presented {
		sent = append(sent, c.Subject.CommonName)
	}
	if diff := cmp.Diff([]string{"mail.contoso.test", "Unrelated Root CA", "Contoso Root CA", "Contoso Issuing CA"}, sent); diff != "" {
		t.Errorf("presented order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]bool{true, false, true, true}, r.Used()); diff != "" {
		t.Errorf("used (-want +got):\n%s", diff)
	}
	// The root the server sent is labelled as sent, though the store has it.
	if got := sources(r); got != "mail.contoso.test@server Contoso Issuing CA@server Contoso Root CA@server" {
		t.Errorf("chain %q", got)
	}
	if !r.Trusted || !r.InStore {
		t.Error("want trusted, in store")
	}
	if f := findMsg(t, r, "chain-order"); !strings.Contains(f.Message, `CN=mail.contoso.test, CN=Unrelated Root CA, CN=Contoso Root CA, CN=Contoso Issuing CA, not leaf to root (CN=mail.contoso.test <- CN=Contoso Issuing CA <- CN=Contoso Root CA)`) {
		t.Errorf("chain-order message: %s", f.Message)
	}
	if f := findMsg(t, r, "extra-certificates"); !strings.Contains(f.Message, `1 certificate(s) its chain does not use: "CN=Unrelated Root CA"`) {
		t.Errorf("extra-certificates message: %s", f.Message)
	}
	if r.TLSVersion != tls.VersionTLS13 || r.CipherSuite == 0 {
		t.Errorf("negotiated %s / %s", tls.VersionName(r.TLSVersion), tls.CipherSuiteName(r.CipherSuite))
	}
}

// TestProtocols probes the TLS versions of a TLS 1.2-only server, one that
// still accepts TLS 1.0, and a TLS 1.3-only one.
func TestProtocols(t *testing.T) {
	p := newPKI("Contoso")
	e := newEnv(t, p.root.Cert)
	chainCerts := []*x509.Certificate{p.inter.Cert}
	e.serve("modern.test", 443, testca.Leaf(p.inter, "modern.test"), chainCerts, lab.TLSOptions{MaxVersion: tls.VersionTLS12})
	e.serve("legacy.test", 443, testca.Leaf(p.inter, "legacy.test"), chainCerts, lab.TLSOptions{MinVersion: tls.VersionTLS10})
	e.serve("new.test", 443, testca.Leaf(p.inter, "new.test"), chainCerts, lab.TLSOptions{MinVersion: tls.VersionTLS13})
	var list target.List
	list.AddFile(strings.NewReader("modern.test\nlegacy.test\nnew.test\nplain.test"), "test")
	s := e.scanner()
	s.Protocols = true
	var rs []*chain.Result
	if err := s.Scan(context.Background(), list.Targets, func(r *chain.Result) error { rs = append(rs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	accepted := func(r *chain.Result) string {
		var out []string
		for _, p := range r.Protocols {
			if p.Err != nil {
				t.Errorf("%s %s: %v", r.Target.Host, tls.VersionName(p.Version), p.Err)
			}
			if p.Accepted {
				out = append(out, tls.VersionName(p.Version))
			}
		}
		return strings.Join(out, " ")
	}
	for i, want := range []struct{ versions, codes string }{
		{"TLS 1.2", "legacy-clients/warning"},
		{"TLS 1.0 TLS 1.1 TLS 1.2 TLS 1.3", "tls10-accepted/info"},
		{"TLS 1.3", "legacy-clients/error"},
	} {
		if got := accepted(rs[i]); got != want.versions {
			t.Errorf("%s accepts %q, want %q", rs[i].Target.Host, got, want.versions)
		}
		wantCodes(t, rs[i], want.codes)
	}
	if f := findMsg(t, rs[0], "legacy-clients"); !strings.Contains(f.Fix, "KB3140245") || !strings.Contains(f.Fix, "DefaultSecureProtocols") || !strings.Contains(f.Message, "Windows 7") {
		t.Errorf("legacy-clients should name the clients, the update and the setting: %s / %s", f.Message, f.Fix)
	}
	// Without --protocols nothing is probed.
	r := e.scan("modern.test")[0]
	if r.Protocols != nil || len(r.Findings) != 0 {
		t.Errorf("protocols probed without being asked: %v %v", r.Protocols, r.Findings)
	}
}

// adcsName is an AD CS CA's name: CN=<CA name>,DC=contoso,DC=com.
func adcsName(t *testing.T, cn string) []byte {
	t.Helper()
	dc := func(v string) []pkix.AttributeTypeAndValue {
		return []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, Value: asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(v)}}}
	}
	raw, err := asn1.Marshal(pkix.RDNSequence{dc("com"), dc("contoso"), {{Type: asn1.ObjectIdentifier{2, 5, 4, 3}, Value: cn}}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestADCSNames scans a server on an AD CS-style CA: its DC= parts show
// by name, in RFC 4514 order, in the JSON and verbose text reports.
func TestADCSNames(t *testing.T) {
	ca := testca.New(testca.Options{RawSubject: adcsName(t, "contoso-DC01-CA"), IsCA: true}, nil)
	leaf := testca.Leaf(ca, "mail.contoso.test")
	e := newEnv(t, ca.Cert)
	e.serve("mail.contoso.test", 443, leaf, nil, lab.TLSOptions{})
	_, js := jsonReport(t, e, 1, "mail.contoso.test")
	want := `"issuer":"CN=contoso-DC01-CA,DC=contoso,DC=com"`
	if !strings.Contains(js, want) || strings.Contains(js, "0.9.2342") {
		t.Errorf("JSON report lacks %s (or shows the OID):\n%s", want, js)
	}
	r := e.scan("mail.contoso.test")[0]
	var buf bytes.Buffer
	w, _ := report.NewWriter(&buf, report.Options{Format: report.FormatText, Verbose: true})
	w.Write(r)
	w.Close()
	if !strings.Contains(buf.String(), "issuer:            CN=contoso-DC01-CA,DC=contoso,DC=com") {
		t.Errorf("verbose text lacks the CA's DN:\n%s", buf.String())
	}
}

// TestRevocationEveryAddress: the revocation of every address's chain is
// checked, not only the first's: a revoked leaf on the second server behind
// a name fails that address, the target and inconsistent-servers (which
// names it), and the JSON (other_certs) and CSV address rows carry its
// status. A third server with the first's chain gets the first's statuses.
func TestRevocationEveryAddress(t *testing.T) {
	root := testca.Root("Revoking Root CA")
	inter := testca.Intermediate("Revoking Issuing CA", root)
	var crl []byte
	crlSrv := lab.HTTP(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(crl) }))
	t.Cleanup(crlSrv.Close)
	cdp := []string{"http://" + crlSrv.Addr + "/inter.crl"}
	good := testca.New(testca.Options{CN: "rv.contoso.test", DNSNames: []string{"rv.contoso.test"}, CRLURLs: cdp}, inter)
	bad := testca.New(testca.Options{CN: "rv.contoso.test", DNSNames: []string{"rv.contoso.test"}, CRLURLs: cdp}, inter)
	crl = testca.CRL(inter, testca.CRLOptions{Revoked: []testca.Revoked{{Serial: bad.Cert.SerialNumber, Reason: 1}}})
	port := lab.FreePort()
	serveAt(t, "127.0.0.2", port, good, []*x509.Certificate{inter.Cert})
	serveAt(t, "127.0.0.3", port, bad, []*x509.Certificate{inter.Cert})
	serveAt(t, "127.0.0.4", port, good, []*x509.Certificate{inter.Cert})
	dns := lab.NewDNS().A("rv.contoso.test", "127.0.0.2", "127.0.0.3", "127.0.0.4")
	t.Cleanup(dns.Close)
	e := newEnv(t, root.Cert)
	e.dns, e.noAIA = dns.Addr, true

	var list target.List
	list.AddFile(strings.NewReader("ews rv.contoso.test:"+strconv.Itoa(port)), "test")
	s := e.scanner()
	s.Revocation = revocation.New(network.NewFetcher(s.Dialer), revocation.Soft, testca.Epoch)
	var r *chain.Result
	if err := s.Scan(context.Background(), list.Targets, func(res *chain.Result) error { r = res; return nil }); err != nil {
		t.Fatal(err)
	}
	ps := strconv.Itoa(port)
	var got []string
	for _, a := range r.Addresses {
		got = append(got, a.Addr+" "+string(a.Verdict())+" "+codes(a))
	}
	// (The intermediate names no CDP: information only.)
	info := " no-revocation-info/info"
	want := []string{"127.0.0.2:" + ps + " ok" + info, "127.0.0.3:" + ps + " fail revoked/error" + info, "127.0.0.4:" + ps + " ok" + info}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}
	if r.Verdict() != chain.VerdictFail || !r.Trusted {
		t.Errorf("target: verdict %s trusted %v, want fail (an address fails) with the first address's chain trusted", r.Verdict(), r.Trusted)
	}
	f := findMsg(t, r, "inconsistent-servers")
	if f.Severity != "error" || !strings.Contains(f.Message, "127.0.0.3:"+ps+`: "CN=rv.contoso.test" (SHA-1 `+certutil.Thumbprint(bad.Cert)) || !strings.Contains(f.Message, "FAIL (revoked)") {
		t.Errorf("inconsistent-servers: %s %s", f.Severity, f.Message)
	}
	if l := r.Addresses[2].Path.Links[0].Revocation; l == nil || l.Status != chain.RevocationGood {
		t.Errorf("the third server's leaf (the first's chain): %+v, want good", l)
	}

	tr := report.FromResult(r, nil)
	c := tr.Cert(certutil.SHA1Hex(bad.Cert))
	if c == nil || c.Revocation == nil || c.Revocation.Status != "revoked" || c.Revocation.Source != "crl" {
		t.Errorf("other_certs: the revoked leaf: %+v", c)
	}
	rows := report.CSVRows(&tr)
	if len(rows) != 3 || rows[1][16] != "revoked (crl) <- not checked <- not checked" || rows[0][16] != "good (crl) <- not checked <- not checked" {
		t.Errorf("CSV revocation column: %q", [][]string{rows[0][16:], rows[1][16:], rows[2][16:]})
	}
	var text bytes.Buffer
	w, _ := report.NewWriter(&text, report.Options{Format: report.FormatText, Verbose: true})
	w.Write(r)
	w.Close()
	if want := "    address 127.0.0.3:" + ps + ": FAIL, TLS 1.3, TLS_AES_128_GCM_SHA256\n      revocation: revoked (crl) <- not checked <- not checked\n"; !strings.Contains(text.String(), want) {
		t.Errorf("-v text lacks %q:\n%s", want, text.String())
	}
}

package discover_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
)

// world is a loopback internet: a DNS server, and servers for the fixed
// ports 443 and 80 on distinct 127.0.0.x addresses, all on the same two
// ephemeral ports that the dialer's PortMap maps 443 and 80 to.
type world struct {
	t           *testing.T
	dns         *lab.DNS
	https, http int
	next        int
	ca          *testca.Cert
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, dns: lab.NewDNS(), https: lab.FreePort(), http: lab.FreePort(), next: 2, ca: testca.Root("Contoso Root CA")}
	t.Cleanup(w.dns.Close)
	return w
}

func (w *world) ip() string {
	w.next++
	return "127.0.0." + strconv.Itoa(w.next)
}

// site serves HTTPS for name (certificate for names, h answering; nil h
// answers 401) on a new loopback address, and points name at it in DNS.
func (w *world) site(name string, h http.Handler, names ...string) string {
	ip := w.ip()
	s, err := lab.TLSAt(net.JoinHostPort(ip, strconv.Itoa(w.https)), testca.TLSCert(testca.Leaf(w.ca, names...)), lab.TLSOptions{Handler: h})
	if err != nil {
		w.t.Skipf("cannot listen on %s (loopback aliases are Linux-only): %v", ip, err)
	}
	w.t.Cleanup(s.Close)
	w.dns.A(name, ip)
	return ip
}

func (w *world) redirector(name, location string) {
	ip := w.ip()
	s, err := lab.HTTPAt(net.JoinHostPort(ip, strconv.Itoa(w.http)), http.RedirectHandler(location, http.StatusFound))
	if err != nil {
		w.t.Skipf("cannot listen on %s: %v", ip, err)
	}
	w.t.Cleanup(s.Close)
	w.dns.A(name, ip)
}

func (w *world) run(domain, sip string) *discover.Report {
	d := &network.Dialer{Timeout: 2 * time.Second, PortMap: map[int]int{443: w.https, 80: w.http},
		Resolver: &network.DNSResolver{Server: w.dns.Addr, Timeout: 500 * time.Millisecond}}
	return discover.Run(context.Background(), discover.Options{Domain: domain, SIPDomain: sip, Dialer: d, Resolver: d.Resolver, Timeout: 2 * time.Second})
}

func oks(steps []*discover.Step) string {
	var s []string
	for _, st := range steps {
		if st.OK {
			s = append(s, strconv.Itoa(st.N))
		}
	}
	return strings.Join(s, ",")
}

func codes(r *discover.Report) string {
	var s []string
	for _, f := range r.Findings {
		s = append(s, f.Code+"/"+string(f.Severity))
	}
	return strings.Join(s, " ")
}

// lyncDocument answers as lyncdiscover does: the discovery JSON.
var lyncDocument = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "application/vnd.microsoft.rtc.autodiscover+json; v=1")
	rw.Write([]byte(`{"_links":{"self":{"href":"https://lyncdiscover.contoso.test/Autodiscover/AutodiscoverService.svc/root?originalDomain=contoso.test"},` +
		`"user":{"href":"https://lyncweb.contoso.test/Autodiscover/AutodiscoverService.svc/root/oauth/user?originalDomain=contoso.test"},` +
		`"xframe":{"href":"https://lyncweb.contoso.test/Autodiscover/XFrame/XFrame.html"}}}`))
})

var webSite = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>Welcome to Contoso</html>")) })

func TestStep1(t *testing.T) {
	w := newWorld(t)
	w.site("contoso.test", nil, "contoso.test", "autodiscover.contoso.test")
	r := w.run("contoso.test", "")
	if r.Verdict != "clients find Autodiscover at step 1: https://contoso.test/autodiscover/autodiscover.xml" {
		t.Errorf("verdict %q", r.Verdict)
	}
	if codes(r) != "" || r.Failed() {
		t.Errorf("findings %q", codes(r))
	}
	p := r.Autodiscover[0].Probes[0]
	if p.DNS != "ok" || p.Connect != "ok" || !p.TLS.NamesCover || p.HTTP.Status != 401 {
		t.Errorf("probe %+v", p)
	}
}

// TestTargetsUsedAtTheVerdictStepOnly: clients use only the endpoint that
// answers at the step where they find Autodiscover; the bare domain's web
// site before it, the SRV target after it (never reached) and the step
// clients stop at with a certificate error are found, but not used.
func TestTargetsUsedAtTheVerdictStepOnly(t *testing.T) {
	used := func(r *discover.Report) []string {
		var out []string
		for _, tg := range r.Targets() {
			out = append(out, fmt.Sprintf("%s %s, used %v", tg.Raw, tg.Discovery.Step, tg.Discovery.Used))
		}
		return out
	}
	w := newWorld(t)
	w.site("contoso.test", webSite, "contoso.test")
	w.site("autodiscover.contoso.test", nil, "autodiscover.contoso.test")
	w.site("mail.contoso.test", nil, "mail.contoso.test")
	w.dns.SRV("_autodiscover._tcp.contoso.test", 0, 0, 443, "mail.contoso.test")
	r := w.run("contoso.test", "")
	want := []string{
		"https://contoso.test/autodiscover/autodiscover.xml Autodiscover step 1, used false",
		"https://autodiscover.contoso.test/autodiscover/autodiscover.xml Autodiscover step 2, used true",
		"https://mail.contoso.test/autodiscover/autodiscover.xml Autodiscover step 4, used false",
	}
	if diff := cmp.Diff(want, used(r)); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}

	// Clients stop at a certificate error: no endpoint is used.
	w = newWorld(t)
	w.site("contoso.test", webSite, "www.contoso.test")
	w.site("autodiscover.contoso.test", nil, "autodiscover.contoso.test")
	r = w.run("contoso.test", "")
	want = []string{
		"https://contoso.test/autodiscover/autodiscover.xml Autodiscover step 1, used false",
		"https://autodiscover.contoso.test/autodiscover/autodiscover.xml Autodiscover step 2, used false",
	}
	if diff := cmp.Diff(want, used(r)); diff != "" {
		t.Errorf("stopped at step 1: targets (-want +got):\n%s", diff)
	}
}

// TestPublicWebSiteOnBareDomainStopsClients: the bare domain's web site
// presents a certificate for www only. Clients stop there with a
// certificate error, so that is the verdict (an error, as scan would call
// it), though step 2 would answer.
func TestPublicWebSiteOnBareDomainStopsClients(t *testing.T) {
	w := newWorld(t)
	w.site("contoso.test", webSite, "www.contoso.test") // the public web site
	w.site("autodiscover.contoso.test", nil, "autodiscover.contoso.test")
	r := w.run("contoso.test", "")
	if got := oks(r.Autodiscover); got != "2" {
		t.Errorf("steps that answer: %q, want 2", got)
	}
	if r.Verdict != "clients stop at step 1 with a certificate error: https://contoso.test/autodiscover/autodiscover.xml presents a certificate for www.contoso.test, not contoso.test" {
		t.Errorf("verdict %q", r.Verdict)
	}
	if codes(r) != "autodiscover-name-mismatch/error" || !r.Failed() {
		t.Errorf("findings %q", codes(r))
	}
	if m := r.Findings[0].Message; !strings.Contains(m, "www.contoso.test, not contoso.test: clients stop here with a certificate error") ||
		!strings.Contains(m, "step 2 (https://autodiscover.contoso.test/autodiscover/autodiscover.xml) answers, but clients do not get there") {
		t.Errorf("message %q", m)
	}
	if !strings.Contains(r.Autodiscover[0].Outcome, "HTTP 200 but not Autodiscover") {
		t.Errorf("step 1 outcome %q", r.Autodiscover[0].Outcome)
	}
}

func TestStep3Redirect(t *testing.T) {
	for _, tc := range []struct {
		name, target string
		certNames    []string
		ok           bool
		codes        string
	}{
		{"good target", "mail.contoso.test", []string{"mail.contoso.test"}, true, "endpoint-failed/warning autodiscover-redirect/info"},
		{"mismatched target", "mail.contoso.test", []string{"owa.contoso.test"}, false, "endpoint-failed/warning autodiscover-name-mismatch/error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.site(tc.target, nil, tc.certNames...)
			w.redirector("autodiscover.contoso.test", "https://"+tc.target+"/Autodiscover/Autodiscover.xml")
			r := w.run("contoso.test", "")
			s3 := r.Autodiscover[2]
			if s3.OK != tc.ok || s3.Redirect != "https://"+tc.target+"/Autodiscover/Autodiscover.xml" || len(s3.Probes) != 2 {
				t.Errorf("step 3: ok=%v redirect=%q probes=%d", s3.OK, s3.Redirect, len(s3.Probes))
			}
			// Step 2's host exists (it serves the redirect) but has no HTTPS.
			if got := r.Autodiscover[1].Probes[0].Connect; got != "refused" {
				t.Errorf("step 2 connect %q, want refused", got)
			}
			if got := codes(r); got != tc.codes {
				t.Errorf("findings %q, want %q", codes(r), tc.codes)
			}
		})
	}
}

func TestStep4SRV(t *testing.T) {
	w := newWorld(t)
	w.dns.A("dead.contoso.test", "127.0.0.250") // nothing listens there
	w.site("mail.contoso.test", nil, "mail.contoso.test")
	w.dns.SRV("_autodiscover._tcp.contoso.test", 10, 0, 443, "backup.contoso.test")
	w.dns.SRV("_autodiscover._tcp.contoso.test", 0, 10, 443, "mail.contoso.test")
	w.dns.SRV("_autodiscover._tcp.contoso.test", 0, 50, 443, "dead.contoso.test")
	r := w.run("contoso.test", "")
	s4 := r.Autodiscover[3]
	var order []string
	for _, rec := range s4.SRV {
		order = append(order, rec.Target)
	}
	if diff := cmp.Diff([]string{"dead.contoso.test", "mail.contoso.test", "backup.contoso.test"}, order); diff != "" {
		t.Errorf("SRV order (-want +got):\n%s", diff)
	}
	if !s4.OK || len(s4.Probes) != 2 || !strings.Contains(r.Verdict, "step 4") {
		t.Errorf("step 4: ok=%v probes=%d verdict=%q", s4.OK, len(s4.Probes), r.Verdict)
	}
	if !strings.Contains(codes(r), "endpoint-failed/error") {
		t.Errorf("the dead SRV target should be an endpoint-failed error: %q", codes(r))
	}
}

func TestDNSFailuresKeptApart(t *testing.T) {
	w := newWorld(t)
	w.dns.ServFail("autodiscover.contoso.test").Drop("_autodiscover._tcp.contoso.test")
	r := w.run("contoso.test", "")
	got := []string{r.Autodiscover[0].Probes[0].DNS, r.Autodiscover[1].Probes[0].DNS}
	if diff := cmp.Diff([]string{"nxdomain", "servfail"}, got); diff != "" {
		t.Errorf("dns outcomes (-want +got):\n%s", diff)
	}
	if !strings.Contains(r.Autodiscover[3].Outcome, "timed out") {
		t.Errorf("SRV step outcome %q, want a timeout", r.Autodiscover[3].Outcome)
	}
	if codes(r) != "autodiscover-not-found/error" || !r.Failed() {
		t.Errorf("findings %q", codes(r))
	}
	if !strings.Contains(r.Findings[0].Fix, "autodiscover.contoso.test") || !strings.Contains(r.Findings[0].Fix, "_autodiscover._tcp.contoso.test") {
		t.Errorf("fix should name the records to create: %s", r.Findings[0].Fix)
	}
}

func TestLyncOrder(t *testing.T) {
	w := newWorld(t)
	w.site("autodiscover.fabrikam.test", nil, "autodiscover.fabrikam.test")
	w.site("lyncdiscover.contoso.test", lyncDocument, "lyncdiscover.contoso.test")
	w.site("pool.lync.fabrikam.test", nil, "pool.lync.fabrikam.test")
	// Answers HTTPS with a good certificate but is no Lync endpoint.
	w.site("lyncdiscoverinternal.contoso.test", http.NotFoundHandler(), "lyncdiscoverinternal.contoso.test")
	w.dns.SRV("_sipinternaltls._tcp.contoso.test", 0, 0, 443, "pool.lync.fabrikam.test")
	r := w.run("fabrikam.test", "contoso.test")
	var whats []string
	for _, s := range r.Lync {
		whats = append(whats, s.What)
	}
	want := []string{
		"https://lyncdiscoverinternal.contoso.test/", "http://lyncdiscoverinternal.contoso.test/",
		"https://lyncdiscover.contoso.test/", "http://lyncdiscover.contoso.test/",
		"SRV _sipinternaltls._tcp.contoso.test", "SRV _sip._tls.contoso.test",
		"sipinternal.contoso.test:5061 then :443", "sip.contoso.test:5061 then :443", "sipexternal.contoso.test:5061 then :443",
	}
	if diff := cmp.Diff(want, whats); diff != "" {
		t.Errorf("Lync order (-want +got):\n%s", diff)
	}
	if r.Lync[0].OK || !strings.Contains(r.Lync[0].Outcome, "HTTP 404: no Lync discovery here") {
		t.Errorf("a 404 from lyncdiscoverinternal is not Lync: ok=%v %q", r.Lync[0].OK, r.Lync[0].Outcome)
	}
	if r.LyncVerdict != "clients find Lync at step 3: https://lyncdiscover.contoso.test/" {
		t.Errorf("lync verdict %q", r.LyncVerdict)
	}
	c := codes(r)
	for _, want := range []string{"srv-target-outside-domain/warning", "trust-model-data/warning"} {
		if !strings.Contains(c, want) {
			t.Errorf("findings %q lack %s", c, want)
		}
	}
	// Only the endpoint of the step clients sign in at (3) is an asserted
	// lync target: the others' roots are not assumed trusted.
	if r.SignInStep() != 3 {
		t.Errorf("sign-in step %d, want 3", r.SignInStep())
	}
	// Each says where discovery found it and whether clients use it.
	var targets []string
	for _, tg := range r.Targets() {
		s := string(tg.Role) + " " + tg.Raw
		if tg.RoleInferred {
			s += " (inferred)"
		}
		s += fmt.Sprintf(", %s, used %v", tg.Discovery.Step, tg.Discovery.Used)
		targets = append(targets, s)
	}
	wantT := []string{
		"autodiscover https://autodiscover.fabrikam.test/autodiscover/autodiscover.xml, Autodiscover step 2, used true",
		"lync https://lyncdiscoverinternal.contoso.test/ (inferred), Lync step 1, used false",
		"lync https://lyncdiscover.contoso.test/, Lync step 3, used true",
		"lync pool.lync.fabrikam.test:443 (inferred), Lync step 5, used false",
	}
	if diff := cmp.Diff(wantT, targets); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

// TestLyncDiscoverNeedsDocument: a lyncdiscover answer counts only when it
// is a Lync discovery document, not any 200; and a certificate that does
// not cover lyncdiscoverinternal stops clients there.
func TestLyncDiscoverNeedsDocument(t *testing.T) {
	for _, tc := range []struct {
		name    string
		h       http.Handler
		names   []string
		verdict string
		codes   string
	}{
		{"empty links", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) { rw.Write([]byte(`{"_links":{}}`)) }),
			[]string{"lyncdiscoverinternal.contoso.test"}, "no Lync sign-in step answers", "lync-discover-not-found/error"},
		{"web site", webSite, []string{"lyncdiscoverinternal.contoso.test"}, "no Lync sign-in step answers", "lync-discover-not-found/error"},
		{"document", lyncDocument, []string{"lyncdiscoverinternal.contoso.test"}, "clients find Lync at step 1: https://lyncdiscoverinternal.contoso.test/", ""},
		{"XML document", http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			rw.Write([]byte(`<?xml version="1.0"?><AutodiscoverResponse AccessLocation="Internal"><Root><Link token="Domain" href="https://x/"/><Link token="User" href="https://lyncweb.contoso.test/Autodiscover/AutodiscoverService.svc/root/oauth/user"/></Root></AutodiscoverResponse>`))
		}), []string{"lyncdiscoverinternal.contoso.test"}, "clients find Lync at step 1: https://lyncdiscoverinternal.contoso.test/", ""},
		{"certificate for another name", lyncDocument, []string{"www.contoso.test"},
			"clients stop at step 1 with a certificate error: https://lyncdiscoverinternal.contoso.test/ presents a certificate for www.contoso.test, not lyncdiscoverinternal.contoso.test",
			"lync-name-mismatch/error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			w.site("autodiscover.fabrikam.test", nil, "autodiscover.fabrikam.test")
			w.site("lyncdiscoverinternal.contoso.test", tc.h, tc.names...)
			r := w.run("fabrikam.test", "contoso.test")
			if r.LyncVerdict != tc.verdict {
				t.Errorf("lync verdict %q, want %q", r.LyncVerdict, tc.verdict)
			}
			// A Lync step speaks of Lync discovery, never of Autodiscover.
			if o := r.Lync[0].Outcome; strings.Contains(o, "Autodiscover") || tc.name == "web site" && !strings.Contains(o, "HTTP 200 but not a Lync discovery document") ||
				tc.name == "document" && !strings.Contains(o, "HTTP 200 with a Lync discovery document") {
				t.Errorf("lync step 1 outcome %q", o)
			}
			var c []string
			for _, f := range r.Findings {
				if f.Code != "trust-model-data" {
					c = append(c, f.Code+"/"+string(f.Severity))
				}
			}
			if got := strings.Join(c, " "); got != tc.codes {
				t.Errorf("findings %q, want %q", got, tc.codes)
			}
			// Only a step clients sign in at asserts its endpoint as lync.
			asserted := 0
			for _, tg := range r.Targets() {
				if tg.Role == "lync" && !tg.RoleInferred {
					asserted++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[strings.HasPrefix(tc.verdict, "clients find")]; asserted != want {
				t.Errorf("%d asserted lync targets, want %d", asserted, want)
			}
		})
	}
}

func FuzzLyncDiscovery(f *testing.F) {
	f.Add([]byte(`{"_links":{"user":{"href":"https://a/"}}}`))
	f.Add([]byte(`{"_links":{}}`))
	f.Add([]byte(`<AutodiscoverResponse><Root><Link token="User" href="https://a/"/></Root></AutodiscoverResponse>`))
	f.Add([]byte(`<html>hello</html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// Never a panic, and the same answer every time.
		if discover.IsLyncDiscovery(body) != discover.IsLyncDiscovery(body) {
			t.Fatalf("%q: two answers", body)
		}
	})
}

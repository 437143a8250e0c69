package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// TestDiscoverTargetsAssertOnlySignInStep: --format targets writes "lync"
// only before the endpoint of the step clients sign in at; an endpoint
// clients do not use is written commented out, with where it was found, so
// that piping the list to scan --bundle neither assumes nor deploys its
// root (review 2, point 3).
func TestDiscoverTargetsAssertOnlySignInStep(t *testing.T) {
	probe := func(scheme, host string, port int, cover bool) *discover.Probe {
		return &discover.Probe{Scheme: scheme, Host: host, Port: port, DNS: "ok", Connect: "ok", TLS: &discover.TLSInfo{NamesCover: cover}}
	}
	withPath := func(p *discover.Probe, path string) *discover.Probe { p.Path = path; return p }
	r := &discover.Report{Domain: "contoso.test", SIPDomain: "contoso.test", Lync: []*discover.Step{
		{N: 1, What: "https://lyncdiscoverinternal.contoso.test/", Probes: []*discover.Probe{withPath(probe("https", "lyncdiscoverinternal.contoso.test", 443, true), "/")}},
		{N: 5, What: "SRV _sipinternaltls._tcp.contoso.test", OK: true, Probes: []*discover.Probe{probe("tls", "pool.contoso.test", 5061, true)}},
		{N: 8, What: "sip.contoso.test:5061 then :443", OK: true, Probes: []*discover.Probe{probe("tls", "sip.contoso.test", 5061, true), probe("tls", "sip.contoso.test", 443, true)}},
	}}
	var b bytes.Buffer
	if err := report.WriteDiscoverTargets(&b, r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`# not used by clients (Lync step 1, clients sign in at Lync step 5): https://lyncdiscoverinternal.contoso.test/`,
		`lync pool.contoso.test:5061`,
		`# not used by clients (Lync step 8, clients sign in at Lync step 5): sip.contoso.test:5061`,
		`# not used by clients (Lync step 8, clients sign in at Lync step 5): sip.contoso.test:443`,
	}
	got := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Read back as scan reads it: the pool alone, an asserted lync target.
	var l target.List
	if err := l.AddFile(&b, "found.txt"); err != nil {
		t.Fatal(err)
	}
	if len(l.Targets) != 1 || l.Targets[0].Raw != "pool.contoso.test:5061" || l.Targets[0].Role != target.RoleLync || l.Targets[0].RoleInferred {
		t.Errorf("targets read back: %+v", l.Targets)
	}
}

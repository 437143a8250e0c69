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
// only before the endpoint of the step clients sign in at; another Lync
// endpoint keeps the role scan would infer (lync on 5061, else other),
// with a comment, so that piping it to scan assumes no other root.
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
		`other https://lyncdiscoverinternal.contoso.test/  # a Lync endpoint, but clients sign in at step 5: write "lync https://lyncdiscoverinternal.contoso.test/" if it is your Lync pool`,
		`lync pool.contoso.test:5061`,
		`sip.contoso.test:5061  # a Lync endpoint, but clients sign in at step 5: write "lync sip.contoso.test:5061" if it is your Lync pool`,
		`other sip.contoso.test:443  # a Lync endpoint, but clients sign in at step 5: write "lync sip.contoso.test:443" if it is your Lync pool`,
	}
	got := strings.Split(strings.TrimSpace(b.String()), "\n")[1:]
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("targets:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Read back as scan reads it: only the pool is an asserted lync target.
	var l target.List
	if err := l.AddFile(&b, "found.txt"); err != nil {
		t.Fatal(err)
	}
	var asserted []string
	for _, tg := range l.Targets {
		if tg.Role == target.RoleLync && !tg.RoleInferred {
			asserted = append(asserted, tg.Raw)
		}
	}
	if strings.Join(asserted, " ") != "pool.contoso.test:5061" {
		t.Errorf("asserted lync targets read back: %v", asserted)
	}
}

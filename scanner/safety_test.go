package scanner_test

import (
	"strings"
	"testing"

	"github.com/trustgap/trustgap/internal/lab"
)

// TestDNSFailureFixes: the dns-failure fix follows what the DNS server
// said. Only a missing name or record calls for creating one; a server that
// fails or refuses to answer is the thing to check (issue 10).
func TestDNSFailureFixes(t *testing.T) {
	dns := lab.NewDNS().A("mail.contoso.test", "127.0.0.1").Refused("refused.contoso.test").ServFail("servfail.contoso.test")
	t.Cleanup(dns.Close)
	e := newEnv(t)
	e.dns = dns.Addr
	rs := e.scan("nothere.contoso.test", "contoso.test", "refused.contoso.test", "servfail.contoso.test")
	for i, want := range []struct{ msg, fix string }{
		{"no such name (NXDOMAIN)", "create the DNS record for nothere.contoso.test (the name does not exist)"},
		{"no A/AAAA record", "create the A (or AAAA) record for contoso.test (the name exists without one)"},
		{"refused to answer: rcode REFUSED", "the DNS server failed or refused to answer for refused.contoso.test: check that server"},
		{"refused to answer: rcode SERVFAIL", "the DNS server failed or refused to answer for servfail.contoso.test: check that server"},
	} {
		wantCodes(t, rs[i], "dns-failure/error")
		f := rs[i].Findings[0]
		if !strings.Contains(f.Message, want.msg) || !strings.HasPrefix(f.Fix, want.fix) {
			t.Errorf("%s: got %q / %q, want %q / %q", rs[i].Target.Raw, f.Message, f.Fix, want.msg, want.fix)
		}
	}
}

package scanner_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/internal/lab"
)

// TestAddressesNotChecked: a name with more addresses than a scan checks
// (8) gets an info finding saying how many were not checked, and which.
func TestAddressesNotChecked(t *testing.T) {
	var many []string
	for i := 1; i <= 12; i++ {
		many = append(many, "127.0.1."+strconv.Itoa(i))
	}
	dns := lab.NewDNS().A("many.contoso.test", many...).A("few.contoso.test", many[:8]...)
	t.Cleanup(dns.Close)
	e := newEnv(t)
	e.dns = dns.Addr
	// Port 1 is closed on loopback: every address refuses, quickly.
	rs := e.scan("other many.contoso.test:1", "other few.contoso.test:1")
	many12, few := rs[0], rs[1]
	if len(many12.Addresses) != 8 || len(many12.NotChecked) != 4 {
		t.Fatalf("addresses %d, not checked %v", len(many12.Addresses), many12.NotChecked)
	}
	f := findMsg(t, many12, "addresses-not-checked")
	if f.Severity != "info" || f.Message != "many.contoso.test has 12 addresses: the first 8 (sorted) were checked, 4 were not (127.0.1.9:1, 127.0.1.10:1, 127.0.1.11:1, 127.0.1.12:1)" ||
		!strings.Contains(f.Fix, "--resolve many.contoso.test:1:ADDR") {
		t.Errorf("finding %q / %q", f.Message, f.Fix)
	}
	if strings.Contains(codes(few), "addresses-not-checked") {
		t.Errorf("8 addresses are all checked: %s", codes(few))
	}
}

package cmdutil

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/network"
)

func TestDNSServerDefaultPort(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1":          "127.0.0.1:53",
		"127.0.0.1:5353":     "127.0.0.1:5353",
		"dns.contoso.com":    "dns.contoso.com:53",
		"dns.contoso.com:54": "dns.contoso.com:54",
		"::1":                "[::1]:53",
		"[::1]":              "[::1]:53",
		"[2001:db8::53]:53":  "[2001:db8::53]:53",
	} {
		got, err := DNSServer(in)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "a:b:c", "host:0", "host:x", "[::1", "*.contoso.com", "a b", "[host]:53"} {
		if got, err := DNSServer(in); err == nil {
			t.Errorf("%q: accepted as %q", in, got)
		}
	}
}

func TestDuplicateResolve(t *testing.T) {
	n := NetFlags{Timeout: time.Second, Resolve: []string{"a.test:443:127.0.0.1", "A.test:443:127.0.0.1", "a.test:444:127.0.0.2"}}
	d, err := n.Dialer()
	if err != nil || len(d.Pins) != 2 {
		t.Fatalf("the same pin twice is fine: %v %v", d, err)
	}
	n.Resolve = append(n.Resolve, "a.test:443:127.0.0.3")
	_, err = n.Dialer()
	if err == nil || !strings.Contains(err.Error(), "--resolve gives a.test:443 twice, with different addresses (127.0.0.1:443 and 127.0.0.3:443)") || ExitCode(err) != 2 {
		t.Errorf("got %v", err)
	}
	n = NetFlags{Timeout: time.Second, DNS: "127.0.0.1"}
	d, err = n.Dialer()
	if err != nil || d.Resolver.(*network.DNSResolver).Server != "127.0.0.1:53" {
		t.Errorf("--dns 127.0.0.1: %v %v", d, err)
	}
}

func TestCheckFormatAnyCase(t *testing.T) {
	for _, in := range []string{"JSON", "Json", "json"} {
		f := in
		if err := CheckFormat(&f, "text", "json"); err != nil || f != "json" {
			t.Errorf("%q: %q %v", in, f, err)
		}
	}
	f := "xml"
	if err := CheckFormat(&f, "text", "json"); err == nil || ExitCode(err) != 2 {
		t.Errorf("xml: %v", err)
	}
}

func FuzzDNSServer(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::1", "[::1]:53", "dns.contoso.com:5353", "a:b:c", "[host]:53", "*.x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := DNSServer(s)
		if err != nil {
			return
		}
		h, p, err := net.SplitHostPort(got)
		if err != nil || h == "" || p == "" {
			t.Fatalf("%q gave %q, not HOST:PORT", s, got)
		}
	})
}

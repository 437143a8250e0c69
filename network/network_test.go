package network

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/lab"
)

func FuzzParsePin(f *testing.F) {
	f.Add("mail.contoso.com:443:127.0.0.1")
	f.Add("a:1:[::1]")
	f.Fuzz(func(t *testing.T, s string) {
		k, a, err := ParsePin(s)
		if err != nil {
			return
		}
		if _, _, err := net.SplitHostPort(k); err != nil {
			t.Fatalf("%q gave key %q: %v", s, k, err)
		}
		if h, _, err := net.SplitHostPort(a); err != nil || net.ParseIP(h) == nil {
			t.Fatalf("%q gave address %q", s, a)
		}
	})
}

func TestParsePin(t *testing.T) {
	for in, want := range map[string]string{
		"Mail.Contoso.com:443:127.0.0.1": "mail.contoso.com:443 127.0.0.1:443",
		"a:1:[::1]":                      "a:1 [::1]:1",
		"[2001:db8::1]:5061:127.0.0.2":   "[2001:db8::1]:5061 127.0.0.2:5061",
		"192.0.2.1:443:127.0.0.1":        "192.0.2.1:443 127.0.0.1:443",
	} {
		k, a, err := ParsePin(in)
		if err != nil || k+" "+a != want {
			t.Errorf("%q: got %q %q %v, want %q", in, k, a, err, want)
		}
	}
	for in, want := range map[string]string{
		"[:1:0.0.0.0":          `bad --resolve "[:1:0.0.0.0": want HOST:PORT:ADDR`,
		"[::1:1:0.0.0.0":       "want HOST:PORT:ADDR",
		"[1.2.3.4]:1:0.0.0.0":  "is not an IPv6 address",
		"*.contoso.com:1:::1":  "wildcard host",
		"a b:443:127.0.0.1":    "bad host name",
		"a:0:127.0.0.1":        `bad port "0"`,
		"a:443:mail":           `"mail" is not an IP address`,
		"nope":                 "want HOST:PORT:ADDR",
		":443:127.0.0.1":       "want HOST:PORT:ADDR",
		"a::127.0.0.1":         "want HOST:PORT:ADDR",
		"[::1]443:127.0.0.1":   "want HOST:PORT:ADDR",
		"a%b:443:127.0.0.1":    "character",
		"[fe80::1%eth0]:1:::1": "is not an IPv6 address",
	} {
		_, _, err := ParsePin(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

// TestDNSResolverRefused: a REFUSED answer is a server failure that says
// so, not a missing name.
func TestDNSResolverRefused(t *testing.T) {
	srv := lab.NewDNS().Refused("mail.contoso.test").ServFail("ews.contoso.test")
	defer srv.Close()
	r := &DNSResolver{Server: srv.Addr, Timeout: 5 * time.Second}
	for name, want := range map[string]string{
		"mail.contoso.test": "the DNS server failed or refused to answer: rcode REFUSED",
		"ews.contoso.test":  "the DNS server failed or refused to answer: rcode SERVFAIL",
	} {
		_, err := r.LookupIP(context.Background(), name)
		var de *DNSError
		if !errors.As(err, &de) || de.Kind != ServFail || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", name, err, want)
		}
	}
}

package network

import (
	"net"
	"testing"
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

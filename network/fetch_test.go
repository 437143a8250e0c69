package network_test

import (
	"context"
	"crypto/tls"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
)

// TestAddressesSorted resolves a name with several addresses through DNS
// servers that answer them in different orders: the same sorted list comes
// back, IPv4 first, without duplicates, at most MaxAddrs.
func TestAddressesSorted(t *testing.T) {
	want := []string{"127.0.0.2:443", "127.0.0.3:443", "127.0.0.10:443", "[::1]:443"}
	for _, order := range [][]string{
		{"127.0.0.10", "::1", "127.0.0.2", "127.0.0.3"},
		{"::1", "127.0.0.3", "127.0.0.10", "127.0.0.2", "127.0.0.3"},
	} {
		dns := lab.NewDNS().A("pool.contoso.test", order...)
		t.Cleanup(dns.Close)
		d := &network.Dialer{Resolver: &network.DNSResolver{Server: dns.Addr, Timeout: 2 * time.Second}, Timeout: 2 * time.Second}
		got, err := d.Addresses(context.Background(), "pool.contoso.test", 443)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("order %v (-want +got):\n%s", order, diff)
		}
	}
	var many []string
	for i := 1; i <= 12; i++ {
		many = append(many, "127.0.1."+strconv.Itoa(i))
	}
	dns := lab.NewDNS().A("many.contoso.test", many...)
	t.Cleanup(dns.Close)
	d := &network.Dialer{Resolver: &network.DNSResolver{Server: dns.Addr, Timeout: 2 * time.Second}}
	got, err := d.Addresses(context.Background(), "many.contoso.test", 443)
	if err != nil || len(got) != network.MaxAddrs || got[0] != "127.0.1.1:443" || got[7] != "127.0.1.8:443" {
		t.Errorf("12 addresses: got %v, %v; want the first %d in order", got, err, network.MaxAddrs)
	}
	if _, err := d.Addresses(context.Background(), "missing.contoso.test", 443); err == nil {
		t.Error("a name that does not resolve gave addresses")
	} else if fe, ok := err.(*network.FetchError); !ok || fe.Code != "dns-failure" {
		t.Errorf("want a dns-failure FetchError, got %#v", err)
	}
}

// TestVersionsAndCipher captures the negotiated version and cipher suite,
// and probes each TLS version against a TLS 1.2-only server and one that
// still accepts TLS 1.0.
func TestVersionsAndCipher(t *testing.T) {
	root := testca.Root("Contoso Root CA")
	leaf := testca.Leaf(root, "mail.contoso.test")
	modern := lab.TLS(testca.TLSCert(leaf), lab.TLSOptions{MaxVersion: tls.VersionTLS12})
	t.Cleanup(modern.Close)
	legacy := lab.TLS(testca.TLSCert(leaf), lab.TLSOptions{MinVersion: tls.VersionTLS10, ClientAuth: tls.RequireAnyClientCert})
	t.Cleanup(legacy.Close)
	d := &network.Dialer{Timeout: 2 * time.Second}
	ctx := context.Background()

	p, err := d.FetchAddr(ctx, "mail.contoso.test", modern.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != tls.VersionTLS12 || p.CipherSuite == 0 || p.Addr != modern.Addr || len(p.Certs) != 1 {
		t.Errorf("modern: version %x cipher %x addr %s certs %d", p.Version, p.CipherSuite, p.Addr, len(p.Certs))
	}
	// A server demanding a client certificate: the version is known all
	// the same.
	p, err = d.FetchAddr(ctx, "mail.contoso.test", legacy.Addr)
	if err != nil || p.Version != tls.VersionTLS13 || p.CipherSuite == 0 {
		t.Errorf("legacy: %v, version %x cipher %x", err, p.Version, p.CipherSuite)
	}

	versions := []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}
	for _, tc := range []struct {
		srv  *lab.Server
		want []bool
	}{
		{modern, []bool{false, false, true, false}},
		{legacy, []bool{true, true, true, true}},
	} {
		for i, v := range versions {
			ok, err := d.ProbeVersion(ctx, "mail.contoso.test", tc.srv.Addr, v)
			if err != nil || ok != tc.want[i] {
				t.Errorf("%s %s: accepted=%v err=%v, want %v", tc.srv.Addr, tls.VersionName(v), ok, err, tc.want[i])
			}
		}
	}

	// No server: an error, not a refusal.
	if _, err := d.ProbeVersion(ctx, "mail.contoso.test", lab.ClosedPort(), tls.VersionTLS12); err == nil {
		t.Error("a closed port gave no error")
	}
	silent := lab.Silent()
	t.Cleanup(silent.Close)
	d.Timeout = 200 * time.Millisecond
	if _, err := d.ProbeVersion(ctx, "mail.contoso.test", silent.Addr, tls.VersionTLS12); err == nil {
		t.Error("a silent server gave no error")
	}
}

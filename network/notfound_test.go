//go:build !windows

package network

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/dns"
	"github.com/trustgap/trustgap/internal/lab"
)

// TestSystemDNSErrorKinds maps the system resolver's errors: REFUSED and
// SERVFAIL ("server misbehaving") are server failures, never a missing
// record; a not-found that cannot be told apart stays not-found.
func TestSystemDNSErrorKinds(t *testing.T) {
	old := resolvConf
	resolvConf = filepath.Join(t.TempDir(), "none") // nothing to ask
	defer func() { resolvConf = old }()
	ctx := context.Background()
	for _, tc := range []struct {
		err  *net.DNSError
		want DNSErrorKind
		msg  string
	}{
		{&net.DNSError{Err: "no such host", Name: "x.test", IsNotFound: true}, NotFound, "no such name, or no A/AAAA record"},
		{&net.DNSError{Err: "server misbehaving", Name: "x.test", IsTemporary: true}, ServFail, "the DNS server failed or refused to answer"},
		{&net.DNSError{Err: "server misbehaving", Name: "x.test"}, ServFail, "the DNS server failed or refused to answer"},
		{&net.DNSError{Err: "i/o timeout", Name: "x.test", IsTimeout: true}, DNSTimeout, "timed out"},
		{&net.DNSError{Err: "lame referral", Name: "x.test"}, DNSOther, "failed: lame referral"},
	} {
		err := systemDNSError(ctx, "x.test", "A/AAAA", dns.TypeA, tc.err)
		de, ok := err.(*DNSError)
		if !ok || de.Kind != tc.want || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: got %v (%T), want kind %s and %q", tc.err, err, err, tc.want, tc.msg)
		}
	}
}

// TestClassifyNotFound asks a DNS server, as trustgap does after the
// system resolver's "no such host", whether the name exists.
func TestClassifyNotFound(t *testing.T) {
	srv := lab.NewDNS().A("mail.contoso.test", "127.0.0.1")
	defer srv.Close()
	ctx := context.Background()
	for name, want := range map[string]DNSErrorKind{
		"nothere.contoso.test": NXDomain,
		"contoso.test":         NoAnswer, // exists (parent of mail), no A
		"mail.contoso.test":    NotFound, // the server has it: cannot tell
	} {
		if got := classifyWith(ctx, srv.Addr, name, dns.TypeA); got != want {
			t.Errorf("%s: got %s, want %s", name, got, want)
		}
	}
	if got := classifyWith(ctx, srv.Addr, "nothere.contoso.test", dns.TypeSRV); got != NXDomain {
		t.Errorf("SRV: got %s", got)
	}
}

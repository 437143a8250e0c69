package cmdutil

import (
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/target"
)

// NetFlags are the network flags scan and discover share.
type NetFlags struct {
	DNS     string
	Resolve []string
	// Timeout is one deadline per address: lookup, connect and handshake.
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect within Timeout; zero means
	// Timeout.
	ConnectTimeout time.Duration
}

// Add registers the flags on fs.
func (n *NetFlags) Add(fs *pflag.FlagSet) {
	fs.StringVar(&n.DNS, "dns", "", "resolve names through this DNS server (`HOST[:PORT]`, port 53 by default; UDP with TCP fallback) instead of the system resolver")
	fs.StringArrayVar(&n.Resolve, "resolve", nil, "connect to ADDR for HOST:PORT (`HOST:PORT:ADDR`, like curl; repeatable)")
	fs.DurationVar(&n.Timeout, "timeout", network.DefaultTimeout, "one deadline per server address (`DURATION`, such as 5s or 1m): name lookup, TCP connect and TLS handshake together")
	fs.DurationVar(&n.ConnectTimeout, "connect-timeout", 0, "give up a TCP connect after this `DURATION`, within --timeout (a firewalled host that drops SYNs fails sooner; default: --timeout)")
}

// Dialer builds the dialer the flags describe.
func (n *NetFlags) Dialer() (*network.Dialer, error) {
	if n.Timeout <= 0 {
		return nil, FlagErrorf("--timeout must be positive, got %s", n.Timeout)
	}
	if n.ConnectTimeout < 0 {
		return nil, FlagErrorf("--connect-timeout must not be negative, got %s", n.ConnectTimeout)
	}
	d := &network.Dialer{Timeout: n.Timeout, ConnectTimeout: n.ConnectTimeout, Pins: network.Pins{}}
	for _, p := range n.Resolve {
		k, a, err := network.ParsePin(p)
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		if old, ok := d.Pins[k]; ok && old != a {
			return nil, FlagErrorf("--resolve gives %s twice, with different addresses (%s and %s): give it once", k, old, a)
		}
		d.Pins[k] = a
	}
	if n.DNS != "" {
		server, err := DNSServer(n.DNS)
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		d.Resolver = &network.DNSResolver{Server: server, Timeout: n.Timeout}
	}
	return d, nil
}

// DNSServer turns a --dns value into HOST:PORT: a host or IP address alone
// (an IPv6 one with or without brackets) means port 53.
func DNSServer(s string) (string, error) {
	bad := fmt.Errorf("bad --dns %q: want HOST or HOST:PORT (for example 127.0.0.1, dns.contoso.com:53 or [2001:db8::53]:53)", s)
	if ip := net.ParseIP(strings.Trim(s, "[]")); ip != nil && (!strings.HasPrefix(s, "[") || strings.HasSuffix(s, "]")) {
		return net.JoinHostPort(ip.String(), "53"), nil
	}
	host, port := s, "53"
	if h, p, err := net.SplitHostPort(s); err == nil {
		if strings.HasPrefix(s, "[") && net.ParseIP(h) == nil {
			return "", bad
		}
		host, port = h, p
	} else if strings.ContainsAny(s, ":[]") {
		return "", bad
	}
	if _, err := target.ParsePort(port); err != nil {
		return "", bad
	}
	if err := target.CheckHost(host); err != nil {
		return "", bad
	}
	return net.JoinHostPort(host, port), nil
}

// ParseNow parses a --now value (RFC 3339); empty means now().
func ParseNow(s string, now func() time.Time) (time.Time, error) {
	if s == "" {
		return now(), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, FlagErrorf("bad --now %q: want RFC 3339, for example 2026-01-02T15:04:05Z", s)
	}
	return t, nil
}

// CheckFormat validates a --format value against the allowed ones, in any
// case, and sets it to the allowed spelling (JSON becomes json).
func CheckFormat(f *string, allowed ...string) error {
	for _, a := range allowed {
		if strings.EqualFold(*f, a) {
			*f = a
			return nil
		}
	}
	return FlagErrorf("unknown --format %q (want %v)", *f, allowed)
}

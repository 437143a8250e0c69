package cmdutil

import (
	"net"
	"time"

	"github.com/spf13/pflag"
	"github.com/trustgap/trustgap/network"
)

// NetFlags are the network flags scan and discover share.
type NetFlags struct {
	DNS     string
	Resolve []string
	Timeout time.Duration
}

// Add registers the flags on fs.
func (n *NetFlags) Add(fs *pflag.FlagSet) {
	fs.StringVar(&n.DNS, "dns", "", "resolve names through this DNS server (`HOST:PORT`, UDP with TCP fallback) instead of the system resolver")
	fs.StringArrayVar(&n.Resolve, "resolve", nil, "connect to `HOST:PORT:ADDR` for HOST:PORT, like curl (repeatable)")
	fs.DurationVar(&n.Timeout, "timeout", 10*time.Second, "per-connection timeout (connect and TLS handshake)")
}

// Dialer builds the dialer the flags describe.
func (n *NetFlags) Dialer() (*network.Dialer, error) {
	if n.Timeout <= 0 {
		return nil, FlagErrorf("--timeout must be positive, got %s", n.Timeout)
	}
	d := &network.Dialer{Timeout: n.Timeout, Pins: network.Pins{}}
	for _, p := range n.Resolve {
		k, a, err := network.ParsePin(p)
		if err != nil {
			return nil, &FlagError{Err: err}
		}
		d.Pins[k] = a
	}
	if n.DNS != "" {
		if _, _, err := net.SplitHostPort(n.DNS); err != nil {
			return nil, FlagErrorf("bad --dns %q: want HOST:PORT (for example 127.0.0.1:53)", n.DNS)
		}
		d.Resolver = &network.DNSResolver{Server: n.DNS, Timeout: n.Timeout}
	}
	return d, nil
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

// CheckFormat validates a --format value against the allowed ones.
func CheckFormat(f string, allowed ...string) error {
	for _, a := range allowed {
		if f == a {
			return nil
		}
	}
	return FlagErrorf("unknown --format %q (want %v)", f, allowed)
}

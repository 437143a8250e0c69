// Package network is everything trustgap sends over the wire: name
// resolution (the system resolver or one DNS server, and --resolve pins),
// TCP dialing, capturing the chain a TLS server presents, and every bounded
// HTTP fetch (AIA caIssuers) with its per-run cache and limits. Scan and
// discover share it.
//
// It decides nothing about trust: it imports no chain, report or
// remediation code, and returns what it saw, or typed errors that say what
// failed and where.
package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/target"
)

// DNSErrorKind says how a DNS lookup failed. Discovery reports these apart
// because each calls for a different fix.
type DNSErrorKind string

// The kinds of DNS failure.
const (
	NXDomain   DNSErrorKind = "nxdomain"  // the name does not exist
	NoAnswer   DNSErrorKind = "no-answer" // the name exists but has no record of that type
	ServFail   DNSErrorKind = "servfail"  // the server failed or refused to answer (SERVFAIL, REFUSED)
	DNSTimeout DNSErrorKind = "timeout"   // no answer in time
	DNSOther   DNSErrorKind = "error"     // anything else (bad reply, network error)
	// NotFound is the system resolver's "no such host" when the platform
	// does not tell NXDOMAIN from NoAnswer.
	NotFound DNSErrorKind = "not-found"
)

// DNSError is a failed lookup of Name through Server (empty for the system
// resolver).
type DNSError struct {
	Name   string
	Type   string // "A/AAAA" or "SRV"
	Server string
	Kind   DNSErrorKind
	Err    error
}

func (e *DNSError) Error() string {
	via := ""
	if e.Server != "" {
		via = " via " + e.Server
	}
	msg := fmt.Sprintf("network: lookup %s %s%s: ", e.Type, e.Name, via)
	switch e.Kind {
	case NXDomain:
		msg += "no such name (NXDOMAIN)"
	case NoAnswer:
		msg += "no " + e.Type + " record"
	case NotFound:
		msg += "no such name, or no " + e.Type + " record"
	case ServFail:
		msg += "the DNS server failed or refused to answer"
	case DNSTimeout:
		msg += "timed out"
	default:
		msg += "failed"
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *DNSError) Unwrap() error { return e.Err }

// DNSFailureKind returns the kind of failure as a string, for packages that
// choose a fix without importing network (chain).
func (e *DNSError) DNSFailureKind() string { return string(e.Kind) }

// SRV is one SRV answer.
type SRV struct {
	Target   string `json:"target"`
	Port     int    `json:"port"`
	Priority int    `json:"priority"`
	Weight   int    `json:"weight"`
}

// Resolver looks up addresses and SRV records.
type Resolver interface {
	LookupIP(ctx context.Context, host string) ([]net.IP, error)
	LookupSRV(ctx context.Context, name string) ([]SRV, error)
}

// SystemResolver uses the operating system's resolver.
type SystemResolver struct{}

// LookupIP implements [Resolver].
func (SystemResolver) LookupIP(ctx context.Context, host string) ([]net.IP, error) {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return nil, systemDNSError(ctx, host, "A/AAAA", dns.TypeA, err)
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		ips = append(ips, a.IP)
	}
	return ips, nil
}

// LookupSRV implements [Resolver]. name is the full owner name
// (_autodiscover._tcp.example.com).
func (SystemResolver) LookupSRV(ctx context.Context, name string) ([]SRV, error) {
	_, recs, err := net.DefaultResolver.LookupSRV(ctx, "", "", name)
	if err != nil {
		return nil, systemDNSError(ctx, name, "SRV", dns.TypeSRV, err)
	}
	out := make([]SRV, 0, len(recs))
	for _, r := range recs {
		out = append(out, SRV{Target: strings.TrimSuffix(r.Target, "."), Port: int(r.Port), Priority: int(r.Priority), Weight: int(r.Weight)})
	}
	return out, nil
}

// systemDNSError turns the system resolver's error into a [*DNSError]. Go
// reports NXDOMAIN and "no record of that type" alike ("no such host"), so
// a not-found is told apart where the platform allows ([classifyNotFound]);
// "server misbehaving" is a SERVFAIL or REFUSED answer.
func systemDNSError(ctx context.Context, name, typ string, qtype uint16, err error) error {
	e := &DNSError{Name: name, Type: typ, Kind: DNSOther, Err: err}
	var de *net.DNSError
	if errors.As(err, &de) {
		e.Err = nil
		switch {
		case de.IsNotFound:
			e.Kind = NotFound
			if ctx.Err() == nil {
				e.Kind = classifyNotFound(ctx, name, qtype)
			}
		case de.IsTimeout:
			e.Kind = DNSTimeout
		case de.Err == "server misbehaving":
			e.Kind = ServFail // SERVFAIL (temporary) or REFUSED and other codes
		case de.IsTemporary:
			e.Kind = ServFail
			e.Err = errors.New(de.Err)
		default:
			e.Err = errors.New(de.Err)
		}
	}
	return e
}

// DNSResolver queries one DNS server directly over UDP, retrying over TCP
// when the answer is truncated.
type DNSResolver struct {
	Server  string        // host:port
	Timeout time.Duration // per query; zero means 5s
}

func (r *DNSResolver) exchange(ctx context.Context, name string, qtype uint16, typ string) (*dns.Msg, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	m.RecursionDesired = true
	c := &dns.Client{Net: "udp", Timeout: timeout}
	in, _, err := c.ExchangeContext(ctx, m, r.Server)
	if err == nil && in.Truncated {
		c.Net = "tcp"
		in, _, err = c.ExchangeContext(ctx, m, r.Server)
	}
	if err != nil {
		kind := DNSOther
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			kind, err = DNSTimeout, nil
		}
		return nil, &DNSError{Name: name, Type: typ, Server: r.Server, Kind: kind, Err: err}
	}
	switch in.Rcode {
	case dns.RcodeSuccess:
		return in, nil
	case dns.RcodeNameError:
		return nil, &DNSError{Name: name, Type: typ, Server: r.Server, Kind: NXDomain}
	default:
		return nil, &DNSError{Name: name, Type: typ, Server: r.Server, Kind: ServFail,
			Err: fmt.Errorf("rcode %s", dns.RcodeToString[in.Rcode])}
	}
}

// maxCNAME bounds how many CNAMEs a lookup follows outside the answer.
const maxCNAME = 8

// LookupIP implements [Resolver]: A then AAAA, following CNAMEs.
func (r *DNSResolver) LookupIP(ctx context.Context, host string) ([]net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		return []net.IP{ip}, nil
	}
	var ips []net.IP
	var firstErr error
	for _, qt := range []uint16{dns.TypeA, dns.TypeAAAA} {
		name := host
		for hop := 0; hop < maxCNAME; hop++ {
			in, err := r.exchange(ctx, name, qt, "A/AAAA")
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				break
			}
			next := ""
			for _, rr := range in.Answer {
				switch v := rr.(type) {
				case *dns.A:
					ips = append(ips, v.A)
				case *dns.AAAA:
					ips = append(ips, v.AAAA)
				case *dns.CNAME:
					next = v.Target
				}
			}
			if len(ips) > 0 || next == "" {
				break
			}
			name = next
		}
	}
	if len(ips) > 0 {
		return ips, nil
	}
	if firstErr != nil {
		var de *DNSError
		if errors.As(firstErr, &de) && de.Name != host {
			de.Name = host
		}
		return nil, firstErr
	}
	return nil, &DNSError{Name: host, Type: "A/AAAA", Server: r.Server, Kind: NoAnswer}
}

// LookupSRV implements [Resolver]. Records come back in priority order, the
// highest weight first within a priority (a deterministic stand-in for the
// RFC 2782 weighted shuffle).
func (r *DNSResolver) LookupSRV(ctx context.Context, name string) ([]SRV, error) {
	in, err := r.exchange(ctx, name, dns.TypeSRV, "SRV")
	if err != nil {
		return nil, err
	}
	var out []SRV
	for _, rr := range in.Answer {
		if v, ok := rr.(*dns.SRV); ok {
			out = append(out, SRV{Target: strings.TrimSuffix(v.Target, "."), Port: int(v.Port), Priority: int(v.Priority), Weight: int(v.Weight)})
		}
	}
	if len(out) == 0 {
		return nil, &DNSError{Name: name, Type: "SRV", Server: r.Server, Kind: NoAnswer}
	}
	SortSRV(out)
	return out, nil
}

// SortSRV orders records by priority, then by descending weight, then by
// target and port, so reports are reproducible.
func SortSRV(recs []SRV) {
	sort.SliceStable(recs, func(i, j int) bool {
		a, b := recs[i], recs[j]
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		if a.Weight != b.Weight {
			return a.Weight > b.Weight
		}
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Port < b.Port
	})
}

// Pins maps "host:port" (host in lower case) to the "ip:port" to connect
// to instead, like curl's --resolve (which keeps the port) and --connect-to.
type Pins map[string]string

// ParsePin parses "HOST:PORT:ADDR". HOST is a name or an IP literal (an
// IPv6 one in brackets); ADDR is an IP address, brackets optional.
func ParsePin(s string) (key, addr string, err error) {
	bad := func(why string) error {
		if why == "" {
			return fmt.Errorf("bad --resolve %q: want HOST:PORT:ADDR", s)
		}
		return fmt.Errorf("bad --resolve %q: %s", s, why)
	}
	var host, rest string
	if strings.HasPrefix(s, "[") {
		i := strings.Index(s, "]:")
		if i < 0 {
			return "", "", bad("")
		}
		host, rest = s[1:i], s[i+2:]
		if ip := net.ParseIP(host); ip == nil || ip.To4() != nil {
			return "", "", bad(fmt.Sprintf("%q is not an IPv6 address", host))
		}
	} else {
		i := strings.Index(s, ":")
		if i <= 0 {
			return "", "", bad("")
		}
		host, rest = s[:i], s[i+1:]
	}
	if err := target.CheckHost(host); err != nil {
		return "", "", bad(err.Error())
	}
	j := strings.Index(rest, ":")
	if j <= 0 {
		return "", "", bad("")
	}
	port, a := rest[:j], strings.TrimSuffix(strings.TrimPrefix(rest[j+1:], "["), "]")
	if _, err := target.ParsePort(port); err != nil {
		return "", "", bad(err.Error())
	}
	if net.ParseIP(a) == nil {
		return "", "", bad(fmt.Sprintf("%q is not an IP address", a))
	}
	return net.JoinHostPort(strings.ToLower(host), port), net.JoinHostPort(a, port), nil
}

// DefaultTimeout is [Dialer.Timeout]'s zero value: one deadline for the
// name lookup, the TCP connect and the TLS handshake of one address.
const DefaultTimeout = 5 * time.Second

// Dialer opens TCP connections to targets, resolving names through Resolver
// unless Pins names the address.
type Dialer struct {
	Resolver Resolver // nil: SystemResolver
	Pins     Pins     // "host:port" (lower case) → "ip:port"
	// Timeout is one deadline per address of a target: the name lookup,
	// the TCP connect and the TLS handshake together (a scan counts the
	// lookup's time against each address's deadline, from when the
	// address gets a connection slot). Zero means [DefaultTimeout].
	Timeout time.Duration
	// ConnectTimeout bounds the TCP connect alone, within Timeout: a
	// firewalled host (SYNs dropped) fails after it. Zero means Timeout.
	ConnectTimeout time.Duration
	// PostQuantum also offers the hybrid post-quantum key exchange
	// (X25519MLKEM768, Go's default) in scans' handshakes; false offers
	// [ClassicalGroups] only.
	PostQuantum bool
	// PortMap connects to another port than the one asked for, after name
	// resolution (port forwarding; tests run servers of fixed-port URLs
	// on ephemeral loopback ports). Pins are not remapped.
	PortMap map[int]int
}

// ConnectError is a failed TCP connection to Addr for Host.
type ConnectError struct {
	Host    string
	Addr    string
	Timeout bool
	// Budget is the time the connection was given, for a timeout: the
	// connect timeout, or the dialer's timeout when that ended first;
	// zero when unknown.
	Budget time.Duration
	Err    error
}

func (e *ConnectError) Error() string {
	what := "connection failed"
	switch {
	case e.Timeout && e.Budget > 0:
		what = fmt.Sprintf("did not connect within %s", e.Budget)
	case e.Timeout:
		what = "connection timed out"
	}
	return fmt.Sprintf("network: connect to %s (%s): %s: %v", e.Host, e.Addr, what, e.Err)
}

func (e *ConnectError) Unwrap() error { return e.Err }

// Resolve returns the addresses to try for host:port, sorted (IPv4 before
// IPv6, then by number) and without duplicates, so that the same DNS
// answer gives the same addresses in the same order whatever order the
// resolver returned them in.
func (d *Dialer) Resolve(ctx context.Context, host string, port int) ([]string, error) {
	ps := strconv.Itoa(port)
	if a, ok := d.Pins[net.JoinHostPort(strings.ToLower(host), ps)]; ok {
		return []string{a}, nil
	}
	if p, ok := d.PortMap[port]; ok {
		ps = strconv.Itoa(p)
	}
	if ip := net.ParseIP(host); ip != nil {
		return []string{net.JoinHostPort(ip.String(), ps)}, nil
	}
	res := d.Resolver
	if res == nil {
		res = SystemResolver{}
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	ips, err := res.LookupIP(ctx, host)
	if err != nil {
		return nil, err
	}
	return sortAddrs(ips, ps), nil
}

// sortAddrs returns ip:port for every distinct IP, sorted.
func sortAddrs(ips []net.IP, port string) []string {
	as := make([]netip.Addr, 0, len(ips))
	for _, ip := range ips {
		if a, ok := netip.AddrFromSlice(ip); ok {
			as = append(as, a.Unmap())
		}
	}
	slices.SortFunc(as, netip.Addr.Compare)
	as = slices.Compact(as)
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = net.JoinHostPort(a.String(), port)
	}
	return out
}

// MaxAddrs bounds how many addresses of one name a scan checks.
const MaxAddrs = 8

// Addresses resolves host:port to the addresses a scan checks: those of
// [Dialer.Resolve], at most [MaxAddrs] of them. A failure is a *FetchError
// with code dns-failure.
func (d *Dialer) Addresses(ctx context.Context, host string, port int) ([]string, error) {
	addrs, _, err := d.AddressesChecked(ctx, host, port)
	return addrs, err
}

// AddressesChecked is [Dialer.Addresses], and also returns the addresses
// past [MaxAddrs] that a scan does not check (in the same sorted order).
func (d *Dialer) AddressesChecked(ctx context.Context, host string, port int) (checked, notChecked []string, err error) {
	addrs, err := d.Resolve(ctx, host, port)
	if err != nil {
		return nil, nil, &FetchError{Code: finding.CodeDNSFailure, Host: host, Err: err}
	}
	if len(addrs) == 0 {
		return nil, nil, &FetchError{Code: finding.CodeDNSFailure, Host: host, Err: &DNSError{Name: host, Type: "A/AAAA", Kind: NoAnswer}}
	}
	if len(addrs) > MaxAddrs {
		return addrs[:MaxAddrs], addrs[MaxAddrs:], nil
	}
	return addrs, nil, nil
}

// maxAddrs bounds how many resolved addresses a dial tries.
const maxAddrs = 4

// AttemptDelay is how long [Dialer.Dial] waits for one address to connect
// before it also tries the next (RFC 8305's Connection Attempt Delay).
const AttemptDelay = 250 * time.Millisecond

// Dial resolves host and connects to the first address that answers,
// trying at most a few, Happy Eyeballs style: the next address is tried
// when the one before fails or has not connected within [AttemptDelay],
// and the first connection made wins, so a dead address costs a quarter of
// a second, not a timeout. It returns the connection and the address used;
// when every address fails, the error of the first (in sorted order).
func (d *Dialer) Dial(ctx context.Context, host string, port int) (net.Conn, string, error) {
	addrs, err := d.Resolve(ctx, host, port)
	if err != nil {
		return nil, "", err
	}
	if len(addrs) == 0 {
		return nil, "", &DNSError{Name: host, Type: "A/AAAA", Kind: NoAnswer}
	}
	if len(addrs) > maxAddrs {
		addrs = addrs[:maxAddrs]
	}
	return d.race(ctx, host, addrs)
}

// race connects to the addresses in turn, each started AttemptDelay after
// the one before or as soon as it failed; the first connection wins and
// the others are cancelled (or closed, when they connected too).
func (d *Dialer) race(ctx context.Context, host string, addrs []string) (net.Conn, string, error) {
	if len(addrs) == 1 {
		c, err := d.dialAddr(ctx, host, addrs[0])
		return c, addrs[0], err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type attempt struct {
		i   int
		c   net.Conn
		err error
	}
	results := make(chan attempt, len(addrs)) // never blocks a loser
	errs := make([]error, len(addrs))
	started, failed := 0, 0
	start := func() {
		i := started
		started++
		go func() {
			c, err := d.dialAddr(ctx, host, addrs[i])
			results <- attempt{i, c, err}
		}()
	}
	start()
	delay := time.NewTimer(AttemptDelay)
	defer delay.Stop()
	for {
		select {
		case a := <-results:
			if a.err == nil {
				cancel()
				// Close what the other attempts still connect.
				go func(n int) {
					for ; n > 0; n-- {
						if o := <-results; o.c != nil {
							o.c.Close()
						}
					}
				}(started - failed - 1)
				return a.c, addrs[a.i], nil
			}
			errs[a.i] = a.err
			failed++
			if started < len(addrs) {
				start()
				delay.Reset(AttemptDelay)
			} else if failed == started {
				for i, err := range errs {
					if err != nil {
						return nil, addrs[i], err
					}
				}
			}
		case <-delay.C:
			if started < len(addrs) {
				start()
				delay.Reset(AttemptDelay)
			}
		}
	}
}

// dialAddr connects to one address of host within the connect timeout and
// ctx's deadline; a failure is a *ConnectError.
func (d *Dialer) dialAddr(ctx context.Context, host, addr string) (net.Conn, error) {
	nd := net.Dialer{Timeout: d.connectTimeout()}
	// The budget a timeout names: the connect timeout, or the whole
	// deadline when ctx's ends first.
	budget := nd.Timeout
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < nd.Timeout {
		budget = d.timeout()
	}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		var ne net.Error
		timeout := errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded)
		ce := &ConnectError{Host: host, Addr: addr, Timeout: timeout, Err: unwrapOp(err)}
		if timeout {
			ce.Budget = budget
		}
		return nil, ce
	}
	return c, nil
}

// TimeoutOrDefault is Timeout, or [DefaultTimeout] when it is zero.
func (d *Dialer) TimeoutOrDefault() time.Duration { return d.timeout() }

func (d *Dialer) timeout() time.Duration {
	if d.Timeout <= 0 {
		return DefaultTimeout
	}
	return d.Timeout
}

func (d *Dialer) connectTimeout() time.Duration {
	if d.ConnectTimeout <= 0 || d.ConnectTimeout > d.timeout() {
		return d.timeout()
	}
	return d.ConnectTimeout
}

// unwrapOp drops net.OpError's repetition of the addresses we already name.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

// fdReserve is what [MaxConcurrency] leaves for everything but the scan's
// connections: standard streams, AIA, CRL and OCSP fetches, files.
const fdReserve = 128

// MaxConcurrency returns the most connections in flight that a file
// descriptor limit of limit allows a scan: every worker may hold a DNS
// socket besides its connection, and fdReserve descriptors are kept for
// the rest. 0 means no bound (the limit is unknown).
func MaxConcurrency(limit int) int {
	if limit <= 0 {
		return 0
	}
	return max(1, (limit-fdReserve)/2)
}

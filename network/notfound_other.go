//go:build !windows

package network

import (
	"context"
	"net"
	"time"

	"github.com/miekg/dns"
)

// resolvConf is where the system resolver's DNS servers are listed.
var resolvConf = "/etc/resolv.conf"

// classifyNotFound tells NXDOMAIN from "no record of that type" after the
// system resolver said only "not found" (Go's resolver reports both as
// "no such host"): it asks the first DNS server of resolvConf the same
// question once and reads the answer code. It returns NotFound when that
// cannot be told (no resolv.conf, no answer in time).
func classifyNotFound(ctx context.Context, name string, qtype uint16) DNSErrorKind {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(cfg.Servers) == 0 {
		return NotFound
	}
	return classifyWith(ctx, net.JoinHostPort(cfg.Servers[0], cfg.Port), name, qtype)
}

// classifyWith asks server (HOST:PORT) for name once, within a short time.
func classifyWith(ctx context.Context, server, name string, qtype uint16) DNSErrorKind {
	r := &DNSResolver{Server: server, Timeout: 2 * time.Second}
	in, err := r.exchange(ctx, name, qtype, "")
	if err != nil {
		if e, ok := err.(*DNSError); ok && e.Kind == NXDomain {
			return NXDomain
		}
		return NotFound
	}
	for _, rr := range in.Answer {
		if rr.Header().Rrtype == qtype {
			return NotFound // this server has it: the resolvers disagree
		}
	}
	return NoAnswer // the name exists without a record of that type
}

package lab

import (
	"net"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// DNS is an in-process authoritative DNS server on 127.0.0.1 (UDP and TCP on
// the same port). Names not in its zone get NXDOMAIN; names listed in
// ServFail get SERVFAIL; names in Drop get no answer at all.
type DNS struct {
	Addr string

	mu       sync.Mutex
	a        map[string][]net.IP
	srv      map[string][]*dns.SRV
	cname    map[string]string
	servfail map[string]bool
	refused  map[string]bool
	drop     map[string]bool
	udp, tcp *dns.Server
}

// NewDNS starts a DNS server.
func NewDNS() *DNS {
	d := &DNS{a: map[string][]net.IP{}, srv: map[string][]*dns.SRV{}, cname: map[string]string{}, servfail: map[string]bool{}, refused: map[string]bool{}, drop: map[string]bool{}}
	// UDP on an ephemeral port, then TCP on the same port, which another
	// process may hold: try a few ports.
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ {
		var err error
		pc, err = net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			panic(err)
		}
		ln, err = net.Listen("tcp", pc.LocalAddr().String())
		if err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			panic(err)
		}
	}
	d.Addr = pc.LocalAddr().String()
	started := make(chan struct{}, 2)
	notify := func() { started <- struct{}{} }
	d.udp = &dns.Server{PacketConn: pc, Handler: d, NotifyStartedFunc: notify}
	d.tcp = &dns.Server{Listener: ln, Handler: d, NotifyStartedFunc: notify}
	go d.udp.ActivateAndServe()
	go d.tcp.ActivateAndServe()
	<-started
	<-started
	return d
}

func fqdn(name string) string { return dns.Fqdn(strings.ToLower(name)) }

// A adds address records for name.
func (d *DNS) A(name string, ips ...string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, ip := range ips {
		d.a[fqdn(name)] = append(d.a[fqdn(name)], net.ParseIP(ip))
	}
	return d
}

// CNAME makes name an alias of target.
func (d *DNS) CNAME(name, target string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cname[fqdn(name)] = fqdn(target)
	return d
}

// SRV adds an SRV record.
func (d *DNS) SRV(name string, priority, weight, port uint16, target string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv[fqdn(name)] = append(d.srv[fqdn(name)], &dns.SRV{Priority: priority, Weight: weight, Port: port, Target: fqdn(target)})
	return d
}

// ServFail makes queries for name fail with SERVFAIL.
func (d *DNS) ServFail(name string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.servfail[fqdn(name)] = true
	return d
}

// Refused makes queries for name fail with REFUSED.
func (d *DNS) Refused(name string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refused[fqdn(name)] = true
	return d
}

// Drop makes queries for name go unanswered (the client times out).
func (d *DNS) Drop(name string) *DNS {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.drop[fqdn(name)] = true
	return d
}

// Close stops the server.
func (d *DNS) Close() {
	d.udp.Shutdown()
	d.tcp.Shutdown()
}

// ServeDNS implements dns.Handler.
func (d *DNS) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	d.mu.Lock()
	defer d.mu.Unlock()
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := strings.ToLower(q.Name)
	if d.drop[name] {
		return
	}
	if d.servfail[name] {
		m.Rcode = dns.RcodeServerFailure
		w.WriteMsg(m)
		return
	}
	if d.refused[name] {
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: 60}
	}
	exists := len(d.a[name]) > 0 || len(d.srv[name]) > 0 || d.cname[name] != ""
	if t, ok := d.cname[name]; ok && q.Qtype != dns.TypeCNAME {
		m.Answer = append(m.Answer, &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: t})
		name = t
	}
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		for _, ip := range d.a[name] {
			if ip4 := ip.To4(); ip4 != nil && q.Qtype == dns.TypeA {
				m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: ip4})
			} else if ip4 == nil && q.Qtype == dns.TypeAAAA {
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: ip})
			}
		}
	case dns.TypeSRV:
		for _, s := range d.srv[name] {
			rr := *s
			rr.Hdr = hdr(dns.TypeSRV)
			m.Answer = append(m.Answer, &rr)
		}
	}
	if !exists {
		// A parent of an existing name exists too (an empty non-terminal).
		for n := range d.a {
			if strings.HasSuffix(n, "."+name) {
				exists = true
			}
		}
		if !exists {
			m.Rcode = dns.RcodeNameError
		}
	}
	w.WriteMsg(m)
}

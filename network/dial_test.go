package network

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

// blackHole starts a SYN-dropping listener on addr, or skips.
func blackHole(t *testing.T, addr string) *lab.Server {
	t.Helper()
	s, ok, err := lab.BlackHole(addr)
	if !ok {
		t.Skip("a SYN-dropping listener needs Linux")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// TestBlackHoleDropsSYNs checks the lab's black hole itself: a connect to
// it times out instead of connecting or being refused.
func TestBlackHoleDropsSYNs(t *testing.T) {
	h := blackHole(t, "127.0.0.1:0")
	_, err := net.DialTimeout("tcp", h.Addr, 300*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("connect to the black hole: %v, want a timeout", err)
	}
}

// TestDialHappyEyeballs: a name whose first address drops SYNs connects to
// its second AttemptDelay later, not after a whole timeout.
func TestDialHappyEyeballs(t *testing.T) {
	h := blackHole(t, "127.0.0.2:0")
	ln, err := net.Listen("tcp", "127.0.0.3:"+strconv.Itoa(h.Port))
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.3:%d: %v", h.Port, err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	dns := lab.NewDNS()
	defer dns.Close()
	dns.A("pool.contoso.test", "127.0.0.2", "127.0.0.3")
	d := &Dialer{Resolver: &DNSResolver{Server: dns.Addr}, Timeout: 10 * time.Second}
	start := time.Now()
	c, addr, err := d.Dial(context.Background(), "pool.contoso.test", h.Port)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if want := ln.Addr().String(); addr != want {
		t.Errorf("connected to %s, want %s", addr, want)
	}
	if el := time.Since(start); el > d.Timeout/2 {
		t.Errorf("Dial took %s: it waited on the dead address", el)
	}
}

// TestDialAllFail: when every address fails, Dial reports the first
// address's error (in the order given, which is sorted), whatever order
// they failed in.
func TestDialAllFail(t *testing.T) {
	slow := blackHole(t, "127.0.0.1:0") // fails last, at the connect timeout
	closed := lab.ClosedPort()          // refused at once
	d := &Dialer{Timeout: 5 * time.Second, ConnectTimeout: 300 * time.Millisecond}
	_, addr, err := d.race(context.Background(), "x.test", []string{slow.Addr, closed})
	var ce *ConnectError
	if !errors.As(err, &ce) || !ce.Timeout || addr != slow.Addr {
		t.Fatalf("got %s %v, want the timeout of %s", addr, err, slow.Addr)
	}
}

// TestConnectTimeout: a host that drops SYNs fails after --connect-timeout
// with a timeout, long before --timeout.
func TestConnectTimeout(t *testing.T) {
	h := blackHole(t, "127.0.0.1:0")
	d := &Dialer{Timeout: 20 * time.Second, ConnectTimeout: 200 * time.Millisecond}
	start := time.Now()
	_, err := d.FetchAddr(context.Background(), "mail.contoso.test", h.Addr)
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Code != finding.CodeTimeout {
		t.Fatalf("got %v, want a timeout", err)
	}
	if el := time.Since(start); el > d.Timeout/2 {
		t.Errorf("gave up after %s, want about the connect timeout %s", el, d.ConnectTimeout)
	}
	// The message names the budget.
	if want := "(" + h.Addr + "): did not connect within 200ms"; !strings.Contains(err.Error(), want) {
		t.Errorf("message %q, want it to say %q", err, want)
	}
}

// TestOneDeadlinePerAddress: the connect and the handshake share one
// deadline (a server that accepts and never answers fails at Timeout, not
// Timeout plus a connect timeout), and a sooner deadline of the caller's,
// the time a lookup took taken off, wins.
func TestOneDeadlinePerAddress(t *testing.T) {
	s := lab.Silent()
	defer s.Close()
	d := &Dialer{Timeout: 20 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := d.FetchAddr(ctx, "mail.contoso.test", s.Addr)
	var fe *FetchError
	if !errors.As(err, &fe) || fe.Code != finding.CodeTimeout {
		t.Fatalf("got %v, want a timeout", err)
	}
	if el := time.Since(start); el > d.Timeout/2 {
		t.Errorf("gave up after %s, want at the caller's deadline", el)
	}
}

// TestKeyExchangeGroups: scans offer the classical groups only (no
// post-quantum key share to generate), unless PostQuantum asks for Go's
// default, which has X25519MLKEM768 first.
func TestKeyExchangeGroups(t *testing.T) {
	leaf := testca.Leaf(testca.Root("Groups Root"), "mail.contoso.test")
	offered := make(chan []tls.CurveID, 1)
	cfg := &tls.Config{
		Certificates: []tls.Certificate{testca.TLSCert(leaf)},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			offered <- h.SupportedCurves
			return nil, nil
		},
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.(*tls.Conn).Handshake(); c.Close() }()
		}
	}()
	for _, pq := range []bool{false, true} {
		d := &Dialer{Timeout: 5 * time.Second, PostQuantum: pq}
		if _, err := d.FetchAddr(context.Background(), "mail.contoso.test", ln.Addr().String()); err != nil {
			t.Fatal(err)
		}
		got := <-offered
		hasPQ := slices.Contains(got, tls.X25519MLKEM768)
		if hasPQ != pq {
			t.Errorf("PostQuantum=%v offered %v", pq, got)
		}
		if !pq && !slices.Equal(got, ClassicalGroups) {
			t.Errorf("offered %v, want %v", got, ClassicalGroups)
		}
	}
}

package scanner_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/scanner"
	"github.com/trustgap/trustgap/target"
)

// countingTLS starts a TLS server on 127.0.0.1 that counts the handshakes
// it completed.
func countingTLS(t *testing.T, cert tls.Certificate) (addr string, handshakes *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	handshakes = &atomic.Int64{}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					handshakes.Add(1)
				}
			}()
		}
	}()
	return ln.Addr().String(), handshakes
}

// fleet is a list of n targets, one in every `every` of them a black hole
// (a server that accepts and never answers), the others served by one
// counting TLS server, all with one chain the store trusts.
type fleet struct {
	targets    []target.Target
	dead       map[int]bool
	live       int
	handshakes *atomic.Int64
	scanner    *scanner.Scanner
	// hole serves the dead targets; closing it ends their handshakes.
	hole *lab.Server
}

func newFleet(t *testing.T, n, every, conc int, timeout time.Duration) *fleet {
	p := newPKI("Fleet")
	addr, hs := countingTLS(t, testca.TLSCert(testca.Leaf(p.inter, "*.fleet.test"), p.inter.Cert))
	hole := lab.Silent()
	t.Cleanup(hole.Close)
	f := &fleet{dead: map[int]bool{}, handshakes: hs, hole: hole}
	pins := network.Pins{}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("h%d.fleet.test", i)
		tg, err := target.ParseTarget(name)
		if err != nil {
			t.Fatal(err)
		}
		f.targets = append(f.targets, tg)
		if i%every == 0 {
			f.dead[i] = true
			pins[name+":443"] = hole.Addr
		} else {
			f.live++
			pins[name+":443"] = addr
		}
	}
	d := &network.Dialer{Pins: pins, Timeout: timeout}
	f.scanner = &scanner.Scanner{Dialer: d, Store: chain.NewCertSet(p.root.Cert), Now: testca.Epoch, Concurrency: conc}
	return f
}

// TestBlackHolesDoNotStallTheScan: a black hole at the head of the list
// holds the output (which keeps the input order), not the scan. Every live
// target is judged before the first black hole has timed out, so a scan
// whose dead targets fit in the connection slots takes about one timeout
// (ceil(dead / concurrency) x timeout), not one timeout per window of
// targets dispatched ahead of the oldest unwritten one (200 targets and a
// window of 4 x 20 made that 3 timeouts).
func TestBlackHolesDoNotStallTheScan(t *testing.T) {
	const n, every, conc = 200, 20, 20
	timeout := 3 * time.Second
	f := newFleet(t, n, every, conc, timeout)
	var atFirstDead int64 = -1
	i := 0
	start := time.Now()
	err := f.scanner.Scan(context.Background(), f.targets, func(r *chain.Result) error {
		if r.Index != i {
			t.Errorf("emitted target %d at position %d: the output must keep the input order", r.Index, i)
		}
		i++
		if f.dead[r.Index] {
			if !r.Failed() || r.Findings[0].Code != finding.CodeTimeout {
				t.Errorf("%s: findings %v, want timeout", r.Target.Raw, r.Findings)
			}
			if atFirstDead < 0 {
				atFirstDead = f.handshakes.Load()
			}
		} else if !r.Trusted {
			t.Errorf("%s: not trusted: %v", r.Target.Raw, r.Findings)
		}
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if i != n {
		t.Fatalf("emitted %d of %d targets", i, n)
	}
	// Structural: when the first black hole timed out, every live target
	// had already completed its handshake.
	if atFirstDead != int64(f.live) {
		t.Errorf("when the first black hole timed out, %d of %d live targets had been scanned: the scan waited on it", atFirstDead, f.live)
	}
	dead := len(f.dead)
	want := time.Duration(math.Ceil(float64(dead)/conc)) * timeout
	if elapsed > 2*want {
		t.Errorf("the scan took %s, want about ceil(%d/%d) x %s = %s", elapsed.Round(time.Millisecond), dead, conc, timeout, want)
	}
}

// TestHeldResultsAreBounded: MaxHeld bounds the targets started and not
// yet written: with the head of the list in flight, exactly MaxHeld-1
// other targets are started and judged (the scan goes on past the head,
// and no further), and the bound lifts as soon as the head is written.
// The head is a black hole the test closes itself once those are judged
// (after a grace period that gives a scan ignoring the bound the time to
// show it, or as soon as the bound is passed), so no timeout and no
// machine load decides the count.
func TestHeldResultsAreBounded(t *testing.T) {
	const n, conc, maxHeld = 40, 4, 8
	f := newFleet(t, n, n, conc, time.Minute) // only target 0 is dead
	f.scanner.MaxHeld = maxHeld
	var once sync.Once
	release := func() { once.Do(f.hole.Close) }
	reached, overflow := make(chan struct{}), make(chan struct{})
	go func() {
		select {
		case <-reached:
		case <-time.After(30 * time.Second): // a scan that stalls behind the head
		}
		select {
		case <-overflow:
		case <-time.After(300 * time.Millisecond):
		}
		release()
	}()
	t.Cleanup(release)
	live, atHead := 0, -1
	f.scanner.Progress = func(r *chain.Result) { // on one goroutine, before the result is held
		if r.Index == 0 {
			atHead = live
			return
		}
		live++
		switch live {
		case maxHeld - 1:
			close(reached)
		case maxHeld:
			close(overflow)
		}
	}
	trusted := 0
	err := f.scanner.Scan(context.Background(), f.targets, func(r *chain.Result) error {
		if r.Trusted {
			trusted++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if atHead != maxHeld-1 {
		t.Errorf("%d live targets were judged while the head was in flight, want %d (MaxHeld, the head included)", atHead, maxHeld-1)
	}
	if trusted != f.live {
		t.Errorf("%d of %d live targets trusted in the end", trusted, f.live)
	}
}

// TestSignaturesOncePerPair: each signature is verified once per distinct
// (child, parent) pair per run, however many targets share it: 6 distinct
// leaves under one intermediate and root, each served to 3 targets (18
// targets) cost 6 leaf checks, 1 intermediate check, and 1 check of the
// root's self-signature when the report describes it (18 times). The
// crypto/x509 cross-check verifies the CA part once and each distinct leaf
// with its issuer once.
func TestSignaturesOncePerPair(t *testing.T) {
	const leaves, copies = 6, 3
	p := newPKI("Counted")
	pins := network.Pins{}
	var targets []target.Target
	for i := 0; i < leaves; i++ {
		s := lab.TLS(testca.TLSCert(testca.Leaf(p.inter, "*.counted.test"), p.inter.Cert), lab.TLSOptions{})
		t.Cleanup(s.Close)
		for c := 0; c < copies; c++ {
			name := fmt.Sprintf("h%d-%d.counted.test", i, c)
			pins[name+":443"] = s.Addr
			tg, _ := target.ParseTarget(name)
			targets = append(targets, tg)
		}
	}
	d := &network.Dialer{Pins: pins, Timeout: 5 * time.Second}
	s := &scanner.Scanner{Dialer: d, Store: chain.NewCertSet(p.root.Cert), Now: testca.Epoch, Concurrency: 4}
	sigs := certutil.SignatureChecks()
	whole, ca, leaf := chain.CrossChecks.Whole.Load(), chain.CrossChecks.CAPart.Load(), chain.CrossChecks.Leaf.Load()
	var results []*chain.Result
	if err := s.Scan(context.Background(), targets, func(r *chain.Result) error {
		if !r.Trusted {
			t.Errorf("%s: not trusted: %v", r.Target.Raw, r.Findings)
		}
		results = append(results, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := certutil.SignatureChecks()-sigs, int64(leaves+1); got != want {
		t.Errorf("the scan verified %d signatures, want %d (one per distinct pair)", got, want)
	}
	for _, r := range results {
		report.FromResult(r, nil) // describes the root, self-signature included
	}
	if got, want := certutil.SignatureChecks()-sigs, int64(leaves+2); got != want {
		t.Errorf("with the report, %d signatures verified, want %d", got, want)
	}
	if got := chain.CrossChecks.Whole.Load() - whole; got != 0 {
		t.Errorf("%d whole paths cross-checked, want 0", got)
	}
	if got := chain.CrossChecks.CAPart.Load() - ca; got != 1 {
		t.Errorf("the CA part was cross-checked %d times, want once", got)
	}
	if got := chain.CrossChecks.Leaf.Load() - leaf; got != leaves {
		t.Errorf("%d leaves cross-checked, want %d (one per distinct leaf)", got, leaves)
	}
}

// Package scanner runs a scan: for every target it resolves the name and,
// for every address (at most network.MaxAddrs, sorted), captures the
// presented chain through network, builds and judges it through chain,
// then combines the addresses into the target's result and hands each
// result on in input order, with a bounded pool of workers and a bound on
// the connections in flight. Lync targets go
// first, because clients that sign in to Lync trust its CA, which makes
// their roots anchors for every other target.
//
// It wires network and chain together and formats nothing; it must not
// import report, remediate or cmd.
package scanner

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/target"
)

// Scanner fetches, builds and judges the chains of many targets.
type Scanner struct {
	Dialer *network.Dialer
	// AIA completes missing intermediates; nil disables AIA.
	AIA *network.AIA
	// Store is the client root store.
	Store *chain.CertSet
	// Intermediates holds the client store's intermediates (a GPO's CA
	// store), which the builder may use; nil means none.
	Intermediates *chain.CertSet
	// Disallowed holds the certificates clients refuse (the Disallowed
	// store); nil means none.
	Disallowed *chain.CertSet
	// Issuers holds CA certificates given with --issuers: they may
	// complete paths but clients do not have them; nil means none.
	Issuers *chain.CertSet
	// NoLyncAssumption stops the roots of lync targets counting as
	// trusted for every target.
	NoLyncAssumption bool
	// Now is the instant validity is judged at; zero means time.Now().
	Now time.Time
	// Concurrency bounds the connections in flight, every address and
	// protocol probe counted; zero means 64.
	Concurrency int
	// Protocols probes which TLS versions (1.0 to 1.3) every address
	// accepts: at most one extra handshake per version. False: none.
	Protocols bool
	// RootRule, when set, may refuse a store root for a chain (see
	// chain.Judge.RootRule); nil refuses none.
	RootRule func(root, leaf *x509.Certificate, now time.Time) string
	// Namesake, when set, finds the public root a chain's root copies the
	// name of (see chain.Judge.Namesake); nil compares with the client
	// store only.
	Namesake func(c *x509.Certificate) *x509.Certificate
	// Revocation checks the revocation of every built path; its findings
	// are appended to the result after judging. nil checks nothing
	// (--revocation off).
	Revocation RevocationChecker
}

// RevocationChecker checks the revocation of a built path, records each
// certificate's status on the path's links and returns the findings.
// revocation.Checker is the one trustgap uses.
type RevocationChecker interface {
	Check(ctx context.Context, p *chain.Path) []finding.Finding
}

// addRevocation adds the revocation findings to a judged result: a
// certificate on a CRL, or under --revocation hard a chain whose revocation
// cannot be checked, is not trusted (error-severity findings).
func addRevocation(r *chain.Result, fs []finding.Finding) {
	r.Findings = append(r.Findings, fs...)
	if finding.HasError(fs) {
		r.Trusted = false
	}
}

// revocation runs the revocation check of r's path, if any.
func (s *Scanner) revocation(ctx context.Context, r *chain.Result) []finding.Finding {
	if s.Revocation == nil || r.Path == nil {
		return nil
	}
	return s.Revocation.Check(ctx, r.Path)
}

// windowFactor bounds how far ahead of the oldest unwritten target the
// workers may run, so memory stays flat however long the list is while
// output keeps the input order.
const windowFactor = 4

// InterruptedError is a scan stopped by its context (Ctrl-C): NotScanned of
// Total targets were not completed, and were not emitted.
type InterruptedError struct {
	NotScanned, Total int
	Err               error // the context's error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("scanner: interrupted: %d of %d targets not scanned", e.NotScanned, e.Total)
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// Scan scans targets and calls emit with each result in input order, as soon
// as it and every result before it are judged. Lync targets are scanned
// first, because their roots are trusted anchors for the others. Scan stops
// early only when emit fails or ctx is done. When ctx is done it dispatches
// no more targets, cancels those in flight, emits only the results that
// completed (never a finding the cancellation caused), and returns an
// [*InterruptedError].
func (s *Scanner) Scan(ctx context.Context, targets []target.Target, emit func(*chain.Result) error) error {
	now := s.Now
	if now.IsZero() {
		now = time.Now()
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = 64
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	emitted := 0
	interrupted := func() error {
		return &InterruptedError{NotScanned: len(targets) - emitted, Total: len(targets), Err: parent.Err()}
	}
	// One slot per connection in flight, shared by every target's
	// addresses and probes.
	conns := make(chan struct{}, conc)

	// Phase 1: lync targets, held until their roots are known.
	var lyncIdx []int
	for i, t := range targets {
		if t.Role == target.RoleLync {
			lyncIdx = append(lyncIdx, i)
		}
	}
	lyncRes := make(map[int]*chain.Result, len(lyncIdx))
	lyncRev := make(map[int][]finding.Finding, len(lyncIdx))
	var mu sync.Mutex
	s.run(ctx, conc, len(lyncIdx), func(k int) *chain.Result {
		r := s.fetchBuild(ctx, targets[lyncIdx[k]], lyncIdx[k], nil, nil, now, conns)
		if r == nil {
			return nil
		}
		rev := s.revocation(ctx, r)
		if ctx.Err() != nil {
			return nil // a revocation fetch cut short is not the network's doing
		}
		mu.Lock()
		lyncRev[r.Index] = rev
		mu.Unlock()
		return r
	}, func(_ int, r *chain.Result) error {
		if r != nil {
			lyncRes[r.Index] = r
		}
		return nil
	}, nil)
	var lyncDone []*chain.Result // in input order
	for _, i := range lyncIdx {
		if r := lyncRes[i]; r != nil {
			lyncDone = append(lyncDone, r)
		}
	}
	j := chain.NewJudge(s.Store, nil, now)
	j.NoLyncAssumption, j.Disallowed = s.NoLyncAssumption, s.Disallowed
	j.RootRule, j.Namesake = s.RootRule, s.Namesake
	// Only the roots of asserted lync targets become anchors (see
	// chain.Judge.SetLync); the others may only complete paths.
	anchors, known := j.SetLync(lyncDone)
	for _, r := range lyncRes {
		j.Apply(r)
		addRevocation(r, lyncRev[r.Index])
	}

	// Phase 2: everything else, written in input order with the lync
	// results slotted in.
	var others []int
	for i, t := range targets {
		if t.Role != target.RoleLync {
			others = append(others, i)
		}
	}
	next := 0 // next input index to emit
	pending := map[int]*chain.Result{}
	skipped := map[int]bool{} // dispatched, then cancelled: never emitted
	// flush emits what is ready in input order; with all set (the scan is
	// over), targets without a result are passed over.
	flush := func(all bool) error {
		for next < len(targets) {
			r, ok := lyncRes[next]
			if ok {
				delete(lyncRes, next)
			} else if r, ok = pending[next]; ok {
				delete(pending, next)
			} else if skipped[next] || all {
				delete(skipped, next)
				next++
				continue
			} else {
				return nil
			}
			next++
			emitted++
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	}
	if parent.Err() != nil {
		if err := flush(true); err != nil {
			return err
		}
		return interrupted()
	}
	window := make(chan struct{}, conc*windowFactor)
	err := s.run(ctx, conc, len(others), func(k int) *chain.Result {
		r := s.fetchBuild(ctx, targets[others[k]], others[k], anchors, known, now, conns)
		if r == nil {
			return nil
		}
		j.Apply(r)
		rev := s.revocation(ctx, r)
		if ctx.Err() != nil {
			return nil
		}
		addRevocation(r, rev)
		return r
	}, func(k int, r *chain.Result) error {
		if r == nil {
			skipped[others[k]] = true
		} else {
			pending[r.Index] = r
		}
		before := next
		err := flush(false)
		for i := before; i < next; i++ {
			if targets[i].Role != target.RoleLync {
				<-window
			}
		}
		return err
	}, window)
	if err != nil && err != ctx.Err() {
		return err // emit failed
	}
	if err := flush(parent.Err() != nil); err != nil {
		return err
	}
	if parent.Err() != nil {
		return interrupted()
	}
	return nil
}

// run calls work for 0..n-1 on conc workers and hands each job and its
// result to collect on the calling goroutine. With window non-nil, a slot is
// taken before each job is dispatched; collect gives slots back. Once ctx is
// done, no more jobs are dispatched.
func (s *Scanner) run(ctx context.Context, conc, n int, work func(int) *chain.Result, collect func(int, *chain.Result) error, window chan struct{}) error {
	type done struct {
		k int
		r *chain.Result
	}
	jobs := make(chan int)
	results := make(chan done)
	var wg sync.WaitGroup
	for w := 0; w < min(conc, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				results <- done{k, work(k)}
			}
		}()
	}
	stop := make(chan struct{})
	go func() {
		defer close(jobs)
		for k := 0; k < n; k++ {
			if window != nil {
				select {
				case window <- struct{}{}:
				case <-stop:
					return
				case <-ctx.Done():
					return
				}
			}
			select {
			case jobs <- k:
			case <-stop:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var firstErr error
	for d := range results {
		if firstErr != nil {
			continue // drain so workers finish
		}
		if err := collect(d.k, d.r); err != nil {
			firstErr = err
			close(stop)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

// fetchBuild resolves t and checks every address of it at once (each
// taking a slot of conns), then combines them into t's result. lync holds
// the anchors the lync targets add, known the roots that may complete a
// path without being anchors (the lync roots under NoLyncAssumption). It
// returns nil when ctx was cancelled before the work completed: a
// connection or AIA fetch cut short by the cancellation is not something
// the network did.
func (s *Scanner) fetchBuild(ctx context.Context, t target.Target, idx int, lync, known *chain.CertSet, now time.Time, conns chan struct{}) *chain.Result {
	if ctx.Err() != nil {
		return nil
	}
	r := &chain.Result{Target: t, Index: idx}
	addrs, notChecked, err := s.Dialer.AddressesChecked(ctx, t.Host, t.Port)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		r.Err = err
		return r
	}
	results := make([]*chain.Result, len(addrs))
	var wg sync.WaitGroup
	for i, a := range addrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.checkAddr(ctx, t, idx, a, lync, known, now, conns)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	r = chain.Combine(t, idx, results)
	r.NotChecked = notChecked
	return r
}

// checkAddr checks one address of t: it fetches the chain the server
// there presents, builds it (through AIA when needed) and, with
// Protocols, probes the TLS versions it accepts. Every connection waits
// for a slot of conns and has its own deadline. The result is not judged
// yet.
func (s *Scanner) checkAddr(ctx context.Context, t target.Target, idx int, addr string, lync, known *chain.CertSet, now time.Time, conns chan struct{}) *chain.Result {
	r := &chain.Result{Target: t, Index: idx, Addr: addr}
	if !acquire(ctx, conns) {
		r.Err = &network.FetchError{Code: finding.CodeTimeout, Host: t.Host, Addr: addr, Err: errors.New("scan cancelled")}
		return r
	}
	p, err := s.Dialer.FetchAddr(ctx, t.Host, addr)
	if err != nil {
		<-conns
		r.Err = err
		return r
	}
	r.Presented, r.TLSVersion, r.CipherSuite = p.Certs, p.Version, p.CipherSuite
	for _, u := range p.Unparsable {
		r.Unparsable = append(r.Unparsable, chain.BadCert{Position: u.Position, Err: u.Err.Error()})
	}
	if !p.LeafParsed() {
		<-conns
		return r
	}
	b := &chain.Builder{Store: s.Store, Extra: lync, Known: known, Intermediates: s.Intermediates, Issuers: s.Issuers, Disallowed: s.Disallowed, Now: now}
	if s.AIA != nil {
		b.AIA = s.AIA // an interface: never a typed nil
	}
	path := b.Build(ctx, p.Certs[0], p.Certs[1:])
	<-conns
	r.Path = &path
	if s.Protocols {
		r.Protocols = s.probeProtocols(ctx, t.Host, addr, p.Version, conns)
	}
	return r
}

// probeProtocols tries each of chain.ProbedVersions on addr, one handshake
// each, except the version the first handshake already negotiated.
func (s *Scanner) probeProtocols(ctx context.Context, host, addr string, negotiated uint16, conns chan struct{}) []chain.Protocol {
	out := make([]chain.Protocol, 0, len(chain.ProbedVersions))
	for _, v := range chain.ProbedVersions {
		p := chain.Protocol{Version: v}
		switch {
		case v == negotiated:
			p.Accepted = true
		case !acquire(ctx, conns):
			p.Err = errors.New("scan cancelled")
		default:
			p.Accepted, p.Err = s.Dialer.ProbeVersion(ctx, host, addr, v)
			<-conns
		}
		out = append(out, p)
	}
	return out
}

// acquire takes a slot of conns, or gives up when ctx is done.
func acquire(ctx context.Context, conns chan struct{}) bool {
	select {
	case conns <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

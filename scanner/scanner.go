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
	"slices"
	"strings"
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
	// protocol probe counted; zero means [DefaultConcurrency].
	Concurrency int
	// MaxHeld and MaxHeldBytes bound the results waiting for an earlier
	// target to be emitted (ordered output): MaxHeld counts the targets
	// started and not yet emitted (in flight or completed), MaxHeldBytes
	// estimates the memory of the completed ones. When either is reached
	// no new target is started until the head of the list is emitted. Zero means
	// [DefaultMaxHeld] (or 16 per connection slot, when more) and
	// [DefaultMaxHeldBytes].
	MaxHeld      int
	MaxHeldBytes int64
	// Selected, when set, says which targets (by index in the list given
	// to Scan) this scan emits: a shard of the list (--shard). Lync
	// targets are scanned whether selected or not, since their roots
	// judge every other target, but emitted only when selected. Nil
	// selects every target.
	Selected func(index int) bool
	// Progress, when set, is called on one goroutine for every target this
	// scan emits as soon as it is judged, in the order targets complete
	// (before a result held for ordered output is emitted); targets that a
	// cancellation cut short are not reported.
	Progress func(r *chain.Result)
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

// revChecks are the revocation findings of a result: of each of its
// addresses (by position), or of the result itself when it has none.
type revChecks struct {
	own   []finding.Finding
	addrs [][]finding.Finding
}

// revocation checks the revocation of r's paths: every address's built
// path, each distinct chain once (an address presenting the same chain as
// an earlier one gets its statuses and findings), the distinct ones at
// once, each within the checker's budget. It records the statuses on the
// paths; nil when there is no checker.
func (s *Scanner) revocation(ctx context.Context, r *chain.Result) *revChecks {
	if s.Revocation == nil {
		return nil
	}
	rc := &revChecks{}
	if len(r.Addresses) == 0 {
		if r.Path != nil {
			rc.own = s.Revocation.Check(ctx, r.Path)
		}
		return rc
	}
	rc.addrs = make([][]finding.Finding, len(r.Addresses))
	first := map[string]int{} // a chain's key: the address that checks it
	same := make([]int, len(r.Addresses))
	var wg sync.WaitGroup
	for i, a := range r.Addresses {
		same[i] = -1
		if a.Path == nil {
			continue
		}
		k := pathKey(a.Path)
		if f, ok := first[k]; ok {
			same[i] = f
			continue
		}
		first[k] = i
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc.addrs[i] = s.Revocation.Check(ctx, a.Path)
		}()
	}
	wg.Wait()
	for i, f := range same {
		if f < 0 {
			continue
		}
		rc.addrs[i] = slices.Clone(rc.addrs[f])
		for k := range r.Addresses[i].Path.Links {
			if rev := r.Addresses[f].Path.Links[k].Revocation; rev != nil {
				c := *rev
				r.Addresses[i].Path.Links[k].Revocation = &c
			}
		}
	}
	return rc
}

// pathKey identifies a built chain by its certificates.
func pathKey(p *chain.Path) string {
	var b strings.Builder
	for _, l := range p.Links {
		b.Write(l.Cert.Raw)
		b.WriteByte(0)
	}
	return b.String()
}

// applyRevocation adds the revocation findings to a judged result and its
// addresses, and recombines the target from them (so an address with a
// revoked certificate fails, and inconsistent-servers says so).
func applyRevocation(r *chain.Result, rc *revChecks) {
	if rc == nil {
		return
	}
	if len(r.Addresses) == 0 {
		addRevocation(r, rc.own)
		return
	}
	for i, a := range r.Addresses {
		addRevocation(a, rc.addrs[i])
	}
	r.Recombine()
}

// Default bounds on the results held for ordered output: results that
// completed while an earlier target is still in flight. Dispatch never
// waits for a slow target ahead of it (a black hole at the head of the
// list costs one timeout, not a stall of the whole scan); only these bounds
// stop it, so memory stays flat on lists of any length.
const (
	// DefaultMaxHeld is the number of results held at most, or
	// heldPerConn per connection slot when that is more.
	DefaultMaxHeld = 4096
	heldPerConn    = 16
	// DefaultMaxHeldBytes bounds the estimated memory of the held results.
	DefaultMaxHeldBytes = 256 << 20
)

// DefaultConcurrency is the connections in flight when Concurrency is
// zero.
const DefaultConcurrency = 256

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
// first, because their roots are trusted anchors for the others. Targets
// are started as connection slots free up, whatever is still in flight
// ahead of them; the results that completed out of order are held (within
// MaxHeld and MaxHeldBytes) until those ahead are emitted. Scan stops
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
		conc = DefaultConcurrency
	}
	selected := func(i int) bool { return s.Selected == nil || s.Selected(i) }
	total := 0
	for i := range targets {
		if selected(i) {
			total++
		}
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	emitted := 0
	interrupted := func() error {
		return &InterruptedError{NotScanned: total - emitted, Total: total, Err: parent.Err()}
	}
	// One slot per connection in flight, shared by every target's
	// addresses and probes.
	conns := make(chan struct{}, conc)

	// Phase 1: lync targets (every one, selected or not), held until their
	// roots are known.
	var lyncIdx []int
	for i, t := range targets {
		if t.Role == target.RoleLync {
			lyncIdx = append(lyncIdx, i)
		}
	}
	lyncRes := make(map[int]*chain.Result, len(lyncIdx))
	lyncRev := make(map[int]*revChecks, len(lyncIdx))
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
	for i, r := range lyncRes {
		if !selected(i) {
			delete(lyncRes, i) // judged others; not this scan's to emit
			continue
		}
		j.Apply(r)
		applyRevocation(r, lyncRev[r.Index])
		if s.Progress != nil {
			s.Progress(r)
		}
	}

	// Phase 2: the selected others, written in input order with the lync
	// results slotted in.
	var others []int
	for i, t := range targets {
		if t.Role != target.RoleLync && selected(i) {
			others = append(others, i)
		}
	}
	next := 0 // next input index to emit
	pending := map[int]*chain.Result{}
	skipped := map[int]bool{} // dispatched, then cancelled: never emitted
	gate := newHoldGate(s.MaxHeld, s.MaxHeldBytes, conc)
	// flush emits what is ready in input order; with all set (the scan is
	// over), targets without a result are passed over.
	flush := func(all bool) error {
		for next < len(targets) {
			if !selected(next) {
				next++
				continue
			}
			r, ok := lyncRes[next]
			if ok {
				delete(lyncRes, next)
			} else if r, ok = pending[next]; ok {
				delete(pending, next)
				gate.release(resultSize(r))
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
		applyRevocation(r, rev)
		return r
	}, func(k int, r *chain.Result) error {
		if r == nil {
			skipped[others[k]] = true
			gate.release(0)
		} else {
			pending[r.Index] = r
			gate.hold(resultSize(r))
			if s.Progress != nil {
				s.Progress(r)
			}
		}
		return flush(false)
	}, gate)
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

// holdGate bounds the results held for ordered output, in number and in
// estimated bytes: the dispatcher reserves a place before starting a
// target (so the count covers the targets in flight too, and no target
// starts once it is reached, whatever the timing of the workers), the
// collector adds the size of each completed result and releases a place
// when the result is emitted or comes back empty.
type holdGate struct {
	mu              sync.Mutex
	n, maxN         int
	bytes, maxBytes int64
	room            chan struct{} // signalled when results are released
}

func newHoldGate(maxN int, maxBytes int64, conc int) *holdGate {
	if maxN <= 0 {
		maxN = max(DefaultMaxHeld, heldPerConn*conc)
	}
	if maxBytes <= 0 {
		maxBytes = DefaultMaxHeldBytes
	}
	return &holdGate{maxN: maxN, maxBytes: maxBytes, room: make(chan struct{}, 1)}
}

// take reserves a place when there is room.
func (g *holdGate) take() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.n >= g.maxN || g.bytes >= g.maxBytes {
		return false
	}
	g.n++
	return true
}

// reserve returns true once it reserved a place for one more target, or
// false when ctx is done or stop is closed first.
func (g *holdGate) reserve(ctx context.Context, stop <-chan struct{}) bool {
	for !g.take() {
		select {
		case <-g.room:
		case <-stop:
			return false
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// hold adds the size of a completed result, whose place was reserved.
func (g *holdGate) hold(size int64) {
	g.mu.Lock()
	g.bytes += size
	g.mu.Unlock()
}

// release frees a place, and the size of its result.
func (g *holdGate) release(size int64) {
	g.mu.Lock()
	g.n--
	g.bytes -= size
	g.mu.Unlock()
	select {
	case g.room <- struct{}{}:
	default:
	}
}

// resultSize estimates the memory a result holds: its certificates (parsed,
// several times their DER) and a fixed part for the rest.
func resultSize(r *chain.Result) int64 {
	const perCert, fixed = 4, 4 << 10
	n := int64(fixed)
	for _, c := range r.Presented {
		n += perCert * int64(len(c.Raw))
	}
	if r.Path != nil {
		for _, l := range r.Path.Links {
			n += perCert * int64(len(l.Cert.Raw))
		}
	}
	for _, a := range r.Addresses {
		if a != r {
			n += resultSize(a)
		}
	}
	for _, f := range r.Findings {
		n += int64(len(f.Message) + len(f.Fix))
	}
	return n
}

// run calls work for 0..n-1 on conc workers and hands each job and its
// result to collect on the calling goroutine. With gate non-nil, each job is
// dispatched only when the gate has room. Once ctx is done, no more jobs
// are dispatched.
func (s *Scanner) run(ctx context.Context, conc, n int, work func(int) *chain.Result, collect func(int, *chain.Result) error, gate *holdGate) error {
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
			if gate != nil && !gate.reserve(ctx, stop) {
				return
			}
			select {
			case jobs <- k:
			case <-stop:
				return // the scan is over: the place reserved does not matter
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
	start := time.Now()
	addrs, notChecked, err := s.Dialer.AddressesChecked(ctx, t.Host, t.Port)
	// One deadline covers the lookup, the connect and the handshake of
	// each address: what the lookup took is taken off each address's.
	budget := s.Dialer.TimeoutOrDefault() - time.Since(start)
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
			results[i] = s.checkAddr(ctx, t, idx, a, budget, lync, known, now, conns)
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
// for a slot of conns; the fetch must then complete within budget (the
// target's timeout less the lookup), each probe within the timeout. The
// result is not judged yet.
func (s *Scanner) checkAddr(ctx context.Context, t target.Target, idx int, addr string, budget time.Duration, lync, known *chain.CertSet, now time.Time, conns chan struct{}) *chain.Result {
	r := &chain.Result{Target: t, Index: idx, Addr: addr}
	if !acquire(ctx, conns) {
		r.Err = &network.FetchError{Code: finding.CodeTimeout, Host: t.Host, Addr: addr, Err: errors.New("scan cancelled")}
		return r
	}
	fctx, cancel := context.WithTimeout(ctx, budget)
	p, err := s.Dialer.FetchAddr(fctx, t.Host, addr)
	cancel()
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

// Package scanner runs a scan: for every target it captures the presented
// chain through network, builds and judges it through chain, and hands each
// result on in input order, with a bounded pool of workers. Lync targets go
// first, because clients that sign in to Lync trust its CA, which makes
// their roots anchors for every other target.
//
// It wires network and chain together and formats nothing; it must not
// import report, remediate or cmd.
package scanner

import (
	"context"
	"errors"
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
	// Now is the instant validity is judged at; zero means time.Now().
	Now time.Time
	// Concurrency bounds the connections in flight; zero means 64.
	Concurrency int
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

// Scan scans targets and calls emit with each result in input order, as soon
// as it and every result before it are judged. Lync targets are scanned
// first, because their roots are trusted anchors for the others. Scan stops
// early only when emit fails or ctx is done.
func (s *Scanner) Scan(ctx context.Context, targets []target.Target, emit func(*chain.Result) error) error {
	now := s.Now
	if now.IsZero() {
		now = time.Now()
	}
	conc := s.Concurrency
	if conc <= 0 {
		conc = 64
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

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
		r := s.fetchBuild(ctx, targets[lyncIdx[k]], lyncIdx[k], nil)
		rev := s.revocation(ctx, r)
		mu.Lock()
		lyncRev[r.Index] = rev
		mu.Unlock()
		return r
	}, func(r *chain.Result) error {
		mu.Lock()
		lyncRes[r.Index] = r
		mu.Unlock()
		return nil
	}, nil)
	lync := &chain.CertSet{}
	for _, i := range lyncIdx {
		r := lyncRes[i]
		if root := r.Root(); root != nil && len(r.Path.Links) > 1 {
			lync.Add(root.Cert)
		}
	}
	j := chain.NewJudge(s.Store, lync, now)
	for _, r := range lyncRes {
		j.Apply(r)
		r.Findings = append(r.Findings, lyncRev[r.Index]...)
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
	flush := func() error {
		for next < len(targets) {
			r, ok := lyncRes[next]
			if ok {
				delete(lyncRes, next)
			} else if r, ok = pending[next]; ok {
				delete(pending, next)
			} else {
				return nil
			}
			next++
			if err := emit(r); err != nil {
				return err
			}
		}
		return nil
	}
	window := make(chan struct{}, conc*windowFactor)
	err := s.run(ctx, conc, len(others), func(k int) *chain.Result {
		r := s.fetchBuild(ctx, targets[others[k]], others[k], lync)
		j.Apply(r)
		r.Findings = append(r.Findings, s.revocation(ctx, r)...)
		return r
	}, func(r *chain.Result) error {
		pending[r.Index] = r
		before := next
		err := flush()
		for i := before; i < next; i++ {
			if targets[i].Role != target.RoleLync {
				<-window
			}
		}
		return err
	}, window)
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	return ctx.Err()
}

// run calls work for 0..n-1 on conc workers and hands each result to collect
// on the calling goroutine. With window non-nil, a slot is taken before each
// job is dispatched; collect gives slots back.
func (s *Scanner) run(ctx context.Context, conc, n int, work func(int) *chain.Result, collect func(*chain.Result) error, window chan struct{}) error {
	jobs := make(chan int)
	results := make(chan *chain.Result)
	var wg sync.WaitGroup
	for w := 0; w < min(conc, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				results <- work(k)
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
				}
			}
			select {
			case jobs <- k:
			case <-stop:
				return
			}
		}
	}()
	go func() { wg.Wait(); close(results) }()
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue // drain so workers finish
		}
		if err := collect(r); err != nil {
			firstErr = err
			close(stop)
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return firstErr
}

func (s *Scanner) fetchBuild(ctx context.Context, t target.Target, idx int, lync *chain.CertSet) *chain.Result {
	r := &chain.Result{Target: t, Index: idx}
	if err := ctx.Err(); err != nil {
		r.Err = &network.FetchError{Code: finding.CodeTimeout, Host: t.Host, Err: errors.New("scan cancelled")}
		return r
	}
	p, err := s.Dialer.Fetch(ctx, t.Host, t.Port)
	if err != nil {
		r.Err = err
		return r
	}
	r.Addr = p.Addr
	b := &chain.Builder{Store: s.Store, Extra: lync}
	if s.AIA != nil {
		b.AIA = s.AIA // an interface: never a typed nil
	}
	path := b.Build(ctx, p.Certs[0], p.Certs[1:])
	r.Path = &path
	return r
}

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
	"fmt"
	"sync"
	"time"

	"github.com/trustgap/trustgap/chain"
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

	// Phase 1: lync targets, held until their roots are known.
	var lyncIdx []int
	for i, t := range targets {
		if t.Role == target.RoleLync {
			lyncIdx = append(lyncIdx, i)
		}
	}
	lyncRes := make(map[int]*chain.Result, len(lyncIdx))
	s.run(ctx, conc, len(lyncIdx), func(k int) *chain.Result {
		return s.fetchBuild(ctx, targets[lyncIdx[k]], lyncIdx[k], nil)
	}, func(_ int, r *chain.Result) error {
		if r != nil {
			lyncRes[r.Index] = r
		}
		return nil
	}, nil)
	lync := &chain.CertSet{}
	for _, i := range lyncIdx {
		if r := lyncRes[i]; r != nil {
			if root := r.Root(); root != nil && len(r.Path.Links) > 1 {
				lync.Add(root.Cert)
			}
		}
	}
	j := chain.NewJudge(s.Store, lync, now)
	for _, r := range lyncRes {
		j.Apply(r)
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
		r := s.fetchBuild(ctx, targets[others[k]], others[k], lync)
		if r != nil {
			j.Apply(r)
		}
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

// fetchBuild fetches and builds one target's chain. It returns nil when ctx
// was cancelled before the work completed: a connection or AIA fetch cut
// short by the cancellation is not something the network did.
func (s *Scanner) fetchBuild(ctx context.Context, t target.Target, idx int, lync *chain.CertSet) *chain.Result {
	if ctx.Err() != nil {
		return nil
	}
	r := &chain.Result{Target: t, Index: idx}
	p, err := s.Dialer.Fetch(ctx, t.Host, t.Port)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		r.Err = err
		return r
	}
	r.Addr = p.Addr
	b := &chain.Builder{Store: s.Store, Extra: lync}
	if s.AIA != nil {
		b.AIA = s.AIA // an interface: never a typed nil
	}
	path := b.Build(ctx, p.Certs[0], p.Certs[1:])
	if ctx.Err() != nil {
		return nil
	}
	r.Path = &path
	return r
}

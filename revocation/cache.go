package revocation

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/trustgap/trustgap/finding"
)

// flight is one cached fetch, shared by every target that asks for the same
// key: the first asker fetches, the others wait for it (each within its own
// context).
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
	// abandoned is set when the fetching target's own context ended the
	// fetch: the result says nothing about the server, so it is not kept
	// and waiters fetch again.
	abandoned bool
	// at is the wall-clock time of the fetch.
	at time.Time
	// size is what the cached value weighs, counted in Checker.cached.
	size int64
}

// Cache bounds, per run: past them, answers are used by the targets that
// asked for them and then dropped, so later targets fetch them again.
const (
	maxCacheBytes   = 256 << 20
	maxCacheEntries = 10000
)

// shared returns the cached result for key in m, fetching it when there is
// none or when stale says the cached one must be fetched again.
// size says what a fetched value weighs in bytes.
func shared[T any](c *Checker, ctx context.Context, m map[string]*flight[T], key string, stale func(*flight[T]) bool, size func(T) int64, fetch func(context.Context) (T, error)) (T, error) {
	for {
		c.mu.Lock()
		f, ok := m[key]
		if ok {
			select {
			case <-f.done:
				if stale != nil && stale(f) {
					ok = false
					c.cached -= f.size
				}
			default:
			}
		}
		if !ok {
			f = &flight[T]{done: make(chan struct{})}
			m[key] = f
			c.mu.Unlock()
			f.val, f.err = fetch(ctx)
			f.at = c.clock()
			var sz int64
			if f.err == nil {
				sz = size(f.val)
			}
			c.mu.Lock()
			switch {
			case m[key] != f:
			case f.err != nil && ctx.Err() != nil:
				f.abandoned = true
				delete(m, key)
			case c.cached+sz > c.maxCached || len(m) > maxCacheEntries:
				delete(m, key) // used by those waiting, not kept
			default:
				f.size = sz
				c.cached += sz
			}
			c.mu.Unlock()
			close(f.done)
			return f.val, f.err
		}
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.abandoned {
				if err := ctx.Err(); err != nil {
					var zero T
					return zero, err
				}
				continue
			}
			return f.val, f.err
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		}
	}
}

// describe turns a fetch error into a short, printable reason.
func describe(err error, limit time.Duration) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("no complete answer within %s", limit)
	case errors.Is(err, context.Canceled):
		return "cancelled"
	}
	return clean(finding.Text(err))
}

// maxShown bounds the bytes of a URL or reason quoted in a message.
const maxShown = 256

// clean makes attacker-chosen text safe to print: control characters and
// anything outside printable ASCII are escaped, and it is cut at maxShown
// bytes.
func clean(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= maxShown {
			b.WriteString("...")
			break
		}
		if r < 0x80 && unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRuneToASCII(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// quote returns a URL as messages show it: quoted, ASCII, bounded.
func quote(u string) string {
	if len(u) > maxShown {
		u = u[:maxShown] + "..."
	}
	return strconv.QuoteToASCII(u)
}

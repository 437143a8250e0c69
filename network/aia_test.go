package network

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/trustgap/trustgap/internal/lab"
)

// TestFetcherCacheBytes: the AIA cache is bounded in bytes; an answer that
// does not fit is fetched again when asked for again, and a fetch the
// caller cancelled is never cached for the others.
func TestFetcherCacheBytes(t *testing.T) {
	var hits [3]atomic.Int32
	srv := lab.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a":
			hits[0].Add(1)
			w.Write([]byte(strings.Repeat("a", 600<<10)))
		case "/b":
			hits[1].Add(1)
			w.Write([]byte(strings.Repeat("b", 600<<10)))
		default:
			hits[2].Add(1)
			w.Write([]byte("c"))
		}
	}))
	defer srv.Close()
	f := NewFetcher(&Dialer{})
	f.maxBytes = 1 << 20
	ctx := context.Background()
	base := "http://" + srv.Addr
	for _, u := range []string{"/a", "/b", "/a", "/b"} {
		if body, err := f.Get(ctx, base+u); err != nil || len(body) != 600<<10 {
			t.Fatalf("%s: %d bytes, %v", u, len(body), err)
		}
	}
	if a, b := hits[0].Load(), hits[1].Load(); a != 1 || b != 2 {
		t.Errorf("fetches: /a %d (want 1, cached), /b %d (want 2: no room left)", a, b)
	}
	if f.bytes != 600<<10 {
		t.Errorf("cache holds %d bytes, want %d", f.bytes, 600<<10)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.Get(cancelled, base+"/c"); err == nil {
		t.Fatal("a cancelled fetch succeeded")
	}
	if body, err := f.Get(ctx, base+"/c"); err != nil || string(body) != "c" {
		t.Errorf("after a cancelled fetch: %q, %v (the cancellation was cached)", body, err)
	}
}

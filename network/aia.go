package network

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustgap/trustgap/internal/certfile"
)

// HTTP fetch limits, per fetch (AIA caIssuers).
const (
	AIAMaxBytes     = 1 << 20
	AIATimeout      = 5 * time.Second
	AIAMaxRedirects = 3
	// AIACacheEntries and AIACacheBytes bound a Fetcher's cache; past
	// them, answers are not cached (each is fetched again when asked for).
	AIACacheEntries = 10000
	AIACacheBytes   = 64 << 20
)

// Fetcher makes bounded HTTP GETs: each answer at most AIAMaxBytes, within
// AIATimeout and AIAMaxRedirects redirects. Each URL is fetched at most once
// per Fetcher, shared by every target and goroutine: concurrent requests for
// the same URL wait for the first. Connections go through the Dialer, so
// --dns and --resolve apply.
type Fetcher struct {
	client *http.Client

	mu    sync.Mutex
	cache map[string]*fetchEntry
	bytes int // the bodies held in cache
	// maxBytes is AIACacheBytes; tests lower it.
	maxBytes int
}

type fetchEntry struct {
	done chan struct{}
	body []byte
	err  error
}

// NewFetcher returns a fetcher that connects through d.
func NewFetcher(d *Dialer) *Fetcher {
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, ps, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			port, err := strconv.Atoi(ps)
			if err != nil {
				return nil, err
			}
			c, _, err := d.Dial(ctx, host, port)
			return c, err
		},
		TLSHandshakeTimeout:   AIATimeout,
		ResponseHeaderTimeout: AIATimeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &Fetcher{
		client: &http.Client{
			Transport: tr,
			// Each request carries its own deadline (Limits.Timeout).
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				max := AIAMaxRedirects
				if l, ok := req.Context().Value(limitsKey{}).(Limits); ok {
					max = l.MaxRedirects
				}
				if len(via) > max {
					return fmt.Errorf("more than %d redirects", max)
				}
				return nil
			},
		},
		cache:    make(map[string]*fetchEntry),
		maxBytes: AIACacheBytes,
	}
}

// Get returns the body at url, from the cache when it was fetched before.
// The cache holds at most [AIACacheEntries] answers and [AIACacheBytes] of
// bodies; a fetch cut short by the caller's ctx is not cached. Errors do
// not name the URL; callers wrap them.
func (f *Fetcher) Get(ctx context.Context, url string) ([]byte, error) {
	f.mu.Lock()
	e, ok := f.cache[url]
	if !ok {
		e = &fetchEntry{done: make(chan struct{})}
		cached := len(f.cache) < AIACacheEntries
		if cached {
			f.cache[url] = e
		}
		f.mu.Unlock()
		e.body, e.err = f.get(ctx, url)
		if cached {
			f.mu.Lock()
			switch {
			case ctx.Err() != nil, f.bytes+len(e.body) > f.maxBytes:
				delete(f.cache, url) // the caller's cancellation, or no room
			default:
				f.bytes += len(e.body)
			}
			f.mu.Unlock()
		}
		close(e.done)
		return e.body, e.err
	}
	f.mu.Unlock()
	select {
	case <-e.done:
		return e.body, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (f *Fetcher) get(ctx context.Context, url string) ([]byte, error) {
	return f.do(ctx, Request{URL: url})
}

// AIA fetches the issuer certificates named by AIA caIssuers URLs.
type AIA struct {
	Fetcher *Fetcher
}

// NewAIA returns an AIA fetcher that connects through d.
func NewAIA(d *Dialer) *AIA { return &AIA{Fetcher: NewFetcher(d)} }

// AIAError is a failed caIssuers fetch.
type AIAError struct {
	URL string
	Err error
}

func (e *AIAError) Error() string { return fmt.Sprintf("network: AIA fetch %s: %v", e.URL, e.Err) }
func (e *AIAError) Unwrap() error { return e.Err }

// Issuers returns the certificates served at url (DER, PEM or PKCS#7). Only
// http and https URLs are fetched.
func (a *AIA) Issuers(ctx context.Context, url string) ([]*x509.Certificate, error) {
	if !strings.HasPrefix(strings.ToLower(url), "http://") && !strings.HasPrefix(strings.ToLower(url), "https://") {
		return nil, &AIAError{URL: url, Err: errors.New("not an HTTP URL (LDAP caIssuers are not fetched)")}
	}
	body, err := a.Fetcher.Get(ctx, url)
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	certs, err := certfile.ParseCertificates(body)
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	return certs, nil
}

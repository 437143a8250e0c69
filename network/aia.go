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
	// maxCacheEntries bounds a Fetcher's cache; past it, fetches are not
	// cached.
	maxCacheEntries = 10000
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
		cache: make(map[string]*fetchEntry),
	}
}

// Get returns the body at url, from the cache when it was fetched before.
// Errors do not name the URL; callers wrap them.
func (f *Fetcher) Get(ctx context.Context, url string) ([]byte, error) {
	f.mu.Lock()
	e, ok := f.cache[url]
	if !ok {
		e = &fetchEntry{done: make(chan struct{})}
		if len(f.cache) < maxCacheEntries {
			f.cache[url] = e
		}
		f.mu.Unlock()
		e.body, e.err = f.get(ctx, url)
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

package chain

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustgap/trustgap/rootstore"
)

// AIA limits, per fetch.
const (
	AIAMaxBytes     = 1 << 20
	AIATimeout      = 5 * time.Second
	AIAMaxRedirects = 3
	// aiaMaxEntries bounds the cache; past it, fetches are not cached.
	aiaMaxEntries = 10000
	// aiaMaxURLs bounds how many caIssuers URLs of one certificate are tried.
	aiaMaxURLs = 4
)

// AIA fetches caIssuers certificates over HTTP. Each URL is fetched at most
// once per AIA value, shared by every target and goroutine: concurrent
// requests for the same URL wait for the first.
type AIA struct {
	client *http.Client

	mu    sync.Mutex
	cache map[string]*aiaEntry
}

type aiaEntry struct {
	done  chan struct{}
	certs []*x509.Certificate
	err   error
}

// NewAIA returns a fetcher that connects through d (so --dns and --resolve
// apply to AIA hosts too).
func NewAIA(d *Dialer) *AIA {
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
	return &AIA{
		client: &http.Client{
			Transport: tr,
			Timeout:   AIATimeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > AIAMaxRedirects {
					return fmt.Errorf("more than %d redirects", AIAMaxRedirects)
				}
				return nil
			},
		},
		cache: make(map[string]*aiaEntry),
	}
}

// AIAError is a failed caIssuers fetch.
type AIAError struct {
	URL string
	Err error
}

func (e *AIAError) Error() string { return fmt.Sprintf("chain: AIA fetch %s: %v", e.URL, e.Err) }
func (e *AIAError) Unwrap() error { return e.Err }

// Fetch returns the certificates at url, from the cache when it was fetched
// before.
func (a *AIA) Fetch(ctx context.Context, url string) ([]*x509.Certificate, error) {
	a.mu.Lock()
	e, ok := a.cache[url]
	if !ok {
		e = &aiaEntry{done: make(chan struct{})}
		if len(a.cache) < aiaMaxEntries {
			a.cache[url] = e
		}
		a.mu.Unlock()
		e.certs, e.err = a.get(ctx, url)
		close(e.done)
		return e.certs, e.err
	}
	a.mu.Unlock()
	select {
	case <-e.done:
		return e.certs, e.err
	case <-ctx.Done():
		return nil, &AIAError{URL: url, Err: ctx.Err()}
	}
}

func (a *AIA) get(ctx context.Context, url string) ([]*x509.Certificate, error) {
	if !strings.HasPrefix(strings.ToLower(url), "http://") && !strings.HasPrefix(strings.ToLower(url), "https://") {
		return nil, &AIAError{URL: url, Err: errors.New("not an HTTP URL (LDAP caIssuers are not fetched)")}
	}
	ctx, cancel := context.WithTimeout(ctx, AIATimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &AIAError{URL: url, Err: fmt.Errorf("HTTP status %s", resp.Status)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, AIAMaxBytes+1))
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	if len(body) > AIAMaxBytes {
		return nil, &AIAError{URL: url, Err: fmt.Errorf("answer larger than %d bytes", AIAMaxBytes)}
	}
	certs, err := rootstore.ParseCertificates(body)
	if err != nil {
		return nil, &AIAError{URL: url, Err: err}
	}
	return certs, nil
}

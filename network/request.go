package network

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Limits bound one HTTP fetch: the bytes of the answer, the time from
// connecting to the last byte, and the redirects followed. A zero field
// takes the AIA limit ([AIALimits]).
type Limits struct {
	MaxBytes     int64
	Timeout      time.Duration
	MaxRedirects int
}

// The limits of each kind of fetch.
var (
	// AIALimits bound an AIA caIssuers fetch.
	AIALimits = Limits{MaxBytes: AIAMaxBytes, Timeout: AIATimeout, MaxRedirects: AIAMaxRedirects}
	// CRLLimits bound a CRL fetch: the AIA time and redirects, but up to
	// CRLMaxBytes, because the CRLs of large AD CS CAs pass 1 MiB.
	CRLLimits = Limits{MaxBytes: CRLMaxBytes, Timeout: AIATimeout, MaxRedirects: AIAMaxRedirects}
	// OCSPLimits bound an OCSP request: the AIA limits.
	OCSPLimits = AIALimits
)

// CRLMaxBytes is the largest CRL fetched; a longer answer is cut there and
// is an error.
const CRLMaxBytes = 10 << 20

// limitsKey carries a request's Limits to the redirect check.
type limitsKey struct{}

// Request is one bounded HTTP request for [Fetcher.Do].
type Request struct {
	// Method is GET (the zero value) or POST.
	Method string
	URL    string
	// Body and ContentType are sent with a POST (OCSP).
	Body        []byte
	ContentType string
	// Accept, when set, is sent as the Accept header.
	Accept string
	// Limits bound the fetch; zero fields take the AIA limits.
	Limits Limits
}

func (l Limits) orAIA() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = AIAMaxBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = AIATimeout
	}
	if l.MaxRedirects <= 0 {
		l.MaxRedirects = AIAMaxRedirects
	}
	return l
}

// Do makes the request within its limits and returns the body of a 200
// answer. Unlike [Fetcher.Get] it does not cache: callers that fetch for
// many targets (revocation) cache what they make of the answer. Errors do
// not name the URL; callers wrap them. An answer longer than
// Limits.MaxBytes is read up to the limit and is an error.
func (f *Fetcher) Do(ctx context.Context, r Request) ([]byte, error) {
	return f.do(ctx, r)
}

func (f *Fetcher) do(ctx context.Context, r Request) ([]byte, error) {
	lim := r.Limits.orAIA()
	ctx, cancel := context.WithTimeout(context.WithValue(ctx, limitsKey{}, lim), lim.Timeout)
	defer cancel()
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.URL, body)
	if err != nil {
		return nil, err
	}
	if r.ContentType != "" {
		req.Header.Set("Content-Type", r.ContentType)
	}
	if r.Accept != "" {
		req.Header.Set("Accept", r.Accept)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP status %s", resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, lim.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > lim.MaxBytes {
		return nil, fmt.Errorf("answer larger than %d bytes", lim.MaxBytes)
	}
	return b, nil
}

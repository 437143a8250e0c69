package network_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/network"
)

// TestFetcherDo checks the bounded request of revocation: a POST with its
// body and headers, per-request byte and redirect limits, and that Get
// keeps the AIA limits.
func TestFetcherDo(t *testing.T) {
	srv := lab.HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Write([]byte(r.Method + " " + r.Header.Get("Content-Type") + " " + r.Header.Get("Accept") + " " + string(b)))
		case "/big":
			w.Write(make([]byte, 2<<20))
		case "/hop1":
			http.Redirect(w, r, "/hop2", http.StatusFound)
		case "/hop2":
			http.Redirect(w, r, "/echo", http.StatusFound)
		}
	}))
	defer srv.Close()
	f := network.NewFetcher(&network.Dialer{Timeout: 2 * time.Second})
	base := "http://" + srv.Addr
	ctx := context.Background()

	b, err := f.Do(ctx, network.Request{Method: "POST", URL: base + "/echo", Body: []byte("req"), ContentType: "application/ocsp-request", Accept: "application/ocsp-response"})
	if err != nil || string(b) != "POST application/ocsp-request application/ocsp-response req" {
		t.Errorf("POST: %q, %v", b, err)
	}
	if _, err := f.Do(ctx, network.Request{URL: base + "/big", Limits: network.Limits{MaxBytes: 1000}}); err == nil || !strings.Contains(err.Error(), "larger than 1000 bytes") {
		t.Errorf("1000-byte limit: %v", err)
	}
	if b, err := f.Do(ctx, network.Request{URL: base + "/big", Limits: network.CRLLimits}); err != nil || len(b) != 2<<20 {
		t.Errorf("CRL limits: %d bytes, %v", len(b), err)
	}
	if _, err := f.Get(ctx, base+"/big"); err == nil || !strings.Contains(err.Error(), "larger than 1048576 bytes") {
		t.Errorf("Get keeps the AIA limit: %v", err)
	}
	if _, err := f.Do(ctx, network.Request{URL: base + "/hop1", Limits: network.Limits{MaxRedirects: 1}}); err == nil || !strings.Contains(err.Error(), "more than 1 redirects") {
		t.Errorf("1 redirect: %v", err)
	}
	if b, err := f.Do(ctx, network.Request{URL: base + "/hop1"}); err != nil || !strings.HasPrefix(string(b), "GET") {
		t.Errorf("2 redirects within the AIA limit: %q, %v", b, err)
	}
}

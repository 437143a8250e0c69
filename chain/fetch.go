package chain

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
)

// FailureCode classifies why a target's chain could not be fetched. The
// values are the finding codes reported for it.
type FailureCode string

// The fetch failure codes.
const (
	DNSFailure       FailureCode = "dns-failure"
	ConnectFailure   FailureCode = "connect-failure"
	Timeout          FailureCode = "timeout"
	HandshakeFailure FailureCode = "handshake-failure"
)

// FetchError is a failure to obtain the chain presented by Host.
type FetchError struct {
	Code FailureCode
	Host string
	Addr string // empty when the name did not resolve
	Err  error
}

func (e *FetchError) Error() string {
	var de *DNSError
	var ce *ConnectError
	if e.Addr == "" || errors.As(e.Err, &de) || errors.As(e.Err, &ce) {
		return e.Err.Error() // names the host and address already
	}
	return fmt.Sprintf("chain: %s (%s): %v", e.Host, e.Addr, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Presented is what a server sent in its TLS handshake.
type Presented struct {
	Addr  string              // the address connected to
	Certs []*x509.Certificate // in the order sent; Certs[0] is the leaf
}

// MaxPresented bounds how many certificates a server may present; the rest
// are ignored.
const MaxPresented = certutil.MaxPresented

// Fetch connects to host:port and returns the certificates the server
// presents, whatever their validity. Verification is trustgap's job, not the
// handshake's. The chain is captured as soon as the server's Certificate
// message arrives, so servers that then demand a client certificate (Lync
// on 5061) still yield their chain. The whole exchange is bounded by the
// dialer's timeout.
func (d *Dialer) Fetch(ctx context.Context, host string, port int) (*Presented, error) {
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	conn, addr, err := d.Dial(ctx, host, port)
	if err != nil {
		var de *DNSError
		var ce *ConnectError
		a := ""
		if errors.As(err, &ce) {
			a = ce.Addr
		}
		switch {
		case errors.As(err, &de):
			return nil, &FetchError{Code: DNSFailure, Host: host, Err: err}
		case ce != nil && ce.Timeout, errors.Is(err, context.DeadlineExceeded):
			return nil, &FetchError{Code: Timeout, Host: host, Addr: a, Err: err}
		default:
			return nil, &FetchError{Code: ConnectFailure, Host: host, Addr: a, Err: err}
		}
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, &FetchError{Code: ConnectFailure, Host: host, Addr: addr, Err: err}
	}
	var captured []*x509.Certificate
	cfg := certutil.CaptureTLS(host, &captured)
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	herr := tc.HandshakeContext(hctx)
	if len(captured) > 0 {
		// A failure after the chain arrived (client certificate required,
		// no shared cipher for the rest) does not matter to us.
		return &Presented{Addr: addr, Certs: captured}, nil
	}
	if herr == nil {
		herr = errors.New("server presented no certificate")
	}
	var ne net.Error
	if errors.As(herr, &ne) && ne.Timeout() || errors.Is(herr, context.DeadlineExceeded) || errors.Is(herr, os.ErrDeadlineExceeded) {
		return nil, &FetchError{Code: Timeout, Host: host, Addr: addr, Err: fmt.Errorf("TLS handshake did not complete within %s", timeout)}
	}
	return nil, &FetchError{Code: HandshakeFailure, Host: host, Addr: addr, Err: fmt.Errorf("TLS handshake failed: %v", herr)}
}

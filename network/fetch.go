package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/trustgap/trustgap/finding"
)

// FetchError is a failure to obtain the chain presented by Host.
type FetchError struct {
	// Code is the finding code for the failure: finding.CodeDNSFailure,
	// CodeConnectFailure, CodeTimeout or CodeHandshakeFailure.
	Code string
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
	return fmt.Sprintf("network: %s (%s): %v", e.Host, e.Addr, e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Presented is what a server sent in its TLS handshake.
type Presented struct {
	Addr  string              // the address connected to
	Certs []*x509.Certificate // in the order sent; Certs[0] is the leaf
	// Version and CipherSuite are what the server chose (crypto/tls
	// constants), known from its hello on, even when the handshake then
	// fails (a client certificate demanded); zero when unknown.
	Version     uint16
	CipherSuite uint16
}

// MaxPresented bounds how many certificates of a handshake are kept; the
// rest are ignored. (crypto/tls already bounds the handshake message size.)
const MaxPresented = 32

// Fetch connects to host:port and returns the certificates the server
// presents, whatever their validity. Verification is trustgap's job, not the
// handshake's. The chain is captured as soon as the server's Certificate
// message arrives, so servers that then demand a client certificate (Lync
// on 5061) still yield their chain. The whole exchange is bounded by the
// dialer's timeout.
func (d *Dialer) Fetch(ctx context.Context, host string, port int) (*Presented, error) {
	conn, addr, err := d.Dial(ctx, host, port)
	if err != nil {
		return nil, dialFailure(host, err)
	}
	return d.capture(ctx, conn, host, addr)
}

// FetchAddr is [Dialer.Fetch] for one address host resolved to (see
// [Dialer.Addresses]), with its own deadline: a scan calls it for every
// address of a name.
func (d *Dialer) FetchAddr(ctx context.Context, host, addr string) (*Presented, error) {
	conn, err := d.dialAddr(ctx, host, addr)
	if err != nil {
		return nil, dialFailure(host, err)
	}
	return d.capture(ctx, conn, host, addr)
}

// dialFailure turns a failed Dial into a *FetchError with its code.
func dialFailure(host string, err error) error {
	var de *DNSError
	var ce *ConnectError
	a := ""
	if errors.As(err, &ce) {
		a = ce.Addr
	}
	switch {
	case errors.As(err, &de):
		return &FetchError{Code: finding.CodeDNSFailure, Host: host, Err: err}
	case ce != nil && ce.Timeout, errors.Is(err, context.DeadlineExceeded):
		return &FetchError{Code: finding.CodeTimeout, Host: host, Addr: a, Err: err}
	default:
		return &FetchError{Code: finding.CodeConnectFailure, Host: host, Addr: a, Err: err}
	}
}

func (d *Dialer) timeout() time.Duration {
	if d.Timeout <= 0 {
		return 10 * time.Second
	}
	return d.Timeout
}

// capture runs the TLS handshake on conn (to addr, for host) and returns
// what the server presented. It closes conn.
func (d *Dialer) capture(ctx context.Context, conn net.Conn, host, addr string) (*Presented, error) {
	timeout := d.timeout()
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return nil, &FetchError{Code: finding.CodeConnectFailure, Host: host, Addr: addr, Err: err}
	}
	var captured []*x509.Certificate
	cfg := CaptureTLS(host, &captured)
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	herr := tc.HandshakeContext(hctx)
	if len(captured) > 0 {
		// A failure after the chain arrived (client certificate required,
		// no shared cipher for the rest) does not matter to us.
		cs := tc.ConnectionState()
		return &Presented{Addr: addr, Certs: captured, Version: cs.Version, CipherSuite: cs.CipherSuite}, nil
	}
	if herr == nil {
		herr = errors.New("server presented no certificate")
	}
	var ne net.Error
	if errors.As(herr, &ne) && ne.Timeout() || errors.Is(herr, context.DeadlineExceeded) || errors.Is(herr, os.ErrDeadlineExceeded) {
		return nil, &FetchError{Code: finding.CodeTimeout, Host: host, Addr: addr, Err: fmt.Errorf("TLS handshake did not complete within %s", timeout)}
	}
	return nil, &FetchError{Code: finding.CodeHandshakeFailure, Host: host, Addr: addr, Err: fmt.Errorf("TLS handshake failed: %v", herr)}
}

// ProbeVersion reports whether the server at addr (for host) accepts a TLS
// handshake at exactly version (tls.VersionTLS10 ... tls.VersionTLS13),
// offering every cipher suite Go implements: one connection, bounded by the
// dialer's timeout. A server that answers with an alert, another version or
// a closed connection does not accept it; an error (no connection, a
// timeout) means the answer is unknown.
func (d *Dialer) ProbeVersion(ctx context.Context, host, addr string, version uint16) (bool, error) {
	conn, err := d.dialAddr(ctx, host, addr)
	if err != nil {
		return false, dialFailure(host, err)
	}
	defer conn.Close()
	timeout := d.timeout()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return false, &FetchError{Code: finding.CodeConnectFailure, Host: host, Addr: addr, Err: err}
	}
	var captured []*x509.Certificate
	cfg := CaptureTLS(host, &captured)
	cfg.MinVersion, cfg.MaxVersion = version, version
	tc := tls.Client(conn, cfg)
	hctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	herr := tc.HandshakeContext(hctx)
	if len(captured) > 0 || tc.ConnectionState().Version == version {
		return true, nil
	}
	var ne net.Error
	if errors.As(herr, &ne) && ne.Timeout() || errors.Is(herr, context.DeadlineExceeded) || errors.Is(herr, os.ErrDeadlineExceeded) {
		return false, &FetchError{Code: finding.CodeTimeout, Host: host, Addr: addr, Err: fmt.Errorf("TLS handshake did not complete within %s", timeout)}
	}
	return false, nil
}

// CaptureTLS returns a client configuration for host that records the
// certificates the server presents in *certs, whatever their validity, as
// soon as they arrive: verification is trustgap's job, not the handshake's,
// and a server that then demands a client certificate (Lync on 5061) still
// yields its chain. A leaf that does not parse fails the handshake.
func CaptureTLS(host string, certs *[]*x509.Certificate) *tls.Config {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // verified by trustgap after capture
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       allCipherSuites(),
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for i, der := range raw {
				if i == MaxPresented {
					break
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					if i == 0 {
						return fmt.Errorf("server certificate does not parse: %v", err)
					}
					continue // an unparsable extra is ignored like any extra
				}
				*certs = append(*certs, c)
			}
			return nil
		},
		// Answer a client certificate request with no certificate.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil
		},
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host // no SNI for IP literals
	}
	return cfg
}

// allCipherSuites offers every suite Go implements, legacy ones included:
// trustgap only reads certificates, and Lync 2010 era servers may offer
// nothing newer.
func allCipherSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

// FindingCode returns the finding code for the failure.
func (e *FetchError) FindingCode() string { return e.Code }

package network

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
)

// FetchError is a failure to obtain the chain presented by Host.
type FetchError struct {
	// Code is the finding code for the failure: finding.CodeDNSFailure,
	// CodeConnectFailure, CodeTimeout, CodeHandshakeFailure, or
	// CodeUnparsable (a certificate crypto/tls refused to parse, from a
	// server that offers no TLS 1.2 in which to tell which one).
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
	Addr string // the address connected to
	// Certs are the certificates that parse, in the order sent; Certs[0]
	// is the leaf unless Unparsable says certificate 1 did not parse.
	Certs []*x509.Certificate
	// Unparsable lists the certificates that do not parse.
	Unparsable []Unparsable
	// Version and CipherSuite are what the server chose (crypto/tls
	// constants), known from its hello on, even when the handshake then
	// fails (a client certificate demanded); zero when unknown.
	Version     uint16
	CipherSuite uint16
}

// Unparsable is a presented certificate that does not parse.
type Unparsable struct {
	Position int // 1-based, in the order sent
	Err      error
}

// LeafParsed reports whether the server's own certificate parsed.
func (p *Presented) LeafParsed() bool {
	return len(p.Certs) > 0 && (len(p.Unparsable) == 0 || p.Unparsable[0].Position != 1)
}

// MaxPresented bounds how many certificates of a handshake discover's
// [CaptureTLS] keeps. Scans keep them all: crypto/tls bounds the
// Certificate message to 256 KiB.
const MaxPresented = 32

// errParse is how crypto/tls reports a server certificate it cannot parse,
// before any callback sees the chain.
const errParse = "tls: failed to parse certificate from server"

// Fetch connects to host:port and returns the certificates the server
// presents, whatever their validity. Verification is trustgap's job, not the
// handshake's. The chain is captured as soon as the server's Certificate
// message arrives, so servers that then demand a client certificate (Lync
// on 5061) still yield their chain. A certificate that does not parse is
// recorded with its position, and the others kept: when crypto/tls itself
// refuses the chain, Fetch connects again offering only TLS 1.2 and reads
// the certificates from the handshake records. The whole exchange is
// bounded by the dialer's timeout, per connection.
func (d *Dialer) Fetch(ctx context.Context, host string, port int) (*Presented, error) {
	return d.fetch(ctx, host, "", port)
}

// FetchAddr is [Dialer.Fetch] for one address host resolved to (see
// [Dialer.Addresses]), with its own deadline (Timeout from the call, or
// ctx's deadline when that is sooner): a scan calls it for every address of
// a name, with the time the lookup took taken off.
func (d *Dialer) FetchAddr(ctx context.Context, host, addr string) (*Presented, error) {
	return d.fetch(ctx, host, addr, 0)
}

// fetch is Fetch (addr empty: resolve host, dial port) and FetchAddr.
func (d *Dialer) fetch(ctx context.Context, host, addr string, port int) (*Presented, error) {
	p, herr, err := d.fetchOnce(ctx, host, addr, port, false)
	if err != nil || p != nil {
		return p, err
	}
	if strings.Contains(herr.Error(), errParse) {
		// Again, to the same address, reading the records.
		p, _, err := d.fetchOnce(ctx, host, herr.addr, port, true)
		if err != nil || p != nil {
			return p, err
		}
		return nil, &FetchError{Code: finding.CodeUnparsable, Host: host, Addr: herr.addr,
			Err: fmt.Errorf("a certificate the server presents does not parse (%s), and the server does not offer TLS 1.2, in which trustgap could tell which one", strings.TrimPrefix(herr.Error(), errParse+": "))}
	}
	return nil, herr.fetchError(host)
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

// handshakeErr is a handshake that yielded no chain.
type handshakeErr struct {
	addr    string
	err     error
	timeout time.Duration
}

func (e *handshakeErr) Error() string { return e.err.Error() }

func (he *handshakeErr) fetchError(host string) error {
	var ne net.Error
	if errors.As(he.err, &ne) && ne.Timeout() || errors.Is(he.err, context.DeadlineExceeded) || errors.Is(he.err, os.ErrDeadlineExceeded) {
		return &FetchError{Code: finding.CodeTimeout, Host: host, Addr: he.addr, Err: fmt.Errorf("TLS handshake did not complete within %s", he.timeout)}
	}
	return &FetchError{Code: finding.CodeHandshakeFailure, Host: host, Addr: he.addr, Err: fmt.Errorf("TLS handshake failed: %v", he.err)}
}

// fetchOnce makes one connection: to addr, or when addr is empty to
// host:port as resolved. It returns the presented chain, or the handshake
// error (a *handshakeErr) when none was captured, or a connection error.
func (d *Dialer) fetchOnce(ctx context.Context, host, addr string, port int, record bool) (*Presented, *handshakeErr, error) {
	timeout := d.timeout()
	ctx, cancel := context.WithTimeout(ctx, timeout) // or ctx's own, if sooner
	defer cancel()
	deadline, _ := ctx.Deadline()
	var conn net.Conn
	var err error
	if addr == "" {
		conn, addr, err = d.Dial(ctx, host, port)
	} else {
		conn, err = d.dialAddr(ctx, host, addr)
	}
	if err != nil {
		return nil, nil, dialFailure(host, err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(deadline); err != nil {
		return nil, nil, &FetchError{Code: finding.CodeConnectFailure, Host: host, Addr: addr, Err: err}
	}
	var rec *recorder
	if record {
		rec = &recorder{Conn: conn}
		conn = rec
	}
	p := &Presented{Addr: addr}
	cfg := captureAll(host, p)
	d.groups(cfg)
	if record {
		cfg.MaxVersion = tls.VersionTLS12
	}
	tc := tls.Client(conn, cfg)
	herr := tc.HandshakeContext(ctx)
	cs := tc.ConnectionState()
	p.Version, p.CipherSuite = cs.Version, cs.CipherSuite
	if len(p.Certs) > 0 || len(p.Unparsable) > 0 {
		// A failure after the chain arrived (client certificate required,
		// no shared cipher for the rest) does not matter to us.
		return p, nil, nil
	}
	if rec != nil {
		if ders, err := certificatesFromRecords(rec.buf); err == nil && len(ders) > 0 {
			addDER(p, ders)
			return p, nil, nil
		}
	}
	if herr == nil {
		herr = errors.New("server presented no certificate")
	}
	return nil, &handshakeErr{addr: addr, err: herr, timeout: timeout}, nil
}

// addDER parses every presented certificate into p.
func addDER(p *Presented, raw [][]byte) {
	for i, der := range raw {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			p.Unparsable = append(p.Unparsable, Unparsable{Position: i + 1, Err: err})
			continue
		}
		p.Certs = append(p.Certs, c)
	}
}

// captureAll is [CaptureTLS] for scans: every presented certificate is
// kept, and those that do not parse are recorded instead of failing the
// handshake.
func captureAll(host string, p *Presented) *tls.Config {
	cfg := CaptureTLS(host, nil)
	cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		addDER(p, raw)
		return nil
	}
	return cfg
}

// maxRecorded bounds what a recorder keeps: a Certificate message of 256
// KiB, its records' headers and the ServerHello.
const maxRecorded = 300 << 10

// recorder keeps the first bytes a server sends, so that the certificates
// of a handshake crypto/tls refused can still be read.
type recorder struct {
	net.Conn
	buf []byte
}

func (r *recorder) Read(b []byte) (int, error) {
	n, err := r.Conn.Read(b)
	if room := maxRecorded - len(r.buf); room > 0 && n > 0 {
		r.buf = append(r.buf, b[:min(n, room)]...)
	}
	return n, err
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
	d.groups(cfg)
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
		CurvePreferences:   ClassicalGroups,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if certs == nil {
				return nil
			}
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

// ClassicalGroups are the key exchange groups trustgap offers unless asked
// for post-quantum ones ([Dialer.PostQuantum]): a key share for X25519
// (P-256, P-384 and P-521 follow a HelloRetryRequest, for servers without
// X25519). trustgap only reads public certificates, so the hybrid
// X25519MLKEM768 share Go offers by default would cost every handshake
// its key generation for nothing.
var ClassicalGroups = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

// groups sets cfg's key exchange groups for d.
func (d *Dialer) groups(cfg *tls.Config) {
	if d.PostQuantum {
		cfg.CurvePreferences = nil // Go's default: X25519MLKEM768 first
	}
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

// Package lab runs loopback servers for the demo and the tests: TLS servers
// presenting chosen chains, plain HTTP servers (AIA, Autodiscover redirects),
// servers that never finish a handshake, and an in-process DNS server. Every
// server listens on 127.0.0.1 only. It is for tests and the demo, and imports
// only testca of trustgap.
package lab

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"
)

// Server is a running loopback server.
type Server struct {
	Addr string // 127.0.0.1:port
	Port int
	// Accepted receives a value for every connection accepted, up to its
	// buffer (Silent servers only): tests wait on it instead of sleeping.
	Accepted chan struct{}
	close    func()
}

// Close stops the server.
func (s *Server) Close() { s.close() }

func newServer(addr string, closeFn func()) *Server {
	_, ps, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(ps)
	return &Server{Addr: addr, Port: p, close: closeFn}
}

// TLSOptions shape a TLS server.
type TLSOptions struct {
	// ClientAuth asks for (or requires) a client certificate, as Lync
	// front ends do on 5061.
	ClientAuth tls.ClientAuthType
	// Handler answers HTTP requests; nil answers 401 to everything, as an
	// Autodiscover or EWS endpoint does to an anonymous client.
	Handler http.Handler
	// MinVersion and MaxVersion bound the TLS versions the server accepts
	// (tls.VersionTLS10 ...); zero means TLS 1.2 and the newest.
	MinVersion, MaxVersion uint16
}

func (o TLSOptions) config(cert tls.Certificate) *tls.Config {
	minV := o.MinVersion
	if minV == 0 {
		minV = tls.VersionTLS12
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientAuth: o.ClientAuth, MinVersion: minV, MaxVersion: o.MaxVersion, NextProtos: []string{"http/1.1"}}
	if minV < tls.VersionTLS12 {
		// TLS 1.0 and 1.1 clients need the CBC suites Go leaves out of
		// its defaults.
		for _, s := range tls.CipherSuites() {
			cfg.CipherSuites = append(cfg.CipherSuites, s.ID)
		}
	}
	return cfg
}

var quiet = log.New(io.Discard, "", 0)

// Unauthorized answers every request with 401, like Exchange's Autodiscover
// and EWS endpoints without credentials.
var Unauthorized = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("WWW-Authenticate", `Negotiate`)
	w.WriteHeader(http.StatusUnauthorized)
})

// TLS starts an HTTPS server on 127.0.0.1 presenting cert. The chain is
// sent as it is, even certificates that do not parse.
func TLS(cert tls.Certificate, o TLSOptions) *Server {
	s, err := TLSAt("127.0.0.1:0", cert, o)
	if err != nil {
		panic(err)
	}
	return s
}

// HTTP starts a plain HTTP server on 127.0.0.1.
func HTTP(h http.Handler) *Server {
	s := httptest.NewUnstartedServer(h)
	s.Config.ErrorLog = quiet
	s.Config.ReadHeaderTimeout = 5 * time.Second
	s.Start()
	return newServer(s.Listener.Addr().String(), s.Close)
}

// Files serves fixed bodies by path, for AIA caIssuers URLs.
func Files(files map[string][]byte) *Server {
	return HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-cert")
		w.Write(b)
	}))
}

// Silent starts a TCP server that accepts connections and never answers: a
// TLS handshake with it can only time out. Close ends every connection.
func Silent() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	accepted := make(chan struct{}, 1024)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			select {
			case accepted <- struct{}{}:
			default:
			}
			go io.Copy(io.Discard, c) // read and ignore until closed
		}
	}()
	s := newServer(ln.Addr().String(), func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	s.Accepted = accepted
	return s
}

// Garbage starts a TCP server that answers every connection with bytes that
// are not TLS, then closes it.
func Garbage() *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("SSH-2.0-OpenSSH_9.2 not tls at all\r\n"))
			c.Close()
		}
	}()
	return newServer(ln.Addr().String(), func() { ln.Close() })
}

// ClosedPort returns a loopback address nothing listens on.
func ClosedPort() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TLSAt is [TLS] listening on addr (for example 127.0.0.2:port, to serve
// several names on one port from different loopback addresses).
func TLSAt(addr string, cert tls.Certificate, o TLSOptions) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	h := o.Handler
	if h == nil {
		h = Unauthorized
	}
	// Not httptest: it parses the leaf, and tests serve ones that do not.
	srv := &http.Server{Handler: h, ErrorLog: quiet, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(tls.NewListener(ln, o.config(cert)))
	return newServer(ln.Addr().String(), func() { srv.Close() }), nil
}

// HTTPAt is [HTTP] listening on addr.
func HTTPAt(addr string, h http.Handler) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Config.ErrorLog = quiet
	s.Config.ReadHeaderTimeout = 5 * time.Second
	s.Start()
	return newServer(ln.Addr().String(), s.Close), nil
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

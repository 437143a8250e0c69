package discover

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/network"
)

// maxBody bounds how much of an HTTP answer is read.
const maxBody = 64 << 10

// Probe is what one connection attempt to an endpoint found.
type Probe struct {
	Scheme string `json:"scheme"` // https, http or tls (no HTTP request)
	Host   string `json:"host"`
	Port   int    `json:"port"`
	Path   string `json:"path,omitempty"`
	// DNS is "ok" or a [network.DNSErrorKind] (nxdomain, no-answer,
	// servfail, timeout, error).
	DNS       string   `json:"dns"`
	Addresses []string `json:"addresses,omitempty"`
	Address   string   `json:"address,omitempty"` // the one connected to
	// Connect is "ok", "refused", "timeout" or "failed".
	Connect string `json:"connect,omitempty"`
	// TLS describes the certificate presented, for https and tls.
	TLS *TLSInfo `json:"tls,omitempty"`
	// HTTP describes the answer to GET Path.
	HTTP  *HTTPInfo `json:"http,omitempty"`
	Error string    `json:"error,omitempty"`

	certs []*x509.Certificate
}

// TLSInfo describes a presented certificate.
type TLSInfo struct {
	Subject    string   `json:"subject"`
	Issuer     string   `json:"issuer"`
	SHA1       string   `json:"sha1"`
	Names      []string `json:"names"`
	NamesCover bool     `json:"names_cover"`
	SelfSigned bool     `json:"self_signed"`
	Handshake  string   `json:"handshake"` // ok, or the failure
}

// HTTPInfo describes an HTTP answer.
type HTTPInfo struct {
	Status      int    `json:"status"`
	Location    string `json:"location,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	// Autodiscover is set when the body looks like an Autodiscover answer.
	Autodiscover bool `json:"autodiscover,omitempty"`
	// LyncDiscover is set when the answer is a 200 with a Lync discovery
	// document (the JSON or XML lyncdiscover returns: links to the user
	// or a redirect).
	LyncDiscover bool `json:"lync_discover,omitempty"`
}

// Reached reports whether a TCP connection was made.
func (p *Probe) Reached() bool { return p.Connect == "ok" }

// URL is the probed URL (or host:port for tls probes).
func (p *Probe) URL() string {
	hp := p.Host
	if !(p.Scheme == "https" && p.Port == 443 || p.Scheme == "http" && p.Port == 80) {
		hp = net.JoinHostPort(p.Host, fmt.Sprint(p.Port))
	}
	if p.Scheme == "tls" {
		return hp
	}
	return p.Scheme + "://" + hp + p.Path
}

type prober struct {
	d       *network.Dialer
	timeout time.Duration
}

func (pr *prober) probe(ctx context.Context, scheme, host string, port int, path string) *Probe {
	p := &Probe{Scheme: scheme, Host: host, Port: port, Path: path}
	addrs, err := pr.d.Resolve(ctx, host, port)
	if err != nil {
		var de *network.DNSError
		p.DNS = string(network.DNSOther)
		if errors.As(err, &de) {
			p.DNS = string(de.Kind)
		}
		p.Error = finding.Text(err)
		return p
	}
	p.DNS, p.Addresses = "ok", addrs
	conn, addr, err := pr.d.Dial(ctx, host, port)
	if err != nil {
		var ce *network.ConnectError
		p.Connect = "failed"
		if errors.As(err, &ce) {
			p.Address = ce.Addr
			if ce.Timeout {
				p.Connect = "timeout"
			} else if strings.Contains(ce.Err.Error(), "refused") {
				p.Connect = "refused"
			}
		}
		p.Error = finding.Text(err)
		return p
	}
	defer conn.Close()
	p.Connect, p.Address = "ok", addr
	conn.SetDeadline(time.Now().Add(pr.timeout))
	var rw io.ReadWriter = conn
	if scheme != "http" {
		cfg := network.CaptureTLS(host, &p.certs)
		tc := tls.Client(conn, cfg)
		herr := tc.HandshakeContext(ctx)
		if len(p.certs) > 0 {
			leaf := p.certs[0]
			p.TLS = &TLSInfo{
				Subject: certutil.Subject(leaf), Issuer: certutil.Issuer(leaf), SHA1: strings.ToLower(certutil.Thumbprint(leaf)),
				Names: certutil.Names(leaf), NamesCover: certutil.NameCovers(leaf, host), SelfSigned: certutil.IsSelfSigned(leaf), Handshake: "ok",
			}
		}
		if herr != nil {
			if p.TLS != nil {
				p.TLS.Handshake = herr.Error()
			}
			if scheme == "tls" && p.TLS != nil {
				return p // a chain is all a tls probe wants
			}
			p.Error = "TLS handshake failed: " + herr.Error()
			return p
		}
		rw = tc
	}
	if scheme == "tls" {
		return p
	}
	req := fmt.Sprintf("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: trustgap-discover\r\nAccept: */*\r\nConnection: close\r\n\r\n", path, host)
	if _, err := io.WriteString(rw, req); err != nil {
		p.Error = "HTTP request failed: " + err.Error()
		return p
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(rw, maxBody+16<<10)), nil)
	if err != nil {
		p.Error = "no HTTP answer: " + err.Error()
		return p
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	p.HTTP = &HTTPInfo{Status: resp.StatusCode, Location: resp.Header.Get("Location"), ContentType: resp.Header.Get("Content-Type"),
		Autodiscover: strings.Contains(string(body), "<Autodiscover"),
		LyncDiscover: resp.StatusCode == http.StatusOK && IsLyncDiscovery(body)}
	return p
}

// IsLyncDiscovery reports whether body is a Lync discovery document, what
// lyncdiscover(internal).DOMAIN answers: JSON whose "_links" hold a "user"
// (or "redirect") link with an href, or the XML form, an
// AutodiscoverResponse with a Link of token User (or Redirect). A web
// site's page, an empty JSON object or an error page is not one.
func IsLyncDiscovery(body []byte) bool {
	if len(body) > maxBody {
		body = body[:maxBody]
	}
	var doc struct {
		Links map[string]json.RawMessage `json:"_links"`
	}
	if json.Unmarshal(body, &doc) == nil {
		for _, k := range []string{"user", "redirect"} {
			var link struct {
				Href string `json:"href"`
			}
			if raw, ok := doc.Links[k]; ok && json.Unmarshal(raw, &link) == nil && strings.HasPrefix(strings.ToLower(link.Href), "http") {
				return true
			}
		}
		return false
	}
	var x struct {
		XMLName xml.Name `xml:"AutodiscoverResponse"`
		Root    struct {
			Links []struct {
				Token string `xml:"token,attr"`
				Href  string `xml:"href,attr"`
			} `xml:"Link"`
		} `xml:"Root"`
	}
	if xml.Unmarshal(body, &x) != nil {
		return false
	}
	for _, l := range x.Root.Links {
		if (strings.EqualFold(l.Token, "User") || strings.EqualFold(l.Token, "Redirect")) && strings.HasPrefix(strings.ToLower(l.Href), "http") {
			return true
		}
	}
	return false
}

package revocation

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/network"
	"golang.org/x/crypto/ocsp"
)

// rig is a loopback PKI web server: http://pki.test/ serves CRLs and OCSP
// answers from 127.0.0.1, and counts the requests for each path. Every
// other name resolves through an empty DNS server (NXDOMAIN), so nothing
// leaves the machine.
type rig struct {
	t        *testing.T
	mu       sync.Mutex
	files    map[string][]byte
	handlers map[string]http.Handler
	hits     map[string]int
	srv      *lab.Server
	pins     network.Pins
	fetcher  *network.Fetcher
}

const base = "http://pki.test"

func newRig(t *testing.T) *rig {
	r := &rig{t: t, files: map[string][]byte{}, handlers: map[string]http.Handler{}, hits: map[string]int{}}
	r.srv = lab.HTTP(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	r.pins = network.Pins{"pki.test:80": r.srv.Addr, "closed.test:80": lab.ClosedPort()}
	d := &network.Dialer{Pins: r.pins, Resolver: nxdomain{}, Timeout: 2 * time.Second}
	r.fetcher = network.NewFetcher(d)
	return r
}

// nxdomain answers NXDOMAIN for every name: nothing unpinned is reached.
type nxdomain struct{}

func (nxdomain) LookupIP(_ context.Context, host string) ([]net.IP, error) {
	return nil, &network.DNSError{Name: host, Type: "A/AAAA", Kind: network.NXDomain}
}

func (nxdomain) LookupSRV(_ context.Context, name string) ([]network.SRV, error) {
	return nil, &network.DNSError{Name: name, Type: "SRV", Kind: network.NXDomain}
}

func (r *rig) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.hits[req.URL.Path]++
	b, ok := r.files[req.URL.Path]
	h := r.handlers[req.URL.Path]
	r.mu.Unlock()
	switch {
	case h != nil:
		h.ServeHTTP(w, req)
	case ok:
		w.Header().Set("Content-Type", "application/pkix-crl")
		w.Write(b)
	default:
		http.NotFound(w, req)
	}
}

func (r *rig) file(path string, b []byte) {
	r.mu.Lock()
	r.files[path] = b
	r.mu.Unlock()
}

func (r *rig) handle(path string, h http.Handler) {
	r.mu.Lock()
	r.handlers[path] = h
	r.mu.Unlock()
}

func (r *rig) count(path string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits[path]
}

// checker returns a checker judging at testca.Epoch.
func (r *rig) checker(mode Mode) *Checker { return New(r.fetcher, mode, testca.Epoch) }

// pki is a root, an issuing CA and a leaf. The issuing CA's CDP is
// base/root.crl and the leaf's base/inter.crl, unless changed.
type pki struct {
	root, inter, leaf *testca.Cert
}

func newPKI(leafOpts func(*testca.Options)) *pki {
	root := testca.New(testca.Options{CN: "Test Root CA", IsCA: true}, nil)
	inter := testca.New(testca.Options{CN: "Test Issuing CA", IsCA: true, CRLURLs: []string{base + "/root.crl"}}, root)
	o := testca.Options{CN: "mail.test", DNSNames: []string{"mail.test"}, CRLURLs: []string{base + "/inter.crl"}}
	if leafOpts != nil {
		leafOpts(&o)
	}
	return &pki{root: root, inter: inter, leaf: testca.New(o, inter)}
}

func (p *pki) path() *chain.Path {
	return &chain.Path{Links: []chain.Link{{Cert: p.leaf.Cert}, {Cert: p.inter.Cert}, {Cert: p.root.Cert}}, Complete: true, Anchored: true}
}

// statuses renders each link's revocation as "status/source".
func statuses(p *chain.Path) string {
	var s []string
	for _, l := range p.Links {
		if l.Revocation == nil {
			s = append(s, "nil")
			continue
		}
		x := string(l.Revocation.Status)
		if l.Revocation.Source != "" {
			x += "/" + string(l.Revocation.Source)
		}
		s = append(s, x)
	}
	return strings.Join(s, " ")
}

// ext builds a non-critical (or critical) extension.
func ext(oid asn1.ObjectIdentifier, critical bool, v any) pkix.Extension {
	b, err := asn1.Marshal(v)
	if err != nil {
		panic(err)
	}
	return pkix.Extension{Id: oid, Critical: critical, Value: b}
}

// distPoints encodes a cRLDistributionPoints / freshestCRL value naming urls.
func distPoints(urls ...string) []byte {
	type dpName struct {
		FullName []asn1.RawValue `asn1:"optional,tag:0"`
	}
	type dp struct {
		Name dpName `asn1:"optional,tag:0"`
	}
	var dps []dp
	for _, u := range urls {
		dps = append(dps, dp{Name: dpName{FullName: []asn1.RawValue{{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(u)}}}})
	}
	b, err := asn1.Marshal(dps)
	if err != nil {
		panic(err)
	}
	return b
}

func freshestExt(urls ...string) pkix.Extension {
	return pkix.Extension{Id: oidFreshestCRL, Value: distPoints(urls...)}
}

func deltaIndicator(baseNumber int64) pkix.Extension {
	return ext(oidDeltaCRLIndicator, true, big.NewInt(baseNumber))
}

// idpExt encodes an issuing distribution point with the given scope flags.
func idpExt(onlyUser, onlyCA bool, urls ...string) pkix.Extension {
	type dpName struct {
		FullName []asn1.RawValue `asn1:"optional,tag:0"`
	}
	type idpASN1 struct {
		Name     dpName `asn1:"optional,tag:0"`
		OnlyUser bool   `asn1:"optional,tag:1"`
		OnlyCA   bool   `asn1:"optional,tag:2"`
	}
	var v idpASN1
	for _, u := range urls {
		v.Name.FullName = append(v.Name.FullName, asn1.RawValue{Tag: 6, Class: asn1.ClassContextSpecific, Bytes: []byte(u)})
	}
	v.OnlyUser, v.OnlyCA = onlyUser, onlyCA
	return ext(oidIssuingDistPoint, true, v)
}

// ocspResponder answers OCSP POSTs for issuer's certificates, signed by
// signer (the issuer itself or a delegated responder), with tpl's status
// and dates.
func ocspResponder(issuer, signer *testca.Cert, tpl ocsp.Response) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(req.Body, 1<<16))
		q, err := ocsp.ParseRequest(body)
		if err != nil {
			w.Write(ocsp.MalformedRequestErrorResponse)
			return
		}
		t := tpl
		t.SerialNumber = q.SerialNumber
		if t.ThisUpdate.IsZero() {
			t.ThisUpdate = testca.Epoch.Add(-time.Hour)
		}
		if t.NextUpdate.IsZero() {
			t.NextUpdate = testca.Epoch.Add(24 * time.Hour)
		}
		rc := issuer.Cert
		if signer != issuer {
			rc = signer.Cert
			t.Certificate = rc
		}
		resp, err := ocsp.CreateResponse(issuer.Cert, rc, t, signer.Key)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		w.Write(resp)
	})
}

// endless serves n bytes of a CRL-looking prefix and zeros, or forever when
// n is 0, until the client goes away.
func endless(n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		buf := make([]byte, 64<<10)
		buf[0], buf[1] = 0x30, 0x84 // a SEQUENCE with a four-byte length
		var sent int64
		for n == 0 || sent < n {
			if _, err := w.Write(buf); err != nil {
				return
			}
			sent += int64(len(buf))
			buf[0], buf[1] = 0, 0
		}
	})
}

// hang answers nothing until the client goes away. It reads the request
// body first: the server notices a closed connection only after that.
var hang = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
	io.Copy(io.Discard, io.LimitReader(req.Body, 1<<16))
	<-req.Context().Done()
})

// loop redirects to itself.
var loop = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
	http.Redirect(w, req, req.URL.Path, http.StatusFound)
})

func check(t *testing.T, c *Checker, p *chain.Path) string {
	t.Helper()
	fs := c.Check(context.Background(), p)
	var out []string
	for _, f := range fs {
		if f.Fix == "" {
			t.Errorf("%s has no fix", f.Code)
		}
		out = append(out, f.Code+"/"+string(f.Severity))
	}
	if t.Failed() {
		for _, f := range fs {
			t.Logf("  %s: %s", f.Code, f.Message)
		}
	}
	return strings.Join(out, " ")
}

package lab

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/trustgap/trustgap/internal/testca"
)

// Lab is a set of running servers with the names clients would use for them.
type Lab struct {
	// Targets is a target file for the lab.
	Targets string
	// Pins maps each "name:port" of Targets (and AIA hosts) to the
	// loopback address serving it.
	Pins    map[string]string
	Certs   map[string]*x509.Certificate // CA certificates by label, for tests
	servers []*Server
}

// Close stops every server of the lab.
func (l *Lab) Close() {
	for _, s := range l.servers {
		s.Close()
	}
}

// pin records that s serves name:port.
func (l *Lab) pin(name string, port int, s *Server) {
	l.Pins[net.JoinHostPort(name, strconv.Itoa(port))] = s.Addr
	l.servers = append(l.servers, s)
}

// Demo starts the demo lab, with certificates valid around now. Keys and
// serial numbers are derived from fixed seeds, so the same now gives the same
// certificates, reports and bundles on every run:
//
//   - lyncpool.contoso.test:5061, a Lync pool on Contoso's internal CA,
//     sending its intermediate and asking for a client certificate;
//   - mail.contoso.test, Exchange EWS with a certificate from another CA
//     (Fabrikam), which clients do not trust;
//   - exch02.contoso.test, Exchange EWS still on its self-signed SHA-1
//     certificate;
//   - autodiscover.contoso.test, on Contoso's CA but not sending its
//     intermediate (AIA at pki.contoso.test supplies it).
//
// With loopbackPorts false, Targets names the standard ports and Pins maps
// them to the servers. With loopbackPorts true, Targets and the AIA URLs name
// the servers' real ports, so that a DNS server answering 127.0.0.1 for
// [Lab.Names] is all a scan needs.
func Demo(now time.Time, loopbackPorts bool) *Lab {
	l := &Lab{Pins: map[string]string{}, Certs: map[string]*x509.Certificate{}}
	files := map[string][]byte{}
	var mu sync.Mutex
	aia := HTTP(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		b, ok := files[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		ct := "application/pkix-cert"
		if strings.HasSuffix(r.URL.Path, ".crl") {
			ct = "application/pkix-crl"
		}
		w.Header().Set("Content-Type", ct)
		w.Write(b)
	}))
	l.pin("pki.contoso.test", 80, aia)
	// Fabrikam publishes its CRL on its own host, served by the same
	// loopback server.
	l.Pins["pki.fabrikam.test:80"] = aia.Addr
	aiaBase, fabrikamBase := "http://pki.contoso.test", "http://pki.fabrikam.test"
	if loopbackPorts {
		aiaBase += ":" + strconv.Itoa(aia.Port)
		fabrikamBase += ":" + strconv.Itoa(aia.Port)
	}
	hostport := func(name string, port int, s *Server) string {
		if loopbackPorts {
			return net.JoinHostPort(name, strconv.Itoa(s.Port))
		}
		if port == 443 {
			return name
		}
		return net.JoinHostPort(name, strconv.Itoa(port))
	}

	nb, na := now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0)
	// Every CA publishes a current CRL (issued a day ago, valid a week)
	// at its CRL distribution point.
	const rootCRL, issuingCRL, fabrikamCRL = "/pki/contoso-root.crl", "/pki/contoso-issuing.crl", "/pki/fabrikam-root.crl"
	ca := func(cn string, issuer *testca.Cert, years int, aiaPath string) *testca.Cert {
		o := testca.Options{CN: cn, Org: "Contoso", IsCA: true, NotBefore: nb, NotAfter: now.AddDate(years, 0, 0), RSABits: 2048, Seed: "demo " + cn}
		if aiaPath != "" {
			o.IssuingURL = aiaBase + aiaPath
			o.CRLURLs = []string{aiaBase + rootCRL}
		}
		return testca.New(o, issuer)
	}
	crl := func(issuer *testca.Cert) []byte {
		return testca.CRL(issuer, testca.CRLOptions{ThisUpdate: now.Add(-24 * time.Hour), NextUpdate: now.Add(7 * 24 * time.Hour)})
	}
	contosoRoot := ca("Contoso Root CA", nil, 10, "")
	issuing := ca("Contoso Issuing CA", contosoRoot, 5, "/pki/contoso-root.crt")
	const aiaPath = "/pki/contoso-issuing.crt"
	mu.Lock()
	files[aiaPath], files["/pki/contoso-root.crt"] = issuing.Cert.Raw, contosoRoot.Cert.Raw
	mu.Unlock()
	leaf := func(issuer *testca.Cert, names ...string) *testca.Cert {
		return testca.New(testca.Options{CN: names[0], DNSNames: names, NotBefore: nb, NotAfter: na, RSABits: 2048,
			IssuingURL: aiaBase + aiaPath, CRLURLs: []string{aiaBase + issuingCRL}, Seed: "demo " + names[0]}, issuer)
	}
	fabrikamRoot := testca.New(testca.Options{CN: "Fabrikam Root CA", Org: "Fabrikam", IsCA: true, NotBefore: nb, NotAfter: now.AddDate(10, 0, 0), RSABits: 2048, Seed: "demo Fabrikam Root CA"}, nil)
	mu.Lock()
	files[rootCRL], files[issuingCRL], files[fabrikamCRL] = crl(contosoRoot), crl(issuing), crl(fabrikamRoot)
	mu.Unlock()
	l.Certs["contoso-root"], l.Certs["fabrikam-root"], l.Certs["contoso-issuing"] = contosoRoot.Cert, fabrikamRoot.Cert, issuing.Cert

	pool := leaf(issuing, "lyncpool.contoso.test", "sip.contoso.test", "lyncdiscoverinternal.contoso.test")
	poolSrv := TLS(testca.TLSCert(pool, issuing.Cert), TLSOptions{ClientAuth: tls.RequestClientCert})
	l.pin("lyncpool.contoso.test", 5061, poolSrv)

	mail := testca.New(testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test"}, NotBefore: nb, NotAfter: na, RSABits: 2048,
		CRLURLs: []string{fabrikamBase + fabrikamCRL}, Seed: "demo mail.contoso.test"}, fabrikamRoot)
	mailSrv := TLS(testca.TLSCert(mail, fabrikamRoot.Cert), TLSOptions{})
	l.pin("mail.contoso.test", 443, mailSrv)

	exch := testca.New(testca.Options{CN: "EXCH02", DNSNames: []string{"EXCH02", "exch02.contoso.test"}, NotBefore: nb, NotAfter: now.AddDate(4, 0, 0),
		RSABits: 2048, SigAlg: x509.SHA1WithRSA, Seed: "demo EXCH02"}, nil)
	exchSrv := TLS(testca.TLSCert(exch), TLSOptions{})
	l.pin("exch02.contoso.test", 443, exchSrv)

	ad := leaf(issuing, "autodiscover.contoso.test")
	adSrv := TLS(testca.TLSCert(ad), TLSOptions{})
	l.pin("autodiscover.contoso.test", 443, adSrv)

	l.Targets = strings.Join([]string{
		"# trustgap demo lab: a Lync pool and three Exchange endpoints",
		"lync " + hostport("lyncpool.contoso.test", 5061, poolSrv),
		"ews https://" + hostport("mail.contoso.test", 443, mailSrv) + "/EWS/Exchange.asmx",
		"ews https://" + hostport("exch02.contoso.test", 443, exchSrv) + "/EWS/Exchange.asmx",
		"https://" + hostport("autodiscover.contoso.test", 443, adSrv) + "/autodiscover/autodiscover.xml",
		"",
	}, "\n")
	return l
}

// Names returns the host names the lab serves, sorted.
func (l *Lab) Names() []string {
	var out []string
	for k := range l.Pins {
		h, _, _ := net.SplitHostPort(k)
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// Describe lists the lab's servers, one line each, sorted by name.
func (l *Lab) Describe() []string {
	var out []string
	for k, v := range l.Pins {
		out = append(out, fmt.Sprintf("%s -> %s", k, v))
	}
	sort.Strings(out)
	return out
}

package lab

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
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
	Roots   map[string]*x509.Certificate // by label, for tests
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

// Demo starts the demo lab, with certificates valid around now:
//
//   - lyncpool.contoso.test:5061, a Lync pool on Contoso's internal CA,
//     sending its intermediate and asking for a client certificate;
//   - mail.contoso.test, Exchange EWS with a certificate from another CA
//     (Fabrikam), which clients do not trust;
//   - exch02.contoso.test, Exchange EWS still on its self-signed SHA-1
//     certificate;
//   - autodiscover.contoso.test, on Contoso's CA but not sending its
//     intermediate (AIA at pki.contoso.test supplies it).
func Demo(now time.Time) *Lab {
	l := &Lab{Pins: map[string]string{}, Roots: map[string]*x509.Certificate{}}
	nb, na := now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0)
	ca := func(cn string, issuer *testca.Cert) *testca.Cert {
		return testca.New(testca.Options{CN: cn, Org: "Contoso", IsCA: true, NotBefore: nb, NotAfter: now.AddDate(10, 0, 0), RSABits: 2048}, issuer)
	}
	contosoRoot := ca("Contoso Root CA", nil)
	const aiaPath = "/pki/contoso-issuing.crt"
	issuing := testca.New(testca.Options{CN: "Contoso Issuing CA", Org: "Contoso", IsCA: true, NotBefore: nb, NotAfter: now.AddDate(5, 0, 0), RSABits: 2048,
		IssuingURL: "http://pki.contoso.test/pki/contoso-root.crt"}, contosoRoot)
	leaf := func(issuer *testca.Cert, names ...string) *testca.Cert {
		return testca.New(testca.Options{CN: names[0], DNSNames: names, NotBefore: nb, NotAfter: na, RSABits: 2048,
			IssuingURL: "http://pki.contoso.test" + aiaPath}, issuer)
	}
	fabrikamRoot := testca.New(testca.Options{CN: "Fabrikam Root CA", Org: "Fabrikam", IsCA: true, NotBefore: nb, NotAfter: now.AddDate(10, 0, 0), RSABits: 2048}, nil)
	l.Roots["contoso"], l.Roots["fabrikam"] = contosoRoot.Cert, fabrikamRoot.Cert

	pool := leaf(issuing, "lyncpool.contoso.test", "sip.contoso.test", "lyncdiscoverinternal.contoso.test")
	l.pin("lyncpool.contoso.test", 5061, TLS(testca.TLSCert(pool, issuing.Cert), TLSOptions{ClientAuth: tls.RequestClientCert}))

	mail := testca.New(testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test"}, NotBefore: nb, NotAfter: na, RSABits: 2048}, fabrikamRoot)
	l.pin("mail.contoso.test", 443, TLS(testca.TLSCert(mail, fabrikamRoot.Cert), TLSOptions{}))

	exch := testca.New(testca.Options{CN: "EXCH02", DNSNames: []string{"EXCH02", "exch02.contoso.test"}, NotBefore: nb, NotAfter: now.AddDate(4, 0, 0),
		RSABits: 2048, SigAlg: x509.SHA1WithRSA}, nil)
	l.pin("exch02.contoso.test", 443, TLS(testca.TLSCert(exch), TLSOptions{}))

	ad := leaf(issuing, "autodiscover.contoso.test")
	l.pin("autodiscover.contoso.test", 443, TLS(testca.TLSCert(ad), TLSOptions{}))

	aia := Files(map[string][]byte{aiaPath: issuing.Cert.Raw, "/pki/contoso-root.crt": contosoRoot.Cert.Raw})
	l.pin("pki.contoso.test", 80, aia)

	l.Targets = strings.Join([]string{
		"# trustgap demo lab: a Lync pool and three Exchange endpoints",
		"lync lyncpool.contoso.test",
		"ews https://mail.contoso.test/EWS/Exchange.asmx",
		"ews https://exch02.contoso.test/EWS/Exchange.asmx",
		"https://autodiscover.contoso.test/autodiscover/autodiscover.xml",
		"",
	}, "\n")
	return l
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

package chain

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
)

// Severity ranks a finding. Any error-severity finding makes the run exit 1.
type Severity string

// The severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// The finding codes, besides the fetch failure codes ([FailureCode]).
const (
	CodeSelfSigned      = "self-signed"
	CodeUntrustedRoot   = "untrusted-root"
	CodeIncomplete      = "incomplete-chain"
	CodeNameMismatch    = "name-mismatch"
	CodeExpired         = "expired"
	CodeNotYetValid     = "not-yet-valid"
	CodeExpiringSoon    = "expiring-soon"
	CodeWeakSignature   = "weak-signature"
	CodeWeakKey         = "weak-key"
	CodeDifferentCA     = "different-ca"
	CodeLyncRootAssumed = "lync-root-assumed"
)

// ExpiringSoon is how close to expiry a certificate gets expiring-soon.
const ExpiringSoon = 30 * 24 * time.Hour

// Finding is one problem with a target, and what to do about it.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// Result is everything trustgap learned about one target.
type Result struct {
	Target Target
	// Index is the target's position in the input, for ordered output.
	Index   int
	Addr    string
	Path    *Path // nil when the chain could not be fetched
	Err     error // the fetch failure, if any
	InStore bool  // the root is in the client store
	// LyncRoot is true when the root is trusted because it is a lync
	// target's root (and not in the client store).
	LyncRoot bool
	Trusted  bool
	Findings []Finding
}

// Root returns the root of the built chain, or nil when the chain did not
// complete.
func (r *Result) Root() *Link {
	if r.Path == nil || !r.Path.Complete {
		return nil
	}
	l := r.Path.Last()
	return &l
}

// Failed reports whether any finding has error severity.
func (r *Result) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}

// Judge turns built chains into findings.
type Judge struct {
	Store *CertSet // the client root store
	Lync  *CertSet // the roots of lync targets, trusted by clients
	// LyncNames names the lync roots for different-ca messages.
	LyncNames []string
	Now       time.Time
}

// Thumbprint is the upper-case hex SHA-1 of c, as Windows shows it.
func Thumbprint(c *x509.Certificate) string { return certutil.Thumbprint(c) }

// Name is a short display name of c's subject: its CN when it has one.
func Name(c *x509.Certificate) string { return certutil.Name(c) }

func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-1 %s)", Name(c), Thumbprint(c))
}

func (r *Result) add(code string, sev Severity, fix, format string, args ...any) {
	r.Findings = append(r.Findings, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix})
}

// Apply judges r: it fills in InStore, Trusted and Findings.
func (j *Judge) Apply(r *Result) {
	r.Findings = nil
	if r.Err != nil {
		j.fetchFinding(r)
		return
	}
	p := r.Path
	leaf := p.Links[0].Cert
	root := r.Root()
	selfSignedLeaf := len(p.Links) == 1 && p.Complete
	if root != nil {
		r.InStore = j.Store.ContainsKey(root.Cert)
		if selfSignedLeaf {
			// Only that very certificate makes a self-signed leaf trusted.
			r.InStore = j.Store.Contains(leaf)
		}
		r.LyncRoot = !r.InStore && !selfSignedLeaf && j.Lync.ContainsKey(root.Cert)
		r.Trusted = r.InStore || r.LyncRoot
	}
	host := r.Target.Host

	switch {
	case selfSignedLeaf && !r.InStore:
		r.add(CodeSelfSigned, SevError,
			"replace it with a certificate issued by the CA that issued the Lync certificates, naming "+host+" (and autodiscover.<smtp domain> on Exchange); as a stop-gap, deploy this certificate to Trusted Root Certification Authorities (trustgap scan --bundle DIR --include-self-signed)",
			"the server presents a self-signed certificate %s that clients do not trust", describe(leaf))
	case selfSignedLeaf:
		r.add(CodeSelfSigned, SevInfo,
			"replace it with a CA-issued certificate when convenient: every client needs this exact certificate, and again when it is renewed",
			"the server presents a self-signed certificate %s; the client store holds that very certificate", describe(leaf))
	case root != nil && !r.Trusted:
		r.add(CodeUntrustedRoot, SevError,
			fmt.Sprintf("deploy root %s to the clients' Trusted Root Certification Authorities by Group Policy (trustgap scan --bundle DIR writes it)", describe(root.Cert)),
			"the chain ends at root %s, which is not in the client root store", describe(root.Cert))
	}

	j.completeness(r)
	if !NameCovers(leaf, host) {
		r.add(CodeNameMismatch, SevError,
			fmt.Sprintf("reissue the certificate with %s among its Subject Alternative Names (DNS names), or point clients at a name it covers", host),
			"the certificate %s covers %s, not %s", describe(leaf), certNames(leaf), host)
	}
	j.validity(r)
	j.strength(r)
	if r.LyncRoot {
		r.add(CodeLyncRootAssumed, SevInfo,
			"nothing to do if clients sign in to Lync; otherwise deploy this root to them too",
			"root %s is not in the client root store given, but it is a lync target's root, which clients already trust", describe(root.Cert))
	}
	if (r.Target.Role == RoleEWS || r.Target.Role == RoleAutodiscover) && j.Lync.Len() > 0 && root != nil && !j.Lync.ContainsKey(root.Cert) {
		r.add(CodeDifferentCA, SevWarning,
			fmt.Sprintf("make sure clients trust %s (deploy it by Group Policy if they do not), or reissue the Exchange certificate from the CA behind Lync", describe(root.Cert)),
			"Exchange's chain ends at root %s, Lync's at %s: clients that trust Lync's CA do not trust Exchange's by that alone", describe(root.Cert), strings.Join(j.LyncNames, ", "))
	}
}

func (j *Judge) fetchFinding(r *Result) {
	code := string(DNSFailure)
	var fix string
	if fe, ok := r.Err.(*FetchError); ok {
		code = string(fe.Code)
	}
	switch FailureCode(code) {
	case DNSFailure:
		fix = fmt.Sprintf("create the DNS record for %s, or check the name and the DNS server used", r.Target.Host)
	case ConnectFailure:
		fix = fmt.Sprintf("check that the service listens on port %d and that no firewall blocks it from the clients' network", r.Target.Port)
	case Timeout:
		fix = fmt.Sprintf("check that %s answers TLS on port %d from the clients' network (firewall, load balancer, overloaded server)", r.Target.Host, r.Target.Port)
	default:
		fix = fmt.Sprintf("check that port %d of %s speaks TLS and that its certificate binding is in place", r.Target.Port, r.Target.Host)
	}
	r.add(code, SevError, fix, "%s", strings.TrimPrefix(r.Err.Error(), "chain: "))
}

func (j *Judge) completeness(r *Result) {
	p := r.Path
	for i, l := range p.Links {
		if l.Source != FromAIA || (i == len(p.Links)-1 && p.Complete) {
			continue
		}
		r.add(CodeIncomplete, SevWarning,
			fmt.Sprintf("configure the server to send intermediate %q with its certificate (install it in the server's Intermediate Certification Authorities store); clients that cannot reach %s fail", Name(l.Cert), strings.Join(p.Links[i-1].Cert.IssuingCertificateURL, " ")),
			"the server did not send intermediate %s; it was fetched from AIA", describe(l.Cert))
	}
	if p.Complete {
		return
	}
	last := p.Last().Cert
	why := "it has no AIA caIssuers URL"
	switch {
	case p.AIAErr != nil:
		why = "AIA could not supply it: " + strings.TrimPrefix(p.AIAErr.Error(), "chain: ")
	case len(last.IssuingCertificateURL) > 0:
		why = "AIA fetching is off or found no matching certificate"
	}
	r.add(CodeIncomplete, SevError,
		fmt.Sprintf("configure the server to send its full chain up to %q (install the intermediates in its Intermediate Certification Authorities store)", issuerName(last)),
		"the chain stops at %s: the server did not send its issuer %q, and %s", describe(last), issuerName(last), why)
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + c.Issuer.CommonName
	}
	return c.Issuer.String()
}

func (j *Judge) validity(r *Result) {
	now := j.Now
	for _, l := range r.Path.Links {
		c := l.Cert
		switch {
		case now.After(c.NotAfter):
			r.add(CodeExpired, SevError,
				fmt.Sprintf("renew %q and install the new certificate (and its chain) on the server", Name(c)),
				"%s expired on %s", describe(c), c.NotAfter.UTC().Format(time.RFC3339))
		case now.Before(c.NotBefore):
			r.add(CodeNotYetValid, SevError,
				"check the clocks of the issuing CA, the server and the clients, or reissue the certificate with a start date in the past",
				"%s is not valid before %s", describe(c), c.NotBefore.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiringSoon:
			days := int(c.NotAfter.Sub(now).Hours() / 24)
			r.add(CodeExpiringSoon, SevWarning,
				fmt.Sprintf("renew %q before %s", Name(c), c.NotAfter.UTC().Format("2006-01-02")),
				"%s expires on %s, in %d days", describe(c), c.NotAfter.UTC().Format(time.RFC3339), days)
		}
	}
}

// WeakSignature reports whether alg is MD2, MD5 or SHA-1 based.
func WeakSignature(alg x509.SignatureAlgorithm) bool {
	switch alg {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// KeyWeakness describes c's public key if it is too weak (RSA below 2048
// bits, EC below 256), or returns "".
func KeyWeakness(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("a %d-bit RSA key", n)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("a %d-bit EC key", n)
		}
	}
	return ""
}

func (j *Judge) strength(r *Result) {
	p := r.Path
	for i, l := range p.Links {
		c := l.Cert
		trustedRoot := i == len(p.Links)-1 && p.Complete && r.Trusted && c.IsCA
		if WeakSignature(c.SignatureAlgorithm) && !trustedRoot {
			r.add(CodeWeakSignature, SevWarning,
				fmt.Sprintf("reissue %q with a SHA-256 signature", Name(c)),
				"%s is signed with %s", describe(c), c.SignatureAlgorithm)
		}
	}
	for _, l := range p.Links {
		if w := KeyWeakness(l.Cert); w != "" {
			r.add(CodeWeakKey, SevWarning,
				fmt.Sprintf("reissue %q with an RSA key of 2048 bits or more, or ECDSA P-256 or stronger", Name(l.Cert)),
				"%s has %s", describe(l.Cert), w)
		}
	}
}

// NameCovers reports whether c is valid for host: its DNS and IP SANs, or its
// CN when it has no SANs at all (how Windows clients still judge it).
func NameCovers(c *x509.Certificate, host string) bool {
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		return c.VerifyHostname(host) == nil
	}
	cn := strings.ToLower(strings.TrimSuffix(c.Subject.CommonName, "."))
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(h); ip != nil {
		cip := net.ParseIP(cn)
		return cip != nil && cip.Equal(ip)
	}
	return matchName(cn, h)
}

func matchName(pattern, host string) bool {
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		i := strings.IndexByte(host, '.')
		return i > 0 && host[i+1:] == rest
	}
	return false
}

// maxNamesShown bounds the SANs quoted in a name-mismatch message.
const maxNamesShown = 6

func certNames(c *x509.Certificate) string {
	names := certutil.Names(c)
	if len(names) == 0 {
		return "no name"
	}
	if len(c.DNSNames) == 0 && len(c.IPAddresses) == 0 {
		return names[0] + " (CN, no SANs)"
	}
	more := ""
	if len(names) > maxNamesShown {
		more = fmt.Sprintf(" and %d more", len(names)-maxNamesShown)
		names = names[:maxNamesShown]
	}
	return strings.Join(names, ", ") + more
}

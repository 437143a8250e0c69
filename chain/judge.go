package chain

import (
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// ExpiringSoon is how close to expiry a certificate gets expiring-soon.
const ExpiringSoon = 30 * 24 * time.Hour

// Result is everything trustgap learned about one target.
type Result struct {
	Target target.Target
	// Index is the target's position in the input, for ordered output.
	Index int
	Addr  string
	Path  *Path // nil when the chain could not be fetched
	// Err is the fetch failure, if any. Its finding code comes from its
	// FindingCode method (network.FetchError has one), else dns-failure.
	Err     error
	InStore bool // the root is in the client store
	// LyncRoot is true when the root is trusted because it is a lync
	// target's root (and not in the client store).
	LyncRoot bool
	Trusted  bool
	Findings []finding.Finding
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
func (r *Result) Failed() bool { return finding.HasError(r.Findings) }

// Verdict is a one-word judgement of a target.
type Verdict string

// The verdicts, from best to worst.
const (
	VerdictOK          Verdict = "ok"
	VerdictWarn        Verdict = "warn"
	VerdictFail        Verdict = "fail"
	VerdictUnreachable Verdict = "unreachable"
)

// Verdict judges r: unreachable when its chain could not be fetched, fail
// with an error-severity finding, warn with a warning, else ok.
func (r *Result) Verdict() Verdict {
	switch {
	case r.Err != nil:
		return VerdictUnreachable
	case r.Failed():
		return VerdictFail
	}
	for _, f := range r.Findings {
		if f.Severity == finding.SevWarning {
			return VerdictWarn
		}
	}
	return VerdictOK
}

// Judge turns built chains into findings. Apply may be called from many
// goroutines at once.
type Judge struct {
	Store *CertSet // the client root store
	Lync  *CertSet // the roots of lync targets, trusted by clients
	// LyncNames names the lync roots for different-ca messages.
	LyncNames []string
	Now       time.Time
}

// NewJudge returns a judge for a client store, the lync targets' roots and
// the instant validity is judged at.
func NewJudge(store, lync *CertSet, now time.Time) *Judge {
	var names []string
	for _, c := range lync.All() {
		names = append(names, describe(c))
	}
	sort.Strings(names)
	return &Judge{Store: store, Lync: lync, LyncNames: names, Now: now}
}

func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-1 %s)", certutil.Name(c), certutil.Thumbprint(c))
}

func (r *Result) add(code string, sev finding.Severity, fix, format string, args ...any) {
	r.Findings = append(r.Findings, finding.New(code, sev, fix, format, args...))
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
		r.add(finding.CodeSelfSigned, finding.SevError,
			"replace it with a certificate issued by the CA that issued the Lync certificates, naming "+host+" (and autodiscover.<smtp domain> on Exchange); as a stop-gap, deploy this certificate to Trusted Root Certification Authorities (trustgap scan --bundle DIR --include-self-signed)",
			"the server presents a self-signed certificate %s that clients do not trust", describe(leaf))
	case selfSignedLeaf:
		r.add(finding.CodeSelfSigned, finding.SevInfo,
			"replace it with a CA-issued certificate when convenient: every client needs this exact certificate, and again when it is renewed",
			"the server presents a self-signed certificate %s; the client store holds that very certificate", describe(leaf))
	case root != nil && !r.Trusted:
		r.add(finding.CodeUntrustedRoot, finding.SevError,
			fmt.Sprintf("deploy root %s to the clients' Trusted Root Certification Authorities by Group Policy (trustgap scan --bundle DIR writes it)", describe(root.Cert)),
			"the chain ends at root %s, which is not in the client root store", describe(root.Cert))
	}

	j.completeness(r)
	if !certutil.NameCovers(leaf, host) {
		r.add(finding.CodeNameMismatch, finding.SevError,
			fmt.Sprintf("reissue the certificate with %s among its Subject Alternative Names (DNS names), or point clients at a name it covers", host),
			"the certificate %s covers %s, not %s", describe(leaf), certNames(leaf), host)
	}
	j.validity(r)
	j.strength(r)
	if r.LyncRoot {
		r.add(finding.CodeLyncRootAssumed, finding.SevInfo,
			"nothing to do if clients sign in to Lync; otherwise deploy this root to them too",
			"root %s is not in the client root store given, but it is a lync target's root, which clients already trust", describe(root.Cert))
	}
	if (r.Target.Role == target.RoleEWS || r.Target.Role == target.RoleAutodiscover) && j.Lync.Len() > 0 && root != nil && !j.Lync.ContainsKey(root.Cert) {
		r.add(finding.CodeDifferentCA, finding.SevWarning,
			fmt.Sprintf("make sure clients trust %s (deploy it by Group Policy if they do not), or reissue the Exchange certificate from the CA behind Lync", describe(root.Cert)),
			"Exchange's chain ends at root %s, Lync's at %s: clients that trust Lync's CA do not trust Exchange's by that alone", describe(root.Cert), strings.Join(j.LyncNames, ", "))
	}
}

// coded is an error that names its finding code (network.FetchError).
type coded interface{ FindingCode() string }

func (j *Judge) fetchFinding(r *Result) {
	code := finding.CodeDNSFailure
	var fix string
	var ce coded
	if errors.As(r.Err, &ce) {
		code = ce.FindingCode()
	}
	switch code {
	case finding.CodeDNSFailure:
		fix = dnsFix(r)
	case finding.CodeConnectFailure:
		fix = fmt.Sprintf("check that the service listens on port %d and that no firewall blocks it from the clients' network", r.Target.Port)
	case finding.CodeTimeout:
		fix = fmt.Sprintf("check that %s answers TLS on port %d from the clients' network (firewall, load balancer, overloaded server)", r.Target.Host, r.Target.Port)
	default:
		fix = fmt.Sprintf("check that port %d of %s speaks TLS and that its certificate binding is in place", r.Target.Port, r.Target.Host)
	}
	r.add(code, finding.SevError, fix, "%s", finding.Text(r.Err))
}

// dnsKinded is a DNS failure that says its kind (network.DNSError).
type dnsKinded interface{ DNSFailureKind() string }

// dnsFix chooses the dns-failure fix by what the DNS server answered: a
// missing record is created, a failing or refusing server is checked.
func dnsFix(r *Result) string {
	host := r.Target.Host
	kind := ""
	var dk dnsKinded
	if errors.As(r.Err, &dk) {
		kind = dk.DNSFailureKind()
	}
	switch kind {
	case "nxdomain":
		return fmt.Sprintf("create the DNS record for %s (the name does not exist), or check the name and the DNS server used", host)
	case "no-answer":
		return fmt.Sprintf("create the A (or AAAA) record for %s (the name exists without one), or check the name and the DNS server used", host)
	case "servfail":
		return fmt.Sprintf("the DNS server failed or refused to answer for %s: check that server (its zone, forwarders, and whether it answers this client), or resolve through another with --dns", host)
	case "timeout":
		return fmt.Sprintf("no DNS answer for %s in time: check that the DNS server is reachable from here, or resolve through another with --dns", host)
	}
	return fmt.Sprintf("create the DNS record for %s, or check the name and the DNS server used", host)
}

func (j *Judge) completeness(r *Result) {
	p := r.Path
	for i, l := range p.Links {
		if l.Source != FromAIA || (i == len(p.Links)-1 && p.Complete) {
			continue
		}
		r.add(finding.CodeIncomplete, finding.SevWarning,
			fmt.Sprintf("configure the server to send intermediate %q with its certificate (install it in the server's Intermediate Certification Authorities store); clients that cannot reach %s fail", certutil.Name(l.Cert), strings.Join(p.Links[i-1].Cert.IssuingCertificateURL, " ")),
			"the server did not send intermediate %s; it was fetched from AIA", describe(l.Cert))
	}
	if p.Complete {
		return
	}
	last := p.Last().Cert
	why := "it has no AIA caIssuers URL"
	switch {
	case p.AIAErr != nil:
		why = "AIA could not supply it: " + finding.Text(p.AIAErr)
	case len(last.IssuingCertificateURL) > 0:
		why = "AIA fetching is off or found no matching certificate"
	}
	r.add(finding.CodeIncomplete, finding.SevError,
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
			r.add(finding.CodeExpired, finding.SevError,
				fmt.Sprintf("renew %q and install the new certificate (and its chain) on the server", certutil.Name(c)),
				"%s expired on %s", describe(c), c.NotAfter.UTC().Format(time.RFC3339))
		case now.Before(c.NotBefore):
			r.add(finding.CodeNotYetValid, finding.SevError,
				"check the clocks of the issuing CA, the server and the clients, or reissue the certificate with a start date in the past",
				"%s is not valid before %s", describe(c), c.NotBefore.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiringSoon:
			days := int(c.NotAfter.Sub(now).Hours() / 24)
			r.add(finding.CodeExpiringSoon, finding.SevWarning,
				fmt.Sprintf("renew %q before %s", certutil.Name(c), c.NotAfter.UTC().Format("2006-01-02")),
				"%s expires on %s, in %d days", describe(c), c.NotAfter.UTC().Format(time.RFC3339), days)
		}
	}
}

func (j *Judge) strength(r *Result) {
	p := r.Path
	for i, l := range p.Links {
		c := l.Cert
		trustedRoot := i == len(p.Links)-1 && p.Complete && r.Trusted && c.IsCA
		if certutil.WeakSignature(c.SignatureAlgorithm) && !trustedRoot {
			r.add(finding.CodeWeakSignature, finding.SevWarning,
				fmt.Sprintf("reissue %q with a SHA-256 signature", certutil.Name(c)),
				"%s is signed with %s", describe(c), c.SignatureAlgorithm)
		}
	}
	for _, l := range p.Links {
		if w := certutil.KeyWeakness(l.Cert); w != "" {
			r.add(finding.CodeWeakKey, finding.SevWarning,
				fmt.Sprintf("reissue %q with an RSA key of 2048 bits or more, or ECDSA P-256 or stronger", certutil.Name(l.Cert)),
				"%s has %s", describe(l.Cert), w)
		}
	}
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

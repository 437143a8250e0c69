package chain

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// Problem is one rule a built path breaks, as a finding of its own code
// whose fix names the certificate and what to change.
type Problem struct {
	finding.Finding
	// Index is the certificate at fault (Links index).
	Index int
}

// Validator applies trustgap's path rules (RFC 5280 §6.1 as a Windows
// client applies it to a TLS server chain) to a built path. Each rule is an
// explainer with its own finding code; crypto/x509 cross-checks every path
// Go can judge. The zero value judges at time.Now() with no Disallowed
// store.
type Validator struct {
	// Now is the instant validity is judged at; zero means time.Now().
	Now time.Time
	// Disallowed holds the certificates clients refuse wherever they appear
	// (the Disallowed store).
	Disallowed *CertSet
}

func (v *Validator) now() time.Time {
	if v.Now.IsZero() {
		return time.Now()
	}
	return v.Now
}

// problems collects a path's problems.
type problems []Problem

func (ps *problems) add(i int, code string, sev finding.Severity, fix, format string, args ...any) {
	*ps = append(*ps, Problem{Finding: finding.New(code, sev, fix, format, args...), Index: i})
}

// HasErrorProblem reports whether any of ps has error severity.
func HasErrorProblem(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == finding.SevError {
			return true
		}
	}
	return false
}

func errorCount(ps []Problem) int {
	n := 0
	for _, p := range ps {
		if p.Severity == finding.SevError {
			n++
		}
	}
	return n
}

// Check returns every rule p breaks, in rule order. The last certificate of
// a complete path is treated as its trust anchor: its own signature is not
// checked, and it may be a version 1 or extension-less root; validity,
// extended key usage, key usage, path length and an explicit cA=FALSE apply
// to it as to any CA.
func (v *Validator) Check(p *Path) []Problem {
	var ps problems
	n := len(p.Links)
	certs := make([]*x509.Certificate, n)
	for i, l := range p.Links {
		certs[i] = l.Cert
	}
	// top is the index of the trust anchor, or n when the path is
	// incomplete (every certificate is then an ordinary one).
	top := n
	if p.Complete {
		top = n - 1
	}
	v.signatures(&ps, p, top)
	v.validity(&ps, certs)
	v.basicConstraints(&ps, certs, top)
	v.keyUsage(&ps, certs, top)
	v.extKeyUsage(&ps, certs)
	v.nameConstraints(&ps, certs)
	v.criticalExtensions(&ps, certs)
	v.disallowed(&ps, certs)
	v.keyStrength(&ps, certs)
	if p.Complete && n > 1 && !HasErrorProblem(ps) {
		v.crossCheck(&ps, certs)
	}
	for i := range ps {
		ps[i].SHA1 = certutil.SHA1Hex(certs[ps[i].Index])
	}
	return ps
}

// signatures: every link's signature must verify with its issuer's key
// (bad-signature), and not be MD2 or MD5, which Windows refuses in TLS
// server chains; SHA-1 is a warning (Windows refuses it only for public
// roots in browsers). The anchor's own signature does not count, but a
// self-signed server certificate's does (as a warning).
func (v *Validator) signatures(ps *problems, p *Path, top int) {
	n := len(p.Links)
	for i, l := range p.Links {
		c := l.Cert
		if i < n-1 {
			issuer := p.Links[i+1].Cert
			switch l.Sig {
			case certutil.SigInvalid:
				ps.add(i, finding.CodeBadSignature, finding.SevError,
					fmt.Sprintf("reissue %q from %q (or remove the certificate that is not its real issuer from the server's chain); the certificate may have been altered", certutil.Name(c), certutil.Name(issuer)),
					"the signature of %s does not verify with the key of its issuer %s", describe(c), describe(issuer))
				continue
			case certutil.SigUncheckable:
				if _, blocked := certutil.KeyWeakness(issuer); blocked {
					continue // the issuer's key is refused: weak-key says so
				}
				ps.add(i, finding.CodeWeakSignature, finding.SevError,
					fmt.Sprintf("reissue %q with a SHA-256 signature", certutil.Name(c)),
					"%s is signed with %s, which cannot be checked and which Windows refuses", describe(c), algName(c))
				continue
			}
		}
		if i == top && n > 1 {
			continue // the anchor's own signature is not part of the path
		}
		switch {
		case (certutil.BlockedSignature(c.SignatureAlgorithm) || certutil.IsMD2(c)) && n > 1:
			ps.add(i, finding.CodeWeakSignature, finding.SevError,
				fmt.Sprintf("reissue %q with a SHA-256 signature", certutil.Name(c)),
				"%s is signed with %s, which Windows refuses in TLS server chains", describe(c), algName(c))
		case certutil.WeakSignature(c.SignatureAlgorithm) || certutil.IsMD2(c):
			ps.add(i, finding.CodeWeakSignature, finding.SevWarning,
				fmt.Sprintf("reissue %q with a SHA-256 signature", certutil.Name(c)),
				"%s is signed with %s", describe(c), algName(c))
		}
	}
}

func algName(c *x509.Certificate) string { return certutil.SignatureAlgorithmName(c) }

// validity: every certificate must be valid at Now; expiring within
// [ExpiringSoon] is a warning.
func (v *Validator) validity(ps *problems, certs []*x509.Certificate) {
	now := v.now()
	for i, c := range certs {
		switch {
		case now.After(c.NotAfter):
			ps.add(i, finding.CodeExpired, finding.SevError,
				fmt.Sprintf("renew %q and install the new certificate (and its chain) on the server", certutil.Name(c)),
				"%s expired on %s", describe(c), c.NotAfter.UTC().Format(time.RFC3339))
		case now.Before(c.NotBefore):
			ps.add(i, finding.CodeNotYetValid, finding.SevError,
				"check the clocks of the issuing CA, the server and the clients, or reissue the certificate with a start date in the past",
				"%s is not valid before %s", describe(c), c.NotBefore.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiringSoon:
			days := int(c.NotAfter.Sub(now).Hours() / 24)
			ps.add(i, finding.CodeExpiringSoon, finding.SevWarning,
				fmt.Sprintf("renew %q before %s", certutil.Name(c), c.NotAfter.UTC().Format("2006-01-02")),
				"%s expires on %s, in %d days", describe(c), c.NotAfter.UTC().Format(time.RFC3339), days)
		}
	}
}

func selfIssued(c *x509.Certificate) bool { return bytes.Equal(c.RawIssuer, c.RawSubject) }

// basicConstraints: every certificate that issues another must be a CA
// (basicConstraints cA=TRUE; a v1 intermediate has no extensions to say so),
// and no CA may have more non-self-issued intermediates below it than its
// pathLenConstraint. The anchor may be a v1 or extension-less root, as on
// Windows, but not one that says cA=FALSE.
func (v *Validator) basicConstraints(ps *problems, certs []*x509.Certificate, top int) {
	for j := 1; j < len(certs); j++ {
		c, child := certs[j], certs[j-1]
		switch {
		case c.Version < 3 && j != top:
			ps.add(j, finding.CodeV1Intermediate, finding.SevError,
				fmt.Sprintf("replace intermediate %q with a version 3 CA certificate (basicConstraints cA=TRUE) and reissue what it signed", certutil.Name(c)),
				"intermediate %s is a version %d certificate, which cannot say it is a CA: Go, OpenSSL and RFC 5280 refuse it as an issuer of %s", describe(c), c.Version, describe(child))
		case c.BasicConstraintsValid && !c.IsCA, !c.BasicConstraintsValid && c.Version >= 3 && j != top:
			ps.add(j, finding.CodeIssuerNotCA, finding.SevError,
				fmt.Sprintf("reissue %q from a real CA: %q is not a CA (no basicConstraints cA=TRUE) and may not issue certificates", certutil.Name(child), certutil.Name(c)),
				"%s issued %s but is not a CA (basicConstraints cA=TRUE missing)", describe(c), describe(child))
		}
		if c.BasicConstraintsValid && c.IsCA && c.MaxPathLen >= 0 {
			below := 0
			for k := 1; k < j; k++ {
				if !selfIssued(certs[k]) {
					below++
				}
			}
			if below > c.MaxPathLen {
				ps.add(j, finding.CodePathLength, finding.SevError,
					fmt.Sprintf("shorten the chain (issue the server certificate from a CA at most %d level(s) below %q), or reissue %q with a larger pathLenConstraint", c.MaxPathLen, certutil.Name(c), certutil.Name(c)),
					"%s allows %d intermediate(s) below it (pathLenConstraint), but the path has %d", describe(c), c.MaxPathLen, below)
			}
		}
	}
}

// keyUsage: a CA whose keyUsage extension lacks keyCertSign may not sign
// certificates; a server certificate whose keyUsage lacks digitalSignature,
// keyEncipherment and keyAgreement cannot do TLS; a server certificate with
// keyCertSign that is not a CA is suspect (warning).
func (v *Validator) keyUsage(ps *problems, certs []*x509.Certificate, top int) {
	for j := 1; j < len(certs); j++ {
		c := certs[j]
		if c.BasicConstraintsValid && !c.IsCA {
			continue // not a CA at all: issuer-not-ca says so
		}
		if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
			ps.add(j, finding.CodeKeyUsage, finding.SevError,
				fmt.Sprintf("reissue CA %q with keyUsage keyCertSign (and cRLSign)", certutil.Name(c)),
				"CA %s signed %s but its keyUsage (%s) does not allow certificate signing", describe(c), describe(certs[j-1]), keyUsageNames(c.KeyUsage))
		}
	}
	leaf := certs[0]
	if leaf.KeyUsage == 0 || len(certs) == 1 && leaf.IsCA {
		return
	}
	if leaf.KeyUsage&(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment|x509.KeyUsageKeyAgreement) == 0 {
		ps.add(0, finding.CodeKeyUsage, finding.SevError,
			fmt.Sprintf("reissue %q with keyUsage digitalSignature and keyEncipherment (the Web Server template)", certutil.Name(leaf)),
			"the server certificate %s has keyUsage %s, which does not allow TLS key exchange", describe(leaf), keyUsageNames(leaf.KeyUsage))
	} else if leaf.KeyUsage&x509.KeyUsageCertSign != 0 && !leaf.IsCA {
		ps.add(0, finding.CodeKeyUsage, finding.SevWarning,
			fmt.Sprintf("reissue %q without keyCertSign (the Web Server template)", certutil.Name(leaf)),
			"the server certificate %s is not a CA but its keyUsage (%s) allows certificate signing", describe(leaf), keyUsageNames(leaf.KeyUsage))
	}
}

var keyUsageBits = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"}, {x509.KeyUsageContentCommitment, "nonRepudiation"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"}, {x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"}, {x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"}, {x509.KeyUsageEncipherOnly, "encipherOnly"}, {x509.KeyUsageDecipherOnly, "decipherOnly"},
}

func keyUsageNames(ku x509.KeyUsage) string {
	var out []string
	for _, b := range keyUsageBits {
		if ku&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ", ")
}

var ekuNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny: "any", x509.ExtKeyUsageServerAuth: "Server Authentication", x509.ExtKeyUsageClientAuth: "Client Authentication",
	x509.ExtKeyUsageCodeSigning: "Code Signing", x509.ExtKeyUsageEmailProtection: "Secure Email",
	x509.ExtKeyUsageIPSECEndSystem: "IPsec End System", x509.ExtKeyUsageIPSECTunnel: "IPsec Tunnel", x509.ExtKeyUsageIPSECUser: "IPsec User",
	x509.ExtKeyUsageTimeStamping: "Time Stamping", x509.ExtKeyUsageOCSPSigning: "OCSP Signing",
	x509.ExtKeyUsageMicrosoftServerGatedCrypto: "Microsoft Server Gated Crypto", x509.ExtKeyUsageNetscapeServerGatedCrypto: "Netscape Server Gated Crypto",
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: "Microsoft Commercial Code Signing", x509.ExtKeyUsageMicrosoftKernelCodeSigning: "Microsoft Kernel Code Signing",
}

// maxEKUShown bounds the purposes quoted in a message.
const maxEKUShown = 8

func ekuList(c *x509.Certificate) string {
	var out []string
	for _, e := range c.ExtKeyUsage {
		if n, ok := ekuNames[e]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprintf("EKU %d", e))
		}
	}
	for _, o := range c.UnknownExtKeyUsage {
		out = append(out, o.String())
	}
	if len(out) > maxEKUShown {
		out = append(out[:maxEKUShown], fmt.Sprintf("and %d more", len(out)-maxEKUShown))
	}
	return strings.Join(out, ", ")
}

// extKeyUsage: every certificate of the path that has an extended key
// usage extension must allow Server Authentication (or any purpose); CAs may
// also say Server Gated Crypto, as crypto/x509 and old Windows chains
// accept.
func (v *Validator) extKeyUsage(ps *problems, certs []*x509.Certificate) {
	for i, c := range certs {
		if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
			continue
		}
		ok := slices.ContainsFunc(c.ExtKeyUsage, func(e x509.ExtKeyUsage) bool {
			return e == x509.ExtKeyUsageServerAuth || e == x509.ExtKeyUsageAny ||
				i > 0 && (e == x509.ExtKeyUsageMicrosoftServerGatedCrypto || e == x509.ExtKeyUsageNetscapeServerGatedCrypto)
		})
		if ok {
			continue
		}
		if i == 0 {
			ps.add(i, finding.CodeNoServerAuth, finding.SevError,
				fmt.Sprintf("reissue %q with Server Authentication (1.3.6.1.5.5.7.3.1) in its Enhanced Key Usage (the Web Server template)", certutil.Name(c)),
				"the server certificate %s is valid for %s, not Server Authentication", describe(c), ekuList(c))
			continue
		}
		ps.add(i, finding.CodeNoServerAuth, finding.SevError,
			fmt.Sprintf("reissue CA %q without an Enhanced Key Usage restriction, or with Server Authentication among its purposes, or issue the server certificate from another CA", certutil.Name(c)),
			"CA %s restricts what it issues to %s, which excludes Server Authentication", describe(c), ekuList(c))
	}
}

// nameConstraints: every certificate below a CA with name constraints must
// have its subject and alternative names inside the permitted subtrees and
// outside the excluded ones (directoryName constraints included, which
// crypto/x509 does not check). Self-issued intermediates are not checked
// (RFC 5280 §6.1.3).
func (v *Validator) nameConstraints(ps *problems, certs []*x509.Certificate) {
	budget := ncBudget
	for j := 1; j < len(certs); j++ {
		ca := certs[j]
		ext := extension(ca, oidNameConstraints)
		if ext == nil {
			continue
		}
		nc, err := parseNameConstraints(ext)
		if err != nil {
			ps.add(j, finding.CodeNameConstraints, finding.SevError,
				fmt.Sprintf("reissue CA %q with a well-formed name constraints extension", certutil.Name(ca)),
				"the name constraints of %s cannot be read: %v", describe(ca), err)
			continue
		}
		for i := j - 1; i >= 0; i-- {
			c := certs[i]
			if i > 0 && selfIssued(c) {
				continue
			}
			names, err := constrainedNames(c)
			if err != nil {
				ps.add(i, finding.CodeNameConstraints, finding.SevError,
					fmt.Sprintf("reissue %q with well-formed names", certutil.Name(c)),
					"the names of %s cannot be read to check the name constraints of %s: %v", describe(c), describe(ca), err)
				continue
			}
			if bad, found := nc.check(names, &budget); found {
				ps.add(i, finding.CodeNameConstraints, finding.SevError,
					fmt.Sprintf("reissue %q with names that CA %q may certify, or have the CA's name constraints changed", certutil.Name(c), certutil.Name(ca)),
					"%s is outside the name constraints of CA %s: %s", describe(c), describe(ca), bad)
			}
		}
	}
}

func extension(c *x509.Certificate, oid []int) []byte {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return e.Value
		}
	}
	return nil
}

// criticalExtensions: a critical extension that neither crypto/x509 nor
// trustgap processes makes the certificate unusable (RFC 5280 §4.2, and
// Windows). trustgap reads the name constraints and subject alternative
// name forms crypto/x509 leaves unhandled.
func (v *Validator) criticalExtensions(ps *problems, certs []*x509.Certificate) {
	for i, c := range certs {
		var unknown []string
		for _, oid := range c.UnhandledCriticalExtensions {
			if oid.Equal(oidNameConstraints) || oid.Equal(oidSubjectAltName) {
				continue
			}
			unknown = append(unknown, oid.String())
		}
		if len(unknown) > 0 {
			ps.add(i, finding.CodeCriticalExtension, finding.SevError,
				fmt.Sprintf("reissue %q without marking extension %s critical", certutil.Name(c), strings.Join(unknown, ", ")),
				"%s has critical extension %s, which clients do not know and must refuse", describe(c), strings.Join(unknown, ", "))
		}
	}
}

// disallowed: a certificate of the client's Disallowed store is refused
// wherever it appears.
func (v *Validator) disallowed(ps *problems, certs []*x509.Certificate) {
	for i, c := range certs {
		if v.Disallowed.Contains(c) {
			ps.add(i, finding.CodeDisallowed, finding.SevError,
				fmt.Sprintf("reissue the server certificate from a CA that clients do not distrust, or remove %q from the Disallowed store (Untrusted Certificates) if it was put there by mistake", certutil.Name(c)),
				"%s is in the client's Disallowed store: clients refuse every chain through it", describe(c))
		}
	}
}

// keyStrength applies [certutil.KeyWeakness] to every certificate.
func (v *Validator) keyStrength(ps *problems, certs []*x509.Certificate) {
	for i, c := range certs {
		w, blocked := certutil.KeyWeakness(c)
		if w == "" {
			continue
		}
		sev, why := finding.SevWarning, ""
		if blocked {
			sev, why = finding.SevError, ", which Windows refuses"
		}
		ps.add(i, finding.CodeWeakKey, sev,
			fmt.Sprintf("reissue %q with an RSA key of 2048 bits or more, or ECDSA P-256 or stronger", certutil.Name(c)),
			"%s has %s%s", describe(c), w, why)
	}
}

// crossCheck asks crypto/x509 to verify the path (its intermediates, the
// top as the only root, Server Authentication, at Now) once trustgap's own
// rules found no error. Go refuses SHA-1, MD5 and DSA signatures outright,
// which Windows accepts outside browsers (SHA-1) or trustgap judges itself
// (MD5 is an error, DSA is checked): such paths, and paths whose critical
// extensions only trustgap reads (directoryName constraints), are not
// cross-checked. Otherwise a Go refusal that no rule explains is
// invalid-chain. The verification is shared by the paths that have the
// same CA part ([goVerify]).
func (v *Validator) crossCheck(ps *problems, certs []*x509.Certificate) {
	if !goCanJudge(certs) {
		return
	}
	err := goVerify(certs, v.now())
	if err == nil {
		return
	}
	ps.add(0, finding.CodeInvalidChain, finding.SevError,
		"reissue the certificates of this chain following RFC 5280 (the message says what crypto/x509 refused)",
		"crypto/x509 refuses the chain of %s: %v", describe(certs[0]), goReason(err))
}

// goCanJudge reports whether crypto/x509 can verify certs without refusing
// something trustgap deliberately accepts.
func goCanJudge(certs []*x509.Certificate) bool {
	for i, c := range certs {
		if i < len(certs)-1 {
			switch c.SignatureAlgorithm {
			case x509.SHA1WithRSA, x509.ECDSAWithSHA1, x509.DSAWithSHA1, x509.DSAWithSHA256, x509.MD5WithRSA, x509.MD2WithRSA, x509.UnknownSignatureAlgorithm:
				return false
			}
		}
		if len(c.UnhandledCriticalExtensions) > 0 {
			return false // every one left is trustgap's to read or to refuse
		}
	}
	return true
}

func goReason(err error) string {
	var ci x509.CertificateInvalidError
	if errors.As(err, &ci) && ci.Cert != nil {
		return fmt.Sprintf("%v (certificate %s)", err, describe(ci.Cert))
	}
	return err.Error()
}

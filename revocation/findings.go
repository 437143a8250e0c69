package revocation

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// hardClients says which Windows applications fail when revocation cannot
// be checked, and which go on.
const hardClients = "the Lync Windows Store app, Office Web Apps sharing for non-domain clients, ADFS and Lync Server itself fail (%s); the Lync 2013 desktop client and Outlook go on"

const (
	errOffline = "0x80092013, the revocation server was offline"
	errNoCheck = "0x80092012, the revocation function was unable to check revocation"
)

// maxAttemptsShown bounds the URLs listed in one message.
const maxAttemptsShown = 8

// failSeverity is the severity of a failure to check: the mode's when the
// status stayed unknown, a warning when another source answered.
func (c *Checker) failSeverity(o *outcome) finding.Severity {
	if o.rev.Status == chain.RevocationUnknown && c.mode == Hard {
		return finding.SevError
	}
	return finding.SevWarning
}

// consequence ends the message of a failed source u: where the answer
// came from instead when another source answered, else which clients fail
// (with the error code they show).
func consequence(o *outcome, u, code string) string {
	switch {
	case o.rev.Status == chain.RevocationRevoked && o.rev.URL == u:
		return "; it still lists the certificate as revoked"
	case o.rev.Status == chain.RevocationGood || o.rev.Status == chain.RevocationRevoked:
		return "; the status came from " + o.answeredBy + " instead"
	}
	return "; " + fmt.Sprintf(hardClients, code)
}

func listAttempts(as []attempt) string {
	var parts []string
	for i, a := range as {
		if i == maxAttemptsShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(as)-i))
			break
		}
		if a.url == "" {
			parts = append(parts, a.kind+": "+a.detail)
			continue
		}
		parts = append(parts, fmt.Sprintf("%s %s: %s", a.kind, quote(a.url), a.detail))
	}
	return strings.Join(parts, "; ")
}

func of(as []attempt, classes ...class) []attempt {
	var out []attempt
	for _, a := range as {
		for _, cl := range classes {
			if a.class == cl {
				out = append(out, a)
				break
			}
		}
	}
	return out
}

func isLDAP(u string) bool {
	lu := strings.ToLower(u)
	return strings.HasPrefix(lu, "ldap:") || strings.HasPrefix(lu, "ldaps:")
}

// findings turns what was learned about cert into findings.
func (c *Checker) findings(cert, issuer *x509.Certificate, o *outcome) []finding.Finding {
	name, ca := certName(cert), certutil.Name(issuer)
	var fs []finding.Finding
	add := func(code string, sev finding.Severity, fix, format string, args ...any) {
		fs = append(fs, finding.New(code, sev, fix, format, args...))
	}
	if len(o.cdps) == 0 && len(o.ocsps) == 0 {
		// Windows clients that require a revocation answer refuse such a
		// certificate outright (CRYPT_E_NO_REVOCATION_CHECK): under hard an
		// error, under soft only information, as the desktop clients go on.
		sev, also := finding.SevInfo, ""
		if c.mode == Hard {
			sev, also = finding.SevError, "; "+fmt.Sprintf(hardClients, errNoCheck+" (CRYPT_E_NO_REVOCATION_CHECK)")
		}
		add(finding.CodeNoRevocationInfo, sev,
			fmt.Sprintf("reissue it from a CA whose CRL distribution point and AIA extensions name http URLs; clients that require a revocation answer (%s) refuse it as it is", "the Lync Windows Store app, ADFS, Lync Server"),
			"%s names no CRL distribution point and no OCSP responder: clients cannot check its revocation%s", name, also)
		return fs
	}
	if o.rev.Status == chain.RevocationRevoked {
		fix := fmt.Sprintf("request a new certificate for the server from %q and install it (Exchange: Import- and Enable-ExchangeCertificate; Lync: Request- and Set-CsCertificate); every client that checks revocation refuses the revoked one", ca)
		if cert.IsCA {
			fix = fmt.Sprintf("the CA certificate %q is revoked by %q: issue a new CA certificate (or move to another CA), reissue the server certificates under it and install the new chain on the servers", certutil.Name(cert), ca)
		}
		add(finding.CodeRevoked, finding.SevError, fix,
			"%s was revoked on %s (reason %s), according to %s", name, when(o.rev.RevokedAt), o.rev.Reason, o.answeredBy)
	}
	sev := c.failSeverity(o)
	if as := of(o.attempts, failBadOCSP); len(as) > 0 {
		add(finding.CodeOCSPBadResponse, sev,
			fmt.Sprintf("check the Online Responder's revocation configuration for %q: a current OCSP signing certificate issued by that CA (with the OCSP Signing EKU), and current CRLs for it to read", ca),
			"no valid OCSP answer for %s: %s%s", name, listAttempts(as), consequence(o, "", errNoCheck))
	}
	if as := of(o.attempts, failBadSig); len(as) > 0 {
		add(finding.CodeCRLBadSignature, sev,
			fmt.Sprintf(`publish the current CRL of %q at that URL (certutil -CRL on the CA, then copy the .crl file from C:\Windows\System32\CertSrv\CertEnroll); clients reject a CRL signed by another key or CA`, ca),
			"the CRL published for %s is not its issuer's: %s%s", name, listAttempts(as), consequence(o, "", errNoCheck))
	}
	for _, s := range o.rev.Stale {
		if s.Expired {
			add(finding.CodeCRLExpired, sev,
				fmt.Sprintf("republish the CRL of %q (on the CA: certutil -CRL) and copy it to %s; then check that the CA service runs and that its CRL publication (scheduled task, DFS or web server copy) reaches that URL", clean(s.Issuer), quote(s.URL)),
				"the CRL %s of %q expired on %s: the CA stopped publishing it, and clients cannot use it to check %s%s", quote(s.URL), clean(s.Issuer), when(s.NextUpdate), name, consequence(o, s.URL, errOffline))
		} else {
			add(finding.CodeCRLExpiring, finding.SevWarning,
				fmt.Sprintf("republish the CRL of %q (on the CA: certutil -CRL) before %s and check that its CRL publication runs on schedule", clean(s.Issuer), when(s.NextUpdate)),
				"the CRL %s of %q expires on %s, within %d hours", quote(s.URL), clean(s.Issuer), when(s.NextUpdate), int(ExpiringSoon.Hours()))
		}
	}
	if o.rev.Status != chain.RevocationUnknown {
		return fs
	}
	ldapOnly := len(o.cdps) > 0
	for _, u := range o.cdps {
		if !isLDAP(u) {
			ldapOnly = false
		}
	}
	if ldapOnly {
		var qs []string
		for _, u := range o.cdps {
			qs = append(qs, quote(u))
		}
		add(finding.CodeRevocationLDAPOnly, sev,
			fmt.Sprintf(`publish the CRL of %q at an http URL clients reach (for example http://pki.<domain>/CertEnroll/), add it to the CA's CRL distribution points with "Include in the CDP extension of issued certificates", and reissue %q`, ca, certutil.Name(cert)),
			"%s names only ldap CRL distribution points (%s): clients outside the domain cannot check its revocation; "+hardClients, name, strings.Join(qs, ", "), errOffline)
	}
	unreachable := len(of(o.attempts, failFetch, failNotFetched, failBudget)) > 0 ||
		!ldapOnly && len(of(o.attempts, failLDAP)) > 0
	if unreachable {
		add(finding.CodeRevocationUnreachable, sev,
			fmt.Sprintf("make the CRL and OCSP URLs of %q reachable over http from the clients' network (DNS, firewall, proxy), or publish its CRL at an http URL they reach, add that URL to the CA's CRL distribution points and reissue the certificate", ca),
			"the revocation of %s could not be checked: every URL failed: %s%s; "+hardClients, name, o.deltaOf, listAttempts(o.attempts), errOffline)
	}
	return fs
}

// Package finding is trustgap's one vocabulary of problems: the [Finding]
// every command reports (scan, discover, roots audit), its [Severity], and
// the registry of finding codes ([All]). Codes are a contract: the README
// documents each one, and a test keeps the two in step.
//
// It imports nothing of trustgap; every other package may import it.
package finding

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. Any error-severity finding makes a run exit 1.
type Severity string

// The severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Finding is one problem, and what to do about it.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// New returns a finding whose message is formatted from format and args.
func New(code string, sev Severity, fix, format string, args ...any) Finding {
	return Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix}
}

// HasError reports whether any of fs has error severity.
func HasError(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}

// The scan codes: what a fetched chain can be found to have.
const (
	CodeDNSFailure       = "dns-failure"
	CodeConnectFailure   = "connect-failure"
	CodeTimeout          = "timeout"
	CodeHandshakeFailure = "handshake-failure"
	CodeSelfSigned       = "self-signed"
	CodeUntrustedRoot    = "untrusted-root"
	CodeIncomplete       = "incomplete-chain"
	CodeNameMismatch     = "name-mismatch"
	CodeExpired          = "expired"
	CodeNotYetValid      = "not-yet-valid"
	CodeExpiringSoon     = "expiring-soon"
	CodeWeakSignature    = "weak-signature"
	CodeWeakKey          = "weak-key"
	CodeDifferentCA      = "different-ca"
	CodeLyncRootAssumed  = "lync-root-assumed"
)

// The revocation codes (scan): what checking the CRLs and OCSP responders
// of a chain can find.
const (
	CodeRevoked               = "revoked"
	CodeRevocationUnreachable = "revocation-unreachable"
	CodeRevocationLDAPOnly    = "revocation-ldap-only"
	CodeCRLExpired            = "crl-expired"
	CodeCRLExpiring           = "crl-expiring"
	CodeCRLBadSignature       = "crl-bad-signature"
	CodeOCSPBadResponse       = "ocsp-bad-response"
	CodeNoRevocationInfo      = "no-revocation-info"
)

// The discover codes: what the clients' lookups can be found to do.
const (
	CodeNoAutodiscover   = "autodiscover-not-found"
	CodeADNameMismatch   = "autodiscover-name-mismatch"
	CodeADRedirect       = "autodiscover-redirect"
	CodeEndpointFailed   = "endpoint-failed"
	CodeNoLyncDiscover   = "lync-discover-not-found"
	CodeSRVOutsideDomain = "srv-target-outside-domain"
	CodeTrustModelData   = "trust-model-data"
)

// The roots audit codes: what a Windows Root store can be found to hold.
const (
	CodeNonSelfSigned   = "non-self-signed-root"
	CodeIssuerListLarge = "issuer-list-too-large"
	CodeTooManyRoots    = "too-many-roots"
	CodeExpiredRoot     = "expired-root"
	CodeExpiringRoot    = "expiring-root"
	CodeDuplicateRoot   = "duplicate-root"
	CodeWeakRootKey     = "weak-root-key"
	CodeNotACA          = "not-a-ca"
)

// All lists every finding code trustgap can report, by command, in the order
// of the README's tables.
var All = map[string][]string{
	"scan": {
		CodeDNSFailure, CodeConnectFailure, CodeTimeout, CodeHandshakeFailure,
		CodeSelfSigned, CodeUntrustedRoot, CodeIncomplete, CodeNameMismatch,
		CodeExpired, CodeNotYetValid, CodeExpiringSoon, CodeWeakSignature,
		CodeWeakKey, CodeDifferentCA, CodeLyncRootAssumed,
		CodeRevoked, CodeRevocationUnreachable, CodeRevocationLDAPOnly,
		CodeCRLExpired, CodeCRLExpiring, CodeCRLBadSignature, CodeOCSPBadResponse,
		CodeNoRevocationInfo,
	},
	"discover": {
		CodeNoAutodiscover, CodeEndpointFailed, CodeADNameMismatch, CodeADRedirect,
		CodeNoLyncDiscover, CodeSRVOutsideDomain, CodeTrustModelData,
	},
	"roots audit": {
		CodeNonSelfSigned, CodeIssuerListLarge, CodeTooManyRoots, CodeExpiredRoot,
		CodeExpiringRoot, CodeDuplicateRoot, CodeWeakRootKey, CodeNotACA,
	},
}

// Text is err's message without the "package: " prefix trustgap's error
// types start with, for use inside a finding's message.
func Text(err error) string {
	msg := err.Error()
	for _, p := range []string{"network: ", "chain: ", "rootstore: ", "discover: ", "scanner: ", "revocation: "} {
		if m, ok := strings.CutPrefix(msg, p); ok {
			return m
		}
	}
	return msg
}

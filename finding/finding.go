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
	// SHA1 names the certificate at fault (lower-case hex), for the
	// findings of the path rules; empty for the others.
	SHA1 string `json:"sha1,omitempty"`
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
	// The path rules (chain.Validator).
	CodeBadSignature      = "bad-signature"
	CodeNoServerAuth      = "no-server-auth"
	CodeIssuerNotCA       = "issuer-not-ca"
	CodeV1Intermediate    = "v1-intermediate"
	CodePathLength        = "path-length"
	CodeKeyUsage          = "key-usage"
	CodeNameConstraints   = "name-constraints"
	CodeCriticalExtension = "critical-extension"
	CodeDisallowed        = "disallowed"
	CodeInvalidChain      = "invalid-chain"
	CodeExpiredCASent     = "expired-ca-sent"
	CodeUnparsable        = "unparsable-certificate"
	CodeLyncWildcard      = "lync-wildcard"
	// What a name's servers present, and how.
	CodeInconsistentServers = "inconsistent-servers"
	CodeChainOrder          = "chain-order"
	CodeExtraCerts          = "extra-certificates"
	CodeRootPresented       = "root-presented"
	CodeLegacyClients       = "legacy-clients"
	CodeTLS10Accepted       = "tls10-accepted"
	// CodeAddressesNotChecked: a name with more addresses than a scan
	// checks (network.MaxAddrs); says how many were not.
	CodeAddressesNotChecked = "addresses-not-checked"
	// CodeCTLRestricted is a root trusted only through Microsoft's root
	// program whose authroot.stl entry refuses this chain.
	CodeCTLRestricted = "ctl-restricted"
	// CodeImpersonatingRoot is a root that copies the name of a root of
	// the client store or of Mozilla's program with another key (TLS
	// interception, or a man in the middle): never trusted, never
	// assumed, never deployed.
	CodeImpersonatingRoot = "impersonating-root"
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
	CodeLyncNameMismatch = "lync-name-mismatch"
	CodeSRVOutsideDomain = "srv-target-outside-domain"
	CodeTrustModelData   = "trust-model-data"
)

// The client codes: what a user's machine can be found to say about its
// Outlook profiles, Lync and its trust (trustgap client). trust-model-data
// is shared with discover.
const (
	CodeNoDefaultProfile    = "no-default-profile"
	CodeDefaultNotExchange  = "default-profile-not-exchange"
	CodeDefaultOtherMailbox = "default-profile-other-mailbox"
	CodeSeveralProfiles     = "several-profiles"
	CodeSMTPSIPDiffer       = "smtp-sip-domain-differ"
	CodeOSDisagrees         = "os-disagrees"
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
	// CodeSigNotCheckable: a root whose self-signature cannot be checked
	// (MD2); self-signed by name all the same.
	CodeSigNotCheckable = "signature-not-checkable"
	// CodeBadSelfSignature: issuer == subject, but the self-signature does
	// not verify.
	CodeBadSelfSignature = "bad-self-signature"
)

// All lists every finding code trustgap can report, by command, in the order
// of the README's tables.
var All = map[string][]string{
	"scan": {
		CodeDNSFailure, CodeConnectFailure, CodeTimeout, CodeHandshakeFailure,
		CodeSelfSigned, CodeUntrustedRoot, CodeIncomplete, CodeNameMismatch,
		CodeExpired, CodeNotYetValid, CodeExpiringSoon, CodeWeakSignature,
		CodeWeakKey, CodeDifferentCA, CodeLyncRootAssumed, CodeCTLRestricted, CodeImpersonatingRoot,
		CodeBadSignature, CodeNoServerAuth, CodeIssuerNotCA, CodeV1Intermediate,
		CodePathLength, CodeKeyUsage, CodeNameConstraints, CodeCriticalExtension,
		CodeDisallowed, CodeInvalidChain, CodeExpiredCASent, CodeUnparsable, CodeLyncWildcard,
		CodeInconsistentServers, CodeChainOrder, CodeExtraCerts, CodeRootPresented,
		CodeLegacyClients, CodeTLS10Accepted, CodeAddressesNotChecked,
		CodeRevoked, CodeRevocationUnreachable, CodeRevocationLDAPOnly,
		CodeCRLExpired, CodeCRLExpiring, CodeCRLBadSignature, CodeOCSPBadResponse,
		CodeNoRevocationInfo,
	},
	"discover": {
		CodeNoAutodiscover, CodeEndpointFailed, CodeADNameMismatch, CodeADRedirect,
		CodeNoLyncDiscover, CodeLyncNameMismatch, CodeSRVOutsideDomain, CodeTrustModelData,
	},
	"client": {
		CodeNoDefaultProfile, CodeDefaultNotExchange, CodeDefaultOtherMailbox,
		CodeSeveralProfiles, CodeSMTPSIPDiffer, CodeTrustModelData, CodeOSDisagrees,
	},
	"roots audit": {
		CodeNonSelfSigned, CodeIssuerListLarge, CodeTooManyRoots, CodeExpiredRoot,
		CodeExpiringRoot, CodeDuplicateRoot, CodeWeakRootKey, CodeNotACA,
		CodeSigNotCheckable, CodeBadSelfSignature,
	},
}

// Text is err's message without the "package: " prefix trustgap's error
// types start with, for use inside a finding's message.
func Text(err error) string {
	msg := err.Error()
	for _, p := range []string{"network: ", "chain: ", "rootstore: ", "discover: ", "scanner: ", "client: ", "revocation: "} {
		if m, ok := strings.CutPrefix(msg, p); ok {
			return m
		}
	}
	return msg
}

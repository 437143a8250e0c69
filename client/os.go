package client

import (
	"fmt"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
)

// OSAnswer is the operating system's verdict on a chain: Windows' chain
// engine (CertGetCertificateChain, then CertVerifyCertificateChainPolicy
// with the SSL policy and the server name).
type OSAnswer struct {
	// Checked is false when the OS was not asked (not Windows, or the
	// check is not of this machine).
	Checked bool
	// Status is the policy's error (an HRESULT such as 0x800B0109); zero
	// when the OS accepts the chain.
	Status uint32
	// ChainErrors are the chain's CERT_TRUST_* error bits.
	ChainErrors uint32
	// Err is a failure to ask (the call itself failed).
	Err error
}

// OK reports whether the OS accepts the chain.
func (a OSAnswer) OK() bool { return a.Checked && a.Err == nil && a.Status == 0 }

// osErrors names the chain policy errors Windows gives for TLS chains
// (winerror.h).
var osErrors = map[uint32]string{
	0x800B0101: "CERT_E_EXPIRED: a certificate is expired or not yet valid",
	0x800B0102: "CERT_E_VALIDITYPERIODNESTING: validity periods do not nest",
	0x800B0103: "CERT_E_ROLE: a certificate used as a CA is not one",
	0x800B0104: "CERT_E_PATHLENCONST: a path length constraint is broken",
	0x800B0105: "CERT_E_CRITICAL: an unknown critical extension",
	0x800B0106: "CERT_E_PURPOSE: not valid for server authentication",
	0x800B0107: "CERT_E_ISSUERCHAINING: an issuer does not chain",
	0x800B0108: "CERT_E_MALFORMED: a malformed certificate",
	0x800B0109: "CERT_E_UNTRUSTEDROOT: the chain ends in a root the client does not trust",
	0x800B010A: "CERT_E_CHAINING: the chain could not be built to a trusted root",
	0x800B010C: "CERT_E_REVOKED: a certificate is revoked",
	0x800B010D: "CERT_E_UNTRUSTEDTESTROOT: a test root",
	0x800B010E: "CERT_E_REVOCATION_FAILURE: revocation could not be checked",
	0x800B010F: "CERT_E_CN_NO_MATCH: the certificate's names do not cover the server name",
	0x800B0110: "CERT_E_WRONG_USAGE: not valid for this use",
	0x800B0111: "TRUST_E_EXPLICIT_DISTRUST: a certificate is in the Disallowed store",
	0x800B0112: "CERT_E_UNTRUSTEDCA: a CA is not trusted",
	0x800B0113: "CERT_E_INVALID_POLICY: a certificate policy is broken",
	0x800B0114: "CERT_E_INVALID_NAME: a name constraint is broken",
	0x80092010: "CRYPT_E_REVOKED: a certificate is revoked",
	0x80092012: "CRYPT_E_NO_REVOCATION_CHECK: the revocation function could not check revocation",
	0x80092013: "CRYPT_E_REVOCATION_OFFLINE: the revocation server (CRL or OCSP) could not be reached",
	0x80096004: "TRUST_E_CERT_SIGNATURE: a signature does not verify",
	0x80096019: "TRUST_E_BASIC_CONSTRAINTS: basic constraints are broken",
}

// OSErrorText is a readable name of a chain policy error.
func OSErrorText(code uint32) string {
	if s, ok := osErrors[code]; ok {
		return fmt.Sprintf("0x%08X %s", code, s)
	}
	return fmt.Sprintf("0x%08X", code)
}

func (a OSAnswer) String() string {
	switch {
	case !a.Checked:
		return "not asked"
	case a.Err != nil:
		return "failed: " + a.Err.Error()
	case a.Status == 0:
		return "accepts it"
	}
	s := "rejects it with " + OSErrorText(a.Status)
	if a.ChainErrors != 0 {
		s += fmt.Sprintf(" (chain error bits 0x%X)", a.ChainErrors)
	}
	return s
}

// CompareOS returns os-disagrees when Windows and trustgap judge res
// differently: trustgap accepts a chain with no error-severity finding.
// Nothing is returned for an unreachable target or an OS that was not
// asked.
func CompareOS(res *chain.Result, a OSAnswer) (finding.Finding, bool) {
	if !a.Checked || res.Err != nil || res.Path == nil {
		return finding.Finding{}, false
	}
	if a.Err != nil {
		return finding.New(finding.CodeOSDisagrees, finding.SevWarning,
			"run certutil -verify -urlfetch on the server's certificate on this client to see Windows' own answer",
			"%s: trustgap could not ask Windows' chain engine: %v", res.Target.Raw, a.Err), true
	}
	ours := !res.Failed()
	if ours == a.OK() {
		return finding.Finding{}, false
	}
	var codes []string
	for _, f := range res.Findings {
		if f.Severity == finding.SevError {
			codes = append(codes, f.Code)
		}
	}
	if ours {
		return finding.New(finding.CodeOSDisagrees, finding.SevWarning,
			"believe Windows on this client: fix what its error names (certutil -verify -urlfetch on the server's certificate shows the details), and report the case so trustgap's rules can follow",
			"%s: trustgap accepts the chain, but Windows' chain engine %s", res.Target.Raw, a), true
	}
	return finding.New(finding.CodeOSDisagrees, finding.SevWarning,
		"check the findings above against the client: Windows may trust a root trustgap did not see (a store outside the registry, a root it downloads on demand), or be more lenient than trustgap's rules",
		"%s: trustgap rejects the chain (%s), but Windows' chain engine accepts it", res.Target.Raw, strings.Join(codes, ", ")), true
}

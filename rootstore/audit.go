package rootstore

import (
	"bytes"
	"fmt"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// Audit thresholds (windows-formats.md §6, domain.md §3.9).
const (
	// IssuerListLimit is Schannel's trusted issuer list limit: the sum of
	// the roots' DER subject names, 2 bytes of length each, past which the
	// list is truncated and client authentication breaks.
	IssuerListLimit = 16384
	// IssuerListWarn is where issuer-list-too-large starts warning.
	IssuerListWarn = 12288
	// MaxRoots is where too-many-roots starts: Lync sign-in problems have
	// been seen above it.
	MaxRoots = 100
	// ExpiringWindow is how close to expiry a root gets expiring-root.
	ExpiringWindow = 90 * 24 * time.Hour
)

// RootAudit is one root and its findings.
type RootAudit struct {
	certutil.Identity
	Source   string            `json:"source"`
	Public   bool              `json:"public"`
	Findings []finding.Finding `json:"findings"`
}

// AuditSummary totals an audit.
type AuditSummary struct {
	Roots int `json:"roots"`
	// Intermediates and Disallowed count what the sources gave for the
	// CA and Disallowed stores (read, not audited).
	Intermediates   int `json:"intermediates"`
	Disallowed      int `json:"disallowed"`
	Public          int `json:"public"`
	Private         int `json:"private"`
	IssuerListBytes int `json:"issuer_list_bytes"`
	Errors          int `json:"errors"`
	Warnings        int `json:"warnings"`
}

// AuditReport is the result of [AuditStore].
type AuditReport struct {
	// Sources says what each source gave, per store.
	Sources []SourceCount `json:"sources"`
	Roots   []RootAudit   `json:"roots"`
	// Findings are about the store as a whole.
	Findings []finding.Finding `json:"findings"`
	Summary  AuditSummary      `json:"summary"`
}

// Failed reports whether any finding has error severity.
func (a *AuditReport) Failed() bool { return a.Summary.Errors > 0 }

// AuditStore checks the roots of s as a Windows Root store, judging validity
// at now.
func AuditStore(s *Store, now time.Time) *AuditReport {
	rep := &AuditReport{Sources: append([]SourceCount{}, s.Sources...), Roots: []RootAudit{}, Findings: []finding.Finding{}}
	seen := map[string]string{} // subject+key -> first thumbprint
	size := 0
	for _, r := range s.Roots {
		c := r.Cert
		ra := RootAudit{
			Identity: certutil.IdentityOf(c),
			Source:   r.Source, Public: IsPublic(c), Findings: []finding.Finding{},
		}
		add := func(code string, sev finding.Severity, fix, format string, args ...any) {
			ra.Findings = append(ra.Findings, finding.New(code, sev, fix, format, args...))
		}
		id := fmt.Sprintf("%q (SHA-1 %s)", certutil.Name(c), certutil.Thumbprint(c))
		size += len(c.RawSubject) + 2
		// Self-signed is judged as Windows and the Lync check
		// (Issuer -ne Subject) do: by name, unless the signature shows
		// another key signed it (a verifying signature is not required: an
		// MD2 root cannot be checked, and a few roots of Microsoft's program
		// carry a self-signature that does not verify).
		sig := certutil.CheckSignedBy(c, c)
		switch {
		case !bytes.Equal(c.RawIssuer, c.RawSubject) || sig == certutil.SigInvalid && !certutil.KeyIDsAgree(c, c):
			add(finding.CodeNonSelfSigned, finding.SevError,
				"move it to Intermediate Certification Authorities (Cert:\\LocalMachine\\CA); find others with Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object { $_.Issuer -ne $_.Subject }",
				"%s is in the Root store but is not self-signed (issued by %q): Lync Server 2013 front ends do not start and IIS client authentication fails on Windows Server 2012 and later", id, certutil.Issuer(c))
		case sig == certutil.SigUncheckable:
			add(finding.CodeSigNotCheckable, finding.SevInfo,
				"nothing to do for trust (Windows does not check a root's own signature); remove the root if nothing needs it",
				"%s names itself as issuer, but its self-signature (%s) cannot be checked", id, certutil.SignatureAlgorithmName(c))
		case sig == certutil.SigInvalid:
			add(finding.CodeBadSelfSignature, finding.SevWarning,
				"nothing breaks for trust (Windows does not check a root's own signature), but the certificate is damaged or mis-issued: replace it with the CA's published copy, or remove it if nothing needs it",
				"%s names itself as issuer, but its self-signature does not verify with its own key", id)
		}
		if (!c.IsCA || !c.BasicConstraintsValid) && c.Version >= 3 {
			// A version 1 root cannot say it is a CA; Windows takes it as one.
			add(finding.CodeNotACA, finding.SevWarning,
				"remove it from the Root store; if a server uses it (such as Exchange's self-signed certificate), replace that certificate with a CA-issued one",
				"%s is not a CA (no basicConstraints CA=true): an end-entity certificate deployed as a root", id)
		}
		switch {
		case now.After(c.NotAfter):
			add(finding.CodeExpiredRoot, finding.SevWarning, "remove it from the store (and from the GPO that deploys it)",
				"%s expired on %s", id, c.NotAfter.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiringWindow:
			add(finding.CodeExpiringRoot, finding.SevWarning, "deploy the CA's renewed root before then, and reissue what it signed",
				"%s expires on %s, in %d days", id, c.NotAfter.UTC().Format(time.RFC3339), int(c.NotAfter.Sub(now).Hours()/24))
		}
		if w, blocked := certutil.KeyWeakness(c); w != "" {
			sev, why := finding.SevWarning, ""
			if blocked {
				sev, why = finding.SevError, ", which Windows refuses: nothing it issued is trusted"
			}
			add(finding.CodeWeakRootKey, sev, "replace the CA with one that has an RSA key of 2048 bits or more",
				"%s has %s%s", id, w, why)
		}
		k := string(c.RawSubject) + "|" + string(c.RawSubjectPublicKeyInfo)
		if first, dup := seen[k]; dup {
			add(finding.CodeDuplicateRoot, finding.SevWarning, "keep one of them: duplicates only add to the trusted issuer list",
				"%s has the same subject and key as SHA-1 %s", id, first)
		} else {
			seen[k] = certutil.Thumbprint(c)
		}
		if ra.Public {
			rep.Summary.Public++
		} else {
			rep.Summary.Private++
		}
		rep.Roots = append(rep.Roots, ra)
	}
	rep.Summary.Roots = len(s.Roots)
	rep.Summary.Intermediates, rep.Summary.Disallowed = len(s.Intermediates), len(s.Disallowed)
	rep.Summary.IssuerListBytes = size
	issuerFix := `remove roots the servers do not need; on the servers that ask for client certificates set HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL SendTrustedIssuerList (REG_DWORD) to 0, and on Windows Server 2012 and later ClientAuthTrustMode (REG_DWORD) to 2 if the store cannot be trimmed`
	switch {
	case size > IssuerListLimit:
		rep.Findings = append(rep.Findings, finding.Finding{Code: finding.CodeIssuerListLarge, Severity: finding.SevError, Fix: issuerFix,
			Message: fmt.Sprintf("the trusted issuer list is %d bytes, over Schannel's %d: it is truncated (Schannel event 36885), so TLS client authentication between Lync servers and IIS fails", size, IssuerListLimit)})
	case size >= IssuerListWarn:
		rep.Findings = append(rep.Findings, finding.Finding{Code: finding.CodeIssuerListLarge, Severity: finding.SevWarning, Fix: issuerFix,
			Message: fmt.Sprintf("the trusted issuer list is %d bytes, near Schannel's %d limit past which client authentication fails", size, IssuerListLimit)})
	}
	if len(s.Roots) > MaxRoots {
		rep.Findings = append(rep.Findings, finding.Finding{Code: finding.CodeTooManyRoots, Severity: finding.SevWarning,
			Fix:     "remove roots nobody needs (and stop deploying them by GPO); Lync sign-in problems have been seen above 100",
			Message: fmt.Sprintf("the store holds %d roots, more than %d", len(s.Roots), MaxRoots)})
	}
	count := func(fs []finding.Finding) {
		for _, f := range fs {
			switch f.Severity {
			case finding.SevError:
				rep.Summary.Errors++
			case finding.SevWarning:
				rep.Summary.Warnings++
			}
		}
	}
	for _, r := range rep.Roots {
		count(r.Findings)
	}
	count(rep.Findings)
	return rep
}

package rootstore

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

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

// The audit finding codes.
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

// Severity ranks a finding; error-severity findings make the run exit 1.
type Severity string

// The severities, as in scan reports.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
	SevInfo    Severity = "info"
)

// Finding is one problem of a store.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

// RootAudit is one root and its findings.
type RootAudit struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	SHA1      string    `json:"sha1"`
	SHA256    string    `json:"sha256"`
	NotBefore string    `json:"not_before"`
	NotAfter  string    `json:"not_after"`
	Source    string    `json:"source"`
	Public    bool      `json:"public"`
	Findings  []Finding `json:"findings"`
}

// AuditSummary totals an audit.
type AuditSummary struct {
	Roots           int `json:"roots"`
	Public          int `json:"public"`
	Private         int `json:"private"`
	IssuerListBytes int `json:"issuer_list_bytes"`
	Errors          int `json:"errors"`
	Warnings        int `json:"warnings"`
}

// AuditReport is the result of [AuditStore].
type AuditReport struct {
	Roots []RootAudit `json:"roots"`
	// Findings are about the store as a whole.
	Findings []Finding    `json:"findings"`
	Summary  AuditSummary `json:"summary"`
}

// Failed reports whether any finding has error severity.
func (a *AuditReport) Failed() bool { return a.Summary.Errors > 0 }

// AuditStore checks the roots of s as a Windows Root store, judging validity
// at now.
func AuditStore(s *Store, now time.Time) *AuditReport {
	rep := &AuditReport{Roots: []RootAudit{}, Findings: []Finding{}}
	seen := map[string]string{} // subject+key -> first thumbprint
	size := 0
	for _, r := range s.Roots {
		c := r.Cert
		s256 := sha256.Sum256(c.Raw)
		ra := RootAudit{
			Subject: c.Subject.String(), Issuer: c.Issuer.String(), SHA1: strings.ToLower(certutil.Thumbprint(c)), SHA256: hex.EncodeToString(s256[:]),
			NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
			Source: r.Source, Public: IsPublic(c), Findings: []Finding{},
		}
		add := func(code string, sev Severity, fix, format string, args ...any) {
			ra.Findings = append(ra.Findings, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix})
		}
		id := fmt.Sprintf("%q (SHA-1 %s)", certutil.Name(c), certutil.Thumbprint(c))
		size += len(c.RawSubject) + 2
		if !certutil.IsSelfSigned(c) {
			add(CodeNonSelfSigned, SevError,
				"move it to Intermediate Certification Authorities (Cert:\\LocalMachine\\CA); find others with Get-ChildItem Cert:\\LocalMachine\\Root | Where-Object { $_.Issuer -ne $_.Subject }",
				"%s is in the Root store but is not self-signed (issued by %q): Lync Server 2013 front ends do not start and IIS client authentication fails on Windows Server 2012 and later", id, c.Issuer.String())
		}
		if !c.IsCA || !c.BasicConstraintsValid {
			add(CodeNotACA, SevWarning,
				"remove it from the Root store; if a server uses it (such as Exchange's self-signed certificate), replace that certificate with a CA-issued one",
				"%s is not a CA (no basicConstraints CA=true): an end-entity certificate deployed as a root", id)
		}
		switch {
		case now.After(c.NotAfter):
			add(CodeExpiredRoot, SevWarning, "remove it from the store (and from the GPO that deploys it)",
				"%s expired on %s", id, c.NotAfter.UTC().Format(time.RFC3339))
		case c.NotAfter.Sub(now) < ExpiringWindow:
			add(CodeExpiringRoot, SevWarning, "deploy the CA's renewed root before then, and reissue what it signed",
				"%s expires on %s, in %d days", id, c.NotAfter.UTC().Format(time.RFC3339), int(c.NotAfter.Sub(now).Hours()/24))
		}
		if bits := keyBits(c); bits > 0 && bits < 2048 {
			add(CodeWeakRootKey, SevWarning, "replace the CA with one that has an RSA key of 2048 bits or more",
				"%s has a %d-bit RSA key", id, bits)
		}
		k := string(c.RawSubject) + "|" + string(c.RawSubjectPublicKeyInfo)
		if first, dup := seen[k]; dup {
			add(CodeDuplicateRoot, SevWarning, "keep one of them: duplicates only add to the trusted issuer list",
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
	rep.Summary.IssuerListBytes = size
	issuerFix := `remove roots the servers do not need; on the servers that ask for client certificates set HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL SendTrustedIssuerList (REG_DWORD) to 0, and on Windows Server 2012 and later ClientAuthTrustMode (REG_DWORD) to 2 if the store cannot be trimmed`
	switch {
	case size > IssuerListLimit:
		rep.Findings = append(rep.Findings, Finding{Code: CodeIssuerListLarge, Severity: SevError, Fix: issuerFix,
			Message: fmt.Sprintf("the trusted issuer list is %d bytes, over Schannel's %d: it is truncated (Schannel event 36885), so TLS client authentication between Lync servers and IIS fails", size, IssuerListLimit)})
	case size >= IssuerListWarn:
		rep.Findings = append(rep.Findings, Finding{Code: CodeIssuerListLarge, Severity: SevWarning, Fix: issuerFix,
			Message: fmt.Sprintf("the trusted issuer list is %d bytes, near Schannel's %d limit past which client authentication fails", size, IssuerListLimit)})
	}
	if len(s.Roots) > MaxRoots {
		rep.Findings = append(rep.Findings, Finding{Code: CodeTooManyRoots, Severity: SevWarning,
			Fix:     "remove roots nobody needs (and stop deploying them by GPO); Lync sign-in problems have been seen above 100",
			Message: fmt.Sprintf("the store holds %d roots, more than %d", len(s.Roots), MaxRoots)})
	}
	count := func(fs []Finding) {
		for _, f := range fs {
			switch f.Severity {
			case SevError:
				rep.Summary.Errors++
			case SevWarning:
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

func keyBits(c *x509.Certificate) int {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.N.BitLen()
	case *ecdsa.PublicKey:
		return 0 // EC roots are not flagged by size here
	}
	return 0
}

// WriteAudit writes rep as "text", "json" or "jsonl" (one root per line,
// then one line with the store-wide findings when there are any).
func WriteAudit(w io.Writer, rep *AuditReport, format string) error {
	bw := bufio.NewWriter(w)
	switch format {
	case "json":
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	case "jsonl":
		enc := json.NewEncoder(bw)
		for i := range rep.Roots {
			if err := enc.Encode(&rep.Roots[i]); err != nil {
				return err
			}
		}
		if len(rep.Findings) > 0 {
			enc.Encode(map[string][]Finding{"findings": rep.Findings})
		}
	default:
		writeAuditText(bw, rep)
	}
	return bw.Flush()
}

func writeAuditText(w *bufio.Writer, rep *AuditReport) {
	var bad []RootAudit
	for _, r := range rep.Roots {
		if len(r.Findings) > 0 {
			bad = append(bad, r)
		}
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Subject < bad[j].Subject })
	for _, r := range bad {
		kind := "private"
		if r.Public {
			kind = "public"
		}
		fmt.Fprintf(w, "%s (SHA-1 %s, %s, %s)\n", r.Subject, strings.ToUpper(r.SHA1), kind, r.Source)
		for _, f := range r.Findings {
			fmt.Fprintf(w, "    %-7s %s: %s\n            fix: %s\n", f.Severity, f.Code, f.Message, f.Fix)
		}
		w.WriteByte('\n')
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "store: %-7s %s: %s\n            fix: %s\n\n", f.Severity, f.Code, f.Message, f.Fix)
	}
	s := rep.Summary
	fmt.Fprintf(w, "%d roots (%d public, %d private); trusted issuer list %d of %d bytes; %d errors, %d warnings\n",
		s.Roots, s.Public, s.Private, s.IssuerListBytes, IssuerListLimit, s.Errors, s.Warnings)
}

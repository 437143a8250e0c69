// Package remediate turns scan results into a Group Policy ready bundle: the
// roots clients must trust and the intermediates servers fail to send, as
// PKCS#7, serialized stores, DER files, a Registry.pol, import scripts,
// instructions and a checksummed manifest.
//
// # What goes in
//
// Roots of chains that end at a root clients do not trust (untrusted-root),
// and only certificates whose self-signature verifies. Roots that count as
// trusted only because they are a lync target's root (lync-root-assumed):
// clients that sign in to Lync have them already, and the bundle protects
// those that do not ([Item.LyncAssumedOnly]). Intermediates that a server
// did not send and AIA or --issuers supplied (incomplete-chain,
// expired-ca-sent), for the Intermediate Certification Authorities store,
// never the Root store. A self-signed server certificate only when asked
// ([Planner.IncludeSelfSigned]).
//
// Nothing for a target whose chain has a problem in its CA hierarchy
// ([HierarchyCodes], or an expired, unusable or weak CA certificate): no
// deployment fixes it, so the target is listed in [Plan.Excluded] instead
// (in [Plan.Intercepted] when its root impersonates a known one). Nothing
// for an endpoint discovery found at a step clients do not use
// ([report.Discovery]), listed in [Plan.Unused] when something would have
// been deployed for it.
// A target whose chain keeps errors of the server's own certificate (name
// mismatch, an expired leaf, ...) gets its root all the same, listed in
// [Plan.StillToFix]. Revocation findings never change a plan.
//
// It plans from the report model (report.Target), live or read back from a
// saved report, so it must not import chain, network, scanner or cmd.
package remediate

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// Store is the Windows certificate store a certificate belongs in.
type Store string

// The stores a bundle fills.
const (
	StoreRoot Store = "Root" // Trusted Root Certification Authorities
	StoreCA   Store = "CA"   // Intermediate Certification Authorities
)

// Reason is one target a certificate fixes.
type Reason struct {
	Target string
	Role   target.Role
	Code   string
}

// Item is a certificate of the bundle.
type Item struct {
	Cert  *x509.Certificate
	Store Store
	// SelfSignedLeaf marks a server's own self-signed certificate (such as
	// Exchange's default one): a stop-gap, not a CA.
	SelfSignedLeaf bool
	// EndEntityRoot marks a self-signed certificate that is not a CA
	// (basicConstraints CA:FALSE) at the top of a longer chain: no
	// server's own certificate, and no CA either; a stop-gap too.
	EndEntityRoot bool
	Reasons       []Reason
}

// LyncAssumedOnly reports whether the item is in the bundle only because
// of the Lync assumption (every reason is lync-root-assumed).
func (it *Item) LyncAssumedOnly() bool {
	for _, r := range it.Reasons {
		if r.Code != finding.CodeLyncRootAssumed {
			return false
		}
	}
	return len(it.Reasons) > 0
}

// Thumbprint is the item's upper-case SHA-1.
func (it *Item) Thumbprint() string { return certutil.Thumbprint(it.Cert) }

// SHA256 is the item's lower-case SHA-256.
func (it *Item) SHA256() string {
	s := sha256.Sum256(it.Cert.Raw)
	return hex.EncodeToString(s[:])
}

// File is the item's path in the bundle: certs/<CN-slug>_<SHA1>.cer.
func (it *Item) File() string {
	return "certs/" + slug(it.Cert) + "_" + it.Thumbprint() + ".cer"
}

// maxSlug bounds the name part of a certificate file name.
const maxSlug = 48

func slug(c *x509.Certificate) string {
	name := c.Subject.CommonName
	if name == "" && len(c.Subject.Organization) > 0 {
		name = c.Subject.Organization[0]
	}
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.'
		if ok {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= maxSlug {
			break
		}
	}
	s := strings.Trim(b.String(), "-.")
	if s == "" {
		s = "cert"
	}
	if base, _, _ := strings.Cut(s, "."); reservedName(base) {
		s = "cert-" + s // Windows reads NUL.x or CON.x as a device
	}
	return s
}

// reservedName reports whether name is a Windows device name, which a file
// name must not start with before its first dot.
func reservedName(name string) bool {
	switch strings.ToUpper(name) {
	case "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
		"COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9",
		"LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9":
		return true
	}
	return false
}

// Planner collects what a bundle must hold from scan results, one target at
// a time: memory grows with the distinct certificates, not the targets.
type Planner struct {
	// IncludeSelfSigned puts self-signed server certificates in the Root
	// store; without it they are only listed in [Plan.LeftOut].
	IncludeSelfSigned bool

	items       map[string]*Item
	leftOut     map[string]*Item
	excluded    []TargetCodes
	intercepted []TargetCodes
	unused      []UnusedTarget
	toFix       []TargetCodes
	lyncRoots   map[string]bool // thumbprints of the lync targets' roots
}

// UnusedTarget is an endpoint discovery found at a step clients do not
// use: nothing is deployed for it.
type UnusedTarget struct {
	Target string
	Role   target.Role
	Step   string // where discovery found it: "Lync step 8"
}

// Why says why nothing is deployed for it.
func (u UnusedTarget) Why() string {
	return fmt.Sprintf("found by discovery at %s, which clients do not use: fix or remove that endpoint", u.Step)
}

// TargetCodes is a target and the error findings that concern the bundle.
type TargetCodes struct {
	Target string
	Role   target.Role
	Codes  []string // sorted, each once
}

// Plan is the content of a bundle.
type Plan struct {
	Items []*Item // sorted: Root before CA, then by subject and thumbprint
	// LeftOut lists self-signed server certificates (and self-signed
	// certificates that are not CAs at the top of a chain) not included.
	LeftOut []*Item
	// Excluded lists the targets nothing is deployed for because their
	// chains have problems in the CA hierarchy that no bundle can fix
	// ([HierarchyCodes]), by target: every such target, whether or not
	// something would have been deployed for it.
	Excluded []TargetCodes
	// Intercepted lists the targets whose chains end at a root that
	// impersonates a known one (impersonating-root): TLS interception or a
	// man in the middle. Nothing is deployed for them, and they stay
	// broken until clients reach the real server.
	Intercepted []TargetCodes
	// Unused lists the endpoints discovery found at a step clients do not
	// use, for which something would have been deployed.
	Unused []UnusedTarget
	// StillToFix lists the targets the bundle deploys something for whose
	// chains keep errors of the server's own certificate or setup after
	// deployment (name-mismatch, expired, no-server-auth, ...), by target.
	StillToFix []TargetCodes

	lyncRoots map[string]bool
}

// Empty reports whether the plan holds nothing to deploy.
func (p *Plan) Empty() bool { return len(p.Items) == 0 }

// ByStore returns the items of one store, in plan order.
func (p *Plan) ByStore(s Store) []*Item {
	var out []*Item
	for _, it := range p.Items {
		if it.Store == s {
			out = append(out, it)
		}
	}
	return out
}

// PhoneEdition returns the roots Lync Phone Edition needs on the Lync
// Server (New-CsWebTrustedCACertificate): the roots deployed for Exchange
// (ews, autodiscover) targets that are not a Lync target's root (the phones
// trust the Lync pool's CA already) and are CAs, not self-signed server
// certificates.
func (p *Plan) PhoneEdition() []*Item {
	var out []*Item
	for _, it := range p.ByStore(StoreRoot) {
		if it.SelfSignedLeaf || it.EndEntityRoot || p.lyncRoots[it.Thumbprint()] {
			continue
		}
		for _, r := range it.Reasons {
			if r.Role == target.RoleEWS || r.Role == target.RoleAutodiscover {
				out = append(out, it)
				break
			}
		}
	}
	return out
}

func (pl *Planner) put(m *map[string]*Item, c *x509.Certificate, store Store, kind itemKind, r Reason) {
	if *m == nil {
		*m = make(map[string]*Item)
	}
	k := string(store) + certutil.Thumbprint(c)
	it := (*m)[k]
	if it == nil {
		it = &Item{Cert: c, Store: store, SelfSignedLeaf: kind == selfSignedLeaf, EndEntityRoot: kind == endEntityRoot}
		(*m)[k] = it
	}
	for _, old := range it.Reasons {
		if old == r {
			return
		}
	}
	it.Reasons = append(it.Reasons, r)
}

// PlanError is a report entry that cannot be used.
type PlanError struct {
	Target string
	Err    error
}

func (e *PlanError) Error() string { return fmt.Sprintf("remediate: target %s: %v", e.Target, e.Err) }
func (e *PlanError) Unwrap() error { return e.Err }

// itemKind says what a certificate of the Root store is.
type itemKind int

const (
	caRoot         itemKind = iota // a CA (or a v1 certificate, which cannot say)
	selfSignedLeaf                 // a server's own self-signed certificate
	endEntityRoot                  // a self-signed non-CA at the top of a longer chain
)

// HierarchyCodes are the error findings that put a chain's problem in its
// CA hierarchy, whichever certificate they concern: deploying its root or
// intermediates cannot make it trusted, so the planner deploys nothing for
// that target and lists it in [Plan.Excluded].
var HierarchyCodes = []string{
	finding.CodeDisallowed, finding.CodeImpersonatingRoot, finding.CodeBadSignature,
	finding.CodePathLength, finding.CodeIssuerNotCA, finding.CodeV1Intermediate,
	finding.CodeNameConstraints, finding.CodeInvalidChain, finding.CodeCTLRestricted,
}

// certCodes are error findings about one certificate (its SHA-1 in the
// finding): a problem of the CA hierarchy when that certificate is a CA of
// the chain, of the server's own certificate (fixed on the server) when it
// is the leaf.
var certCodes = []string{
	finding.CodeCriticalExtension, finding.CodeKeyUsage, finding.CodeNoServerAuth,
	finding.CodeExpired, finding.CodeNotYetValid, finding.CodeWeakSignature, finding.CodeWeakKey,
}

// bundleCodes are the findings the bundle itself answers (or that say
// nothing against deploying); fetch failures leave no chain to plan from.
var bundleCodes = []string{
	finding.CodeUntrustedRoot, finding.CodeLyncRootAssumed, finding.CodeIncomplete,
	finding.CodeExpiredCASent, finding.CodeSelfSigned, finding.CodeDifferentCA,
}

// revocationCodes never shape a bundle: the same scan with any
// --revocation mode writes the same bundle.
var revocationCodes = []string{
	finding.CodeRevoked, finding.CodeRevocationUnreachable, finding.CodeRevocationLDAPOnly,
	finding.CodeCRLExpired, finding.CodeCRLExpiring, finding.CodeCRLBadSignature,
	finding.CodeOCSPBadResponse, finding.CodeNoRevocationInfo,
}

// classify sorts tr's error findings into problems of the CA hierarchy and
// problems the server keeps after deployment. A certificate finding without
// the certificate's SHA-1 (a report saved by an older trustgap) counts as
// the hierarchy's: when in doubt, deploy nothing.
func classify(tr *report.Target) (hierarchy, server []string) {
	leaf := ""
	if len(tr.Chain) > 0 {
		leaf = strings.ToLower(tr.Chain[0].SHA1)
	}
	add := func(l *[]string, c string) {
		if !slices.Contains(*l, c) {
			*l = append(*l, c)
		}
	}
	for _, f := range tr.Findings {
		switch {
		case f.Severity != finding.SevError, slices.Contains(bundleCodes, f.Code), slices.Contains(revocationCodes, f.Code):
		case slices.Contains(HierarchyCodes, f.Code):
			add(&hierarchy, f.Code)
		case slices.Contains(certCodes, f.Code) && (f.SHA1 == "" || !strings.EqualFold(f.SHA1, leaf)):
			add(&hierarchy, f.Code)
		default:
			add(&server, f.Code)
		}
	}
	sort.Strings(hierarchy)
	sort.Strings(server)
	return hierarchy, server
}

// Add takes one target's report.
func (pl *Planner) Add(tr *report.Target) error {
	hierarchy, server := classify(tr)
	if d := tr.Discovery; d != nil && !d.Used {
		// An endpoint clients do not use: whoever can add a DNS record
		// must not get a root deployed. Listed when something would have
		// been.
		dry := &Planner{IncludeSelfSigned: pl.IncludeSelfSigned}
		if err := dry.add(tr); err != nil {
			return err
		}
		if len(dry.items)+len(dry.leftOut) > 0 || len(hierarchy) > 0 {
			pl.unused = append(pl.unused, UnusedTarget{Target: tr.Target, Role: tr.Role, Step: d.Step})
		}
		return nil
	}
	if tr.Role == target.RoleLync && tr.Root != nil {
		if pl.lyncRoots == nil {
			pl.lyncRoots = map[string]bool{}
		}
		pl.lyncRoots[strings.ToUpper(tr.Root.SHA1)] = true
	}
	if len(hierarchy) > 0 {
		tc := TargetCodes{Target: tr.Target, Role: tr.Role, Codes: hierarchy}
		if slices.Contains(hierarchy, finding.CodeImpersonatingRoot) {
			pl.intercepted = append(pl.intercepted, tc)
		} else {
			pl.excluded = append(pl.excluded, tc)
		}
		return nil
	}
	n := pl.count()
	if err := pl.add(tr); err != nil {
		return err
	}
	if pl.count() != n && len(server) > 0 {
		pl.toFix = append(pl.toFix, TargetCodes{Target: tr.Target, Role: tr.Role, Codes: server})
	}
	return nil
}

// count is how many certificate reasons are planned for deployment, to
// tell whether a target added any.
func (pl *Planner) count() int {
	n := 0
	for _, it := range pl.items {
		n += len(it.Reasons)
	}
	return n
}

func (pl *Planner) add(tr *report.Target) error {
	has := map[string]bool{}
	for _, f := range tr.Findings {
		has[f.Code] = true
	}
	parse := func(cr report.Cert) (*x509.Certificate, error) {
		c, err := x509.ParseCertificate(cr.DER)
		if err != nil {
			return nil, &PlanError{Target: tr.Target, Err: fmt.Errorf("certificate %q does not parse: %v", cr.Subject, err)}
		}
		if !strings.EqualFold(cr.SHA1, certutil.Thumbprint(c)) {
			return nil, &PlanError{Target: tr.Target, Err: fmt.Errorf("certificate %q: sha1 %s does not match its der field", cr.Subject, cr.SHA1)}
		}
		return c, nil
	}
	if has[finding.CodeSelfSigned] && len(tr.Chain) == 1 && tr.Root != nil && !tr.Trusted {
		c, err := parse(tr.Chain[0])
		if err != nil {
			return err
		}
		r := Reason{Target: tr.Target, Role: tr.Role, Code: finding.CodeSelfSigned}
		if certutil.IsSelfSigned(c) {
			if pl.IncludeSelfSigned {
				pl.put(&pl.items, c, StoreRoot, selfSignedLeaf, r)
			} else {
				pl.put(&pl.leftOut, c, StoreRoot, selfSignedLeaf, r)
			}
		}
		return nil
	}
	if has[finding.CodeLyncRootAssumed] && tr.Root != nil && !tr.Root.InStore {
		c, err := parse(tr.Root.Cert)
		if err != nil {
			return err
		}
		if certutil.SelfSignatureVerifies(c) && (c.IsCA || c.Version == 1) {
			pl.put(&pl.items, c, StoreRoot, caRoot, Reason{Target: tr.Target, Role: tr.Role, Code: finding.CodeLyncRootAssumed})
		}
	}
	if has[finding.CodeUntrustedRoot] && tr.Root != nil {
		c, err := parse(tr.Root.Cert)
		if err != nil {
			return err
		}
		// Only a true root: self-signed by signature, and a CA (or a v1
		// certificate, which cannot say). A self-signed end entity at the
		// top of a chain is treated like a self-signed leaf.
		r := Reason{Target: tr.Target, Role: tr.Role, Code: finding.CodeUntrustedRoot}
		switch {
		case !certutil.SelfSignatureVerifies(c):
		case c.IsCA || c.Version == 1:
			pl.put(&pl.items, c, StoreRoot, caRoot, r)
		case pl.IncludeSelfSigned:
			pl.put(&pl.items, c, StoreRoot, endEntityRoot, r)
		default:
			pl.put(&pl.leftOut, c, StoreRoot, endEntityRoot, r)
		}
	}
	if has[finding.CodeIncomplete] || has[finding.CodeExpiredCASent] {
		code := finding.CodeIncomplete
		if !has[code] {
			code = finding.CodeExpiredCASent
		}
		for i, cr := range tr.Chain {
			if cr.Source != report.SourceAIA && cr.Source != report.SourceIssuers || i == 0 || (tr.Root != nil && i == len(tr.Chain)-1) {
				continue
			}
			c, err := parse(cr)
			if err != nil {
				return err
			}
			if certutil.IsSelfSigned(c) {
				continue // never a root in the Intermediate store either
			}
			pl.put(&pl.items, c, StoreCA, caRoot, Reason{Target: tr.Target, Role: tr.Role, Code: code})
		}
	}
	return nil
}

// LyncAssumed returns the items that are in the bundle only because of the
// Lync assumption, in plan order.
func (p *Plan) LyncAssumed() []*Item {
	var out []*Item
	for _, it := range p.Items {
		if it.LyncAssumedOnly() {
			out = append(out, it)
		}
	}
	return out
}

// Plan returns what was collected, sorted.
func (pl *Planner) Plan() *Plan {
	unused := slices.Clone(pl.unused)
	sort.SliceStable(unused, func(i, j int) bool {
		if unused[i].Target != unused[j].Target {
			return unused[i].Target < unused[j].Target
		}
		return unused[i].Role < unused[j].Role
	})
	return &Plan{Items: sorted(pl.items), LeftOut: sorted(pl.leftOut),
		Excluded: sortedTargets(pl.excluded), Intercepted: sortedTargets(pl.intercepted), Unused: unused,
		StillToFix: sortedTargets(pl.toFix), lyncRoots: pl.lyncRoots}
}

func sortedTargets(ts []TargetCodes) []TargetCodes {
	out := slices.Clone(ts)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Target != out[j].Target {
			return out[i].Target < out[j].Target
		}
		return out[i].Role < out[j].Role
	})
	return out
}

func sorted(m map[string]*Item) []*Item {
	out := make([]*Item, 0, len(m))
	for _, it := range m {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Store != b.Store {
			return a.Store == StoreRoot
		}
		if c := strings.Compare(certutil.Subject(a.Cert), certutil.Subject(b.Cert)); c != 0 {
			return c < 0
		}
		return bytes.Compare(a.Cert.Raw, b.Cert.Raw) < 0
	})
	for _, it := range out {
		sort.Slice(it.Reasons, func(i, j int) bool {
			a, b := it.Reasons[i], it.Reasons[j]
			if a.Target != b.Target {
				return a.Target < b.Target
			}
			return a.Code < b.Code
		})
	}
	return out
}

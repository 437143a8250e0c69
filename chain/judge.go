package chain

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"sync"
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
	// Path is the chain built; nil when it could not be fetched, or when
	// the server's own certificate does not parse.
	Path *Path
	// Err is the fetch failure, if any. Its finding code comes from its
	// FindingCode method (network.FetchError has one), else dns-failure.
	Err error
	// Unparsable lists the presented certificates that do not parse.
	Unparsable []BadCert
	InStore    bool // the root is in the client store
	// LyncRoot is true when the root is trusted because it is a lync
	// target's root (and not in the client store).
	LyncRoot bool
	// Trusted: the chain ends at a trust anchor (the client store, or a
	// lync target's root) and breaks no path rule with error severity.
	Trusted  bool
	Findings []finding.Finding

	// Presented is the chain as the server sent it, in its order
	// (Presented[0] is the leaf); nil when none was fetched.
	Presented []*x509.Certificate
	// TLSVersion and CipherSuite are what the handshake negotiated
	// (crypto/tls constants; zero when unknown).
	TLSVersion, CipherSuite uint16
	// Protocols says which TLS versions the server accepts, when they
	// were probed (scan --protocols); nil otherwise.
	Protocols []Protocol
	// Addresses holds one result per address the target's name resolved
	// to (sorted, at most network.MaxAddrs), each judged on its own; the
	// target's own fields are those of the first address that presented a
	// chain ([Combine]). Empty when the name did not resolve, and in the
	// results of Addresses themselves.
	Addresses []*Result
	// NotChecked lists the addresses of the name past network.MaxAddrs,
	// which were not checked (finding addresses-not-checked).
	NotChecked []string
}

// BadCert is a presented certificate that does not parse.
type BadCert struct {
	Position int // 1-based, in the order the server sent them
	Err      string
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
// with an error-severity finding, warn with a warning, else ok; and never
// better than the verdict of any of its addresses.
func (r *Result) Verdict() Verdict {
	v := r.ownVerdict()
	for _, a := range r.Addresses {
		if av := a.Verdict(); av.rank() > v.rank() {
			v = av
		}
	}
	return v
}

func (r *Result) ownVerdict() Verdict {
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

// rank orders verdicts from best (0) to worst.
func (v Verdict) rank() int {
	switch v {
	case VerdictWarn:
		return 1
	case VerdictFail:
		return 2
	case VerdictUnreachable:
		return 3
	}
	return 0
}

// Judge turns built chains into findings. Apply may be called from many
// goroutines at once.
type Judge struct {
	Store *CertSet // the client root store
	// Lync holds the roots of Lync's CA that different-ca compares
	// Exchange's roots with: those of lync targets whose role was
	// asserted, and that are neither Disallowed nor impersonating a known
	// root ([Judge.SetLync]); none, and no different-ca, when there is no
	// such root. A root of an inferred lync target (port 5061, a discovery
	// step clients do not use) is not Lync's CA for that comparison.
	Lync *CertSet
	// LyncAnchors holds the lync roots clients are assumed to trust (the
	// Lync assumption): Lync, unless NoLyncAssumption. NewJudge sets both
	// to its lync argument.
	LyncAnchors *CertSet
	// LyncNames names the roots of Lync for different-ca messages.
	LyncNames []string
	// NoLyncAssumption stops the lync roots counting as trusted: a lync
	// target whose root is not in Store is then untrusted-root.
	NoLyncAssumption bool
	// Disallowed holds the certificates clients refuse.
	Disallowed *CertSet
	Now        time.Time
	// RootRule, when set, may refuse a root of the client store for this
	// chain: it returns why ("" when the root may anchor it). The root
	// store sets it for roots of Microsoft's root program, whose CTL entry
	// restricts them (rootstore.Store.RootRule).
	RootRule func(root, leaf *x509.Certificate, now time.Time) string
	// Namesake, when set, returns a root of a public root program
	// (Mozilla's: rootstore.PublicNamesake) that has c's name but another
	// key; c itself when c, by name and key, is a public root (it then
	// impersonates nothing, whatever the client store holds); nil when no
	// public root has its name. The client store's roots are always
	// compared; nil compares only them.
	Namesake func(c *x509.Certificate) *x509.Certificate

	namesOnce sync.Once
	storeName map[string][]*x509.Certificate // Store's roots by folded name
}

// NewJudge returns a judge for a client store, the lync targets' roots
// (all of them taken as asserted: see [Judge.SetLync]) and the instant
// validity is judged at.
func NewJudge(store, lync *CertSet, now time.Time) *Judge {
	j := &Judge{Store: store, Lync: lync, LyncAnchors: lync, Now: now}
	j.LyncNames = LyncNames(lync)
	return j
}

// LyncNames names the lync targets' roots, sorted, as different-ca
// messages list them.
func LyncNames(lync *CertSet) []string {
	var names []string
	for _, c := range lync.All() {
		names = append(names, describe(c))
	}
	sort.Strings(names)
	return names
}

// SetLync takes the results of the lync targets (built, not yet judged,
// in input order) and sets Lync, LyncNames and LyncAnchors: the roots of
// the targets whose role was asserted (written "lync", or the step where
// discovery says clients sign in), unless the client store's Disallowed
// holds the root (or its key under that name) or another certificate of
// that target's chain, or the root impersonates a known root
// ([Judge.Impersonated]); LyncAnchors is empty under NoLyncAssumption. It
// returns the extra anchors other chains may end at and the lync roots
// that may only complete a path (as untrusted roots). Set Store,
// Disallowed, Namesake and NoLyncAssumption first.
func (j *Judge) SetLync(results []*Result) (anchors, known *CertSet) {
	all, asserted, rest := &CertSet{}, &CertSet{}, &CertSet{}
	var roots []*x509.Certificate
	for _, r := range results {
		root := r.Root()
		if root == nil || len(r.Path.Links) < 2 {
			continue // no root, or a self-signed leaf: no CA to assume
		}
		all.Add(root.Cert)
		roots = append(roots, root.Cert)
		if !r.Target.RoleInferred && j.refuseAnchor(root.Cert) == "" && !j.throughDisallowed(r.Path) {
			asserted.Add(root.Cert)
		}
	}
	for _, c := range roots {
		if !asserted.Contains(c) {
			rest.Add(c)
		}
	}
	j.Lync, j.LyncAnchors, j.LyncNames = asserted, asserted, LyncNames(asserted)
	if j.NoLyncAssumption {
		j.LyncAnchors = &CertSet{}
		return nil, all
	}
	return asserted, rest
}

// throughDisallowed reports whether p holds a certificate of the
// Disallowed store: clients refuse that Lync pool, so they do not sign in
// through it and its root is not assumed.
func (j *Judge) throughDisallowed(p *Path) bool {
	for _, l := range p.Links {
		if j.Disallowed.Contains(l.Cert) {
			return true
		}
	}
	return false
}

// refuseAnchor says why root may not be assumed trusted: it is in the
// Disallowed store (that certificate, or its name and key), or it
// impersonates a known root; "" when it may.
func (j *Judge) refuseAnchor(root *x509.Certificate) string {
	if j.Disallowed.Contains(root) || j.Disallowed.ContainsKey(root) {
		return "disallowed"
	}
	if known, _ := j.Impersonated(root); known != nil {
		return "impersonating"
	}
	return ""
}

// foldedName is a certificate's subject as certutil.DN shows it,
// case-folded: X.520 names compare without case, and a copy may encode its
// name with other string types.
func foldedName(c *x509.Certificate) string { return strings.ToLower(certutil.Subject(c)) }

// sameKey reports whether a and b have the same public key, whatever its
// encoding.
func sameKey(a, b *x509.Certificate) bool {
	ka, err1 := x509.MarshalPKIXPublicKey(a.PublicKey)
	kb, err2 := x509.MarshalPKIXPublicKey(b.PublicKey)
	if err1 != nil || err2 != nil {
		return bytes.Equal(a.RawSubjectPublicKeyInfo, b.RawSubjectPublicKeyInfo)
	}
	return bytes.Equal(ka, kb)
}

// Impersonated returns the known root c copies the name of with another
// key, and where it is known ("in the client store", "in Mozilla's root
// program"); nil when c has no such namesake, or when a root of the
// client store has c's name and key (c is a re-issued copy of it). A root
// that takes a known root's name with its own key is what TLS
// interception and a man in the middle present.
func (j *Judge) Impersonated(c *x509.Certificate) (*x509.Certificate, string) {
	name := foldedName(c)
	if c.RawSubject == nil || len(c.Subject.Names) == 0 {
		return nil, "" // no name to copy
	}
	j.namesOnce.Do(func() {
		j.storeName = map[string][]*x509.Certificate{}
		for _, s := range j.Store.All() {
			n := foldedName(s)
			j.storeName[n] = append(j.storeName[n], s)
		}
		for _, cs := range j.storeName {
			sort.Slice(cs, func(a, b int) bool { return bytes.Compare(cs[a].Raw, cs[b].Raw) < 0 })
		}
	})
	var public *x509.Certificate
	if j.Namesake != nil {
		if public = j.Namesake(c); public == c {
			return nil, "" // a public root itself
		}
	}
	var other *x509.Certificate
	for _, s := range j.storeName[name] {
		if sameKey(s, c) {
			return nil, ""
		}
		if other == nil {
			other = s
		}
	}
	if other != nil {
		return other, "in the client store"
	}
	if public != nil {
		return public, "in Mozilla's root program"
	}
	return nil, ""
}

// LyncHint is what the untrusted-root fix of a lync target whose role was
// inferred (not written "lync") adds.
func LyncHint(raw string) string {
	return fmt.Sprintf("; if this is your Lync pool, write it as `lync %s` to have its root assumed trusted", raw)
}

// LyncRootAssumed is the lync-root-assumed finding for root: not in the
// client store, but a lync target's root.
func LyncRootAssumed(root *x509.Certificate) finding.Finding {
	return finding.New(finding.CodeLyncRootAssumed, finding.SevInfo,
		"nothing to do for clients that sign in to Lync; the bundle (trustgap scan --bundle DIR) carries this root for the others, or rerun with the clients' complete store and --no-lync-assumption",
		"root %s is not in the client root store given, but it is a lync target's root, which clients that sign in to Lync trust", describe(root))
}

// DifferentCA is the different-ca finding for an Exchange chain ending at
// root, which no lync target shares (lyncNames: [LyncNames]).
func DifferentCA(root *x509.Certificate, lyncNames []string) finding.Finding {
	return finding.New(finding.CodeDifferentCA, finding.SevWarning,
		fmt.Sprintf("make sure clients trust %s (deploy it by Group Policy if they do not), or reissue the Exchange certificate from the CA behind Lync", describe(root)),
		"Exchange's chain ends at root %s, Lync's at %s: clients that trust Lync's CA do not trust Exchange's by that alone", describe(root), strings.Join(lyncNames, ", "))
}

// UntrustedRoot is the untrusted-root finding for root; notAlone adds that
// other errors make the chain invalid too, and hint is added to the fix.
func UntrustedRoot(root *x509.Certificate, notAlone bool, hint string) finding.Finding {
	alone := ""
	if notAlone {
		alone = " (that alone does not make the chain valid: see the other errors)"
	}
	return finding.New(finding.CodeUntrustedRoot, finding.SevError,
		fmt.Sprintf("deploy root %s to the clients' Trusted Root Certification Authorities by Group Policy (trustgap scan --bundle DIR writes it)%s%s", describe(root), alone, hint),
		"the chain ends at root %s, which is not in the client root store", describe(root))
}

func describe(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-1 %s)", certutil.Name(c), certutil.Thumbprint(c))
}

func (r *Result) add(code string, sev finding.Severity, fix, format string, args ...any) {
	r.Findings = append(r.Findings, finding.New(code, sev, fix, format, args...))
}

// Apply judges r: it validates its path and fills in InStore, LyncRoot,
// Trusted and Findings. A result with Addresses has each address judged,
// and takes the judgement of the one [Combine] chose, plus
// inconsistent-servers when the servers differ.
func (j *Judge) Apply(r *Result) {
	if len(r.Addresses) > 0 {
		j.applyAddresses(r)
		return
	}
	r.Findings = nil
	r.InStore, r.LyncRoot, r.Trusted = false, false, false
	if r.Err != nil {
		j.fetchFinding(r)
		return
	}
	j.unparsable(r)
	if r.Path == nil {
		return
	}
	p := r.Path
	p.Problems = (&Validator{Now: j.Now, Disallowed: j.Disallowed}).Check(p)
	leaf := p.Links[0].Cert
	root := r.Root()
	selfSignedLeaf := len(p.Links) == 1 && p.Complete
	if root != nil {
		r.InStore = j.Store.Contains(root.Cert)
		if selfSignedLeaf {
			// Only that very certificate makes a self-signed leaf trusted.
			r.InStore = j.Store.Contains(leaf)
		}
		r.LyncRoot = !r.InStore && !selfSignedLeaf && !j.NoLyncAssumption && j.LyncAnchors.Contains(root.Cert)
	}
	// A root clients do not hold that copies the name of one they (or
	// Mozilla's program) know, with another key: never trusted, never
	// deployed.
	var known *x509.Certificate
	knownWhere := ""
	if root != nil && !r.InStore {
		known, knownWhere = j.Impersonated(root.Cert)
		if known != nil {
			r.LyncRoot = false
		}
	}
	anchored := r.InStore || r.LyncRoot
	restricted := ""
	if r.InStore && !selfSignedLeaf && j.RootRule != nil {
		if restricted = j.RootRule(root.Cert, leaf, j.Now); restricted != "" {
			anchored = false
		}
	}
	host := r.Target.Host

	switch {
	case known != nil:
		r.add(finding.CodeImpersonatingRoot, finding.SevError,
			fmt.Sprintf("do not deploy this root: find who intercepts the connection to %s (a proxy or firewall inspecting HTTPS, antivirus HTTPS scanning, a load balancer re-signing TLS, or an attacker) and make clients reach the real server; if it is your own CA renewed with a new key, take its certificate from the CA itself and check its thumbprint with the CA's administrator", host),
			"the chain ends at root %s, which has the name of %s (%s) but another key: a root that copies a known root's name is what TLS interception or a man in the middle presents", describe(root.Cert), describe(known), knownWhere)
	case selfSignedLeaf && !r.InStore:
		r.add(finding.CodeSelfSigned, finding.SevError,
			"replace it with a certificate issued by the CA that issued the Lync certificates, naming "+host+" (and autodiscover.<smtp domain> on Exchange); as a stop-gap, deploy this certificate to Trusted Root Certification Authorities (trustgap scan --bundle DIR --include-self-signed)",
			"the server presents a self-signed certificate %s that clients do not trust", describe(leaf))
	case selfSignedLeaf:
		r.add(finding.CodeSelfSigned, finding.SevInfo,
			"replace it with a CA-issued certificate when convenient: every client needs this exact certificate, and again when it is renewed",
			"the server presents a self-signed certificate %s; the client store holds that very certificate", describe(leaf))
	case restricted != "":
		r.add(finding.CodeCTLRestricted, finding.SevError,
			"have the certificate reissued by a CA that Microsoft's root program trusts for server authentication (or by the CA behind Lync, deployed by Group Policy)",
			"the chain ends at root %s, which the client trusts only through Microsoft's root program (authroot.stl), and %s", describe(root.Cert), restricted)
	case root != nil && !anchored:
		lyncHint := ""
		if r.Target.Role == target.RoleLync && r.Target.RoleInferred && !j.NoLyncAssumption && j.refuseAnchor(root.Cert) == "" {
			lyncHint = LyncHint(r.Target.Raw)
		}
		r.Findings = append(r.Findings, UntrustedRoot(root.Cert, !p.Valid(), lyncHint))
	}

	before := len(r.Findings)
	j.completeness(r)
	j.stale(r)
	chainErr := finding.HasError(r.Findings[before:])
	j.names(r)
	for _, pr := range p.Problems {
		r.Findings = append(r.Findings, pr.Finding)
	}
	if r.LyncRoot {
		r.Findings = append(r.Findings, LyncRootAssumed(root.Cert))
	}
	if (r.Target.Role == target.RoleEWS || r.Target.Role == target.RoleAutodiscover) && j.Lync.Len() > 0 && root != nil && !r.InStore && known == nil && !j.Lync.ContainsKey(root.Cert) {
		r.Findings = append(r.Findings, DifferentCA(root.Cert, j.LyncNames))
	}
	r.Trusted = anchored && p.Valid() && !chainErr
	j.presented(r)
	j.protocols(r)
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
	case finding.CodeUnparsable:
		fix = fmt.Sprintf("reissue the certificates %s presents with a well-formed encoding (check them with certutil -dump or openssl x509 -text)", r.Target.Host)
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
	case "error":
		// No answer to judge the name by: the server could not be asked
		// (refused, unreachable) or answered garbage.
		return fmt.Sprintf("the DNS server could not be asked about %s (see the message): check that it is reachable from here and answers DNS, or resolve through another with --dns", host)
	}
	return fmt.Sprintf("create the DNS record for %s, or check the name and the DNS server used", host)
}

// unparsable reports the presented certificates that do not parse: the
// server's own one is an error (nothing can be judged), another one a
// warning (it is ignored, and the chain built without it).
func (j *Judge) unparsable(r *Result) {
	for _, b := range r.Unparsable {
		if b.Position == 1 {
			r.add(finding.CodeUnparsable, finding.SevError,
				fmt.Sprintf("reissue the certificate of %s with a well-formed encoding (check it with certutil -dump or openssl x509 -text): clients that parse strictly refuse it", r.Target.Host),
				"the server's certificate (certificate 1 of the chain it presents) does not parse: %s", b.Err)
			continue
		}
		r.add(finding.CodeUnparsable, finding.SevWarning,
			"remove it from the chain the server sends, or replace it with a well-formed copy of the intermediate",
			"certificate %d of the chain the server presents does not parse (%s); it was ignored", b.Position, b.Err)
	}
}

// completeness reports the intermediates the server did not send (from
// AIA, the client store's intermediates or --issuers) and a chain that
// stops short of a root.
func (j *Judge) completeness(r *Result) {
	p := r.Path
	stale := map[int]bool{}
	for _, s := range p.StaleSent {
		stale[s.Index] = true
	}
	for i, l := range p.Links {
		if i == 0 || i == len(p.Links)-1 && p.Complete || stale[i] {
			continue
		}
		name := certutil.Name(l.Cert)
		switch l.Source {
		case FromAIA:
			r.add(finding.CodeIncomplete, finding.SevWarning,
				fmt.Sprintf("configure the server to send intermediate %q with its certificate (install it in the server's Intermediate Certification Authorities store); clients that cannot reach %s fail", name, strings.Join(p.Links[i-1].Cert.IssuingCertificateURL, " ")),
				"the server did not send intermediate %s; it was fetched from AIA", describe(l.Cert))
		case FromStore:
			r.add(finding.CodeIncomplete, finding.SevInfo,
				fmt.Sprintf("configure the server to send intermediate %q with its certificate, for clients outside the policy that deploys it", name),
				"the server did not send intermediate %s; the client store's Intermediate Certification Authorities hold it, so clients with that store build the chain", describe(l.Cert))
		case FromIssuers:
			r.add(finding.CodeIncomplete, finding.SevError,
				fmt.Sprintf("configure the server to send intermediate %q with its certificate (install it in the server's Intermediate Certification Authorities store); the bundle (trustgap scan --bundle DIR) also deploys it to the clients' Intermediate Certification Authorities", name),
				"the server did not send intermediate %s, and clients do not have it: it was found only in the certificates given with --issuers", describe(l.Cert))
		}
	}
	if p.Complete {
		return
	}
	last := p.Last().Cert
	issuer := issuerName(last)
	var why string
	switch {
	case len(last.IssuingCertificateURL) == 0:
		why = "it has no AIA caIssuers URL"
	case p.AIAOff:
		why = "AIA fetching is off (--no-aia); its caIssuers URLs: " + strings.Join(quoteAll(last.IssuingCertificateURL), ", ")
	case len(p.AIATried) > 0:
		var parts []string
		for _, a := range p.AIATried {
			parts = append(parts, fmt.Sprintf("%q: %s", a.URL, a.Outcome))
		}
		why = "AIA could not supply it: " + strings.Join(parts, "; ")
	default:
		why = "AIA fetching is off or found no matching certificate"
	}
	alone := ""
	if len(p.Links) == 1 {
		alone = " (the server sent only its own certificate)"
	}
	if d := j.disallowedIssuer(last); d != nil {
		r.add(finding.CodeIncomplete, finding.SevError,
			fmt.Sprintf("the store holds it as Disallowed: clients refuse it. Have the certificate of %s reissued by a CA clients trust; if %q was distrusted by mistake, take it out of the clients' Untrusted Certificates (Disallowed) store by Group Policy", r.Target.Host, issuer),
			"the chain stops at %s%s: its issuer %s is not presented by the server, and the client store holds it as Disallowed: clients refuse it", describe(last), alone, describe(d))
		return
	}
	fix := fmt.Sprintf("give the certificate of %q with --issuers FILE (or --roots if clients should trust it): trustgap then tells whether the server should send it (an intermediate) or the clients lack it (a root)", issuer)
	r.add(finding.CodeIncomplete, finding.SevError, fix,
		"the chain stops at %s%s: its issuer %q is not presented by the server, not in the client store and not given with --issuers, and %s", describe(last), alone, issuer, why)
}

// disallowedIssuer returns the certificate of the client store's Disallowed
// store that issued c (its subject, and a signature that verifies), or nil.
func (j *Judge) disallowedIssuer(c *x509.Certificate) *x509.Certificate {
	for _, d := range j.Disallowed.issuers(c) {
		if c.CheckSignatureFrom(d) == nil {
			return d
		}
	}
	return nil
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// stale reports expired copies of CA certificates the server sends while a
// current copy (same subject and key) completes the chain.
func (j *Judge) stale(r *Result) {
	for _, s := range r.Path.StaleSent {
		cur := r.Path.Links[s.Index]
		sev, where := finding.SevWarning, "in the client store"
		extra := ""
		switch cur.Source {
		case FromAIA:
			where = "at its AIA URL"
		case FromIssuers:
			sev, where = finding.SevError, "only in the certificates given with --issuers, which clients do not have"
			extra = "; the bundle (trustgap scan --bundle DIR) also deploys the current one to the clients' Intermediate Certification Authorities"
		}
		r.add(finding.CodeExpiredCASent, sev,
			fmt.Sprintf("replace the expired CA certificate on the server with the current one (SHA-1 %s, valid until %s): remove SHA-1 %s from the server's Intermediate Certification Authorities store and install the current one%s", certutil.Thumbprint(cur.Cert), cur.Cert.NotAfter.UTC().Format("2006-01-02"), certutil.Thumbprint(s.Sent), extra),
			"the server sends an expired copy of CA %s (SHA-1 %s, expired on %s); a current copy with the same key, %s, is %s and completes the chain",
			strconv.Quote(certutil.Name(s.Sent)), certutil.Thumbprint(s.Sent), s.Sent.NotAfter.UTC().Format(time.RFC3339), describe(cur.Cert), where)
	}
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return "CN=" + certutil.EscapeDNValue(c.Issuer.CommonName)
	}
	return certutil.Issuer(c)
}

// names reports a leaf that does not cover the host, and a lync, ews or
// autodiscover target's certificate that covers it only through a
// wildcard (Lync pools need explicit names; Lync Phone Edition cannot use
// a wildcard EWS certificate: domain.md check 10).
func (j *Judge) names(r *Result) {
	leaf := r.Path.Links[0].Cert
	host := r.Target.Host
	if !certutil.NameCovers(leaf, host) {
		fix := fmt.Sprintf("reissue the certificate with %s among its Subject Alternative Names (DNS names), or point clients at a name it covers", host)
		if isShortOrIP(host) {
			fix = fmt.Sprintf("scan, and have clients use, the fully qualified name they are configured with (one the certificate covers, such as %s) rather than %q; do not add %q to the certificate", certNames(leaf), host, host)
		}
		r.add(finding.CodeNameMismatch, finding.SevError, fix,
			"the certificate %s covers %s, not %s", describe(leaf), certNames(leaf), host)
		return
	}
	switch r.Target.Role {
	case target.RoleLync, target.RoleEWS, target.RoleAutodiscover:
	default:
		return
	}
	wild := strings.HasPrefix(leaf.Subject.CommonName, "*")
	explicit := false
	for _, n := range leaf.DNSNames {
		if strings.HasPrefix(n, "*") {
			continue
		}
		if strings.EqualFold(strings.TrimSuffix(n, "."), strings.TrimSuffix(host, ".")) {
			explicit = true
		}
	}
	if len(leaf.DNSNames) == 0 && !wild {
		explicit = true // CN only, and it names the host
	}
	switch {
	case !wild && explicit:
	case r.Target.Role == target.RoleLync:
		r.add(finding.CodeLyncWildcard, finding.SevWarning,
			fmt.Sprintf("reissue the Lync certificate with the pool FQDN as its subject and %s (and every pool and server FQDN) among its explicit Subject Alternative Names", host),
			"the Lync certificate %s covers %s only through a wildcard: Lync pools and Lync Phone Edition need explicit names", describe(leaf), host)
	default:
		r.add(finding.CodeLyncWildcard, finding.SevWarning,
			fmt.Sprintf("if Lync Phone Edition devices use Exchange, reissue the Exchange certificate with %s (and autodiscover.<domain>) among its explicit Subject Alternative Names", host),
			"the Exchange certificate %s covers %s only through a wildcard: Lync Phone Edition cannot use a wildcard EWS certificate (it needs explicit names)", describe(leaf), host)
	}
}

// isShortOrIP reports whether host is a single-label name or an IP address.
func isShortOrIP(host string) bool {
	return net.ParseIP(host) != nil || !strings.Contains(strings.TrimSuffix(host, "."), ".")
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

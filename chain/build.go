// Package chain builds and judges certificate chains as a Windows client of
// Exchange and Lync would: it builds paths from a server's leaf through the
// presented certificates, AIA issuers and the client's trust anchors, by
// signature, and turns each target's outcome into findings with their fixes.
//
// It works on certificates and results only. It does no network I/O of its
// own (AIA issuers come through the [IssuerFetcher] it is given) and no
// output formatting; it must not import network, scanner, report,
// remediate or cmd.
package chain

import (
	"bytes"
	"cmp"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// Source says where a certificate of a built chain came from.
type Source string

// The certificate sources.
const (
	FromServer Source = "server" // presented in the TLS handshake
	FromAIA    Source = "aia"    // fetched from an AIA caIssuers URL
	// FromStore: from the client store (its roots, its Intermediate
	// Certification Authorities, or a lync target's root).
	FromStore Source = "store"
	// FromIssuers: given with --issuers, certificates the organisation
	// has that clients do not necessarily have.
	FromIssuers Source = "issuers"
)

// Link is one certificate of a built chain.
type Link struct {
	Cert   *x509.Certificate
	Source Source
	// Sig is the status of this certificate's signature checked with the
	// next link's key; the last link's is [certutil.SigValid].
	Sig certutil.SigStatus
	// Revocation is the certificate's revocation status, set by the
	// revocation check after building; nil when none ran.
	Revocation *Revocation
}

// Path is a chain built from a leaf towards a root.
type Path struct {
	Links []Link // Links[0] is the leaf
	// Complete is true when the last certificate is self-signed or a trust
	// anchor; otherwise no issuer of it was found.
	Complete bool
	// Anchored is true when the last certificate is a trust anchor: that
	// very certificate is in the client store or among the trusted extras.
	Anchored bool
	// AIAErr is the first AIA failure met while building, if any.
	AIAErr error
	// AIATried lists, for an incomplete path, the last certificate's AIA
	// caIssuers URLs and what fetching each gave.
	AIATried []AIAAttempt
	// AIAOff is set when AIA fetching was off.
	AIAOff bool
	// Problems are the rules the path breaks ([Validator.Check]).
	Problems []Problem
	// StaleSent lists expired copies of the path's CA certificates that
	// the server sent while a current copy completes the path.
	StaleSent []StaleCopy
}

// StaleCopy is an expired CA certificate the server sent, and the link of
// the path that holds its current copy (same subject and key).
type StaleCopy struct {
	Index int // the Links index of the current copy
	Sent  *x509.Certificate
}

// AIAAttempt is one caIssuers URL and what fetching it gave.
type AIAAttempt struct {
	URL     string
	Outcome string // "supplied the issuer", "no certificate there issued it", or the error
}

// Last returns the last certificate of the path.
func (p *Path) Last() Link { return p.Links[len(p.Links)-1] }

// Valid reports whether the path breaks no rule with error severity.
func (p *Path) Valid() bool { return !HasErrorProblem(p.Problems) }

// Build limits, per target.
const (
	// aiaMaxURLs bounds how many caIssuers URLs of one certificate are tried.
	aiaMaxURLs         = 4
	maxDepth           = 8
	maxSignatureChecks = 100
	maxPaths           = 16
	// AIAMaxFetches bounds the AIA fetches of one target (all its
	// certificates), and AIABudget the time they take together.
	AIAMaxFetches = 8
	AIABudget     = 15 * time.Second
)

// AIABudgetError is AIA work for one target cut short by its bounds.
type AIABudgetError struct {
	Reason string
}

func (e *AIABudgetError) Error() string { return "chain: AIA stopped: " + e.Reason }

// CertSet is a set of certificates indexed by subject for issuer look-ups.
// The zero value is empty and ready to use.
type CertSet struct {
	bySubject map[string][]*x509.Certificate
	n         int
}

// NewCertSet returns a set holding certs.
func NewCertSet(certs ...*x509.Certificate) *CertSet {
	s := &CertSet{}
	for _, c := range certs {
		s.Add(c)
	}
	return s
}

// Add adds c unless it is in the set already.
func (s *CertSet) Add(c *x509.Certificate) {
	if s.Contains(c) {
		return
	}
	if s.bySubject == nil {
		s.bySubject = make(map[string][]*x509.Certificate)
	}
	s.bySubject[string(c.RawSubject)] = append(s.bySubject[string(c.RawSubject)], c)
	s.n++
}

// Len returns the number of certificates in the set.
func (s *CertSet) Len() int {
	if s == nil {
		return 0
	}
	return s.n
}

// Contains reports whether the set holds c itself.
func (s *CertSet) Contains(c *x509.Certificate) bool {
	if s == nil {
		return false
	}
	for _, o := range s.bySubject[string(c.RawSubject)] {
		if bytes.Equal(o.Raw, c.Raw) {
			return true
		}
	}
	return false
}

// ContainsKey reports whether the set holds a certificate with c's subject
// and public key: the same trust anchor, possibly re-issued.
func (s *CertSet) ContainsKey(c *x509.Certificate) bool {
	if s == nil {
		return false
	}
	for _, o := range s.bySubject[string(c.RawSubject)] {
		if bytes.Equal(o.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

// issuers returns the certificates whose subject is c's issuer.
func (s *CertSet) issuers(c *x509.Certificate) []*x509.Certificate {
	if s == nil {
		return nil
	}
	return s.bySubject[string(c.RawIssuer)]
}

// All returns every certificate in the set, in no particular order.
func (s *CertSet) All() []*x509.Certificate {
	if s == nil {
		return nil
	}
	out := make([]*x509.Certificate, 0, s.n)
	for _, cs := range s.bySubject {
		out = append(out, cs...)
	}
	return out
}

// Builder builds chains from presented certificates, the client store, AIA
// and --issuers, and chooses the best: anchored and valid by the rules of
// [Validator] if any path is.
type Builder struct {
	// Store holds the client's trusted roots.
	Store *CertSet
	// Extra holds further anchors clients trust (the roots of lync targets).
	Extra *CertSet
	// Intermediates holds the client store's intermediates (a GPO's CA
	// store): clients have them, so the builder may use them.
	Intermediates *CertSet
	// Issuers holds CA certificates given with --issuers: they may complete
	// a path, but clients do not have them and they are never anchors.
	Issuers *CertSet
	// Known holds roots seen elsewhere in the scan (the lync targets' roots
	// under --no-lync-assumption): they may complete a path, as the top of
	// it, but are not anchors.
	Known *CertSet
	// Disallowed holds certificates clients refuse; paths through them are
	// invalid, so others are preferred.
	Disallowed *CertSet
	// AIA fetches missing issuers; nil disables AIA.
	AIA IssuerFetcher
	// Now is the instant paths are judged at; zero means time.Now().
	Now time.Time
	// AIAMaxFetches and AIABudget bound the AIA work for one chain; zero
	// means the package's AIAMaxFetches and AIABudget.
	AIAMaxFetches int
	AIABudget     time.Duration
}

// IssuerFetcher returns the certificates an AIA caIssuers URL serves.
// network.AIA is the one trustgap uses.
type IssuerFetcher interface {
	Issuers(ctx context.Context, url string) ([]*x509.Certificate, error)
}

type buildState struct {
	b         *Builder
	v         *Validator
	ctx       context.Context
	aiaCtx    context.Context // ctx bounded by the AIA budget
	fetches   int
	presented *CertSet
	aia       *CertSet
	checks    int
	paths     []Path
	aiaErr    error
	fetched   map[string]bool
	// tried holds the AIA outcomes per certificate (by DER).
	tried map[string][]AIAAttempt
}

// Build builds the best chain from leaf. Paths are ranked: anchored and
// valid, then complete (ending at a self-signed root) and valid, then
// anchored, then complete, then the longest incomplete one; fewer errors,
// fewer certificates from AIA or --issuers, and shorter chains win ties.
// presented may hold the leaf, extras and duplicates in any order, and any
// number of them: the search is bounded in depth, signature checks and
// paths, not in the certificates it may look at.
func (b *Builder) Build(ctx context.Context, leaf *x509.Certificate, presented []*x509.Certificate) Path {
	st := &buildState{
		b: b, v: &Validator{Now: b.Now, Disallowed: b.Disallowed}, ctx: ctx,
		presented: NewCertSet(presented...), aia: &CertSet{},
		fetched: map[string]bool{}, tried: map[string][]AIAAttempt{},
	}
	var cancel context.CancelFunc
	st.aiaCtx, cancel = context.WithTimeout(ctx, cmp.Or(b.AIABudget, AIABudget))
	defer cancel()
	st.walk([]Link{{Cert: leaf, Source: FromServer}})
	best := st.paths[0]
	for _, p := range st.paths[1:] {
		if better(p, best) {
			best = p
		}
	}
	best.AIAErr = st.aiaErr
	best.StaleSent = st.staleSent(best)
	if !best.Complete {
		best.AIATried = st.tried[string(best.Last().Cert.Raw)]
		best.AIAOff = b.AIA == nil
	}
	return best
}

// anchor reports whether c itself is a trust anchor.
func (st *buildState) anchor(c *x509.Certificate) bool {
	return st.b.Store.Contains(c) || st.b.Extra.Contains(c)
}

func rank(p Path) int {
	valid := p.Valid()
	switch {
	case p.Anchored && valid:
		return 5
	case p.Complete && valid:
		return 4
	case p.Anchored:
		return 3
	case p.Complete:
		return 2
	}
	return 0
}

// fetchedCount counts the certificates clients may not have: from AIA, and
// (weighing more) from --issuers.
func fetchedCount(p Path) int {
	n := 0
	for _, l := range p.Links {
		switch l.Source {
		case FromAIA:
			n++
		case FromIssuers:
			n += 2
		}
	}
	return n
}

func better(a, b Path) bool {
	if rank(a) != rank(b) {
		return rank(a) > rank(b)
	}
	if rank(a) == 0 && len(a.Links) != len(b.Links) {
		return len(a.Links) > len(b.Links) // got further
	}
	if ea, eb := errorCount(a.Problems), errorCount(b.Problems); ea != eb {
		return ea < eb
	}
	if fetchedCount(a) != fetchedCount(b) {
		return fetchedCount(a) < fetchedCount(b)
	}
	return len(a.Links) < len(b.Links)
}

func (st *buildState) record(links []Link, complete, anchored bool) {
	p := Path{Links: append([]Link(nil), links...), Complete: complete, Anchored: anchored}
	p.Problems = st.v.Check(&p)
	st.paths = append(st.paths, p)
}

// good reports whether a path found so far is anchored, valid and uses
// nothing clients may lack: no better one is needed.
func (st *buildState) good() bool {
	for _, p := range st.paths {
		if p.Anchored && p.Valid() && fetchedCount(p) == 0 {
			return true
		}
	}
	return false
}

// goodAny reports whether a path found so far is anchored and valid.
func (st *buildState) goodAny() bool {
	for _, p := range st.paths {
		if p.Anchored && p.Valid() {
			return true
		}
	}
	return false
}

func (st *buildState) limited() bool {
	return len(st.paths) >= maxPaths || st.checks >= maxSignatureChecks
}

func (st *buildState) done() bool { return st.limited() || st.good() }

// cand is a possible issuer and where it came from.
type cand struct {
	c   *x509.Certificate
	src Source
}

func inPath(links []Link, c *x509.Certificate) bool {
	for _, l := range links {
		if bytes.Equal(l.Cert.Raw, c.Raw) || bytes.Equal(l.Cert.RawSubject, c.RawSubject) && bytes.Equal(l.Cert.RawSubjectPublicKeyInfo, c.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

// keyIDFirst puts the candidates whose subject key identifier is cur's
// authority key identifier first: with many same-named candidates (a hostile
// server may send thousands), the signature checks go to the likely ones.
func keyIDFirst(cur *x509.Certificate, cs []cand) []cand {
	if len(cur.AuthorityKeyId) == 0 || len(cs) < 2 {
		return cs
	}
	out := make([]cand, 0, len(cs))
	var rest []cand
	for _, k := range cs {
		if bytes.Equal(k.c.SubjectKeyId, cur.AuthorityKeyId) {
			out = append(out, k)
		} else {
			rest = append(rest, k)
		}
	}
	return append(out, rest...)
}

func (st *buildState) walk(links []Link) {
	cur := links[len(links)-1].Cert
	if len(links) > 1 && st.anchor(cur) {
		st.record(links, true, true)
		return
	}
	if certutil.IsSelfSigned(cur) {
		st.record(links, true, st.anchor(cur))
		return
	}
	if len(links) >= maxDepth || st.done() {
		st.record(links, false, false)
		return
	}
	seen := map[string]bool{}
	var bad []cand // issuers by name whose signature does not verify
	tried := false
	try := func(cs []cand) {
		for _, k := range keyIDFirst(cur, cs) {
			if st.done() || inPath(links, k.c) || seen[string(k.c.Raw)] {
				continue
			}
			seen[string(k.c.Raw)] = true
			st.checks++
			sig := certutil.CheckSignedBy(cur, k.c)
			if sig == certutil.SigInvalid || sig == certutil.SigUncheckable && !certutil.KeyIDsAgree(cur, k.c) {
				bad = append(bad, k)
				continue
			}
			tried = true
			next := append(links[:len(links):len(links)], Link{Cert: k.c, Source: k.src})
			next[len(next)-2].Sig = sig
			st.walk(next)
		}
	}
	group := func(s *CertSet, src Source) []cand {
		var out []cand
		for _, c := range s.issuers(cur) {
			if src == FromStore && st.presented.Contains(c) {
				// An anchor the server sent too, byte for byte, is
				// labelled as sent.
				out = append(out, cand{c, FromServer})
				continue
			}
			out = append(out, cand{c, src})
		}
		return out
	}
	// Anchors first: a path that ends in the store beats one through a
	// cross-certificate the server happened to send. Then what the server
	// sent, then the intermediates clients have.
	try(append(group(st.b.Store, FromStore), group(st.b.Extra, FromStore)...))
	try(group(st.presented, FromServer))
	try(group(st.b.Intermediates, FromStore))
	// Still no valid anchored path: what AIA serves (a renewed CA, a
	// cross-certificate), then what --issuers gives.
	if st.b.AIA != nil && !st.limited() && !st.goodAny() {
		try(st.fetchAIA(cur))
	}
	if !st.limited() && !st.goodAny() {
		try(group(st.b.Known, FromStore))
		try(group(st.b.Issuers, FromIssuers))
	}
	if !tried && len(bad) > 0 && !st.limited() {
		// Only issuers whose signature fails: follow the first, so the
		// report can say which signature is bad.
		next := append(links[:len(links):len(links)], Link{Cert: bad[0].c, Source: bad[0].src})
		next[len(next)-2].Sig = certutil.SigInvalid
		tried = true
		st.walk(next)
	}
	if !tried {
		st.record(links, false, false)
	}
}

// noteAIA keeps the first AIA failure.
func (st *buildState) noteAIA(err error) {
	if st.aiaErr == nil {
		st.aiaErr = err
	}
}

// fetchAIA fetches cur's caIssuers URLs and returns the certificates named
// as cur's issuer, recording what each URL gave.
func (st *buildState) fetchAIA(cur *x509.Certificate) []cand {
	key := string(cur.Raw)
	if _, done := st.tried[key]; done {
		return nil
	}
	var out []cand
	attempts := []AIAAttempt{}
	budget, maxFetches := cmp.Or(st.b.AIABudget, AIABudget), cmp.Or(st.b.AIAMaxFetches, AIAMaxFetches)
	for i, u := range cur.IssuingCertificateURL {
		if i == aiaMaxURLs {
			attempts = append(attempts, AIAAttempt{URL: u, Outcome: fmt.Sprintf("not tried (at most %d URLs per certificate)", aiaMaxURLs)})
			continue
		}
		if st.fetched[u] {
			continue
		}
		var over error
		switch {
		case st.fetches >= maxFetches:
			over = &AIABudgetError{Reason: fmt.Sprintf("more than %d fetches for one chain", maxFetches)}
		case st.aiaCtx.Err() != nil && st.ctx.Err() == nil:
			over = &AIABudgetError{Reason: fmt.Sprintf("AIA took more than %s for one chain", budget)}
		}
		if over != nil {
			st.noteAIA(over)
			attempts = append(attempts, AIAAttempt{URL: u, Outcome: "not tried: " + finding.Text(over)})
			continue
		}
		st.fetched[u] = true
		st.fetches++
		certs, err := st.b.AIA.Issuers(st.aiaCtx, u)
		if err != nil {
			if st.aiaCtx.Err() != nil && st.ctx.Err() == nil {
				err = &AIABudgetError{Reason: fmt.Sprintf("AIA took more than %s for one chain (at %s)", budget, u)}
			}
			st.noteAIA(err)
			attempts = append(attempts, AIAAttempt{URL: u, Outcome: aiaOutcome(err)})
			continue
		}
		found := 0
		for _, c := range certs {
			if bytes.Equal(c.RawSubject, cur.RawIssuer) {
				found++
				if !st.aia.Contains(c) {
					st.aia.Add(c)
				}
				out = append(out, cand{c, FromAIA})
			}
		}
		outcome := "no certificate there is named as its issuer"
		if found > 0 {
			outcome = fmt.Sprintf("served %d certificate(s) named as its issuer", found)
		}
		attempts = append(attempts, AIAAttempt{URL: u, Outcome: outcome})
	}
	st.tried[key] = attempts
	return out
}

// aiaOutcome is an AIA error without the URL it names already.
func aiaOutcome(err error) string {
	var u interface{ Unwrap() error }
	if errors.As(err, &u) && u.Unwrap() != nil {
		return finding.Text(u.Unwrap())
	}
	return finding.Text(err)
}

// staleSent finds the presented certificates that are expired copies of a
// CA certificate the path took from elsewhere.
func (st *buildState) staleSent(p Path) []StaleCopy {
	now := st.v.now()
	var out []StaleCopy
	for i, l := range p.Links {
		if i == 0 || l.Source == FromServer {
			continue
		}
		for _, c := range st.presented.bySubject[string(l.Cert.RawSubject)] {
			if !bytes.Equal(c.Raw, l.Cert.Raw) && bytes.Equal(c.RawSubjectPublicKeyInfo, l.Cert.RawSubjectPublicKeyInfo) && now.After(c.NotAfter) {
				out = append(out, StaleCopy{Index: i, Sent: c})
				break
			}
		}
	}
	return out
}

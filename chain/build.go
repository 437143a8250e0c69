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
	"fmt"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
)

// Source says where a certificate of a built chain came from.
type Source string

// The certificate sources.
const (
	FromServer Source = "server" // presented in the TLS handshake
	FromAIA    Source = "aia"    // fetched from an AIA caIssuers URL
	FromStore  Source = "store"  // from the client root store, or a lync target's root
)

// Link is one certificate of a built chain.
type Link struct {
	Cert   *x509.Certificate
	Source Source
}

// Path is a chain built from a leaf towards a root.
type Path struct {
	Links []Link // Links[0] is the leaf
	// Complete is true when the last certificate is self-signed or a trust
	// anchor; otherwise no issuer of it was found.
	Complete bool
	// Anchored is true when the last certificate is a trust anchor (in the
	// client store or among the trusted extras).
	Anchored bool
	// AIAErr is the first AIA failure met while building, if any.
	AIAErr error
}

// Last returns the last certificate of the path.
func (p *Path) Last() Link { return p.Links[len(p.Links)-1] }

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

// Builder builds chains from presented certificates, AIA and trust anchors.
type Builder struct {
	// Store holds the client's trusted roots.
	Store *CertSet
	// Extra holds further anchors clients trust (the roots of lync targets).
	Extra *CertSet
	// AIA fetches missing issuers; nil disables AIA.
	AIA IssuerFetcher
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
	ctx       context.Context
	aiaCtx    context.Context // ctx bounded by the AIA budget
	fetches   int
	presented *CertSet
	aia       *CertSet
	checks    int
	paths     []Path
	aiaErr    error
	fetched   map[string]bool
}

// Build builds the best chain from leaf: one that ends at a trust anchor if
// any does, else one that ends at a self-signed root, else the longest it
// could build; fewer AIA fetches and shorter chains win ties. presented may
// hold the leaf, extras and duplicates in any order. The search is bounded in
// depth, signature checks and paths.
func (b *Builder) Build(ctx context.Context, leaf *x509.Certificate, presented []*x509.Certificate) Path {
	st := &buildState{b: b, ctx: ctx, presented: NewCertSet(presented...), aia: &CertSet{}, fetched: map[string]bool{}}
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
	return best
}

func (st *buildState) anchor(c *x509.Certificate) bool {
	return st.b.Store.ContainsKey(c) || st.b.Extra.ContainsKey(c)
}

func rank(p Path) int {
	switch {
	case p.Anchored:
		return 2
	case p.Complete:
		return 1
	}
	return 0
}

func aiaCount(p Path) int {
	n := 0
	for _, l := range p.Links {
		if l.Source == FromAIA {
			n++
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
	if aiaCount(a) != aiaCount(b) {
		return aiaCount(a) < aiaCount(b)
	}
	return len(a.Links) < len(b.Links)
}

func (st *buildState) record(links []Link, complete, anchored bool) {
	st.paths = append(st.paths, Path{Links: append([]Link(nil), links...), Complete: complete, Anchored: anchored})
}

func (st *buildState) done() bool {
	if len(st.paths) >= maxPaths || st.checks >= maxSignatureChecks {
		return true
	}
	for _, p := range st.paths {
		if p.Anchored && aiaCount(p) == 0 {
			return true
		}
	}
	return false
}

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
	var cands []cand
	// Anchors first: a path that ends in the store beats one through a
	// cross-certificate the server happened to send.
	for _, c := range st.b.Store.issuers(cur) {
		cands = append(cands, cand{c, FromStore})
	}
	for _, c := range st.b.Extra.issuers(cur) {
		cands = append(cands, cand{c, FromStore})
	}
	for _, c := range st.presented.issuers(cur) {
		cands = append(cands, cand{c, FromServer})
	}
	for _, c := range st.aia.issuers(cur) {
		cands = append(cands, cand{c, FromAIA})
	}
	tried := false
	try := func(cs []cand) {
		for _, k := range cs {
			if st.done() || inPath(links, k.c) {
				continue
			}
			st.checks++
			if !certutil.SignedBy(cur, k.c) {
				continue
			}
			tried = true
			st.walk(append(links, Link{Cert: k.c, Source: k.src}))
		}
	}
	try(cands)
	if !tried && st.b.AIA != nil && !st.done() {
		try(st.fetchAIA(cur))
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

// fetchAIA fetches cur's caIssuers URLs and returns the new candidates.
func (st *buildState) fetchAIA(cur *x509.Certificate) []cand {
	var out []cand
	budget, maxFetches := cmp.Or(st.b.AIABudget, AIABudget), cmp.Or(st.b.AIAMaxFetches, AIAMaxFetches)
	for i, u := range cur.IssuingCertificateURL {
		if i == aiaMaxURLs || st.fetched[u] {
			break
		}
		if st.fetches >= maxFetches {
			st.noteAIA(&AIABudgetError{Reason: fmt.Sprintf("more than %d fetches for one chain", maxFetches)})
			break
		}
		if st.aiaCtx.Err() != nil && st.ctx.Err() == nil {
			st.noteAIA(&AIABudgetError{Reason: fmt.Sprintf("AIA took more than %s for one chain", budget)})
			break
		}
		st.fetched[u] = true
		st.fetches++
		certs, err := st.b.AIA.Issuers(st.aiaCtx, u)
		if err != nil {
			if st.aiaCtx.Err() != nil && st.ctx.Err() == nil {
				err = &AIABudgetError{Reason: fmt.Sprintf("AIA took more than %s for one chain (at %s)", budget, u)}
			}
			st.noteAIA(err)
			continue
		}
		for _, c := range certs {
			if bytes.Equal(c.RawSubject, cur.RawIssuer) && !st.aia.Contains(c) {
				st.aia.Add(c)
				out = append(out, cand{c, FromAIA})
			}
		}
	}
	return out
}

// Package report is the report model and its renderers. The model (a
// [Target] per scanned target, with its chain as [Cert]s, its [Root] and
// findings, and a [Summary]) is what trustgap writes as JSON and reads back
// with [Read]: the bundle is planned from it, so a saved report becomes a
// bundle offline. The renderers turn results, root store audits and
// discoveries into text (ANSI colour only when asked), JSON and JSONL.
//
// Data flows into report, never out of it into the packages that produce
// results: it may import chain, rootstore and discover for their result
// types, but not network, scanner, remediate or cmd.
package report

import (
	"crypto/x509"
	"sort"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// Source says where a certificate of a reported chain came from: the JSON
// values of chain.Source.
type Source string

// The certificate sources of a report.
const (
	SourceServer Source = "server" // presented in the TLS handshake
	SourceAIA    Source = "aia"    // fetched from an AIA caIssuers URL
	SourceStore  Source = "store"  // from the client root store, or a lync target's root
)

// Cert is a certificate as reports show it.
type Cert struct {
	certutil.Identity
	SelfSigned bool   `json:"self_signed"`
	CA         bool   `json:"ca"`
	Source     Source `json:"source"`
	// DER is the certificate itself, so a saved report can be turned into a
	// bundle offline (trustgap bundle --from).
	DER []byte `json:"der"`
}

// Root is the root of a built chain.
type Root struct {
	Cert
	InStore bool `json:"in_store"`
	// Public is set when a public root list was loaded (--roots mozilla):
	// whether the root is in Mozilla's root program.
	Public *bool `json:"public,omitempty"`
}

// Target is one target's entry in a JSON report.
type Target struct {
	Role     target.Role       `json:"role"`
	Target   string            `json:"target"`
	Host     string            `json:"host"`
	Port     int               `json:"port"`
	Address  string            `json:"address"`
	Chain    []Cert            `json:"chain"`
	Root     *Root             `json:"root"`
	Trusted  bool              `json:"trusted"`
	Findings []finding.Finding `json:"findings"`
}

// NewCert describes c.
func NewCert(c *x509.Certificate, src chain.Source) Cert {
	return Cert{
		Identity:   certutil.IdentityOf(c),
		SelfSigned: certutil.IsSelfSigned(c),
		CA:         c.IsCA,
		Source:     Source(src),
		DER:        c.Raw,
	}
}

// FromResult converts r to its report shape. public, when non-nil, says
// whether a root is in a public root program.
func FromResult(r *chain.Result, public func(*x509.Certificate) *bool) Target {
	tr := Target{
		Role: r.Target.Role, Target: r.Target.Raw, Host: r.Target.Host, Port: r.Target.Port,
		Address: r.Addr, Chain: []Cert{}, Trusted: r.Trusted, Findings: r.Findings,
	}
	if tr.Findings == nil {
		tr.Findings = []finding.Finding{}
	}
	if r.Path != nil {
		for _, l := range r.Path.Links {
			tr.Chain = append(tr.Chain, NewCert(l.Cert, l.Source))
		}
	}
	if root := r.Root(); root != nil {
		tr.Root = &Root{Cert: NewCert(root.Cert, root.Source), InStore: r.InStore}
		if public != nil {
			tr.Root.Public = public(root.Cert)
		}
	}
	return tr
}

// Summary totals a scan.
type Summary struct {
	Targets     int            `json:"targets"`
	Trusted     int            `json:"trusted"`
	Untrusted   int            `json:"untrusted"`
	Unreachable int            `json:"unreachable"`
	Failed      int            `json:"failed"` // targets with an error-severity finding
	Errors      int            `json:"errors"`
	Warnings    int            `json:"warnings"`
	Info        int            `json:"info"`
	Codes       map[string]int `json:"codes"`
	Roots       []RootCount    `json:"roots"`
	// Interrupted is set when the run was stopped (Ctrl-C, SIGTERM) before
	// every target was scanned; NotScanned counts the targets left out of
	// the report. Both are omitted from a complete run's JSON.
	Interrupted bool `json:"interrupted,omitempty"`
	NotScanned  int  `json:"not_scanned,omitempty"`

	roots map[string]*RootCount
}

// RootCount is one distinct root and how many targets chain to it.
type RootCount struct {
	Subject string `json:"subject"`
	SHA1    string `json:"sha1"`
	InStore bool   `json:"in_store"`
	Trusted bool   `json:"trusted"`
	Targets int    `json:"targets"`
}

// Add counts r.
func (s *Summary) Add(r *chain.Result) {
	if s.Codes == nil {
		s.Codes = map[string]int{}
		s.roots = map[string]*RootCount{}
	}
	s.Targets++
	switch {
	case r.Err != nil:
		s.Unreachable++
	case r.Trusted:
		s.Trusted++
	default:
		s.Untrusted++
	}
	if r.Failed() {
		s.Failed++
	}
	for _, f := range r.Findings {
		s.Codes[f.Code]++
		switch f.Severity {
		case finding.SevError:
			s.Errors++
		case finding.SevWarning:
			s.Warnings++
		default:
			s.Info++
		}
	}
	if root := r.Root(); root != nil {
		k := certutil.Thumbprint(root.Cert)
		rc := s.roots[k]
		if rc == nil {
			rc = &RootCount{Subject: root.Cert.Subject.String(), SHA1: strings.ToLower(k), InStore: r.InStore, Trusted: r.Trusted}
			s.roots[k] = rc
		}
		rc.Targets++
	}
}

func (s *Summary) finish() {
	if s.Codes == nil {
		s.Codes = map[string]int{}
	}
	s.Roots = make([]RootCount, 0, len(s.roots))
	for _, rc := range s.roots {
		s.Roots = append(s.Roots, *rc)
	}
	sort.Slice(s.Roots, func(i, j int) bool {
		if s.Roots[i].Subject != s.Roots[j].Subject {
			return s.Roots[i].Subject < s.Roots[j].Subject
		}
		return s.Roots[i].SHA1 < s.Roots[j].SHA1
	})
}

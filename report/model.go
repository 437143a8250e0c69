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
	"crypto/tls"
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
	SourceStore  Source = "store"  // from the client store (roots, intermediates), or a lync target's root
	// SourceIssuers: given with --issuers (clients do not have it).
	SourceIssuers Source = "issuers"
)

// Cert is a certificate as reports show it.
type Cert struct {
	certutil.Identity
	SelfSigned bool   `json:"self_signed"`
	CA         bool   `json:"ca"`
	Source     Source `json:"source"`
	// Details are what an admin needs to act on it: names, key,
	// signature, serial, usages, constraints and URLs.
	certutil.Details
	// DER is the certificate itself, so a saved report can be turned into a
	// bundle offline (trustgap bundle --from).
	DER []byte `json:"der"`
	// Revocation is the certificate's revocation status (chain and
	// other_certs certificates, as checked on the chain of the address that
	// presented them; not the root entry).
	Revocation *Revocation `json:"revocation,omitempty"`
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
	Role    target.Role `json:"role"`
	Target  string      `json:"target"`
	Host    string      `json:"host"`
	Port    int         `json:"port"`
	Address string      `json:"address"`
	// RoleInferred is set when the role was not written in the target
	// line (inferred from the URL path or port 5061), or was given by
	// discovery to a Lync endpoint of a step after the one clients sign in
	// at: such a lync target's root is never assumed trusted.
	RoleInferred bool `json:"role_inferred,omitempty"`
	// Discovery says where trustgap discover --scan found the target, and
	// whether clients use it (nothing is deployed for an endpoint they do
	// not use); omitted for targets the user gave.
	Discovery *Discovery `json:"discovery,omitempty"`
	// Verdict is ok, warn, fail or unreachable: the worst of the
	// target's own and its addresses'.
	Verdict chain.Verdict `json:"verdict"`
	// TLSVersion ("TLS 1.3") and CipherSuite are what the handshake with
	// Address negotiated; empty when unknown.
	TLSVersion  string `json:"tls_version"`
	CipherSuite string `json:"cipher_suite"`
	Chain       []Cert `json:"chain"`
	Root        *Root  `json:"root"`
	Trusted     bool   `json:"trusted"`
	// RevocationChecked is set when the revocation of Chain was checked
	// (scan --revocation soft or hard): each chain certificate's
	// revocation then says what was found. Omitted when no check ran,
	// where every certificate says not-checked.
	RevocationChecked bool `json:"revocation_checked,omitempty"`
	// Presented is the chain as the server sent it, in its order.
	Presented []Presented `json:"presented"`
	// Protocols is which TLS versions the server accepts (scan
	// --protocols only).
	Protocols []Protocol `json:"protocols,omitempty"`
	// Addresses has one entry per address the name resolved to (sorted,
	// at most 8); empty when it did not resolve.
	Addresses []Address         `json:"addresses"`
	Findings  []finding.Finding `json:"findings"`
	// OtherCerts are the certificates of the addresses' chains that Chain
	// does not hold (when the servers behind the name differ), so that
	// every SHA-1 of an address's chain can be looked up, each with its
	// revocation status.
	OtherCerts []Cert `json:"other_certs,omitempty"`
	// Index is the target's position in the scanned list (from 0), in the
	// reports of a sharded scan (scan --shard) only: [Merge] puts shards
	// back in the list's order with it.
	Index *int `json:"index,omitempty"`
}

// Discovery is where discovery found a target (target.Discovery).
type Discovery struct {
	// Step is the lookup that found it: "Autodiscover step 2", "Lync
	// step 5".
	Step string `json:"step"`
	// Used is whether clients use the endpoint: it answers at the step
	// where discovery says clients find Autodiscover or sign in to Lync.
	Used bool `json:"used"`
}

// Presented is one certificate as the server sent it.
type Presented struct {
	SHA1    string `json:"sha1"`
	Subject string `json:"subject"`
	// Used is whether the built chain uses it.
	Used bool `json:"used"`
}

// Protocol is whether a server accepts one TLS version.
type Protocol struct {
	Version string `json:"version"` // "TLS 1.0" ... "TLS 1.3"
	// Accepted is null when the probe could not tell (Error says why).
	Accepted *bool  `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

// Address is what one server behind a name presented, judged on its own.
type Address struct {
	Address     string        `json:"address"`
	Verdict     chain.Verdict `json:"verdict"`
	TLSVersion  string        `json:"tls_version"`
	CipherSuite string        `json:"cipher_suite"`
	// Chain is the built chain's SHA-1s, leaf first; empty when none.
	Chain []string `json:"chain"`
	// Trusted is this address's chain judged on its own (see
	// [Target.Trusted]).
	Trusted   bool              `json:"trusted"`
	Protocols []Protocol        `json:"protocols,omitempty"`
	Findings  []finding.Finding `json:"findings"`
}

// NewCert describes c.
func NewCert(c *x509.Certificate, src chain.Source) Cert {
	return Cert{
		Identity:   certutil.IdentityOf(c),
		SelfSigned: certutil.IsSelfSigned(c),
		CA:         c.IsCA,
		Source:     Source(src),
		Details:    certutil.DetailsOf(c),
		DER:        c.Raw,
	}
}

// versionName is a TLS version's name, "" for none.
func versionName(v uint16) string {
	if v == 0 {
		return ""
	}
	return tls.VersionName(v)
}

// suiteName is a cipher suite's name, "" for none.
func suiteName(id uint16) string {
	if id == 0 {
		return ""
	}
	return tls.CipherSuiteName(id)
}

func protocolsOf(ps []chain.Protocol) []Protocol {
	var out []Protocol
	for _, p := range ps {
		rp := Protocol{Version: versionName(p.Version)}
		if p.Err != nil {
			rp.Error = finding.Text(p.Err)
		} else {
			ok := p.Accepted
			rp.Accepted = &ok
		}
		out = append(out, rp)
	}
	return out
}

func findingsOf(fs []finding.Finding) []finding.Finding {
	if fs == nil {
		return []finding.Finding{}
	}
	return fs
}

// FromResult converts r to its report shape. public, when non-nil, says
// whether a root is in a public root program.
func FromResult(r *chain.Result, public func(*x509.Certificate) *bool) Target {
	tr := Target{
		Role: r.Target.Role, RoleInferred: r.Target.RoleInferred, Target: r.Target.Raw, Host: r.Target.Host, Port: r.Target.Port,
		Address: r.Addr, Verdict: r.Verdict(), TLSVersion: versionName(r.TLSVersion), CipherSuite: suiteName(r.CipherSuite),
		Chain: []Cert{}, Trusted: r.Trusted, Presented: []Presented{}, Protocols: protocolsOf(r.Protocols),
		Addresses: []Address{}, Findings: findingsOf(r.Findings),
	}
	if d := r.Target.Discovery; d != nil {
		tr.Discovery = &Discovery{Step: d.Step, Used: d.Used}
	}
	if r.Path != nil {
		for _, l := range r.Path.Links {
			c := NewCert(l.Cert, l.Source)
			c.Revocation = NewRevocation(l.Revocation)
			tr.Chain = append(tr.Chain, c)
			if l.Revocation != nil {
				tr.RevocationChecked = true
			}
		}
	}
	seen := map[string]bool{}
	for _, c := range tr.Chain {
		seen[c.SHA1] = true
	}
	used := r.Used()
	for i, c := range r.Presented {
		tr.Presented = append(tr.Presented, Presented{SHA1: certutil.SHA1Hex(c), Subject: certutil.Subject(c), Used: used[i]})
	}
	for _, a := range r.Addresses {
		ra := Address{Address: a.Addr, Verdict: a.Verdict(), TLSVersion: versionName(a.TLSVersion), CipherSuite: suiteName(a.CipherSuite),
			Chain: []string{}, Trusted: a.Trusted, Protocols: protocolsOf(a.Protocols), Findings: findingsOf(a.Findings)}
		if a.Path != nil {
			for _, l := range a.Path.Links {
				sha1 := certutil.SHA1Hex(l.Cert)
				ra.Chain = append(ra.Chain, sha1)
				if !seen[sha1] {
					seen[sha1] = true
					c := NewCert(l.Cert, l.Source)
					c.Revocation = NewRevocation(l.Revocation)
					tr.OtherCerts = append(tr.OtherCerts, c)
				}
			}
		}
		tr.Addresses = append(tr.Addresses, ra)
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
	Targets int `json:"targets"`
	// Verdicts counts the targets by verdict.
	Verdicts    Verdicts       `json:"verdicts"`
	Trusted     int            `json:"trusted"`
	Untrusted   int            `json:"untrusted"`
	Unreachable int            `json:"unreachable"`
	Failed      int            `json:"failed"` // targets with an error-severity finding
	Errors      int            `json:"errors"`
	Warnings    int            `json:"warnings"`
	Info        int            `json:"info"`
	Codes       map[string]int `json:"codes"`
	Roots       []RootCount    `json:"roots"`
	// Republish lists the CRLs met that have expired or expire within 48
	// hours, by URL; omitted when there are none.
	Republish []StaleCRL `json:"crls_to_republish,omitempty"`
	// Interrupted is set when the run was stopped (Ctrl-C, SIGTERM) before
	// every target was scanned; NotScanned counts the targets left out of
	// the report. Both are omitted from a complete run's JSON.
	Interrupted bool `json:"interrupted,omitempty"`
	NotScanned  int  `json:"not_scanned,omitempty"`

	roots map[string]*RootCount
	stale map[string]StaleCRL
}

// Verdicts counts targets by verdict.
type Verdicts struct {
	OK          int `json:"ok"`
	Warn        int `json:"warn"`
	Fail        int `json:"fail"`
	Unreachable int `json:"unreachable"`
}

// RootCount is one distinct root and how many targets chain to it.
type RootCount struct {
	Subject string `json:"subject"`
	SHA1    string `json:"sha1"`
	InStore bool   `json:"in_store"`
	// Trusted: clients trust the root itself (in the store, or a lync
	// target's root under the Lync assumption), whatever the chains below it.
	Trusted bool `json:"trusted"`
	Targets int  `json:"targets"`
}

// Add counts r, as [Summary.AddTarget] counts its report shape, and
// records the CRLs to republish met on its path.
func (s *Summary) Add(r *chain.Result) {
	tr := FromResult(r, nil)
	s.AddTarget(&tr)
	s.addStale(r)
}

// AddTarget counts tr. Every total comes from the report model, so a saved
// report totals as the scan that wrote it did. The CRLs to republish are
// not in the model's targets: a live scan records them from its results
// ([Summary.Add]), a saved report carries them in its summary ([Render]).
func (s *Summary) AddTarget(tr *Target) {
	if s.Codes == nil {
		s.Codes = map[string]int{}
	}
	if s.roots == nil {
		s.roots = map[string]*RootCount{}
	}
	s.Targets++
	switch tr.Verdict {
	case chain.VerdictOK:
		s.Verdicts.OK++
	case chain.VerdictWarn:
		s.Verdicts.Warn++
	case chain.VerdictFail:
		s.Verdicts.Fail++
	default:
		s.Verdicts.Unreachable++
	}
	switch {
	case !tr.Reached():
		s.Unreachable++
	case tr.Trusted:
		s.Trusted++
	default:
		s.Untrusted++
	}
	if finding.HasError(tr.Findings) {
		s.Failed++
	}
	for _, f := range tr.Findings {
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
	if root := tr.Root; root != nil {
		k := strings.ToLower(root.SHA1)
		rc := s.roots[k]
		if rc == nil {
			rc = &RootCount{Subject: root.Subject, SHA1: k, InStore: root.InStore, Trusted: root.InStore || tr.LyncRoot()}
			s.roots[k] = rc
		}
		rc.Targets++
	}
}

// Reached reports whether a server of the target answered: a TLS
// handshake completed, or a chain was built. A target no address of which
// answered has neither (its findings say why).
func (t *Target) Reached() bool { return t.TLSVersion != "" || len(t.Chain) > 0 }

// LyncRoot reports whether the target's root counts as trusted only
// because it is a lync target's root (the lync-root-assumed finding).
func (t *Target) LyncRoot() bool { return hasCode(t.Findings, finding.CodeLyncRootAssumed) }

func hasCode(fs []finding.Finding, code string) bool {
	for _, f := range fs {
		if f.Code == code {
			return true
		}
	}
	return false
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
	s.finishStale()
}

package report

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// Saved is one saved scan report, whole: what [MergeReports] takes.
type Saved struct {
	// Name is where it was read from (a file name, "stdin").
	Name string
	// Store and Summary are the document's; nil for a jsonl report.
	Store   *Store
	Summary *Summary
	Targets []*Target
}

// MaxMergeTargets bounds the targets [ReadSaved] holds in memory (every
// report merged is held whole: about 10 KiB per target).
const MaxMergeTargets = 1_000_000

// ReadSaved reads a saved scan report (as [Read] does, within its limits)
// and holds it whole, with its store and summary.
func ReadSaved(r io.Reader, name string) (*Saved, error) {
	s := &Saved{Name: name}
	var meta savedMeta
	err := read(r, name, func(t *Target) error {
		if len(s.Targets) == MaxMergeTargets {
			return fmt.Errorf("%s: more than %d targets: split the report", name, MaxMergeTargets)
		}
		s.Targets = append(s.Targets, t)
		return nil
	}, &meta)
	if err != nil {
		return nil, err
	}
	s.Store, s.Summary = meta.store, meta.summary
	return s, nil
}

// Merged is several saved reports made one, as one scan of every target
// would have written it.
type Merged struct {
	Store   *Store // nil when no report had one (jsonl)
	Targets []*Target
	Summary Summary
}

// MergeError is a set of reports that cannot be merged.
type MergeError struct {
	Name string // the report that does not fit the ones before
	Why  string
}

func (e *MergeError) Error() string { return "report: cannot merge " + e.Name + ": " + e.Why }

// MergeReports makes one report of several (the shards of a scan, or
// scans of parts of an estate), as one scan of all their targets would
// have written it:
//
//   - targets are de-duplicated (same role, host and port: the first
//     report's is kept) and put in the scanned list's order: by their
//     "index" when every target has one (every report is a shard, scan
//     --shard), else in the order of the reports and of their targets;
//   - the Lync comparison is redone across every report: the roots of all
//     lync targets count for every target (lync-root-assumed, which also
//     makes trusted a chain whose root was untrusted only for want of the
//     lync target that trusts it, and different-ca, which names them all),
//     as the scans did it (with or without --no-lync-assumption);
//   - the summary is recomputed from the targets (the CRLs to republish
//     and an interruption are taken from the reports' summaries; a jsonl
//     report has none).
//
// Reports judged against different client stores, or with and without
// --no-lync-assumption, are a [*MergeError]: their verdicts do not add up.
// The merged targets carry no index.
func MergeReports(reports []*Saved) (*Merged, error) {
	m := &Merged{}
	var storeFrom string
	var storeJSON []byte
	for _, r := range reports {
		if r.Store == nil {
			continue
		}
		b, err := json.Marshal(r.Store)
		if err != nil {
			return nil, err
		}
		if m.Store == nil {
			m.Store, storeFrom, storeJSON = r.Store, r.Name, b
		} else if !bytes.Equal(b, storeJSON) {
			return nil, &MergeError{Name: r.Name, Why: fmt.Sprintf("it was judged against another client store than %s (%s, against %s): merge reports judged against one store",
				storeFrom, strings.TrimPrefix(r.Store.Line(), "client store: "), strings.TrimPrefix(m.Store.Line(), "client store: "))}
		}
	}

	// Order, then de-duplicate.
	type entry struct {
		t   *Target
		seq int
	}
	var all []entry
	indexed := true
	for _, r := range reports {
		for _, t := range r.Targets {
			all = append(all, entry{t, len(all)})
			indexed = indexed && t.Index != nil
		}
	}
	if indexed {
		sort.SliceStable(all, func(i, j int) bool { return *all[i].t.Index < *all[j].t.Index })
	}
	seen := map[string]bool{}
	for _, e := range all {
		k := string(e.t.Role) + " " + strings.ToLower(e.t.Host) + " " + fmt.Sprint(e.t.Port)
		if seen[k] {
			continue
		}
		seen[k] = true
		t := *e.t
		t.Index = nil
		m.Targets = append(m.Targets, &t)
	}

	if err := relync(reports, m.Targets); err != nil {
		return nil, err
	}

	for _, t := range m.Targets {
		m.Summary.addTarget(t)
	}
	m.Summary.finish()
	stale := map[string]StaleCRL{}
	for _, r := range reports {
		if r.Summary == nil {
			continue
		}
		for _, c := range r.Summary.Republish {
			stale[c.URL] = c
		}
		if r.Summary.Interrupted {
			m.Summary.Interrupted = true
			m.Summary.NotScanned += r.Summary.NotScanned
		}
	}
	for _, c := range stale {
		m.Summary.Republish = append(m.Summary.Republish, c)
	}
	sort.Slice(m.Summary.Republish, func(i, j int) bool { return m.Summary.Republish[i].URL < m.Summary.Republish[j].URL })
	return m, nil
}

// addTarget counts a target of a saved report, as [Summary.Add] counts
// the result it was made from.
func (s *Summary) addTarget(t *Target) {
	if s.Codes == nil {
		s.Codes = map[string]int{}
		s.roots = map[string]*RootCount{}
	}
	s.Targets++
	switch t.Verdict {
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
	case t.Address == "": // no address answered (chain.Combine)
		s.Unreachable++
	case t.Trusted:
		s.Trusted++
	default:
		s.Untrusted++
	}
	if finding.HasError(t.Findings) {
		s.Failed++
	}
	for _, f := range t.Findings {
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
	if root := t.Root; root != nil {
		k := strings.ToUpper(root.SHA1)
		rc := s.roots[k]
		if rc == nil {
			rc = &RootCount{Subject: root.Subject, SHA1: strings.ToLower(k), InStore: root.InStore,
				Trusted: root.InStore || hasCode(t.Findings, finding.CodeLyncRootAssumed)}
			s.roots[k] = rc
		}
		rc.Targets++
	}
}

func hasCode(fs []finding.Finding, code string) bool {
	return slices.ContainsFunc(fs, func(f finding.Finding) bool { return f.Code == code })
}

// trustCodes are the findings that, with error severity, make a chain
// untrusted besides untrusted-root (chain.Judge.Apply and the scanner's
// revocation step): the path rules, an intermediate clients cannot get, and
// revocation.
var trustCodes = map[string]bool{
	finding.CodeBadSignature: true, finding.CodeWeakSignature: true, finding.CodeExpired: true, finding.CodeNotYetValid: true,
	finding.CodeIssuerNotCA: true, finding.CodeV1Intermediate: true, finding.CodePathLength: true, finding.CodeKeyUsage: true,
	finding.CodeNoServerAuth: true, finding.CodeNameConstraints: true, finding.CodeCriticalExtension: true, finding.CodeDisallowed: true,
	finding.CodeWeakKey: true, finding.CodeInvalidChain: true, finding.CodeIncomplete: true, finding.CodeExpiredCASent: true,
	finding.CodeRevoked: true, finding.CodeRevocationUnreachable: true, finding.CodeRevocationLDAPOnly: true,
	finding.CodeCRLExpired: true, finding.CodeCRLBadSignature: true, finding.CodeOCSPBadResponse: true,
}

// afterLync are the findings chain.Judge.Apply (and the revocation step)
// add after lync-root-assumed and different-ca.
var afterLync = map[string]bool{
	finding.CodeChainOrder: true, finding.CodeExtraCerts: true, finding.CodeRootPresented: true,
	finding.CodeTLS10Accepted: true, finding.CodeLegacyClients: true,
	finding.CodeRevoked: true, finding.CodeRevocationUnreachable: true, finding.CodeRevocationLDAPOnly: true,
	finding.CodeCRLExpired: true, finding.CodeCRLExpiring: true, finding.CodeCRLBadSignature: true,
	finding.CodeOCSPBadResponse: true, finding.CodeNoRevocationInfo: true,
}

// lyncView is the Lync comparison across every report: the lync targets'
// roots, and whether the scans made the Lync assumption.
type lyncView struct {
	roots  *chain.CertSet
	names  []string
	assume bool
}

// relync redoes the Lync comparison of every target with the lync roots of
// all the reports.
func relync(reports []*Saved, targets []*Target) error {
	v := lyncView{roots: &chain.CertSet{}, assume: true}
	assumeFrom := ""
	for _, r := range reports {
		for _, t := range r.Targets {
			if t.Role != target.RoleLync || t.Root == nil || len(t.Chain) < 2 {
				continue
			}
			c, err := x509.ParseCertificate(t.Root.DER)
			if err != nil {
				return fmt.Errorf("report: %s: %s: its root does not parse: %v", r.Name, t.Target, err)
			}
			v.roots.Add(c)
			if t.Root.InStore {
				continue
			}
			// A lync target's own root, not in the store, tells how it
			// was judged.
			assume := hasCode(t.Findings, finding.CodeLyncRootAssumed)
			if !assume && !hasCode(t.Findings, finding.CodeUntrustedRoot) {
				continue
			}
			if assumeFrom != "" && assume != v.assume {
				return &MergeError{Name: r.Name, Why: "it was scanned with and the others without --no-lync-assumption (or the other way round): merge reports scanned alike"}
			}
			v.assume, assumeFrom = assume, r.Name
		}
	}
	v.names = chain.LyncNames(v.roots)
	certs := map[string]*x509.Certificate{} // the reports' certificates, by SHA-1
	for _, r := range reports {
		for _, t := range r.Targets {
			for _, c := range t.Chain {
				if _, ok := certs[c.SHA1]; ok {
					continue
				}
				if x, err := x509.ParseCertificate(c.DER); err == nil && certutil.SHA1Hex(x) == c.SHA1 {
					certs[c.SHA1] = x
				}
			}
		}
	}
	for _, t := range targets {
		v.target(t, certs)
	}
	return nil
}

// target redoes t's Lync comparison, and its addresses'.
func (v *lyncView) target(t *Target, certs map[string]*x509.Certificate) {
	if t.Root == nil || len(t.Chain) == 0 {
		return
	}
	root := certs[strings.ToLower(t.Root.SHA1)]
	if root == nil {
		return
	}
	selfSigned := len(t.Chain) == 1
	changed := false
	for i := range t.Addresses {
		a := &t.Addresses[i]
		if len(a.Chain) == 0 || a.Chain[len(a.Chain)-1] != strings.ToLower(t.Root.SHA1) {
			continue // another root, whose place in the store the report does not say
		}
		if fs, _, ok := v.findings(t.Role, root, t.Root.InStore, len(a.Chain) == 1, a.Findings); ok {
			a.Findings, changed = fs, true
			a.Verdict = verdictOf(a.Verdict, fs)
		}
	}
	fs, trusted, ok := v.findings(t.Role, root, t.Root.InStore, selfSigned, t.Findings)
	if ok {
		t.Findings, t.Trusted = fs, trusted
		if hasCode(fs, finding.CodeLyncRootAssumed) {
			// A lync root is an anchor: a scan with the lync targets takes
			// it from there, not from AIA or --issuers.
			last := &t.Chain[len(t.Chain)-1]
			if last.Source == SourceAIA || last.Source == SourceIssuers {
				last.Source, t.Root.Source = SourceStore, SourceStore
			}
		}
	}
	if changed && len(t.Addresses) > 1 {
		v.inconsistent(t, certs)
	}
	if ok || changed {
		t.Verdict = verdictOf(chain.VerdictOK, t.Findings)
		for _, a := range t.Addresses {
			if rank(a.Verdict) > rank(t.Verdict) {
				t.Verdict = a.Verdict
			}
		}
		if t.Address == "" {
			t.Verdict = chain.VerdictUnreachable
		}
	}
}

// findings redoes lync-root-assumed and different-ca in fs, the findings
// of a chain (of role) ending at root. ok is false when nothing changes;
// trusted is whether the chain is trusted after the change.
func (v *lyncView) findings(role target.Role, root *x509.Certificate, inStore, selfSigned bool, fs []finding.Finding) (out []finding.Finding, trusted, ok bool) {
	lyncRoot := !inStore && !selfSigned && v.assume && v.roots.Contains(root)
	was := hasCode(fs, finding.CodeLyncRootAssumed)
	out = make([]finding.Finding, 0, len(fs)+1)
	for _, f := range fs {
		switch {
		case f.Code == finding.CodeDifferentCA,
			f.Code == finding.CodeLyncRootAssumed,
			lyncRoot && f.Code == finding.CodeUntrustedRoot:
			continue
		}
		out = append(out, f)
	}
	var add []finding.Finding
	if lyncRoot {
		add = append(add, chain.LyncRootAssumed(root))
	}
	if (role == target.RoleEWS || role == target.RoleAutodiscover) && v.roots.Len() > 0 && !inStore && !v.roots.ContainsKey(root) {
		add = append(add, chain.DifferentCA(root, v.names))
	}
	at := len(out)
	for i, f := range out {
		if afterLync[f.Code] {
			at = i
			break
		}
	}
	out = slices.Insert(out, at, add...)
	if lyncRoot == was && slices.EqualFunc(out, fs, func(a, b finding.Finding) bool { return a == b }) {
		return fs, false, false
	}
	trusted = inStore || lyncRoot
	for _, f := range out {
		if f.Severity == finding.SevError && (trustCodes[f.Code] || f.Code == finding.CodeUntrustedRoot || f.Code == finding.CodeCTLRestricted || f.Code == finding.CodeSelfSigned) {
			trusted = false
		}
	}
	return out, trusted, true
}

// inconsistent rebuilds t's inconsistent-servers finding from its
// addresses' new verdicts, when every address's leaf is known.
func (v *lyncView) inconsistent(t *Target, certs map[string]*x509.Certificate) {
	i := slices.IndexFunc(t.Findings, func(f finding.Finding) bool { return f.Code == finding.CodeInconsistentServers })
	if i < 0 {
		return
	}
	var servers []chain.Server
	failing := false
	for _, a := range t.Addresses {
		sv := chain.Server{Addr: a.Address, Verdict: a.Verdict, Findings: a.Findings}
		if len(a.Chain) == 0 {
			sv.FetchCode = "no chain"
			if len(a.Findings) > 0 {
				sv.FetchCode = a.Findings[0].Code
			}
		} else if sv.Leaf = certs[a.Chain[0]]; sv.Leaf == nil {
			return
		}
		failing = failing || a.Verdict == chain.VerdictFail || a.Verdict == chain.VerdictUnreachable
		servers = append(servers, sv)
	}
	t.Findings[i] = chain.Inconsistent(t.Host, servers, failing)
}

// verdictOf is the verdict of findings, or was when it is unreachable.
func verdictOf(was chain.Verdict, fs []finding.Finding) chain.Verdict {
	if was == chain.VerdictUnreachable {
		return was
	}
	if finding.HasError(fs) {
		return chain.VerdictFail
	}
	for _, f := range fs {
		if f.Severity == finding.SevWarning {
			return chain.VerdictWarn
		}
	}
	return chain.VerdictOK
}

func rank(v chain.Verdict) int {
	return slices.Index([]chain.Verdict{chain.VerdictOK, chain.VerdictWarn, chain.VerdictFail, chain.VerdictUnreachable}, v)
}

// WriteJSON writes m as scan --format json (lines: jsonl) writes a scan of
// the same targets: the same bytes.
func (m *Merged) WriteJSON(w io.Writer, lines bool) error {
	bw := bufio.NewWriter(w)
	if lines {
		for _, t := range m.Targets {
			b, err := json.Marshal(t)
			if err != nil {
				return err
			}
			bw.Write(b)
			bw.WriteByte('\n')
		}
		return bw.Flush()
	}
	bw.WriteString("{")
	if m.Store != nil {
		b, err := json.Marshal(m.Store)
		if err != nil {
			return err
		}
		fmt.Fprintf(bw, "\"store\":%s,\n", b)
	}
	bw.WriteString("\"targets\":[\n")
	for i, t := range m.Targets {
		if i > 0 {
			bw.WriteString(",\n")
		}
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		bw.Write(b)
	}
	b, err := json.Marshal(&m.Summary)
	if err != nil {
		return err
	}
	fmt.Fprintf(bw, "\n],\n\"summary\":%s}\n", b)
	return bw.Flush()
}

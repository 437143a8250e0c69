package report

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// MergeError is a set of reports that cannot be merged.
type MergeError struct {
	Name string // the report that does not fit the ones before
	Why  string
}

func (e *MergeError) Error() string { return "report: cannot merge " + e.Name + ": " + e.Why }

// Merge makes one report of several (the shards of a scan, or scans of
// parts of an estate), as one scan of all their targets would have
// written it:
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
//   - the summary is recomputed from the targets (the CRLs to republish,
//     an interruption and the targets not scanned are taken from the
//     reports' summaries, which [Render] keeps; a jsonl report has none).
//
// The merged document has the reports' run (without a shard's "shard")
// and store (a jsonl report has neither). Reports judged against different
// client stores, at different instants or by different trustgap versions
// (their "run"), with and without --no-lync-assumption, or shards of
// different N, are a [*MergeError]: their verdicts do not add up. Shards
// missing from the set (K values), or positions of the scanned list
// missing among the indexes of shard reports, are warnings
// ([Document.Warnings]), not errors: the result lacks their targets. The
// merged targets carry no index.
//
// One report is returned as it is (its Lync comparison is its scan's), a
// shard's without its indexes and its run's "shard".
func Merge(docs []*Document) (*Document, error) {
	if len(docs) == 0 {
		return nil, errors.New("report: nothing to merge")
	}
	warnings, err := checkShards(docs)
	if err != nil {
		return nil, err
	}
	if len(docs) == 1 {
		out := withoutIndex(docs[0])
		if len(warnings) > 0 || out.Run != nil && out.Run.Shard != "" {
			c := *out
			c.Warnings = warnings
			if c.Run != nil {
				run := *c.Run
				run.Shard = ""
				c.Run = &run
			}
			out = &c
		}
		return out, nil
	}
	out := &Document{Warnings: warnings}
	var names []string
	var storeFrom, runFrom string
	var storeJSON []byte
	for _, d := range docs {
		names = append(names, d.Name)
		if d.Run != nil {
			if out.Run == nil {
				run := *d.Run
				run.Shard = "" // the merged report is no shard
				out.Run, runFrom = &run, d.Name
			} else if d.Run.Time != out.Run.Time || d.Run.Version != out.Run.Version {
				return nil, &MergeError{Name: d.Name, Why: fmt.Sprintf("it was judged at %s by trustgap %s, %s at %s by trustgap %s: merge reports of one run (give every shard the same --now)",
					short(d.Run.Time), short(d.Run.Version), runFrom, short(out.Run.Time), short(out.Run.Version))}
			}
		}
		if d.Store == nil {
			continue
		}
		b, err := json.Marshal(d.Store)
		if err != nil {
			return nil, err
		}
		if out.Store == nil {
			out.Store, storeFrom, storeJSON = d.Store, d.Name, b
		} else if !bytes.Equal(b, storeJSON) {
			return nil, &MergeError{Name: d.Name, Why: fmt.Sprintf("it was judged against another client store than %s (%s, against %s): merge reports judged against one store",
				storeFrom, strings.TrimPrefix(d.Store.Line(), "client store: "), strings.TrimPrefix(out.Store.Line(), "client store: "))}
		}
	}
	out.Name = strings.Join(names, ", ")

	// Order, then de-duplicate.
	type entry struct {
		t   *Target
		seq int
	}
	var all []entry
	indexed := true
	for _, d := range docs {
		for _, t := range d.Targets {
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
		out.Targets = append(out.Targets, &t)
	}

	if err := relync(docs, out.Targets); err != nil {
		return nil, err
	}

	out.Summary = &Summary{}
	for _, t := range out.Targets {
		out.Summary.AddTarget(t)
	}
	for _, d := range docs {
		out.Summary.carry(d.Summary)
	}
	out.Summary.finish()
	return out, nil
}

// maxGapsShown bounds the missing positions a merge warning names.
const maxGapsShown = 10

// checkShards checks the shards among docs (reports whose run says
// "shard": "K/N"): all of one N, or a [*MergeError]. It warns when shards
// (K values) are missing, and, when every target has an index (every
// report is a shard), when positions of the scanned list are missing (an
// interrupted shard, or a missing one).
func checkShards(docs []*Document) (warnings []string, err error) {
	n, nFrom := 0, ""
	have := map[int]bool{}
	for _, d := range docs {
		if d.Run == nil || d.Run.Shard == "" {
			continue
		}
		k, dn, ok := d.Run.ShardOf()
		if !ok {
			return nil, &MergeError{Name: d.Name, Why: fmt.Sprintf("its shard %q is not K/N", short(d.Run.Shard))}
		}
		if n != 0 && dn != n {
			return nil, &MergeError{Name: d.Name, Why: fmt.Sprintf("it is shard %d/%d, %s is of %d shards: merge the shards of one scan (one --shard N)", k, dn, nFrom, n)}
		}
		n, nFrom = dn, d.Name
		have[k] = true
	}
	if n > 0 {
		// A jsonl report has no run: its targets' indexes say which shard
		// it is (shard K holds the positions i with i mod N = K).
		for _, d := range docs {
			if d.Run != nil && d.Run.Shard != "" {
				continue
			}
			for _, t := range d.Targets {
				if t.Index != nil && *t.Index >= 0 {
					have[*t.Index%n] = true
				}
			}
		}
	}
	if n > 0 && len(have) < n {
		var missing []string
		for k := 0; k < n && len(missing) < maxGapsShown; k++ {
			if !have[k] {
				missing = append(missing, fmt.Sprintf("%d/%d", k, n))
			}
		}
		more := ""
		if m := n - len(have); m > len(missing) {
			more = fmt.Sprintf(" and %d more", m-len(missing))
		}
		warnings = append(warnings, fmt.Sprintf("the reports hold %d of %d shards: shard %s%s missing, so their targets are not in the result", len(have), n, strings.Join(missing, ", "), more))
	}
	var idx []int
	for _, d := range docs {
		for _, t := range d.Targets {
			if t.Index == nil {
				return warnings, nil // not every report is a shard: no list to check
			}
			idx = append(idx, *t.Index)
		}
	}
	if len(idx) == 0 {
		return warnings, nil
	}
	slices.Sort(idx)
	idx = slices.Compact(idx)
	var gaps []string
	gapCount, ranges := 0, 0
	next := 0
	for _, i := range idx {
		if i < 0 {
			continue
		}
		if i > next {
			gapCount += i - next
			ranges++
			if len(gaps) < maxGapsShown {
				if i-next == 1 {
					gaps = append(gaps, strconv.Itoa(next))
				} else {
					gaps = append(gaps, fmt.Sprintf("%d-%d", next, i-1))
				}
			}
		}
		next = i + 1
	}
	if gapCount > 0 {
		more := ""
		if ranges > len(gaps) {
			more = " ..."
		}
		warnings = append(warnings, fmt.Sprintf("%d targets of the scanned list are missing (positions %s%s, from 0): a shard is missing or was interrupted", gapCount, strings.Join(gaps, ", "), more))
	}
	return warnings, nil
}

// short is a value read from a report as an error message shows it:
// escaped, and cut at 80 runes.
func short(s string) string {
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return safe(s)
}

// withoutIndex is doc, its targets without a shard's indexes.
func withoutIndex(doc *Document) *Document {
	if !slices.ContainsFunc(doc.Targets, func(t *Target) bool { return t.Index != nil }) {
		return doc
	}
	out := *doc
	out.Targets = make([]*Target, len(doc.Targets))
	for i, t := range doc.Targets {
		c := *t
		c.Index = nil
		out.Targets[i] = &c
	}
	return &out
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
	// roots are the roots of Lync's CA that different-ca compares with
	// and names (chain.Judge.Lync): those of asserted lync targets (not
	// role_inferred) that are neither Disallowed nor impersonating a
	// known root, whether in the store, assumed or (under
	// --no-lync-assumption) untrusted.
	roots *chain.CertSet
	// anchors are the lync roots the scans assumed trusted (the roots
	// above that are not in the store, unless --no-lync-assumption). A
	// report marks them with lync-root-assumed on a lync target.
	anchors *chain.CertSet
	names   []string
	assume  bool
}

// relync redoes the Lync comparison of every target with the lync roots of
// all the reports.
func relync(reports []*Document, targets []*Target) error {
	v := lyncView{roots: &chain.CertSet{}, anchors: &chain.CertSet{}, assume: true}
	assumeFrom := ""
	var untrusted []*x509.Certificate // asserted lync roots judged untrusted-root
	for _, r := range reports {
		for _, t := range r.Targets {
			if t.Role != target.RoleLync || t.Root == nil || len(t.Chain) < 2 {
				continue
			}
			c, err := x509.ParseCertificate(t.Root.DER)
			if err != nil {
				return fmt.Errorf("report: %s: %s: its root does not parse: %v", r.Name, short(t.Target), err)
			}
			// An inferred lync role, a Disallowed chain or an
			// impersonating root is never Lync's CA, whatever the flag.
			refused := t.RoleInferred || hasCode(t.Findings, finding.CodeDisallowed) || hasCode(t.Findings, finding.CodeImpersonatingRoot)
			if t.Root.InStore {
				if !refused {
					v.roots.Add(c)
				}
				continue
			}
			// A lync target's own root, not in the store, tells how it
			// was judged: assumed, or not because the scan made no
			// assumption.
			assume := hasCode(t.Findings, finding.CodeLyncRootAssumed)
			if assume {
				v.anchors.Add(c)
				v.roots.Add(c)
			}
			if refused {
				continue
			}
			if !assume && !hasCode(t.Findings, finding.CodeUntrustedRoot) {
				continue
			}
			if !assume {
				untrusted = append(untrusted, c)
			}
			if assumeFrom != "" && assume != v.assume {
				return &MergeError{Name: r.Name, Why: "it was scanned with and the others without --no-lync-assumption (or the other way round): merge reports scanned alike"}
			}
			v.assume, assumeFrom = assume, r.Name
		}
	}
	if !v.assume {
		// No assumption made: the asserted lync roots are Lync's CA all
		// the same. (With it, an asserted root left untrusted was refused:
		// Disallowed under another certificate with its key.)
		for _, c := range untrusted {
			v.roots.Add(c)
		}
	}
	v.names = chain.LyncNames(v.roots)
	certs := map[string]*x509.Certificate{} // the reports' certificates, by SHA-1
	for _, r := range reports {
		for _, t := range r.Targets {
			for _, c := range slices.Concat(t.Chain, t.OtherCerts) {
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

// target redoes t's Lync comparison, and its addresses'. t is a copy of a
// report's target: what it changes in t's slices and root, it copies first.
func (v *lyncView) target(t *Target, certs map[string]*x509.Certificate) {
	var root *x509.Certificate
	rootSHA1 := ""
	if t.Root != nil && len(t.Chain) > 0 {
		rootSHA1 = strings.ToLower(t.Root.SHA1)
		root = certs[rootSHA1]
	}
	changed := false
	for i := range t.Addresses {
		a := &t.Addresses[i]
		if len(a.Chain) == 0 {
			continue
		}
		ar, inStore := root, t.Root != nil && t.Root.InStore
		if last := a.Chain[len(a.Chain)-1]; last != rootSHA1 {
			// Another root (the servers behind the name differ), from
			// other_certs: a self-signed one ends a complete chain, and the
			// address's findings say whether the store holds it.
			if ar = certs[last]; ar == nil || !certutil.IsSelfSigned(ar) {
				continue
			}
			inStore = addressInStore(a.Findings, len(a.Chain) == 1)
		}
		if ar == nil {
			continue
		}
		if fs, trusted, ok := v.findings(t.Role, ar, inStore, len(a.Chain) == 1, a.Findings); ok {
			if !changed {
				t.Addresses = slices.Clone(t.Addresses)
				a = &t.Addresses[i]
			}
			a.Findings, a.Trusted, changed = fs, trusted, true
			a.Verdict = verdictOf(a.Verdict, fs)
		}
	}
	ok := false
	if root != nil {
		var fs []finding.Finding
		var trusted bool
		fs, trusted, ok = v.findings(t.Role, root, t.Root.InStore, len(t.Chain) == 1, t.Findings)
		if ok {
			t.Findings, t.Trusted = fs, trusted
			if hasCode(fs, finding.CodeLyncRootAssumed) {
				// A lync root is an anchor: a scan with the lync targets
				// takes it from there, not from AIA or --issuers.
				last := len(t.Chain) - 1
				if src := t.Chain[last].Source; src == SourceAIA || src == SourceIssuers {
					t.Chain = slices.Clone(t.Chain)
					t.Chain[last].Source = SourceStore
					r := *t.Root
					r.Source = SourceStore
					t.Root = &r
				}
			}
		}
	}
	if changed && len(t.Addresses) > 1 {
		if !ok {
			t.Findings = slices.Clone(t.Findings)
		}
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

// addressInStore tells from the findings of an address whose chain is
// complete whether the client store holds its root, as chain.Judge.Apply
// decided it: a self-signed leaf is in the store when self-signed is only
// information; any other root is, unless it was found untrusted-root or
// lync-root-assumed.
func addressInStore(fs []finding.Finding, selfSigned bool) bool {
	if selfSigned {
		return slices.ContainsFunc(fs, func(f finding.Finding) bool {
			return f.Code == finding.CodeSelfSigned && f.Severity == finding.SevInfo
		})
	}
	return !hasCode(fs, finding.CodeUntrustedRoot) && !hasCode(fs, finding.CodeLyncRootAssumed)
}

// findings redoes lync-root-assumed and different-ca in fs, the findings
// of a chain (of role) ending at root. ok is false when nothing changes;
// trusted is whether the chain is trusted after the change.
func (v *lyncView) findings(role target.Role, root *x509.Certificate, inStore, selfSigned bool, fs []finding.Finding) (out []finding.Finding, trusted, ok bool) {
	impersonating := hasCode(fs, finding.CodeImpersonatingRoot)
	lyncRoot := !inStore && !selfSigned && v.assume && !impersonating && v.anchors.Contains(root)
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
	if (role == target.RoleEWS || role == target.RoleAutodiscover) && v.roots.Len() > 0 && !inStore && !impersonating && !v.roots.ContainsKey(root) {
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

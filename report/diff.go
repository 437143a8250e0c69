package report

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
)

// The kinds of [Change].
const (
	ChangeAdded           = "added"            // a target only the new report has
	ChangeRemoved         = "removed"          // a target only the old report has
	ChangeVerdict         = "verdict"          // the verdict changed
	ChangeTrusted         = "trusted"          // trusted changed
	ChangeLeafRenewed     = "leaf-renewed"     // another leaf certificate, same key
	ChangeLeafRekeyed     = "leaf-rekeyed"     // another leaf certificate and key
	ChangeIssuer          = "issuer"           // the leaf's issuer changed
	ChangeRoot            = "root"             // another root: a change of CA
	ChangeRootReissued    = "root-reissued"    // another copy of the same root (name and key)
	ChangeFindingAdded    = "finding-added"    // a finding the old report did not have
	ChangeFindingResolved = "finding-resolved" // a finding the new report no longer has
	ChangeExpiry          = "expiry"           // the leaf's expiry moved into another bucket
	ChangeAddressAdded    = "address-added"    // a server behind the name appeared
	ChangeAddressRemoved  = "address-removed"  // a server behind the name went away
)

// ExpiryBuckets are the days before expiry that [Diff] reports a leaf
// entering, most distant first.
var ExpiryBuckets = []int{90, 30, 14, 7}

// Change is one difference between two reports for a target.
type Change struct {
	Kind string `json:"kind"`
	// Worse is set when the change makes things worse: a verdict down, a
	// new error, a change to a root clients do not trust (or with trust
	// lost), trust lost, expiry nearer.
	Worse bool `json:"worse"`
	// Address is the server the change is about, when the name has
	// several; empty for the target as a whole.
	Address string `json:"address,omitempty"`
	// Old and New are the values compared (a verdict, a SHA-1, a
	// subject, an expiry bucket), where there are such.
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
	// Code and Severity are the finding's, for finding-added and
	// finding-resolved.
	Code     string           `json:"code,omitempty"`
	Severity finding.Severity `json:"severity,omitempty"`
	Message  string           `json:"message"`
}

// TargetDiff is what changed for one target.
type TargetDiff struct {
	Role   string `json:"role"`
	Target string `json:"target"`
	// Status is added, removed, changed or unchanged.
	Status     string        `json:"status"`
	Worse      bool          `json:"worse"`
	OldVerdict chain.Verdict `json:"old_verdict,omitempty"`
	NewVerdict chain.Verdict `json:"new_verdict,omitempty"`
	Changes    []Change      `json:"changes"`
}

// DiffSide names one of the reports compared.
type DiffSide struct {
	Report  string `json:"report"`
	Time    string `json:"time"` // "" when the report does not say
	Version string `json:"version"`
	Targets int    `json:"targets"`
	// Interrupted is set when the report is of an interrupted run, whose
	// NotScanned targets it lacks (they compare as added or removed).
	Interrupted bool `json:"interrupted,omitempty"`
	NotScanned  int  `json:"not_scanned,omitempty"`
}

// DiffSummary totals a comparison.
type DiffSummary struct {
	Compared  int `json:"compared"` // targets in both reports
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Added     int `json:"added"`
	Removed   int `json:"removed"`
	Worse     int `json:"worse"` // targets with a change for the worse
}

// DiffReport is the comparison of two reports: the targets that changed,
// were added or were removed, in the new report's order (removed ones
// last, in the old one's).
type DiffReport struct {
	Old     DiffSide     `json:"old"`
	New     DiffSide     `json:"new"`
	Targets []TargetDiff `json:"targets"`
	Summary DiffSummary  `json:"summary"`
}

// Worse reports whether anything got worse.
func (d *DiffReport) Worse() bool { return d.Summary.Worse > 0 }

// Diff compares two reports, target by target (matched by the target as
// given, and the role), and for a name with several servers, address by
// address. Expiry buckets are measured from each report's run time, or
// from now when a report does not record it (jsonl).
func Diff(old, cur *Document, now time.Time) *DiffReport {
	d := &DiffReport{Old: side(old), New: side(cur)}
	oldAt, ok := old.Run.At()
	if !ok {
		oldAt = now
	}
	newAt, ok := cur.Run.At()
	if !ok {
		newAt = now
	}
	key := func(tr *Target, seen map[string]int) string {
		k := string(tr.Role) + " " + tr.Target
		seen[k]++
		if n := seen[k]; n > 1 {
			k += fmt.Sprintf(" #%d", n)
		}
		return k
	}
	olds := map[string]*Target{}
	var oldKeys []string
	seen := map[string]int{}
	for _, tr := range old.Targets {
		k := key(tr, seen)
		olds[k] = tr
		oldKeys = append(oldKeys, k)
	}
	matched := map[string]bool{}
	seen = map[string]int{}
	for _, n := range cur.Targets {
		k := key(n, seen)
		o := olds[k]
		if o == nil {
			td := TargetDiff{Role: safe(string(n.Role)), Target: safe(n.Target), Status: ChangeAdded, NewVerdict: n.Verdict}
			c := Change{Kind: ChangeAdded, New: string(n.Verdict), Worse: finding.HasError(n.Findings),
				Message: fmt.Sprintf("new target, %s", strings.ToUpper(safe(string(n.Verdict))))}
			if codes := Codes(n.Findings); len(codes) > 0 {
				c.Message += " (" + safe(strings.Join(codes, ", ")) + ")"
			}
			td.Changes = []Change{c}
			td.Worse = c.Worse
			d.add(td)
			continue
		}
		matched[k] = true
		td := compareTargets(o, n, oldAt, newAt)
		d.add(td)
	}
	for _, k := range oldKeys {
		if matched[k] {
			continue
		}
		o := olds[k]
		d.add(TargetDiff{Role: safe(string(o.Role)), Target: safe(o.Target), Status: ChangeRemoved, OldVerdict: o.Verdict,
			Changes: []Change{{Kind: ChangeRemoved, Old: string(o.Verdict), Message: fmt.Sprintf("no longer scanned (was %s)", strings.ToUpper(safe(string(o.Verdict))))}}})
	}
	if d.Targets == nil {
		d.Targets = []TargetDiff{}
	}
	return d
}

func side(doc *Document) DiffSide {
	s := DiffSide{Report: safe(doc.Name), Targets: len(doc.Targets)}
	if doc.Run != nil {
		s.Time, s.Version = safe(doc.Run.Time), safe(doc.Run.Version)
	}
	if doc.Summary != nil && doc.Summary.Interrupted {
		s.Interrupted, s.NotScanned = true, doc.Summary.NotScanned
	}
	return s
}

func (d *DiffReport) add(td TargetDiff) {
	switch td.Status {
	case ChangeAdded:
		d.Summary.Added++
	case ChangeRemoved:
		d.Summary.Removed++
	case "changed":
		d.Summary.Compared++
		d.Summary.Changed++
	default:
		d.Summary.Compared++
		d.Summary.Unchanged++
		return // unchanged targets are counted, not listed
	}
	if td.Worse {
		d.Summary.Worse++
	}
	d.Targets = append(d.Targets, td)
}

// compareTargets compares one target in two reports.
func compareTargets(o, n *Target, oldAt, newAt time.Time) TargetDiff {
	td := TargetDiff{Role: safe(string(n.Role)), Target: safe(n.Target), Status: "unchanged", OldVerdict: o.Verdict, NewVerdict: n.Verdict}
	var cs []Change
	if o.Verdict != n.Verdict {
		cs = append(cs, Change{Kind: ChangeVerdict, Old: string(o.Verdict), New: string(n.Verdict), Worse: verdictRanks[n.Verdict] > verdictRanks[o.Verdict],
			Message: fmt.Sprintf("verdict %s -> %s", strings.ToUpper(safe(string(o.Verdict))), strings.ToUpper(safe(string(n.Verdict))))})
	}
	if o.Reached() && n.Reached() && o.Trusted != n.Trusted {
		cs = append(cs, Change{Kind: ChangeTrusted, Old: yesNo(o.Trusted), New: yesNo(n.Trusted), Worse: !n.Trusted,
			Message: fmt.Sprintf("trusted: %s -> %s", yesNo(o.Trusted), yesNo(n.Trusted))})
	}
	var ol, nl *Cert
	if len(o.Chain) > 0 {
		ol = &o.Chain[0]
	}
	if len(n.Chain) > 0 {
		nl = &n.Chain[0]
	}
	cs = append(cs, leafChanges(ol, nl, "")...)
	if ol != nil && nl != nil && ol.Issuer != nl.Issuer {
		cs = append(cs, Change{Kind: ChangeIssuer, Old: safe(ol.Issuer), New: safe(nl.Issuer),
			Message: fmt.Sprintf("issuer changed: %q -> %q", safe(ol.Issuer), safe(nl.Issuer))})
	}
	var or, nr *Cert
	if o.Root != nil {
		or = &o.Root.Cert
	}
	if n.Root != nil {
		nr = &n.Root.Cert
	}
	nTrusted := n.Root != nil && (n.Root.InStore || n.LyncRoot())
	cs = append(cs, rootChanges(or, nr, "", len(o.Chain) > 0 && len(n.Chain) > 0, nTrusted, o.Trusted && !n.Trusted)...)
	cs = append(cs, findingChanges(o.Findings, n.Findings)...)
	if ol != nil && nl != nil {
		if c, ok := expiryChange(ol, nl, oldAt, newAt); ok {
			cs = append(cs, c)
		}
	}
	cs = append(cs, addressChanges(o, n)...)
	td.Changes = cs
	if len(cs) > 0 {
		td.Status = "changed"
	}
	for _, c := range cs {
		td.Worse = td.Worse || c.Worse
	}
	if td.Changes == nil {
		td.Changes = []Change{}
	}
	return td
}

// describe names a certificate in a change's message.
func describe(c *Cert) string {
	return fmt.Sprintf("%q (SHA-1 %s, expires %s)", safe(c.Subject), thumb(c.SHA1), safe(c.NotAfter))
}

// sameKey reports whether two certificates have the same public key, and
// whether that could be told (both parse).
func sameKey(a, b *Cert) (same, known bool) {
	x, err1 := x509.ParseCertificate(a.DER)
	y, err2 := x509.ParseCertificate(b.DER)
	if err1 != nil || err2 != nil {
		return false, false
	}
	return bytes.Equal(x.RawSubjectPublicKeyInfo, y.RawSubjectPublicKeyInfo), true
}

// leafChanges compares two leaves (nil when there is none).
func leafChanges(o, n *Cert, addr string) []Change {
	if o == nil || n == nil || o.SHA1 == n.SHA1 {
		return nil
	}
	c := Change{Address: addr, Old: safe(o.SHA1), New: safe(n.SHA1)}
	same, known := sameKey(o, n)
	switch {
	case same:
		c.Kind = ChangeLeafRenewed
		c.Message = fmt.Sprintf("server certificate renewed with the same key: %s -> %s", describe(o), describe(n))
	case known:
		c.Kind = ChangeLeafRekeyed
		c.Message = fmt.Sprintf("server certificate replaced, with a new key: %s -> %s", describe(o), describe(n))
	default:
		c.Kind = ChangeLeafRekeyed
		c.Message = fmt.Sprintf("server certificate replaced (whether its key changed is unknown: a certificate does not parse): %s -> %s", describe(o), describe(n))
	}
	return []Change{c}
}

// rootChanges compares two roots (nil when the chain did not reach one).
// reached says both chains were built, so that a root appearing or going
// is a change of the chain, not of reachability. A change of CA is worse
// when clients do not trust the new root (newTrusted: in the client store,
// or assumed as Lync's) or when the chain's trust was lost; a move to a
// root clients trust is reported, not worse.
func rootChanges(o, n *Cert, addr string, reached, newTrusted, trustLost bool) []Change {
	switch {
	case o != nil && n != nil && o.SHA1 == n.SHA1:
		return nil
	case o != nil && n != nil:
		same, _ := sameKey(o, n)
		if same && o.Subject == n.Subject {
			return []Change{{Kind: ChangeRootReissued, Address: addr, Old: safe(o.SHA1), New: safe(n.SHA1),
				Message: fmt.Sprintf("root re-issued (same name and key): %s -> %s", describe(o), describe(n))}}
		}
		c := Change{Kind: ChangeRoot, Address: addr, Worse: !newTrusted || trustLost, Old: safe(o.SHA1), New: safe(n.SHA1),
			Message: fmt.Sprintf("CA CHANGED: the chain now ends at root %s, not %s: ", describe(n), describe(o))}
		if newTrusted {
			c.Message += "clients trust the new root"
		} else {
			c.Message += "clients must trust the new root"
		}
		return []Change{c}
	case o != nil && reached:
		return []Change{{Kind: ChangeRoot, Address: addr, Worse: true, Old: safe(o.SHA1),
			Message: fmt.Sprintf("the chain no longer reaches a root (it ended at %s)", describe(o))}}
	case n != nil && reached:
		return []Change{{Kind: ChangeRoot, Address: addr, New: safe(n.SHA1),
			Message: fmt.Sprintf("the chain now reaches root %s (it was incomplete)", describe(n))}}
	}
	return nil
}

// findingChanges pairs the findings of two reports: the same code,
// severity and message first, then the same code and severity (a message
// that only changed its details), and reports the others as added or
// resolved.
func findingChanges(old, cur []finding.Finding) []Change {
	usedOld := make([]bool, len(old))
	usedNew := make([]bool, len(cur))
	pair := func(match func(a, b finding.Finding) bool) {
		for i, n := range cur {
			if usedNew[i] {
				continue
			}
			for j, o := range old {
				if !usedOld[j] && match(o, n) {
					usedOld[j], usedNew[i] = true, true
					break
				}
			}
		}
	}
	pair(func(a, b finding.Finding) bool { return a == b })
	pair(func(a, b finding.Finding) bool { return a.Code == b.Code && a.Severity == b.Severity })
	var cs []Change
	for i, f := range cur {
		if !usedNew[i] {
			cs = append(cs, Change{Kind: ChangeFindingAdded, Code: safe(f.Code), Severity: finding.Severity(safe(string(f.Severity))), Worse: f.Severity == finding.SevError,
				Message: fmt.Sprintf("new %s %s: %s", safe(string(f.Severity)), safe(f.Code), safe(f.Message))})
		}
	}
	for j, f := range old {
		if !usedOld[j] {
			cs = append(cs, Change{Kind: ChangeFindingResolved, Code: safe(f.Code), Severity: finding.Severity(safe(string(f.Severity))),
				Message: fmt.Sprintf("resolved %s %s: %s", safe(string(f.Severity)), safe(f.Code), safe(f.Message))})
		}
	}
	return cs
}

// bucket is the expiry bucket of notAfter at t: "expired", "7", "14",
// "30", "90" (days), or "" (later).
func bucket(notAfter string, t time.Time) (string, int) {
	na, err := time.Parse(time.RFC3339, notAfter)
	if err != nil {
		return "", -1
	}
	left := na.Sub(t)
	if left <= 0 {
		return "expired", len(ExpiryBuckets)
	}
	b, rank := "", -1
	for i, days := range ExpiryBuckets {
		if left <= time.Duration(days)*24*time.Hour {
			b, rank = fmt.Sprint(days), i
		}
	}
	return b, rank
}

// expiryChange reports a leaf whose expiry moved into a nearer bucket
// (worse), or out of the buckets it was in.
func expiryChange(o, n *Cert, oldAt, newAt time.Time) (Change, bool) {
	ob, orank := bucket(o.NotAfter, oldAt)
	nb, nrank := bucket(n.NotAfter, newAt)
	if orank == nrank {
		return Change{}, false
	}
	c := Change{Kind: ChangeExpiry, Old: ob, New: nb, Worse: nrank > orank}
	date := safe(strings.SplitN(n.NotAfter, "T", 2)[0])
	switch {
	case nb == "expired":
		c.Message = fmt.Sprintf("the server certificate has expired (%s)", date)
	case nrank > orank:
		c.Message = fmt.Sprintf("the server certificate now expires within %s days (%s)", nb, date)
	case nb == "":
		c.Message = fmt.Sprintf("the server certificate no longer expires within %d days (now %s)", ExpiryBuckets[0], date)
	default:
		c.Message = fmt.Sprintf("the server certificate now expires within %s days, later than before (%s)", nb, date)
	}
	return c, true
}

// addressChanges compares the servers behind a name, when either report
// has several: servers added and removed, and for the others their
// verdict, leaf and root.
func addressChanges(o, n *Target) []Change {
	if len(o.Addresses) <= 1 && len(n.Addresses) <= 1 {
		return nil
	}
	olds := map[string]*Address{}
	for i := range o.Addresses {
		olds[o.Addresses[i].Address] = &o.Addresses[i]
	}
	var cs []Change
	seen := map[string]bool{}
	for i := range n.Addresses {
		na := &n.Addresses[i]
		seen[na.Address] = true
		addr := safe(na.Address)
		oa := olds[na.Address]
		if oa == nil {
			cs = append(cs, Change{Kind: ChangeAddressAdded, Address: addr, New: string(na.Verdict), Worse: finding.HasError(na.Findings),
				Message: fmt.Sprintf("%s: a new server behind the name, %s", addr, strings.ToUpper(safe(string(na.Verdict))))})
			continue
		}
		if oa.Verdict != na.Verdict {
			cs = append(cs, Change{Kind: ChangeVerdict, Address: addr, Old: string(oa.Verdict), New: string(na.Verdict), Worse: verdictRanks[na.Verdict] > verdictRanks[oa.Verdict],
				Message: fmt.Sprintf("%s: verdict %s -> %s", addr, strings.ToUpper(safe(string(oa.Verdict))), strings.ToUpper(safe(string(na.Verdict))))})
		}
		ol, nl := addrCert(o, oa, 0), addrCert(n, na, 0)
		for _, c := range leafChanges(ol, nl, addr) {
			c.Message = addr + ": " + c.Message
			cs = append(cs, c)
		}
		or, nr := addrRoot(o, oa), addrRoot(n, na)
		for _, c := range rootChanges(or, nr, addr, ol != nil && nl != nil, addrRootTrusted(n, na), oa.Trusted && !na.Trusted) {
			c.Message = addr + ": " + c.Message
			cs = append(cs, c)
		}
	}
	for i := range o.Addresses {
		oa := &o.Addresses[i]
		if !seen[oa.Address] {
			addr := safe(oa.Address)
			cs = append(cs, Change{Kind: ChangeAddressRemoved, Address: addr, Old: string(oa.Verdict),
				Message: fmt.Sprintf("%s: no longer behind the name (was %s)", addr, strings.ToUpper(safe(string(oa.Verdict))))})
		}
	}
	return cs
}

// addrCert is the i-th certificate of an address's chain, nil when the
// report does not hold it.
func addrCert(tr *Target, a *Address, i int) *Cert {
	if i >= len(a.Chain) {
		return nil
	}
	return tr.Cert(a.Chain[i])
}

// addrRootTrusted reports whether clients trust the root of an address's
// chain: in the client store (as the target's root says, or the address's
// findings for another root), or assumed as Lync's.
func addrRootTrusted(tr *Target, a *Address) bool {
	if len(a.Chain) == 0 || hasCode(a.Findings, finding.CodeLyncRootAssumed) {
		return len(a.Chain) > 0
	}
	if last := a.Chain[len(a.Chain)-1]; tr.Root != nil && tr.Root.SHA1 == last {
		return tr.Root.InStore
	}
	if addrRoot(tr, a) == nil {
		return false
	}
	return addressInStore(a.Findings, len(a.Chain) == 1)
}

// addrRoot is the root of an address's chain: the target's root when the
// chain ends there, else its last certificate when self-signed.
func addrRoot(tr *Target, a *Address) *Cert {
	if len(a.Chain) == 0 {
		return nil
	}
	last := a.Chain[len(a.Chain)-1]
	if tr.Root != nil && tr.Root.SHA1 == last {
		return &tr.Root.Cert
	}
	if c := tr.Cert(last); c != nil && c.SelfSigned {
		return c
	}
	return nil
}

// WriteDiffText writes d for a terminal: a line per target that changed,
// then each change, worse ones marked.
func WriteDiffText(w io.Writer, d *DiffReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "old: %s%s\nnew: %s%s\n", d.Old.Report, when(d.Old), d.New.Report, when(d.New))
	for _, sd := range []struct {
		name string
		s    DiffSide
	}{{"old", d.Old}, {"new", d.New}} {
		if sd.s.Interrupted {
			fmt.Fprintf(&b, "the %s report is of an interrupted run: %d targets were not scanned, and compare as added or removed\n", sd.name, sd.s.NotScanned)
		}
	}
	s := d.Summary
	fmt.Fprintf(&b, "%d targets compared: %d changed, %d unchanged; %d added, %d removed; %d got worse\n",
		s.Compared, s.Changed, s.Unchanged, s.Added, s.Removed, s.Worse)
	for _, t := range d.Targets {
		status := strings.ToUpper(t.Status)
		if t.Worse {
			status = "WORSE"
		}
		line := fmt.Sprintf("%-8s %s %s", status, t.Role, t.Target)
		switch {
		case t.Status == ChangeAdded:
			line += ": " + strings.ToUpper(string(t.NewVerdict))
		case t.Status == ChangeRemoved:
		case t.OldVerdict != t.NewVerdict:
			line += fmt.Sprintf(": %s -> %s", strings.ToUpper(string(t.OldVerdict)), strings.ToUpper(string(t.NewVerdict)))
		default:
			line += ": " + strings.ToUpper(string(t.NewVerdict))
		}
		fmt.Fprintf(&b, "\n%s\n", safe(line))
		for _, c := range t.Changes {
			mark := " "
			if c.Worse {
				mark = "!"
			}
			fmt.Fprintf(&b, "  %s %s\n", mark, safe(c.Message))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func when(s DiffSide) string {
	if s.Time == "" {
		return " (time not recorded)"
	}
	v := ""
	if s.Version != "" {
		v = ", trustgap " + s.Version
	}
	return fmt.Sprintf(" (judged at %s%s; %d targets)", s.Time, v, s.Targets)
}

// WriteDiffJSON writes d as one JSON document.
func WriteDiffJSON(w io.Writer, d *DiffReport) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// DiffCSP is the Content-Security-Policy of the diff page, which has no
// script.
var DiffCSP = "default-src 'none'; style-src '" + cspHash(pageCSS) + "'; script-src 'none'; img-src 'none'; base-uri 'none'; form-action 'none'"

// WriteDiffHTML writes d as a self-contained page in the report's style.
func WriteDiffHTML(w io.Writer, d *DiffReport) error {
	b, err := renderHTML("diff.html.tmpl", struct {
		Title, CSP string
		CSS        template.CSS
		JS         template.JS
		D          *DiffReport
	}{"trustgap: what changed", DiffCSP, template.CSS(pageCSS), "", d})
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/report"
)

func leafTarget(notAfter time.Time, fs ...finding.Finding) *report.Target {
	return &report.Target{Role: "ews", Target: "mail.test", Host: "mail.test", Port: 443, Verdict: "ok", TLSVersion: "TLS 1.3",
		Chain: []report.Cert{{Identity: certutil.Identity{Subject: "CN=mail.test", SHA1: "aa", NotAfter: notAfter.Format(time.RFC3339)}}}, Findings: fs}
}

// TestDiffExpiryWithoutRunTime: a jsonl report records no time, so its
// expiry buckets are measured from the time diff is given.
func TestDiffExpiryWithoutRunTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	na := t0.Add(100 * 24 * time.Hour)
	old := &report.Document{Run: report.NewRun(t0, "x"), Targets: []*report.Target{leafTarget(na)}}
	cur := &report.Document{Targets: []*report.Target{leafTarget(na)}}
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{t0, ""},                             // 100 days left: no bucket either time
		{t0.Add(20 * 24 * time.Hour), "90!"}, // 80 days left
		{t0.Add(80 * 24 * time.Hour), "30!"}, // 20 days left
		{t0.Add(95 * 24 * time.Hour), "7!"},  // 5 days left
		{t0.Add(101 * 24 * time.Hour), "expired!"},
	} {
		d := report.Diff(old, cur, tc.now)
		got := ""
		for _, td := range d.Targets {
			for _, c := range td.Changes {
				if c.Kind == report.ChangeExpiry {
					got = c.New
					if c.Worse {
						got += "!"
					}
				}
			}
		}
		if got != tc.want || d.Worse() != (tc.want != "") {
			t.Errorf("at %s: expiry change %q (worse %v), want %q", tc.now, got, d.Worse(), tc.want)
		}
	}
}

// TestDiffFindingsPaired: a finding whose message only changed its
// details (days left) is the same finding, not one resolved and one new.
func TestDiffFindingsPaired(t *testing.T) {
	na := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	soon := func(days string) finding.Finding {
		return finding.Finding{Code: "expiring-soon", Severity: finding.SevWarning, Message: "expires in " + days + " days"}
	}
	old := &report.Document{Targets: []*report.Target{leafTarget(na, soon("20"), soon("25"))}}
	cur := &report.Document{Targets: []*report.Target{leafTarget(na, soon("13"), soon("18"), finding.Finding{Code: "expired", Severity: finding.SevError})}}
	d := report.Diff(old, cur, na.Add(-400*24*time.Hour))
	if len(d.Targets) != 1 || len(d.Targets[0].Changes) != 1 || d.Targets[0].Changes[0].Code != "expired" || !d.Worse() {
		t.Errorf("changes: %+v", d.Targets)
	}
}

// TestDiffInterrupted: a report of an interrupted run lacks the targets it
// did not scan; the comparison says so, in text, JSON and HTML.
func TestDiffInterrupted(t *testing.T) {
	na := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	old := &report.Document{Name: "old.json", Targets: []*report.Target{leafTarget(na)}}
	cur := &report.Document{Name: "new.json", Targets: []*report.Target{}, Summary: &report.Summary{Interrupted: true, NotScanned: 4}}
	d := report.Diff(old, cur, na.Add(-400*24*time.Hour))
	if d.Old.Interrupted || !d.New.Interrupted || d.New.NotScanned != 4 || d.Summary.Removed != 1 {
		t.Fatalf("sides %+v, %+v; summary %+v", d.Old, d.New, d.Summary)
	}
	var text, page, js bytes.Buffer
	report.WriteDiffText(&text, d)
	report.WriteDiffHTML(&page, d)
	report.WriteDiffJSON(&js, d)
	if want := "the new report is of an interrupted run: 4 targets were not scanned, and compare as added or removed\n"; !strings.Contains(text.String(), want) || strings.Contains(text.String(), "the old report") {
		t.Errorf("text:\n%s", text.String())
	}
	if !strings.Contains(page.String(), "(an interrupted run: 4 targets not scanned, which compare as added or removed)") {
		t.Error("the page does not say the new report is of an interrupted run")
	}
	if !strings.Contains(js.String(), `"interrupted":true,"not_scanned":4}`) {
		t.Errorf("json: %s", js.String())
	}
}

// TestDiffRootChangeWorseOnlyWhenUntrusted: a change of root is worse only
// when clients do not trust the new root (not in the store, not assumed as
// Lync's) or trust was lost; a move to a trusted root is still reported as
// CA CHANGED. The same holds for one server behind a name.
func TestDiffRootChangeWorseOnlyWhenUntrusted(t *testing.T) {
	na := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	assumed := finding.Finding{Code: finding.CodeLyncRootAssumed, Severity: finding.SevInfo}
	untrusted := finding.Finding{Code: finding.CodeUntrustedRoot, Severity: finding.SevError}
	withRoot := func(sha1 string, inStore, trusted bool, fs ...finding.Finding) *report.Target {
		tr := leafTarget(na, fs...)
		root := report.Cert{Identity: certutil.Identity{Subject: "CN=Root " + sha1, SHA1: sha1, NotAfter: na.Format(time.RFC3339)}, SelfSigned: true, CA: true}
		tr.Chain = append(tr.Chain, root)
		tr.Root = &report.Root{Cert: root, InStore: inStore}
		tr.Trusted = trusted
		return tr
	}
	rootChange := func(d *report.DiffReport) *report.Change {
		for _, td := range d.Targets {
			for i, c := range td.Changes {
				if c.Kind == report.ChangeRoot {
					return &td.Changes[i]
				}
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name  string
		old   *report.Target
		cur   *report.Target
		worse bool
	}{
		{"to a store root", withRoot("01", true, true), withRoot("02", true, true), false},
		{"to the Lync root", withRoot("01", true, true), withRoot("02", false, true, assumed), false},
		{"to an untrusted root", withRoot("01", true, true), withRoot("02", false, false, untrusted), true},
		{"to a store root, trust lost", withRoot("01", true, true), withRoot("02", true, false), true},
	} {
		d := report.Diff(&report.Document{Targets: []*report.Target{tc.old}}, &report.Document{Targets: []*report.Target{tc.cur}}, na.Add(-400*24*time.Hour))
		c := rootChange(d)
		if c == nil || c.Worse != tc.worse || !strings.HasPrefix(c.Message, "CA CHANGED") {
			t.Errorf("%s: root change %+v, want worse=%v", tc.name, c, tc.worse)
		}
	}

	// One server of two moves to another root, in the store or not.
	for _, tc := range []struct {
		name     string
		inStore  bool
		findings []finding.Finding
		worse    bool
	}{{"in the store", true, nil, false}, {"untrusted", false, []finding.Finding{untrusted}, true}} {
		old := withRoot("01", true, true)
		old.Addresses = []report.Address{{Address: "a", Verdict: "ok", Chain: []string{"aa", "01"}, Trusted: true}, {Address: "b", Verdict: "ok", Chain: []string{"aa", "01"}, Trusted: true}}
		cur := withRoot("01", true, true)
		other := report.Cert{Identity: certutil.Identity{Subject: "CN=Other", SHA1: "03"}, SelfSigned: true, CA: true}
		cur.OtherCerts = []report.Cert{other}
		cur.Addresses = []report.Address{{Address: "a", Verdict: "ok", Chain: []string{"aa", "01"}, Trusted: true},
			{Address: "b", Verdict: "ok", Chain: []string{"aa", "03"}, Trusted: tc.inStore, Findings: tc.findings}}
		d := report.Diff(&report.Document{Targets: []*report.Target{old}}, &report.Document{Targets: []*report.Target{cur}}, na.Add(-400*24*time.Hour))
		c := rootChange(d)
		if c == nil || c.Address != "b" || c.Worse != tc.worse {
			t.Errorf("address to a root %s: %+v, want worse=%v", tc.name, c, tc.worse)
		}
	}
}

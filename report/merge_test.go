package report_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/revocation"
	"github.com/trustgap/trustgap/rootstore"
	"github.com/trustgap/trustgap/scanner"
	"github.com/trustgap/trustgap/target"
)

// mergeLab is the demo's estate (a Lync pool on Contoso's CA, Exchange on
// Fabrikam's and on a self-signed certificate, Autodiscover missing its
// intermediate; CRLs served by the lab) plus a few more targets: another
// lync target, names the certificates do not cover, and a closed port.
type mergeLab struct {
	lab     *lab.Lab
	targets []target.Target
	now     time.Time
	store   *rootstore.Store
}

func newMergeLab(t *testing.T) *mergeLab {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	l := lab.Demo(now, false)
	t.Cleanup(l.Close)
	closed := lab.ClosedPort()
	l.Pins["gone.contoso.test:443"] = closed
	l.Pins["mail2.contoso.test:443"] = l.Pins["mail.contoso.test:443"]
	l.Pins["sip.contoso.test:5061"] = l.Pins["lyncpool.contoso.test:5061"]
	l.Pins["ad2.contoso.test:443"] = l.Pins["autodiscover.contoso.test:443"]
	lines := l.Targets + "\nother gone.contoso.test\nhttps://mail2.contoso.test/EWS/Exchange.asmx\nlync sip.contoso.test\nautodiscover ad2.contoso.test\n"
	var list target.List
	if err := list.AddFile(strings.NewReader(lines), "lab"); err != nil {
		t.Fatal(err)
	}
	store, err := rootstore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	return &mergeLab{lab: l, targets: list.Targets, now: now, store: store}
}

// scan scans targets (those of shard sh, when sh is set) and writes the
// report as trustgap scan would.
func (m *mergeLab) scan(t *testing.T, targets []target.Target, format report.Format, sh *target.Shard) []byte {
	t.Helper()
	var selected func(int) bool
	run := report.NewRun(m.now, "test")
	if sh != nil {
		selected, run.Shard = sh.Contains, sh.String()
	}
	dns := lab.NewDNS() // anything not pinned: NXDOMAIN
	t.Cleanup(dns.Close)
	d := &network.Dialer{Pins: m.lab.Pins, Resolver: &network.DNSResolver{Server: dns.Addr}, Timeout: 5 * time.Second}
	f := network.NewFetcher(d)
	s := &scanner.Scanner{Dialer: d, AIA: &network.AIA{Fetcher: f}, Store: chain.NewCertSet(m.store.Certificates()...),
		Now: m.now, Concurrency: 4, Revocation: revocation.New(f, revocation.Soft, m.now), Selected: selected}
	var out bytes.Buffer
	public := func(c *x509.Certificate) *bool { p := rootstore.IsPublic(c); return &p }
	w, err := report.NewWriter(&out, report.Options{Format: format, Public: public, Store: report.NewStore(m.store, runtime.GOOS),
		Run: run, Index: selected != nil})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Scan(context.Background(), targets, w.Write); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func merge(t *testing.T, reports ...[]byte) *report.Document {
	t.Helper()
	var docs []*report.Document
	for i, b := range reports {
		d, err := report.ReadDocument(bytes.NewReader(b), "report"+string(rune('A'+i)))
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, d)
	}
	m, err := report.Merge(docs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// write renders a merged report as scan --format json or jsonl would.
func write(t *testing.T, m *report.Document, format report.Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if _, err := report.Render(&b, m, report.Options{Format: format}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// diffLines shows where two reports part.
func diffLines(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := range min(len(al), len(bl)) {
		if al[i] != bl[i] {
			j := 0
			for j < min(len(al[i]), len(bl[i])) && al[i][j] == bl[i][j] {
				j++
			}
			from := max(0, j-80)
			return fmt.Sprintf("line %d, at byte %d:\n- ...%s\n+ ...%s", i+1, j, al[i][from:min(len(al[i]), j+80)], bl[i][from:min(len(bl[i]), j+80)])
		}
	}
	return "lengths differ"
}

// TestMergedShardsEqualWhole: the shards of a scan (scan --shard K/N, with
// the lync targets scanned in every shard), merged, are byte for byte the
// scan of the whole list, in JSON and jsonl, for 1 to 4 shards, whatever
// order the shard reports are given in.
func TestMergedShardsEqualWhole(t *testing.T) {
	m := newMergeLab(t)
	for _, format := range []report.Format{report.FormatJSON, report.FormatJSONL} {
		whole := m.scan(t, m.targets, format, nil)
		if !bytes.Contains(whole, []byte(`"lync-root-assumed"`)) || !bytes.Contains(whole, []byte(`"different-ca"`)) || !bytes.Contains(whole, []byte(`"connect-failure"`)) {
			t.Fatalf("the lab does not exercise the Lync comparison and an unreachable target:\n%s", whole)
		}
		for n := 1; n <= 4; n++ {
			var shards [][]byte
			for k := n - 1; k >= 0; k-- { // given last shard first
				sh := target.Shard{K: k, N: n}
				b := m.scan(t, m.targets, format, &sh)
				if n > 1 && bytes.Equal(b, whole) {
					t.Fatalf("%s shard %s holds the whole scan", format, sh)
				}
				shards = append(shards, b)
			}
			got := write(t, merge(t, shards...), format)
			if !bytes.Equal(got, whole) {
				t.Errorf("%s, %d shards merged differ from the whole scan: %s", format, n, diffLines(whole, got))
			}
		}
	}
}

// TestMergeRedoesLync: a scan of the lync pools and a scan of the rest,
// made apart, merged, are the scan of both together: the Exchange targets
// whose root only the lync targets vouch for become trusted
// (lync-root-assumed instead of untrusted-root), and different-ca names the
// lync roots.
func TestMergeRedoesLync(t *testing.T) {
	m := newMergeLab(t)
	var lync, others []target.Target
	for _, tg := range m.targets {
		if tg.Role == target.RoleLync {
			lync = append(lync, tg)
		} else {
			others = append(others, tg)
		}
	}
	a := m.scan(t, lync, report.FormatJSON, nil)
	b := m.scan(t, others, report.FormatJSONL, nil)
	if !bytes.Contains(b, []byte(`"untrusted-root"`)) || bytes.Contains(b, []byte(`"lync-root-assumed"`)) {
		t.Fatalf("scanned without the lync targets, the others should have untrusted roots:\n%s", b)
	}
	whole := m.scan(t, append(append([]target.Target{}, lync...), others...), report.FormatJSON, nil)
	if got := write(t, merge(t, a, b), report.FormatJSON); !bytes.Equal(got, whole) {
		t.Errorf("merged apart scans differ from the scan of both: %s", diffLines(whole, got))
	}
	// Merging a report with itself changes nothing (targets de-duplicated).
	if got := write(t, merge(t, whole, whole), report.FormatJSON); !bytes.Equal(got, whole) {
		t.Errorf("a report merged with itself differs: %s", diffLines(whole, got))
	}
}

// TestMergeRefusesOtherStore: reports judged against different client
// stores, or at different instants, do not add up.
func TestMergeRefusesOtherStore(t *testing.T) {
	m := newMergeLab(t)
	a := m.scan(t, m.targets[:2], report.FormatJSON, nil)
	m.now = m.now.Add(time.Hour)
	later := m.scan(t, m.targets[2:], report.FormatJSON, nil)
	m.now = m.now.Add(-time.Hour)
	m.store = &rootstore.Store{}
	b := m.scan(t, m.targets[2:], report.FormatJSON, nil)
	for _, tc := range []struct {
		b, want string
	}{
		{string(b), "cannot merge b.json: it was judged against another client store than a.json"},
		{string(later), "cannot merge b.json: it was judged at 2026-06-01T13:00:00Z by trustgap test, a.json at 2026-06-01T12:00:00Z by trustgap test: merge reports of one run"},
	} {
		var docs []*report.Document
		for i, r := range []string{string(a), tc.b} {
			d, err := report.ReadDocument(strings.NewReader(r), []string{"a.json", "b.json"}[i])
			if err != nil {
				t.Fatal(err)
			}
			docs = append(docs, d)
		}
		_, err := report.Merge(docs)
		var me *report.MergeError
		if !errors.As(err, &me) || me.Name != "b.json" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("got %v, want a MergeError: %s", err, tc.want)
		}
	}
}

// FuzzMergeReports: any two saved reports, however hostile, merge without a
// panic (or are refused with an error), and the merge renders and reads
// back.
func FuzzMergeReports(f *testing.F) {
	root := `{"sha1":"00","der":"MA==","in_store":false}`
	f.Add(`{"role":"lync","target":"a","host":"a","port":1,"address":"x","chain":[{"sha1":"00","der":"MA=="}],"root":`+root+`,"findings":[{"code":"untrusted-root","severity":"error"}],"index":1}`,
		`{"store":{"sources":[]},"targets":[{"role":"ews","target":"b","host":"b","address":"","chain":[],"root":`+root+`,"addresses":[{"address":"y","chain":["00"],"findings":[]}],"findings":[{"code":"inconsistent-servers"}]}],"summary":{"interrupted":true,"not_scanned":2,"crls_to_republish":[{"url":"u"}]}}`)
	f.Add(`{"role":"ews","target":"a","index":-5}`, `{"role":"ews","target":"a","index":99999999999}`)
	f.Add(`{"run":{"time":"t","version":"v","shard":"1/3"},"targets":[{"role":"ews","target":"a","index":1}]}`,
		`{"run":{"time":"t","version":"v","shard":"0/999999999999999999"},"targets":[{"role":"ews","target":"b","index":7}]}`)
	f.Fuzz(func(t *testing.T, a, b string) {
		var docs []*report.Document
		for i, s := range []string{a, b} {
			d, err := report.ReadDocument(strings.NewReader(s), []string{"a", "b"}[i])
			if err != nil {
				return
			}
			docs = append(docs, d)
		}
		m, err := report.Merge(docs)
		if err != nil {
			return
		}
		var out bytes.Buffer
		if _, err := report.Render(&out, m, report.Options{Format: report.FormatJSON}); err != nil {
			t.Fatal(err)
		}
		if _, err := report.ReadDocument(&out, "merged"); err != nil && len(m.Targets) > 0 {
			t.Fatalf("the merged report does not read back: %v", err)
		}
	})
}

// TestMergeInferredLyncNotAssumed: a lync target whose role was inferred
// from port 5061 vouches for no root (review fix 1a), in a merge as in a
// scan. Here an asserted pool on Contoso's CA and an inferred one on
// Fabrikam's are scanned apart from the rest and merged: the result equals
// the scan of both, Fabrikam's root stays untrusted-root, and the merge
// does not mistake the inferred target's missing assumption for a scan
// made with --no-lync-assumption.
func TestMergeInferredLyncNotAssumed(t *testing.T) {
	m := newMergeLab(t)
	m.lab.Pins["fabpool.contoso.test:5061"] = m.lab.Pins["mail.contoso.test:443"]
	inferred, err := target.ParseTarget("fabpool.contoso.test:5061") // no role word
	if err != nil || inferred.Role != target.RoleLync || !inferred.RoleInferred {
		t.Fatalf("fabpool.contoso.test:5061 parsed to %+v, %v", inferred, err)
	}
	lync := []target.Target{inferred}
	var others []target.Target
	for _, tg := range m.targets {
		if tg.Role == target.RoleLync {
			lync = append(lync, tg)
		} else {
			others = append(others, tg)
		}
	}
	a := m.scan(t, lync, report.FormatJSON, nil)
	if !bytes.Contains(a, []byte(`"lync-root-assumed"`)) || !bytes.Contains(a, []byte(`"untrusted-root"`)) {
		t.Fatalf("want the asserted pools' root assumed and the inferred one's untrusted:\n%s", a)
	}
	b := m.scan(t, others, report.FormatJSON, nil)
	whole := m.scan(t, append(append([]target.Target{}, lync...), others...), report.FormatJSON, nil)
	if got := write(t, merge(t, a, b), report.FormatJSON); !bytes.Equal(got, whole) {
		t.Errorf("merged apart scans differ from the scan of both: %s", diffLines(whole, got))
	}
}

// TestMergeShardSets: a shard's run says which it is ("shard": "K/N", not
// in the merged report); shards of different N are refused; a set that
// lacks shards, or positions of the list (an interrupted shard), merges
// with a warning naming what is missing.
func TestMergeShardSets(t *testing.T) {
	m := newMergeLab(t)
	shard := func(k, n int) []byte {
		return m.scan(t, m.targets, report.FormatJSON, &target.Shard{K: k, N: n})
	}
	s02, s12, s13 := shard(0, 2), shard(1, 2), shard(1, 3)
	if !bytes.Contains(s12, []byte(`{"run":{"time":"2026-06-01T12:00:00Z","version":"test","shard":"1/2"},`)) {
		t.Errorf("the shard's run does not say which it is:\n%.200s", s12)
	}
	whole := merge(t, s02, s12)
	if len(whole.Warnings) != 0 || whole.Run.Shard != "" {
		t.Errorf("a whole set: warnings %q, run %+v", whole.Warnings, whole.Run)
	}
	if b := write(t, whole, report.FormatJSON); bytes.Contains(b, []byte(`"shard"`)) {
		t.Error("the merged report calls itself a shard")
	}

	docs := func(bs ...[]byte) []*report.Document {
		var out []*report.Document
		for i, b := range bs {
			d, err := report.ReadDocument(bytes.NewReader(b), fmt.Sprintf("s%d.json", i))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, d)
		}
		return out
	}
	_, err := report.Merge(docs(s02, s13))
	var me *report.MergeError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), "cannot merge s1.json: it is shard 1/3, s0.json is of 2 shards: merge the shards of one scan") {
		t.Errorf("shards of 2 and 3: %v", err)
	}

	// Shard 0 of 3 missing: its positions (0, 3, 6, ...) too.
	got, err := report.Merge(docs(s13, shard(2, 3)))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"the reports hold 2 of 3 shards: shard 0/3 missing, so their targets are not in the result",
		"targets of the scanned list are missing (positions 0, 3, 6"}
	if len(got.Warnings) != 2 || !strings.HasPrefix(got.Warnings[0], want[0]) || !strings.Contains(got.Warnings[1], want[1]) {
		t.Errorf("warnings %q, want %q", got.Warnings, want)
	}
	// One shard alone lacks the others.
	if got, err := report.Merge(docs(s12)); err != nil || len(got.Warnings) == 0 || !strings.Contains(got.Warnings[0], "shard 0/2 missing") {
		t.Errorf("one shard alone: %v %q", err, got.Warnings)
	}

	// Every shard, one of them interrupted: the positions it lacks.
	d := docs(s02, s12)
	d[1].Targets = d[1].Targets[1:]
	got, err = report.Merge(d)
	if err != nil || len(got.Warnings) != 1 || !strings.HasPrefix(got.Warnings[0], "1 targets of the scanned list are missing (positions 1, from 0)") {
		t.Errorf("an interrupted shard: %v %q", err, got.Warnings)
	}
}

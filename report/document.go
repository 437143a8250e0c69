package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Run is when, and by which trustgap, a report was made: the "run" object
// of a JSON document.
type Run struct {
	// Time is the instant the verdicts were judged at (--now, or when the
	// scan started), RFC 3339 in UTC.
	Time string `json:"time"`
	// Version is trustgap's version.
	Version string `json:"version"`
	// Shard is "K/N" when the scan was one shard of a list (scan --shard):
	// its report holds the K-th of N slices of the targets. Omitted
	// otherwise.
	Shard string `json:"shard,omitempty"`
}

// ShardOf returns the shard's K and N, and false when the run is not a
// shard (or its shard does not parse).
func (r *Run) ShardOf() (k, n int, ok bool) {
	if r == nil || r.Shard == "" {
		return 0, 0, false
	}
	ks, ns, found := strings.Cut(r.Shard, "/")
	k, err1 := strconv.Atoi(ks)
	n, err2 := strconv.Atoi(ns)
	if !found || err1 != nil || err2 != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, false
	}
	return k, n, true
}

// NewRun describes a run judged at t by version.
func NewRun(t time.Time, version string) *Run {
	return &Run{Time: t.UTC().Format(time.RFC3339), Version: version}
}

// At returns the run's time, and false when it is unknown (a jsonl report
// has no run) or does not parse.
func (r *Run) At() (time.Time, bool) {
	if r == nil {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, r.Time)
	return t, err == nil
}

// Document is a whole scan report as trustgap reads it back: what a
// "--format json" document holds (a jsonl report has no run, store or
// summary). Every format renders from it ([Render]).
type Document struct {
	// Name is where the report was read from (a file name, "stdin").
	Name    string    `json:"-"`
	Run     *Run      `json:"run,omitempty"`
	Store   *Store    `json:"store,omitempty"`
	Targets []*Target `json:"targets"`
	// Summary is the summary the report holds. [Render] recomputes its
	// totals from the targets and carries over what the targets do not
	// hold: interrupted, not_scanned and crls_to_republish.
	Summary *Summary `json:"summary,omitempty"`
	// Warnings are what [Merge] found amiss without refusing the reports
	// (shards missing, targets missing from the list): for standard
	// error, never written into the report.
	Warnings []string `json:"-"`
}

// MaxDocumentTargets bounds the targets [ReadDocument] holds in memory.
const MaxDocumentTargets = 1_000_000

// ReadDocument reads a whole saved report (see [Read] for the forms it
// takes), keeping its run, store and summary.
func ReadDocument(r io.Reader, name string) (*Document, error) {
	doc := &Document{Name: name}
	err := read(r, name, func(tr *Target) error {
		if len(doc.Targets) == MaxDocumentTargets {
			return fmt.Errorf("%s: more than %d targets: split the report", name, MaxDocumentTargets)
		}
		doc.Targets = append(doc.Targets, tr)
		return nil
	}, doc)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// targetWriter is what every report writer does beyond [Writer]: write a
// target of the report model, with the short names of its certificates
// when a live scan knows them (nil otherwise).
type targetWriter interface {
	Writer
	put(tr *Target, names map[string]string) error
}

// Render writes doc in opts.Format, as the scan that made it would have
// written it: the same bytes for the same targets. The summary is
// recomputed from the targets; whether the run was interrupted and the CRLs
// to republish come from doc.Summary. opts.Run and opts.Store default to the
// document's.
func Render(w io.Writer, doc *Document, opts Options) (*Summary, error) {
	if opts.Run == nil {
		opts.Run = doc.Run
	}
	if opts.Store == nil {
		opts.Store = doc.Store
	}
	wr, err := NewWriter(w, opts)
	if err != nil {
		return nil, err
	}
	tw := wr.(targetWriter)
	for _, tr := range doc.Targets {
		if err := tw.put(tr, nil); err != nil {
			return nil, err
		}
	}
	wr.Summary().carry(doc.Summary)
	if err := wr.Close(); err != nil {
		return nil, err
	}
	return wr.Summary(), nil
}

package scan

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/testca"
)

// TestProgress: on a terminal, standard error shows the targets done of the
// total, the rate, the failures so far and the time left, and the line is
// cleared at the end; with -q, or when standard error is not a terminal,
// nothing is written there. The report is the same either way.
func TestProgress(t *testing.T) {
	l := newRevLab(t)
	every := progressEvery
	progressEvery = 0 // draw every change, for the test to read
	defer func() { progressEvery = every }()
	run := func(tty, quiet bool) (stdout, stderr string) {
		ios, _, out, errOut := cmdutil.Test()
		ios.SetStderrTTY(tty)
		f := &Flags{Roots: []string{l.roots}, Concurrency: 4, Format: "json", At: testca.Epoch.Format(time.RFC3339), Revocation: "off", Quiet: quiet}
		f.Net.Timeout = 5 * time.Second
		f.Net.Resolve = l.resolve
		if err := Run(context.Background(), ios, time.Now, "test", f, l.targets); cmdutil.ExitCode(err) != 1 {
			t.Fatalf("exit %d (%v), want 1", cmdutil.ExitCode(err), err)
		}
		return out.String(), errOut.String()
	}
	out, errs := run(true, false)
	// The library draws the line as targets complete (the lync target
	// first, then mail.contoso.test, whose root is untrusted) and clears it
	// when the last is done: done/total, rate, failures and the elapsed and
	// remaining time.
	// (The failure is the last target: the line is cleared before it could
	// show it; TestProgressCountsFailuresOnce reads the failures.)
	for _, want := range []string{"(1/2, ", "scanning, 0 failed", " targets/s) [0s:0s]"} {
		if !strings.Contains(errs, want) {
			t.Errorf("progress: no %q in %q", want, errs)
		}
	}
	if !strings.HasSuffix(strings.TrimRight(errs, " "), "\r") {
		t.Errorf("progress: the line is not cleared at the end: %q", errs)
	}
	for _, c := range []struct{ tty, quiet bool }{{true, true}, {false, false}} {
		out2, errs2 := run(c.tty, c.quiet)
		if errs2 != "" {
			t.Errorf("tty=%v quiet=%v: standard error %q, want nothing", c.tty, c.quiet, errs2)
		}
		if out2 != out {
			t.Errorf("tty=%v quiet=%v: the report differs", c.tty, c.quiet)
		}
	}
}

// TestProgressCountsFailuresOnce: the line never shows more failures than
// targets done (at 0 done nothing has failed), and each failed target is
// counted once.
func TestProgressCountsFailuresOnce(t *testing.T) {
	every := progressEvery
	progressEvery = 0
	defer func() { progressEvery = every }()
	var buf strings.Builder
	p := newProgress(&buf, 5)
	bad := &chain.Result{Findings: []finding.Finding{{Code: finding.CodeTimeout, Severity: finding.SevError}}}
	good := &chain.Result{}
	results := []*chain.Result{bad, good, bad, good, good}
	for _, r := range results {
		p.done(r)
	}
	frames := regexp.MustCompile(`scanning, (\d+) failed[^(]*\((\d+)/5`).FindAllStringSubmatch(buf.String(), -1)
	if len(frames) == 0 {
		t.Fatalf("no progress frame in %q", buf.String())
	}
	last := 0
	for _, f := range frames {
		failed, done := atoi(t, f[1]), atoi(t, f[2])
		want := 0
		for _, r := range results[:done] {
			if r.Failed() {
				want++
			}
		}
		if failed > want {
			t.Errorf("frame %q: %d failed, but %d of the %d done failed", f[0], failed, want, done)
		}
		last = failed
	}
	if last != 2 {
		t.Errorf("the last frame says %d failed, want 2", last)
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

package scan

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/trustgap/trustgap/chain"
)

// progress shows how a scan advances on standard error (a terminal):
// targets done of the total, the rate, the failures so far and the time
// left. The terminal side (redrawing one line) is the progressbar
// library's.
type progress struct {
	bar    *progressbar.ProgressBar
	failed int
}

// progressEvery bounds how often the line is redrawn.
var progressEvery = 200 * time.Millisecond // tests draw every change

func newProgress(w io.Writer, total int) *progress {
	bar := progressbar.NewOptions(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(describe(0)),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("targets"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(false),
		progressbar.OptionThrottle(progressEvery),
		progressbar.OptionSetWidth(20),
		progressbar.OptionClearOnFinish(),
	)
	return &progress{bar: bar}
}

func describe(failed int) string { return fmt.Sprintf("scanning, %d failed", failed) }

// done counts a judged target (scanner.Scanner.Progress): the count first,
// then its failure, so that no frame shows a failure before its target is
// counted done.
func (p *progress) done(r *chain.Result) {
	p.bar.Add(1)
	if r.Failed() {
		p.failed++
		p.bar.Describe(describe(p.failed))
	}
}

// clear takes the line off the terminal (before the report writes to the
// same terminal, and at the end); the next done draws it again.
func (p *progress) clear() { p.bar.Clear() }

// Package diff implements "trustgap diff": what changed between two saved
// scan reports.
package diff

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	cmdreport "github.com/trustgap/trustgap/cmd/report"
	"github.com/trustgap/trustgap/report"
)

// DiffOptions are the dependencies and flag values of diff.
type DiffOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	Old, New string
	Format   string
	Out      string
	At       string
}

// NewCmdDiff returns the diff command. runF, when non-nil, replaces the
// run function (tests check flag parsing through it).
func NewCmdDiff(f *cmdutil.Factory, runF func(context.Context, *DiffOptions) error) *cobra.Command {
	opts := &DiffOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "diff OLD NEW [--format text|json|html] [--out FILE]",
		Short: "Say what changed between two saved scan reports",
		Long: `Diff compares two reports saved with "trustgap scan --format json" (or jsonl),
target by target and, for a name with several servers, address by address:
a server certificate renewed with the same key or re-keyed, another issuer
or root (a change of CA, flagged loudly), another verdict, findings added or
resolved, expiry moved within 90, 30, 14 or 7 days, targets added and
removed. Exit status: 1 when something got worse (a verdict down, a new
error, another root that clients do not trust, trust lost, expiry nearer;
a move to a root clients trust is shown as CA CHANGED but is not worse), so
a scheduled task can alert on it; 0 otherwise; 2 usage or input error.`,
		Example: `  trustgap diff last-week.json today.json
  trustgap diff last-week.json today.json --format html --out changes.html`,
		Args: func(c *cobra.Command, args []string) error {
			switch {
			case len(args) < 2:
				return cmdutil.FlagErrorf("diff needs two reports: OLD NEW (for example trustgap diff last-week.json today.json)")
			case len(args) > 2:
				return cmdutil.FlagErrorf("diff needs two reports: OLD NEW, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Old, opts.New = args[0], args[1]
			if err := cmdutil.CheckFormat(&opts.Format, "text", "json", "html"); err != nil {
				return err
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return diffRun(opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or html")
	c.Flags().StringVar(&opts.Out, "out", "", "write to `FILE` instead of standard output")
	c.Flags().StringVar(&opts.At, "now", "", "measure expiry from this instant for a report that does not record its time (`RFC3339`; default: now)")
	return c
}

func diffRun(o *DiffOptions) error {
	at, err := cmdutil.ParseNow(o.At, o.Now)
	if err != nil {
		return err
	}
	if o.Old == "-" && o.New == "-" {
		return cmdutil.FlagErrorf("OLD and NEW cannot both be standard input")
	}
	old, err := cmdreport.ReadReports(o.IO, []string{o.Old})
	if err != nil {
		return err
	}
	cur, err := cmdreport.ReadReports(o.IO, []string{o.New})
	if err != nil {
		return err
	}
	d := report.Diff(old, cur, at)
	out, w, err := cmdutil.CreateOut(o.Out, o.IO.Out)
	if err != nil {
		return err
	}
	switch o.Format {
	case "json":
		err = report.WriteDiffJSON(w, d)
	case "html":
		err = report.WriteDiffHTML(w, d)
	default:
		err = report.WriteDiffText(w, d)
	}
	if err == nil && d.Worse() {
		err = cmdutil.ErrFindings
	}
	return out.Finish(err)
}

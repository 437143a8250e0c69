// Package report implements "trustgap report": render saved scan reports in
// any format.
package report

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/report"
)

// ReportOptions are the dependencies and flag values of report.
type ReportOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	From    []string
	Format  string
	Out     string
	CSVBOM  bool
	Verbose bool
}

// NewCmdReport returns the report command. runF, when non-nil, replaces
// the run function (tests check flag parsing through it).
func NewCmdReport(f *cmdutil.Factory, runF func(context.Context, *ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "report --from REPORT.json [--from ...] [--format text|json|jsonl|html|csv] [--out FILE]",
		Short: "Render saved scan reports in any format",
		Long: `Report reads reports saved with "trustgap scan --format json" (or jsonl, or a
discover --scan document) and writes them in any format: the HTML page to
hand to a colleague, the CSV sheet for the change board, text, JSON. It
needs no network. Several --from reports (the shards of one scan, scan
--shard, or scans of parts of an estate) are merged into one, as one scan
of all their targets would have written it: targets de-duplicated, in the
list's order, the Lync comparison redone across all of them and the totals
recomputed; reports judged against another store or at another instant
are refused. Exit status: 0 no error-severity finding, 1 at least one (as
the scan would have exited), 2 usage or input error.`,
		Example: `  trustgap scan -f servers.txt --format json --out report.json
  trustgap report --from report.json --format html --out report.html
  trustgap report --from report.json --format csv --csv-bom --out report.csv
  trustgap report --from shard-0.json --from shard-1.json --format json --out report.json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(opts.From) == 0 {
				return cmdutil.FlagErrorf("report needs --from REPORT.json")
			}
			if err := cmdutil.CheckFormat(&opts.Format, "text", "json", "jsonl", "html", "csv"); err != nil {
				return err
			}
			if opts.CSVBOM && opts.Format != "csv" {
				return cmdutil.FlagErrorf("--csv-bom goes with --format csv")
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return reportRun(opts)
		},
	}
	c.Flags().StringArrayVar(&opts.From, "from", nil, "a saved scan report (`REPORT.json` or .jsonl; - for stdin; repeatable: several are merged)")
	c.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json, jsonl, html or csv")
	c.Flags().StringVar(&opts.Out, "out", "", "write to `FILE` instead of standard output")
	c.Flags().BoolVar(&opts.CSVBOM, "csv-bom", false, "with --format csv: start with a UTF-8 byte order mark, so that Excel reads non-ASCII names right")
	c.Flags().BoolVarP(&opts.Verbose, "verbose", "v", false, "text: print every address, the chain as presented and every certificate's details")
	return c
}

// ReadReports reads every report named (- for standard input, at most
// once) and merges them (report.Merge): report, bundle --from and diff
// read saved reports through it.
func ReadReports(io *cmdutil.IOStreams, names []string) (*report.Document, error) {
	stdin := 0
	for _, name := range names {
		if name == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return nil, cmdutil.FlagErrorf("--from - (standard input) given twice")
	}
	var docs []*report.Document
	for _, name := range names {
		in, label := io.In, "stdin"
		if name != "-" {
			f, err := os.Open(name)
			if err != nil {
				return nil, &cmdutil.HintError{Err: fmt.Errorf("cannot read report: %w", err), Hint: "save one with trustgap scan --format json --out FILE"}
			}
			defer f.Close()
			in, label = f, name
		}
		doc, err := report.ReadDocument(in, label)
		if err != nil {
			return nil, err
		}
		docs = append(docs, doc)
	}
	m, err := report.Merge(docs)
	if err != nil {
		return nil, err
	}
	for _, w := range m.Warnings {
		io.Warnf("%s", w)
	}
	return m, nil
}

func reportRun(o *ReportOptions) error {
	doc, err := ReadReports(o.IO, o.From)
	if err != nil {
		return err
	}
	out, w, err := cmdutil.CreateOut(o.Out, o.IO.Out)
	if err != nil {
		return err
	}
	sources := o.From
	opts := report.Options{Format: report.Format(o.Format), Color: o.IO.ColorEnabled() && out == nil, Verbose: o.Verbose, CSVBOM: o.CSVBOM, Sources: sources}
	s, err := report.Render(w, doc, opts)
	if err == nil && s.Failed > 0 {
		err = cmdutil.ErrFindings
	}
	return out.Finish(err)
}

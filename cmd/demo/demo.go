// Package demo implements "trustgap demo": a loopback lab of Lync and
// Exchange servers, scanned end to end.
package demo

import (
	"context"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/cmd/scan"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// DemoOptions are the dependencies and flag values of demo.
type DemoOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	Format string
	Bundle string
	// HTML is where the demo's HTML page goes; empty: none. By default
	// trustgap-demo-report.html beside the bundle folder.
	HTML string
}

// HTMLName is the demo's HTML page's file name.
const HTMLName = "trustgap-demo-report.html"

// NewCmdDemo returns the demo command.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *DemoOptions) error) *cobra.Command {
	opts := &DemoOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Start a loopback lab of Lync and Exchange servers, scan it and stop it",
		Long: `Demo starts a small lab on 127.0.0.1: a Lync pool on an internal CA, Exchange
EWS on another CA, an Exchange server still on its self-signed certificate,
and an Autodiscover server that does not send its intermediate. It scans the
lab's server list against the Mozilla root store, as "trustgap scan" would,
prints the report and stops the lab. Nothing leaves this machine.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if !c.Flags().Changed("html") {
				dir := "."
				if opts.Bundle != "" {
					dir = filepath.Dir(filepath.Clean(opts.Bundle))
				}
				opts.HTML = filepath.Join(dir, HTMLName)
			}
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return demoRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or jsonl")
	c.Flags().StringVar(&opts.Bundle, "bundle", "trustgap-demo-bundle", "write the demo's remediation bundle to `DIR`, replacing it (empty: none)")
	c.Flags().StringVar(&opts.HTML, "html", "", "write the report as an HTML page to `FILE`, replacing it (default "+HTMLName+" beside the bundle folder; empty: none)")
	return c
}

func demoRun(ctx context.Context, o *DemoOptions) error {
	now := o.Now()
	l := lab.Demo(now, false)
	defer l.Close()

	var list target.List
	if err := list.AddFile(strings.NewReader(l.Targets), "demo-servers.txt"); err != nil {
		return err
	}
	o.IO.Infof("demo lab started on 127.0.0.1:")
	for _, line := range l.Describe() {
		o.IO.Infof("  %s", line)
	}
	o.IO.Infof("server list:\n%s", l.Targets)

	flags := &scan.Flags{Roots: []string{"mozilla"}, Concurrency: 8, Format: o.Format}
	flags.Net.Timeout = 5 * time.Second
	// The demo's bundle is disposable: it replaces the last demo's.
	if o.Bundle != "" {
		flags.Bundle = scan.BundleFlags{Dir: o.Bundle, Force: true}
	}
	p, err := flags.Prepare(o.IO, func() time.Time { return now }, o.Version)
	if err != nil {
		return err
	}
	for k, v := range l.Pins {
		p.Scanner.Dialer.Pins[k] = v
	}
	var page *cmdutil.OutFile
	if o.HTML != "" {
		out, w, err := cmdutil.CreateOut(o.HTML, nil)
		if err != nil {
			return err
		}
		hopts := p.Options
		hopts.Format, hopts.Color, hopts.Bundle = report.FormatHTML, false, &report.Bundle{}
		hw, err := report.NewWriter(w, hopts)
		if err != nil {
			out.Abort()
			return err
		}
		page = out
		p.Extra = append(p.Extra, hw)
		p.Bundles = append(p.Bundles, hopts.Bundle)
	}
	err = page.Finish(p.Run(ctx, list.Targets))
	if page != nil && cmdutil.ExitCode(err) < 2 {
		o.IO.Infof("report page written to %s: open it in a browser", o.HTML)
	}
	return err
}

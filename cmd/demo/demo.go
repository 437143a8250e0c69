// Package demo implements "trustgap demo": a loopback lab of Lync and
// Exchange servers, scanned end to end.
package demo

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/cmd/scan"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/target"
)

// DemoOptions are the dependencies and flag values of demo.
type DemoOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	Format string
	Bundle string
}

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
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return demoRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.Format, "format", "text", "output format: text, json or jsonl")
	c.Flags().StringVar(&opts.Bundle, "bundle", "trustgap-demo-bundle", "write the demo's remediation bundle to `DIR`, replacing it (empty: none)")
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
	return p.Run(ctx, list.Targets)
}

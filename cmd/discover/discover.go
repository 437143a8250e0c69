// Package discover implements "trustgap discover".
package discover

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/cmd/scan"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// DiscoverOptions are the dependencies and flag values of discover.
type DiscoverOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	Domain    string
	SIPDomain string
	Scan      bool
	// ScanFlags are scan's flags; --dns, --resolve, --timeout and --format
	// serve both.
	ScanFlags scan.Flags
	// PortMap is for tests: see network.Dialer.PortMap.
	PortMap map[int]int
}

// NewCmdDiscover returns the discover command.
func NewCmdDiscover(f *cmdutil.Factory, runF func(context.Context, *DiscoverOptions) error) *cobra.Command {
	opts := &DiscoverOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "discover DOMAIN [flags]",
		Short: "Follow the clients' Autodiscover (and Lync sign-in) lookups for a mail domain",
		Long: `Discover follows the exact lookup order Lync and Outlook use to find Exchange
Autodiscover for the mail domain DOMAIN, and with --sip-domain the Lync sign-in
lookups, and reports every step: DNS answer, TCP connection, certificate names
and HTTP answer. --format targets prints what was found as a target file for
"trustgap scan -f -"; --scan scans it in the same run (the discovery report
then goes to standard error, the scan report to standard output in --format;
with --format json, one document on standard output holds both).
Exit status: 0 Autodiscover found and no error, 1 none found or an endpoint
fails (or the scan finds an error), 2 usage error.`,
		Example: `  trustgap discover contoso.com --sip-domain contoso.com
  trustgap discover contoso.com --format targets | trustgap scan -f -
  trustgap discover contoso.com --scan --roots client-roots.sst`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Domain = args[0]
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return discoverRun(c.Context(), opts)
		},
	}
	c.Flags().StringVar(&opts.SIPDomain, "sip-domain", "", "also follow the Lync sign-in lookups for this SIP `DOMAIN`")
	c.Flags().BoolVar(&opts.Scan, "scan", false, "scan the endpoints found, with scan's flags")
	opts.ScanFlags.Add(c)
	c.Flags().Lookup("format").Usage = "output `FORMAT`: text, json or targets (with --scan: the scan's text, json or jsonl)"
	return c
}

func discoverRun(ctx context.Context, o *DiscoverOptions) error {
	if err := checkDomain(o.Domain); err != nil {
		return err
	}
	if o.SIPDomain != "" {
		if err := checkDomain(o.SIPDomain); err != nil {
			return err
		}
	}
	if !o.Scan && o.ScanFlags.Bundle.Dir != "" {
		return cmdutil.FlagErrorf("--bundle goes with --scan")
	}
	allowed := []string{"text", "json", "targets"}
	if o.Scan {
		allowed = []string{"text", "json", "jsonl"}
	}
	if err := cmdutil.CheckFormat(&o.ScanFlags.Format, allowed...); err != nil {
		return err
	}
	d, err := o.ScanFlags.Net.Dialer()
	if err != nil {
		return err
	}
	d.PortMap = o.PortMap
	res := d.Resolver
	if res == nil {
		res = network.SystemResolver{}
	}
	rep := discover.Run(ctx, discover.Options{Domain: o.Domain, SIPDomain: o.SIPDomain, Dialer: d, Resolver: res, Timeout: o.ScanFlags.Net.Timeout})
	out := o.IO.Out
	if o.Scan {
		out = o.IO.ErrOut
	}
	oneDocument := o.Scan && o.ScanFlags.Format == "json"
	switch {
	case oneDocument:
		// Written with the scan below, as one JSON document.
	case o.Scan || o.ScanFlags.Format == "text":
		err = report.WriteDiscoverText(out, rep)
	case o.ScanFlags.Format == "json":
		err = report.WriteDiscoverJSON(out, rep)
	default:
		err = report.WriteDiscoverTargets(out, rep)
	}
	if err != nil {
		return err
	}
	var scanErr error
	if o.Scan {
		targets := rep.Targets()
		if len(targets) == 0 {
			o.IO.Infof("nothing to scan: no endpoint found accepted a connection")
			if oneDocument {
				if err := report.WriteDiscoverNoScan(o.IO.Out, rep); err != nil {
					return err
				}
			}
		} else {
			p, err := o.ScanFlags.Prepare(o.IO, o.Now, o.Version)
			if err != nil {
				return err
			}
			if oneDocument {
				if p.Writer, err = report.NewDiscoverScanWriter(o.IO.Out, rep, p.Options); err != nil {
					return err
				}
			}
			p.Scanner.Dialer.PortMap = o.PortMap
			scanErr = p.Run(ctx, targets)
			if scanErr != nil && cmdutil.ExitCode(scanErr) != 1 {
				return scanErr
			}
		}
	}
	if rep.Failed() {
		return cmdutil.ErrFindings
	}
	return scanErr
}

func checkDomain(d string) error {
	t, err := target.ParseTarget(d)
	if err != nil || strings.ContainsAny(d, ":/[") || t.Host != d {
		return cmdutil.FlagErrorf("bad domain %q: want a DNS name such as contoso.com", d)
	}
	return nil
}

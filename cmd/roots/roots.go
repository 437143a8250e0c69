// Package roots implements "trustgap roots", starting with "roots audit".
package roots

import (
	"context"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/rootstore"
)

// AuditOptions are the dependencies and flag values of roots audit.
type AuditOptions struct {
	IO  *cmdutil.IOStreams
	Now func() time.Time

	Sources []string
	At      string
	Format  string
}

// NewCmdRoots returns the roots command group.
func NewCmdRoots(f *cmdutil.Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	c := &cobra.Command{
		Use:   "roots",
		Short: "Inspect client root stores",
		// A group alone is a usage error (exit 2), not a help page with
		// exit 0.
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown roots subcommand %q (want audit)", args[0])
			}
			return cmdutil.FlagErrorf("roots needs a subcommand: audit")
		},
	}
	c.AddCommand(newCmdAudit(f, runF))
	return c
}

func newCmdAudit(f *cmdutil.Factory, runF func(context.Context, *AuditOptions) error) *cobra.Command {
	opts := &AuditOptions{IO: f.IO, Now: f.Now}
	c := &cobra.Command{
		Use:   "audit SOURCE...",
		Short: "Audit a root store for what breaks Lync and IIS on Windows",
		Long: `Audit loads one store from every SOURCE (system, mozilla,
authroot:AUTHROOT.STL+ROOTS.SST, or a PEM, DER, .p7b, .sst or Registry.pol
file or a directory of them, optionally prefixed root:, ca: or disallowed:)
and checks its roots as a Windows Trusted Root store: non-self-signed
certificates, the Schannel trusted issuer list size, too many roots, expired,
expiring, duplicate, weak or non-CA roots, self-signatures that cannot be
checked or do not verify. It says what each source gave per store (Root, CA,
Disallowed). Exit status: 0 no error-severity finding, 1 at least one, 2
usage or input error.`,
		Example: `  trustgap roots audit client-roots.sst
  trustgap roots audit \\dc01\SYSVOL\contoso.com\Policies\{GUID}\Machine\Registry.pol --format json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Sources = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return auditRun(opts)
		},
	}
	c.Flags().StringVar(&opts.At, "now", "", "judge validity at this instant (`RFC3339`; default: now)")
	c.Flags().StringVar(&opts.Format, "format", "text", "output `FORMAT`: text, json or jsonl")
	return c
}

func auditRun(o *AuditOptions) error {
	if err := cmdutil.CheckFormat(&o.Format, "text", "json", "jsonl"); err != nil {
		return err
	}
	now, err := cmdutil.ParseNow(o.At, o.Now)
	if err != nil {
		return err
	}
	store, err := rootstore.Load(o.Sources...)
	for _, w := range store.Warnings {
		o.IO.Warnf("%s", w)
	}
	if err != nil {
		return err
	}
	rep := rootstore.AuditStore(store, now)
	if err := report.WriteAudit(o.IO.Out, rep, o.Format); err != nil {
		return err
	}
	if rep.Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}

// Package bundle implements "trustgap bundle", and the bundle writing that
// scan --bundle and demo share.
package bundle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	cmdreport "github.com/trustgap/trustgap/cmd/report"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
)

// BundleOptions are the dependencies and flag values of bundle.
type BundleOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	// From are the saved reports (--from, repeatable): several are merged
	// (report.Merge) into one.
	From []string
	Out  Flags
}

// Flags are the bundle flags scan shares.
type Flags struct {
	Dir               string
	Force             bool
	IncludeSelfSigned bool
}

// NewCmdBundle returns the bundle command.
func NewCmdBundle(f *cmdutil.Factory, runF func(context.Context, *BundleOptions) error) *cobra.Command {
	opts := &BundleOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	var at string
	c := &cobra.Command{
		Use:   "bundle --from REPORT.json [--from REPORT.json...] --out DIR",
		Short: "Write the remediation bundle from a saved scan report",
		Long: `Bundle reads a report saved with "trustgap scan --format json" (or jsonl) and
writes the Group Policy ready bundle that makes its failing chains trusted,
offline: review the scan first, build the bundle later. Several --from
reports (the shards of one scan, scan --shard) are merged into one first:
targets de-duplicated and the Lync comparison redone across all of them.`,
		Example: `  trustgap scan -f servers.txt --format json > report.json
  trustgap bundle --from report.json --out trust-bundle
  trustgap bundle --from shard-0.json --from shard-1.json --out trust-bundle`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(opts.From) == 0 || opts.Out.Dir == "" {
				return cmdutil.FlagErrorf("bundle needs --from REPORT.json and --out DIR")
			}
			now, err := cmdutil.ParseNow(at, opts.Now)
			if err != nil {
				return err
			}
			opts.Now = func() time.Time { return now }
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return bundleRun(opts)
		},
	}
	c.Flags().StringArrayVar(&opts.From, "from", nil, "a saved scan report (`REPORT.json`, - for stdin; repeatable: several are merged)")
	c.Flags().StringVar(&opts.Out.Dir, "out", "", "write the bundle to `DIR` (must not exist or be empty)")
	c.Flags().BoolVar(&opts.Out.Force, "force", false, "replace DIR only if it holds a trustgap bundle whose files match its manifest.json (nothing else is ever replaced)")
	c.Flags().BoolVar(&opts.Out.IncludeSelfSigned, "include-self-signed", false, "also deploy self-signed server certificates (a stop-gap)")
	c.Flags().StringVar(&at, "now", "", "generation time recorded in the bundle (`RFC3339`; default: now)")
	return c
}

func bundleRun(o *BundleOptions) error {
	if err := o.Out.Check(); err != nil {
		return err
	}
	pl := &remediate.Planner{IncludeSelfSigned: o.Out.IncludeSelfSigned}
	if len(o.From) == 1 {
		// One report is read as a stream, never held whole.
		shard := false
		err := withReport(o.IO, o.From[0], func(in io.Reader, name string) error {
			return report.Read(in, name, func(t *report.Target) error {
				shard = shard || t.Index != nil
				return pl.Add(t)
			})
		})
		if err != nil {
			return err
		}
		if shard {
			o.IO.Warnf("%s is the report of one shard (scan --shard): the bundle covers only its targets; give every shard's report with --from to bundle them all", certutil.SafeText(o.From[0]))
		}
	} else {
		m, err := cmdreport.ReadReports(o.IO, o.From)
		if err != nil {
			return err
		}
		for _, t := range m.Targets {
			if err := pl.Add(t); err != nil {
				return err
			}
		}
	}
	return o.Out.Write(o.IO, pl.Plan(), remediate.Meta{Version: o.Version, Time: o.Now()})
}

// withReport opens a --from value ("-": standard input) and hands it to
// read with its name.
func withReport(io *cmdutil.IOStreams, from string, read func(io.Reader, string) error) error {
	if from == "-" {
		return read(io.In, "stdin")
	}
	f, err := os.Open(from)
	if err != nil {
		return err
	}
	defer f.Close()
	return read(f, from)
}

// Check fails early, before any scanning, when the bundle folder exists
// without --force, or is not a bundle --force may replace.
func (b *Flags) Check() error {
	if b.Dir == "" {
		return nil
	}
	_, err := remediate.CheckReplace(b.Dir, b.Force)
	return writeError(b.Dir, err)
}

// writeError adds the hint to a refused bundle folder.
func writeError(dir string, err error) error {
	var ee *remediate.ExistsError
	var ne *remediate.NotBundleError
	switch {
	case errors.As(err, &ee):
		return &cmdutil.HintError{Err: errors.New(dir + " exists and is not empty"), Hint: "choose another folder, or add --force to replace it if it is a bundle trustgap wrote"}
	case errors.As(err, &ne):
		return &cmdutil.HintError{Err: err, Hint: "choose another folder (an empty or new one)"}
	}
	return err
}

// Write renders plan and writes it to the folder, or says that there is
// nothing to deploy.
func (b *Flags) Write(io *cmdutil.IOStreams, plan *remediate.Plan, meta remediate.Meta) error {
	_, err := b.WriteInfo(io, plan, meta)
	return err
}

// WriteInfo is Write, also returning what the bundle holds for a report to
// show; nil when there was nothing to deploy.
func (b *Flags) WriteInfo(io *cmdutil.IOStreams, plan *remediate.Plan, meta remediate.Meta) (*report.Bundle, error) {
	for _, it := range plan.LeftOut {
		if it.EndEntityRoot {
			io.Warnf("self-signed certificate %q (SHA-1 %s), which does not say it is a CA, left out of the bundle: issue the server's certificate from a real CA, or add --include-self-signed", certutil.Subject(it.Cert), it.Thumbprint())
			continue
		}
		io.Warnf("self-signed server certificate %q (SHA-1 %s) left out of the bundle: replace it with a CA-issued certificate, or add --include-self-signed", certutil.Subject(it.Cert), it.Thumbprint())
	}
	for _, tc := range plan.Intercepted {
		io.Warnf("%s %s left out of the bundle: its connection is intercepted (%s): nothing to deploy, and it stays broken until clients reach the real server", certutil.SafeText(string(tc.Role)), certutil.SafeText(tc.Target), strings.Join(tc.Codes, ", "))
	}
	for _, tc := range plan.Excluded {
		io.Warnf("%s %s left out of the bundle: its chain has problems in the CA hierarchy that no deployment fixes (%s)", certutil.SafeText(string(tc.Role)), certutil.SafeText(tc.Target), strings.Join(tc.Codes, ", "))
	}
	for _, u := range plan.Unused {
		io.Warnf("%s %s left out of the bundle: %s", certutil.SafeText(string(u.Role)), certutil.SafeText(u.Target), certutil.SafeText(u.Why()))
	}
	if plan.Empty() {
		io.Infof("nothing to deploy: no untrusted root or missing intermediate; no bundle written")
		return nil, nil
	}
	files, err := remediate.Render(plan, meta)
	if err != nil {
		return nil, err
	}
	if err := remediate.Write(b.Dir, files, b.Force); err != nil {
		return nil, writeError(b.Dir, err)
	}
	io.Infof("bundle written to %s: %d root(s), %d intermediate(s), %d files; read %s/INSTRUCTIONS.md",
		b.Dir, len(plan.ByStore(remediate.StoreRoot)), len(plan.ByStore(remediate.StoreCA)), len(files), b.Dir)
	return Info(b.Dir, plan, files), nil
}

// Info describes a bundle written to dir, for the HTML report.
func Info(dir string, plan *remediate.Plan, files []remediate.File) *report.Bundle {
	info := &report.Bundle{Dir: dir}
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		info.Files = append(info.Files, report.BundleFile{Name: f.Name, Size: len(f.Data), SHA256: hex.EncodeToString(sum[:])})
	}
	cert := func(it *remediate.Item) report.BundleCert {
		id := certutil.IdentityOf(it.Cert)
		bc := report.BundleCert{Store: string(it.Store), Subject: id.Subject, SHA1: id.SHA1, NotAfter: id.NotAfter, File: it.File(),
			LyncAssumedOnly: it.LyncAssumedOnly(), SelfSignedLeaf: it.SelfSignedLeaf}
		for _, r := range it.Reasons {
			bc.Targets = append(bc.Targets, string(r.Role)+" "+r.Target)
		}
		return bc
	}
	for _, it := range plan.Items {
		info.Certs = append(info.Certs, cert(it))
	}
	for _, it := range plan.LeftOut {
		info.LeftOut = append(info.LeftOut, cert(it))
	}
	return info
}

// Package scan implements "trustgap scan".
package scan

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/scanner"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/cmd/bundle"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/revocation"
	"github.com/trustgap/trustgap/rootstore"
	"github.com/trustgap/trustgap/target"
)

// ScanOptions are the dependencies and flag values of scan.
type ScanOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	Args        []string
	TargetFiles []string
	Flags
}

// BundleFlags are scan's --bundle, --force and --include-self-signed.
type BundleFlags = bundle.Flags

// Flags are scan's flags other than its targets; discover --scan reuses
// them.
type Flags struct {
	Net         cmdutil.NetFlags
	Roots       []string
	Concurrency int
	NoAIA       bool
	At          string
	Format      string
	Verbose     bool
	Protocols   bool
	Bundle      BundleFlags

	// Issuers are CA certificates the organisation has (--issuers): they
	// may complete paths and go into the bundle, but are never trusted by
	// themselves.
	Issuers []string
	// NoLyncAssumption: the roots of lync targets do not count as trusted.
	NoLyncAssumption bool
	// Revocation is soft (also when empty), hard or off.
	Revocation string
	// PostQuantum also offers the post-quantum key exchange.
	PostQuantum bool
	// Quiet turns the progress line off (-q).
	Quiet bool
	// Shard is --shard K/N: scan the K-th of N slices of the targets.
	Shard string

	// Out is the file the report goes to (--out); empty or "-": standard
	// output. Only scan has the flag.
	Out string
	// CSVBOM starts a CSV report with a UTF-8 byte order mark (--csv-bom).
	CSVBOM bool
}

// Add registers the flags on c.
func (o *Flags) Add(c *cobra.Command) {
	fs := c.Flags()
	o.Net.Add(fs)
	fs.StringArrayVar(&o.Roots, "roots", nil, "a client root store `SOURCE` to judge against: system, mozilla, authroot:CTL+CERTS, or a file or directory, optionally prefixed root:, ca: or disallowed: (repeatable; default system)")
	fs.StringArrayVar(&o.Issuers, "issuers", nil, "CA certificates your organisation has (offline root, issuing CAs) that may complete chains and go into the bundle, never trusted by themselves: a `FILE` or DIR in any store form (repeatable)")
	fs.BoolVar(&o.NoLyncAssumption, "no-lync-assumption", false, "do not count the roots of lync targets as trusted (use when --roots is the clients' complete store)")
	fs.IntVarP(&o.Concurrency, "concurrency", "c", scanner.DefaultConcurrency, "at most `N` connections in flight (lowered to what the file-descriptor limit allows)")
	fs.StringVar(&o.Shard, "shard", "", "scan only the K-th of N slices of the targets (`K/N`, K from 0; or N alone, K from JOB_COMPLETION_INDEX): lync targets are scanned in every shard, reported in their own")
	fs.BoolVarP(&o.Quiet, "quiet", "q", false, "no progress line on standard error (it is shown only when standard error is a terminal)")
	fs.BoolVar(&o.PostQuantum, "post-quantum", false, "also offer the post-quantum key exchange X25519MLKEM768 (Go's default); without it, X25519 and the NIST curves only, which is cheaper and enough to read certificates")
	fs.BoolVar(&o.NoAIA, "no-aia", false, "do not fetch missing intermediates from AIA caIssuers URLs")
	fs.StringVar(&o.Revocation, "revocation", "soft", "check CRLs and OCSP, in this `MODE`: soft (a failure to check is a warning), hard (an error) or off (no revocation traffic)")
	fs.StringVar(&o.At, "now", "", "judge validity at this instant (`RFC3339`; default: now)")
	fs.StringVar(&o.Format, "format", "text", "output `FORMAT`: text, json, jsonl, html or csv")
	fs.BoolVarP(&o.Verbose, "verbose", "v", false, "text: print every address and its handshake, the chain as presented and every certificate's details")
	fs.BoolVar(&o.Protocols, "protocols", false, "probe which of TLS 1.0, 1.1, 1.2 and 1.3 every server accepts (one extra handshake per version)")
	fs.StringVar(&o.Bundle.Dir, "bundle", "", "write the remediation bundle to `DIR` (must not exist or be empty)")
	fs.BoolVar(&o.Bundle.Force, "force", false, "with --bundle: replace DIR only if it holds a trustgap bundle whose files match its manifest.json (nothing else is ever replaced)")
	fs.BoolVar(&o.Bundle.IncludeSelfSigned, "include-self-signed", false, "with --bundle: also deploy self-signed server certificates (a stop-gap)")
}

// NewCmdScan returns the scan command. runF, when non-nil, replaces the run
// function (tests check flag parsing through it).
func NewCmdScan(f *cmdutil.Factory, runF func(context.Context, *ScanOptions) error) *cobra.Command {
	opts := &ScanOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "scan [TARGET...] [flags]",
		Short: "Fetch, build and judge the certificate chain of every target",
		Long: `Scan connects to every target, captures the certificate chain it presents,
completes it through AIA, builds it to its root and judges it for a Lync or
Skype for Business client. A target is host, host:port, [v6]:port or
https://host[:port]/path, optionally preceded by a role (ews, autodiscover,
lync, other), in the same argument or as the argument before it. Write lync
before your Lync pools: only the roots of lync targets written so are
assumed trusted (a lync role inferred from port 5061 is not). Ctrl-C
stops the scan and writes what completed (to --out FILE too), without a
bundle. Exit status: 0 no error-severity finding, 1 at least one, 2 usage
or input error, 130 interrupted.`,
		Example: `  trustgap scan https://mail.contoso.com/EWS/Exchange.asmx lync pool.contoso.com
  trustgap scan -f servers.txt --roots client-roots.sst --format json > report.json`,
		RunE: func(c *cobra.Command, args []string) error {
			opts.Args = args
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return scanRun(c.Context(), opts)
		},
	}
	c.Flags().StringArrayVarP(&opts.TargetFiles, "targets", "f", nil, "read targets from `FILE`, one \"[ROLE] TARGET\" per line (repeatable; - for stdin)")
	opts.Flags.Add(c)
	c.Flags().StringVar(&opts.Out, "out", "", "write the report to `FILE` instead of standard output: written when the scan ends (an interrupted scan writes what completed; a failed one leaves FILE as it was)")
	c.Flags().BoolVar(&opts.CSVBOM, "csv-bom", false, "with --format csv: start with a UTF-8 byte order mark, so that Excel reads non-ASCII names right")
	return c
}

// readTargets parses every argument and target file. The first malformed
// line stops everything, before any connection.
func (o *ScanOptions) readTargets() ([]target.Target, error) {
	var list target.List
	if err := list.AddArgs(o.Args); err != nil {
		return nil, err
	}
	for _, name := range o.TargetFiles {
		if name == "-" {
			if err := list.AddFile(o.IO.In, "stdin"); err != nil {
				return nil, err
			}
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("cannot read targets: %w", err)
		}
		err = list.AddFile(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	if len(list.Targets) == 0 {
		return nil, cmdutil.FlagErrorf("no targets: give TARGET arguments or -f FILE")
	}
	return list.Targets, nil
}

func scanRun(ctx context.Context, o *ScanOptions) error {
	targets, err := o.readTargets()
	if err != nil {
		return err
	}
	return Run(ctx, o.IO, o.Now, o.Version, &o.Flags, targets)
}

// NewScanner returns a scanner that judges against a client's store: its
// roots anchor chains (bound by its root rule, such as authroot: CTL
// restrictions), its intermediates may complete them, and its Disallowed
// certificates are refused; a root that copies the name of one of its
// roots or of Mozilla's program is impersonating-root. scan and client
// share it.
func NewScanner(d *network.Dialer, store *rootstore.Store, now time.Time, concurrency int) *scanner.Scanner {
	return &scanner.Scanner{
		Dialer: d, Store: chain.NewCertSet(store.Certificates()...),
		Intermediates: chain.NewCertSet(store.IntermediateCertificates()...),
		Disallowed:    chain.NewCertSet(store.DisallowedCertificates()...),
		RootRule:      store.RootRule(),
		Namesake:      rootstore.PublicNamesake,
		Now:           now, Concurrency: concurrency,
	}
}

// Prepared is what the flags resolve to before a scan starts.
type Prepared struct {
	Scanner *scanner.Scanner
	Store   *rootstore.Store
	Writer  report.Writer
	// Options are the report options Writer was made with (discover
	// --scan --format json makes its own writer from them).
	Options report.Options
	// Planner collects the bundle when --bundle is given.
	Planner *remediate.Planner
	// Extra are more report writers that get every result (the demo's
	// HTML page); they are closed after the bundle is written.
	Extra []report.Writer
	// Bundles are filled in with what the bundle holds once it is
	// written, before any writer is closed (HTML pages show it).
	Bundles []*report.Bundle
	bundle  BundleFlags
	io      *cmdutil.IOStreams
	meta    remediate.Meta
	out     *cmdutil.OutFile
	quiet   bool
}

// Prepare checks the flags, loads the root store and builds the scanner and
// report writer. Any problem is a usage or input error.
func (o *Flags) Prepare(io *cmdutil.IOStreams, now func() time.Time, version string) (*Prepared, error) {
	if err := cmdutil.CheckFormat(&o.Format, "text", "json", "jsonl", "html", "csv"); err != nil {
		return nil, err
	}
	if o.CSVBOM && o.Format != "csv" {
		return nil, cmdutil.FlagErrorf("--csv-bom goes with --format csv")
	}
	if o.Shard != "" && o.Bundle.Dir != "" {
		return nil, cmdutil.FlagErrorf("--bundle with --shard would write a bundle of one shard's targets: save each shard's report (--format json), then merge them into one bundle with trustgap bundle --from SHARD-0.json --from SHARD-1.json ... --out DIR")
	}
	if err := o.Bundle.Check(); err != nil {
		return nil, err
	}
	if (o.Bundle.Force || o.Bundle.IncludeSelfSigned) && o.Bundle.Dir == "" {
		return nil, cmdutil.FlagErrorf("--force and --include-self-signed go with --bundle DIR")
	}
	if o.Concurrency < 1 {
		return nil, cmdutil.FlagErrorf("--concurrency must be at least 1, got %d", o.Concurrency)
	}
	at, err := cmdutil.ParseNow(o.At, now)
	if err != nil {
		return nil, err
	}
	rev := o.Revocation
	if rev == "" {
		rev = string(revocation.Soft)
	}
	mode, err := revocation.ParseMode(rev)
	if err != nil {
		return nil, cmdutil.FlagErrorf("unknown --revocation %q (want soft, hard or off)", o.Revocation)
	}
	d, err := o.Net.Dialer()
	if err != nil {
		return nil, err
	}
	sources := o.Roots
	if len(sources) == 0 {
		sources = []string{"system"}
	}
	store, err := rootstore.Load(sources...)
	for _, w := range store.Warnings {
		io.Warnf("%s", w)
	}
	if err != nil {
		return nil, &cmdutil.HintError{Err: err, Hint: "--roots takes system, mozilla, authroot:AUTHROOT.STL+ROOTS.SST, or a PEM, DER, .p7b, .sst or Registry.pol file or a directory of them"}
	}
	if w := store.ClientWarning(runtime.GOOS); w != "" {
		io.Warnf("%s", w)
	}
	d.PostQuantum = o.PostQuantum
	conc := o.Concurrency
	if limit := network.FileLimit(); network.MaxConcurrency(limit) > 0 && conc > network.MaxConcurrency(limit) {
		conc = network.MaxConcurrency(limit)
		io.Warnf("--concurrency %d needs more file descriptors than this process may open (%d): scanning with %d connections in flight (raise the limit with ulimit -n)", o.Concurrency, limit, conc)
	}
	sc := NewScanner(d, store, at, conc)
	sc.NoLyncAssumption, sc.Protocols = o.NoLyncAssumption, o.Protocols
	sharded, shard := false, ""
	if o.Shard != "" {
		sh, err := target.ParseShard(o.Shard, os.Getenv("JOB_COMPLETION_INDEX"))
		if err != nil {
			return nil, &cmdutil.FlagError{Err: err}
		}
		sc.Selected, sharded, shard = sh.Contains, true, sh.String()
	}
	if len(o.Issuers) > 0 {
		is, err := rootstore.Load(o.Issuers...)
		for _, w := range is.Warnings {
			io.Warnf("--issuers: %s", w)
		}
		if err != nil {
			return nil, &cmdutil.HintError{Err: err, Hint: "--issuers takes a PEM, DER, .p7b, .sst or Registry.pol file or a directory of them"}
		}
		if len(is.Disallowed) > 0 {
			io.Warnf("--issuers: %d certificate(s) of a Disallowed store ignored (give them with --roots to judge against them)", len(is.Disallowed))
		}
		sc.Issuers = chain.NewCertSet(append(is.Certificates(), is.IntermediateCertificates()...)...)
	}
	// One fetcher for AIA and revocation: each URL once per run, shared by
	// every target.
	fetcher := network.NewFetcher(d)
	if !o.NoAIA {
		sc.AIA = &network.AIA{Fetcher: fetcher}
	}
	if mode != revocation.Off {
		sc.Revocation = revocation.New(fetcher, mode, at)
	}
	public := func(c *x509.Certificate) *bool { p := rootstore.IsPublic(c); return &p }
	ropts := report.Options{Format: report.Format(o.Format), Color: io.ColorEnabled() && o.Out == "", Verbose: o.Verbose, Public: public,
		Store: report.NewStore(store, runtime.GOOS), Run: report.NewRun(at, version), CSVBOM: o.CSVBOM, Index: sharded}
	ropts.Run.Shard = shard
	if o.Bundle.Dir != "" && o.Format == "html" {
		ropts.Bundle = &report.Bundle{} // filled in when the bundle is written
	}
	out, dst, err := cmdutil.CreateOut(o.Out, io.Out)
	if err != nil {
		return nil, err
	}
	w, err := report.NewWriter(dst, ropts)
	if err != nil {
		out.Abort()
		return nil, err
	}
	p := &Prepared{Scanner: sc, Store: store, Writer: w, Options: ropts, bundle: o.Bundle, io: io, meta: remediate.Meta{Version: version, Time: at},
		out: out, quiet: o.Quiet}
	if ropts.Bundle != nil {
		p.Bundles = append(p.Bundles, ropts.Bundle)
	}
	if o.Bundle.Dir != "" {
		p.Planner = &remediate.Planner{IncludeSelfSigned: o.Bundle.IncludeSelfSigned}
	}
	return p, nil
}

// Run scans targets with the flags and writes the report. It returns
// [cmdutil.ErrFindings] when a target has an error-severity finding.
func Run(ctx context.Context, io *cmdutil.IOStreams, now func() time.Time, version string, o *Flags, targets []target.Target) error {
	p, err := o.Prepare(io, now, version)
	if err != nil {
		return err
	}
	return p.Run(ctx, targets)
}

// Run scans targets and writes the report, with a progress line on
// standard error when it is a terminal (and not -q). The HTML page lists
// the bundle, so with --format html the bundle is written before the
// report is closed; otherwise after. An interrupted run writes what
// completed (to --out FILE too), writes no bundle, and returns a
// [*cmdutil.InterruptedError]; any other failure leaves --out FILE as it
// was.
func (p *Prepared) Run(ctx context.Context, targets []target.Target) error {
	err := p.run(ctx, targets)
	return p.out.Finish(err)
}

func (p *Prepared) run(ctx context.Context, targets []target.Target) error {
	var prog *progress
	if p.io.IsStderrTTY() && !p.quiet {
		total := 0
		for i := range targets {
			if p.Scanner.Selected == nil || p.Scanner.Selected(i) {
				total++
			}
		}
		prog = newProgress(p.io.ErrOut, total)
		p.Scanner.Progress = prog.done
		defer prog.clear()
	}
	// The progress line is cleared before the report writes to the same
	// terminal (not when it goes to --out FILE).
	clearFirst := prog != nil && p.out == nil && p.io.IsStdoutTTY()
	writers := append([]report.Writer{p.Writer}, p.Extra...)
	err := p.Scanner.Scan(ctx, targets, func(r *chain.Result) error {
		if clearFirst {
			prog.clear()
		}
		for _, w := range writers {
			if err := w.Write(r); err != nil {
				return err
			}
		}
		if p.Planner != nil {
			tr := report.FromResult(r, nil)
			return p.Planner.Add(&tr)
		}
		return nil
	})
	var ie *scanner.InterruptedError
	if errors.As(err, &ie) {
		// What completed is written, marked as interrupted; a bundle from
		// half a scan would be wrong, so none is written.
		for _, w := range writers {
			s := w.Summary()
			s.Interrupted, s.NotScanned = true, ie.NotScanned
		}
		p.noBundle()
		for _, w := range writers {
			if cerr := w.Close(); cerr != nil {
				return fmt.Errorf("writing the report: %w", cerr)
			}
		}
		return &cmdutil.InterruptedError{NotScanned: ie.NotScanned, Total: ie.Total}
	}
	// Interrupted after the last target: the report is whole, but the run
	// was asked to stop, so no bundle.
	stopped := err == nil && ctx.Err() != nil && p.Planner != nil
	bundleFirst := len(p.Bundles) > 0
	switch {
	case stopped:
		p.noBundle()
	case err == nil && bundleFirst:
		if err := p.writeBundle(); err != nil {
			return err
		}
	}
	for _, w := range writers {
		if cerr := w.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if stopped {
		return &cmdutil.InterruptedError{Total: p.Writer.Summary().Targets}
	}
	if !bundleFirst {
		if err := p.writeBundle(); err != nil {
			return err
		}
	}
	if p.Writer.Summary().Failed > 0 {
		return cmdutil.ErrFindings
	}
	return nil
}

// noBundle tells the HTML page that the bundle asked for was not written
// because the run was interrupted.
func (p *Prepared) noBundle() {
	for _, b := range p.Bundles {
		b.Interrupted = true
	}
}

// writeBundle writes the bundle, when --bundle was given, and tells the
// HTML page what it holds.
func (p *Prepared) writeBundle() error {
	if p.Planner == nil {
		return nil
	}
	info, err := p.bundle.WriteInfo(p.io, p.Planner.Plan(), p.meta)
	if err != nil {
		return err
	}
	for _, b := range p.Bundles {
		if info != nil {
			*b = *info
		}
	}
	return nil
}

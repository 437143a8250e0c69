// Package client implements "trustgap client".
package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/cmd/scan"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/winreg"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/revocation"
	"github.com/trustgap/trustgap/rootstore"
	"github.com/trustgap/trustgap/target"
)

// ClientOptions are the dependencies and flag values of client.
type ClientOptions struct {
	IO      *cmdutil.IOStreams
	Now     func() time.Time
	Version string

	User     string
	RegFiles []string
	Offline  bool
	Roots    []string
	Net      cmdutil.NetFlags
	NoAIA    bool
	At       string
	Format   string
	Verbose  bool
	// PortMap is for tests: see network.Dialer.PortMap.
	PortMap map[int]int
	// testOnlyGOOS, when set, stands for runtime.GOOS.
	testOnlyGOOS string
}

// NewCmdClient returns the client command. runF, when non-nil, replaces
// the run function (tests check flag parsing through it).
func NewCmdClient(f *cmdutil.Factory, runF func(context.Context, *ClientOptions) error) *cobra.Command {
	opts := &ClientOptions{IO: f.IO, Now: f.Now, Version: f.Version}
	c := &cobra.Command{
		Use:   "client [flags]",
		Short: "Diagnose a user's machine: the default Outlook profile, Lync's settings and what the client really trusts",
		Long: `Client reads a user's Outlook profiles (Lync uses the default one for EWS),
Lync's settings, the TrustModelData, ProtectedRoots and DisableRootAutoUpdate
policies and the client's certificate stores, from this machine's registry on
Windows or from "reg export" files (--reg), and reports what stops EWS. Then,
unless --offline, it follows Autodiscover for the mailbox's SMTP domain (and
Lync sign-in for the SIP domain) and scans what it finds, judged against what
this client trusts; on Windows every chain is also put to Windows' own chain
engine. Exit status: 0 no error-severity finding, 1 at least one, 2 usage or
input error (such as a file that is not a registry export).`,
		Example: `  trustgap client --user sip:alice@contoso.com
  trustgap client --reg exports\ --user alice@contoso.com --offline
  trustgap client --reg outlook16.reg --reg certs-machine.reg --roots authroot:authroot.stl+roots.sst --format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(c.Context(), opts)
			}
			return clientRun(c.Context(), opts)
		},
	}
	fs := c.Flags()
	fs.StringVar(&opts.User, "user", "", "the user's SIP address (`USER@DOMAIN`, sip: allowed; default: ServerSipUri from Lync's settings)")
	fs.StringArrayVar(&opts.RegFiles, "reg", nil, "read the registry from this `FILE` exported with reg export or regedit, or every .reg file of a directory (repeatable; default: this machine's registry, Windows only)")
	fs.BoolVar(&opts.Offline, "offline", false, "no network: profiles, settings, policies and stores only")
	fs.StringArrayVar(&opts.Roots, "roots", nil, "more roots the client trusts, from a `SOURCE`: its exported SST, the GPO's Registry.pol, authroot:AUTHROOT.STL+ROOTS.SST, ... (repeatable)")
	opts.Net.Add(fs)
	fs.BoolVar(&opts.NoAIA, "no-aia", false, "do not fetch missing intermediates from AIA caIssuers URLs")
	fs.StringVar(&opts.At, "now", "", "judge validity at this instant (`RFC3339`; default: now)")
	fs.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text or json")
	fs.BoolVarP(&opts.Verbose, "verbose", "v", false, "text: print every address and its handshake, the chain as presented and every certificate's details")
	return c
}

// maxRegFiles bounds the .reg files read from directories.
const maxRegFiles = 1000

// readRegistry builds the registry model: from the --reg files, or live.
func (o *ClientOptions) readRegistry() (*winreg.Registry, error) {
	goos := o.testOnlyGOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if len(o.RegFiles) == 0 {
		if goos != "windows" {
			return nil, cmdutil.FlagErrorf("there is no Windows registry here: give the user's registry as --reg FILE (see \"Diagnose a client\" in the README for the reg export commands)")
		}
		reg, err := winreg.ReadLive(winreg.DefaultLimits, client.ExportKeys...)
		if err != nil {
			return nil, fmt.Errorf("reading this machine's registry: %w", err)
		}
		return reg, nil
	}
	reg := winreg.New(winreg.DefaultLimits)
	for _, p := range o.RegFiles {
		files := []string{p}
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			matches, err := filepath.Glob(filepath.Join(p, "*"))
			if err != nil {
				return nil, err
			}
			files = nil
			for _, m := range matches {
				if strings.EqualFold(filepath.Ext(m), ".reg") {
					files = append(files, m)
				}
			}
			sort.Strings(files)
			if len(files) == 0 {
				return nil, &cmdutil.HintError{Err: fmt.Errorf("--reg %s: the directory holds no .reg file", p), Hint: "export the keys with reg export (README: Diagnose a client)"}
			}
			if len(files) > maxRegFiles {
				return nil, fmt.Errorf("--reg %s: more than %d .reg files", p, maxRegFiles)
			}
		}
		for _, f := range files {
			if err := reg.LoadFile(f); err != nil {
				if errors.Is(err, winreg.ErrNotExport) {
					return nil, &cmdutil.HintError{Err: err, Hint: `--reg takes files written by reg export or regedit ("Windows Registry Editor Version 5.00" or "REGEDIT4")`}
				}
				return nil, err
			}
		}
	}
	return reg, nil
}

func clientRun(ctx context.Context, o *ClientOptions) error {
	if err := cmdutil.CheckFormat(&o.Format, "text", "json"); err != nil {
		return err
	}
	at, err := cmdutil.ParseNow(o.At, o.Now)
	if err != nil {
		return err
	}
	reg, err := o.readRegistry()
	if err != nil {
		return err
	}
	rep, err := client.Inspect(reg, client.Options{User: o.User, Roots: o.Roots, Now: at})
	if err != nil {
		var le *rootstore.LoadError
		if errors.As(err, &le) {
			return &cmdutil.HintError{Err: err, Hint: "--roots takes system, mozilla, authroot:AUTHROOT.STL+ROOTS.SST, or a PEM, DER, .p7b, .sst or Registry.pol file or a directory of them"}
		}
		var ie *client.InputError
		if errors.As(err, &ie) {
			return &cmdutil.FlagError{Err: err}
		}
		return err
	}
	for _, w := range rep.Store.Warnings {
		o.IO.Warnf("%s", w)
	}
	public := func(c *x509.Certificate) *bool { p := rootstore.IsPublic(c); return &p }

	var disc *discover.Report
	var results []*chain.Result
	if o.Offline {
		host := rep.OfflineEWSHost()
		rep.CheckTrustModel(host, host == rep.MailDomain())
	} else {
		if disc, results, err = o.network(ctx, rep, at); err != nil {
			return err
		}
	}
	doc := report.NewClient(rep, disc, results, public)
	if err := report.WriteClient(o.IO.Out, doc, report.Options{Format: report.Format(o.Format), Color: o.IO.ColorEnabled(), Verbose: o.Verbose, Public: public}); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if doc.Failed() {
		return cmdutil.ErrFindings
	}
	return nil
}

// network runs discover for the mail domain (and Lync sign-in for the SIP
// domain), scans what it finds and the Lync pools configured by hand
// against the client's trust, and adds trust-model-data and, on a live
// Windows check, os-disagrees to rep.
func (o *ClientOptions) network(ctx context.Context, rep *client.Report, at time.Time) (*discover.Report, []*chain.Result, error) {
	domain := rep.MailDomain()
	if domain == "" {
		return nil, nil, cmdutil.FlagErrorf("no address to look up: the default Outlook profile names no SMTP address and no SIP address is known; give --user user@domain, or --offline")
	}
	d, err := o.Net.Dialer()
	if err != nil {
		return nil, nil, err
	}
	d.PortMap = o.PortMap
	res := d.Resolver
	if res == nil {
		res = network.SystemResolver{}
	}
	disc := discover.Run(ctx, discover.Options{Domain: domain, SIPDomain: rep.SIPDomain(), Dialer: d, Resolver: res, Timeout: o.Net.Timeout})
	// The client's own trust-model-data, judged against its policy, stands
	// in for discover's generic one.
	kept := disc.Findings[:0]
	for _, f := range disc.Findings {
		if f.Code != finding.CodeTrustModelData {
			kept = append(kept, f)
		}
	}
	disc.Findings = kept

	list := target.List{}
	for _, t := range disc.Targets() {
		list.Add(t)
	}
	for _, s := range rep.LyncServers() {
		if t, err := target.ParseTarget("lync " + s); err == nil {
			list.Add(t)
		}
	}
	trust := rep.Trust()
	sc := scan.NewScanner(d, trust, at, 16)
	// The client's own store is the truth here: no Lync assumption (a root
	// is trusted only when this client holds it).
	sc.NoLyncAssumption = true
	// As the Lync desktop client and Outlook do: AIA, and revocation checked
	// without requiring an answer (soft), over one fetcher.
	fetcher := network.NewFetcher(d)
	if !o.NoAIA {
		sc.AIA = &network.AIA{Fetcher: fetcher}
	}
	sc.Revocation = revocation.New(fetcher, revocation.Soft, at)
	var results []*chain.Result
	if len(list.Targets) > 0 {
		err = sc.Scan(ctx, list.Targets, func(r *chain.Result) error { results = append(results, r); return nil })
		if err != nil {
			return nil, nil, fmt.Errorf("scan interrupted: %w", err)
		}
	}
	if h := disc.ExchangeHost(); h != "" {
		rep.CheckTrustModel(h, false)
	} else {
		h := rep.OfflineEWSHost()
		rep.CheckTrustModel(h, h == rep.MailDomain())
	}
	if len(o.RegFiles) == 0 {
		// A live check: this machine is the client, so Windows' own chain
		// engine gives the second opinion.
		for _, r := range results {
			if r.Path == nil {
				continue
			}
			var presented []*x509.Certificate
			for _, l := range r.Path.Links {
				if l.Source == chain.FromServer {
					presented = append(presented, l.Cert)
				}
			}
			if f, ok := client.CompareOS(r, client.OSVerify(presented, r.Target.Host, at)); ok {
				rep.Findings = append(rep.Findings, f)
			}
		}
	}
	return disc, results, nil
}

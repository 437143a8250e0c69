// Package cmd is trustgap's command line: the root command and the mapping
// of errors to messages and exit codes. Only this package and its children
// import cobra. Commands only wire flags to the packages that do the work
// (target, network, scanner, report, remediate, rootstore, discover); none
// of those imports cmd.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/trustgap/trustgap/cmd/bundle"
	"github.com/trustgap/trustgap/cmd/client"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/cmd/demo"
	"github.com/trustgap/trustgap/cmd/diff"
	"github.com/trustgap/trustgap/cmd/discover"
	"github.com/trustgap/trustgap/cmd/report"
	"github.com/trustgap/trustgap/cmd/roots"
	"github.com/trustgap/trustgap/cmd/scan"
	"github.com/trustgap/trustgap/internal/certutil"
)

// Version, when set at build time with -ldflags "-X
// github.com/trustgap/trustgap/cmd.Version=v1.2.3" (releases), is trustgap's
// version; when empty, the version comes from the build ([BuildVersion]).
var Version = ""

// BuildVersion returns trustgap's version: [Version] when set, else the
// module version the Go toolchain recorded in the binary (the tag for "go
// install ...@v1.2.3", a pseudo-version with the commit for a build from a
// clone), else "devel" plus the commit when known.
func BuildVersion() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	v := "devel"
	if rev != "" {
		v += "-" + rev[:min(12, len(rev))]
	}
	if dirty {
		v += "-dirty"
	}
	return v
}

// NewCmdRoot returns the trustgap command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "trustgap",
		Short: "Find why Lync/Skype clients do not trust Exchange, and write the GPO bundle that fixes it",
		Long: `trustgap fetches the certificate chains of EWS, Autodiscover and Lync servers,
builds each to its root, compares the CAs between services, checks the roots
against a client root store, and reports every problem with its fix.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       f.Version,
	}
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetIn(f.IO.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	// --version without cobra's -v shorthand: subcommands use -v for
	// --verbose.
	root.Flags().Bool("version", false, "print trustgap's version")
	root.AddCommand(scan.NewCmdScan(f, nil))
	root.AddCommand(demo.NewCmdDemo(f, nil))
	root.AddCommand(bundle.NewCmdBundle(f, nil))
	root.AddCommand(roots.NewCmdRoots(f, nil))
	root.AddCommand(discover.NewCmdDiscover(f, nil))
	root.AddCommand(report.NewCmdReport(f, nil))
	root.AddCommand(diff.NewCmdDiff(f, nil))
	root.AddCommand(client.NewCmdClient(f, nil))
	return root
}

// Main runs trustgap with os.Args and returns the exit code. The first
// Ctrl-C (SIGINT) or SIGTERM cancels the run, which then writes what
// completed and exits 130; a second one exits 130 at once.
func Main() int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	var interrupted atomic.Bool
	go func() {
		sig := <-sigs
		interrupted.Store(true)
		fmt.Fprintf(os.Stderr, "trustgap: %v: stopping, writing what completed (again to quit at once)\n", sig)
		cancel()
		<-sigs
		fmt.Fprintf(os.Stderr, "trustgap: interrupted again: quitting\n")
		os.Exit(130)
	}()
	f := &cmdutil.Factory{IO: cmdutil.System(), Now: time.Now, Version: BuildVersion()}
	code := Run(ctx, f, os.Args[1:])
	if interrupted.Load() {
		return 130
	}
	return code
}

// Run runs trustgap with args and returns the exit code, printing errors as
// "trustgap: error: ..." with hints.
func Run(ctx context.Context, f *cmdutil.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if errors.Is(err, cmdutil.ErrInterrupted) {
		fmt.Fprintf(f.IO.ErrOut, "trustgap: %s\n", err)
		return cmdutil.ExitCode(err)
	}
	if err != nil && !errors.Is(err, cmdutil.ErrFindings) {
		msg := err.Error()
		if strings.HasPrefix(msg, "unknown command") || strings.HasPrefix(msg, "unknown flag") || strings.HasPrefix(msg, "unknown shorthand") {
			err = &cmdutil.FlagError{Err: err}
		}
		fmt.Fprintf(f.IO.ErrOut, "trustgap: error: %s\n", certutil.SafeText(msg)) // errors quote inputs: one escaped line
		var he *cmdutil.HintError
		var fe *cmdutil.FlagError
		switch {
		case errors.As(err, &he):
			fmt.Fprintf(f.IO.ErrOut, "trustgap: hint: %s\n", certutil.SafeText(he.Hint))
		case errors.As(err, &fe):
			fmt.Fprintf(f.IO.ErrOut, "trustgap: hint: run 'trustgap --help' for usage\n")
		}
	}
	return cmdutil.ExitCode(err)
}

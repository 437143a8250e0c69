package scan

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd/cmdutil"
)

func TestNewCmdScanFlags(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: time.Now}
	var got *ScanOptions
	c := NewCmdScan(f, func(_ context.Context, o *ScanOptions) error { got = o; return nil })
	c.SetArgs([]string{"-f", "a.txt", "--targets", "-", "--roots", "system", "--roots", "r.sst", "--dns", "127.0.0.1:53",
		"--resolve", "a:443:127.0.0.1", "--timeout", "3s", "-c", "8", "--no-aia", "--now", "2026-01-02T03:04:05Z",
		"--format", "jsonl", "-v", "--protocols", "--revocation", "hard", "--bundle", "out", "--force", "--include-self-signed", "--issuers", "ca.pem", "--issuers", "pki/",
		"--no-lync-assumption", "--connect-timeout", "2s", "--post-quantum", "-q", "--shard", "1/4", "--out", "r.csv", "--csv-bom", "x.test", "lync y.test"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	want := Flags{
		Roots: []string{"system", "r.sst"}, Issuers: []string{"ca.pem", "pki/"}, NoLyncAssumption: true, Concurrency: 8, NoAIA: true, At: "2026-01-02T03:04:05Z", Format: "jsonl", Verbose: true, Protocols: true,
		Bundle: BundleFlags{Dir: "out", Force: true, IncludeSelfSigned: true}, Revocation: "hard", PostQuantum: true, Quiet: true, Shard: "1/4",
		Out: "r.csv", CSVBOM: true,
	}
	want.Net.DNS, want.Net.Resolve, want.Net.Timeout, want.Net.ConnectTimeout = "127.0.0.1:53", []string{"a:443:127.0.0.1"}, 3*time.Second, 2*time.Second
	if diff := cmp.Diff(want, got.Flags); diff != "" {
		t.Errorf("flags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a.txt", "-"}, got.TargetFiles); diff != "" {
		t.Errorf("target files (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"x.test", "lync y.test"}, got.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
}

func TestDefaults(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	var got *ScanOptions
	c := NewCmdScan(&cmdutil.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ScanOptions) error { got = o; return nil })
	c.SetArgs([]string{"x.test"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Concurrency != 256 || got.Net.Timeout != 5*time.Second || got.Net.ConnectTimeout != 0 || got.PostQuantum || got.Quiet || got.Shard != "" || got.Format != "text" || got.NoAIA || len(got.Roots) != 0 || len(got.Issuers) != 0 || got.NoLyncAssumption || got.Protocols || got.Revocation != "soft" {
		t.Errorf("defaults: %+v", got.Flags)
	}
}

func TestPrepareRejects(t *testing.T) {
	t.Setenv("JOB_COMPLETION_INDEX", "")
	ios, _, _, _ := cmdutil.Test()
	for _, tc := range []struct {
		f    Flags
		want string
	}{
		{Flags{Format: "xml", Concurrency: 1}, `unknown --format "xml"`},
		{Flags{Format: "text", Concurrency: 0}, "--concurrency must be at least 1"},
		{Flags{Format: "text", Concurrency: 1, Bundle: BundleFlags{Force: true}}, "--force and --include-self-signed go with --bundle DIR"},
		{Flags{Format: "json", Concurrency: 1, CSVBOM: true}, "--csv-bom goes with --format csv"},
		{Flags{Format: "text", Concurrency: 1, Revocation: "strict"}, `unknown --revocation "strict" (want soft, hard or off)`},
		{Flags{Format: "text", Concurrency: 1, Shard: "4/4"}, `bad --shard "4/4": K must be a number from 0 to 3`},
		{Flags{Format: "text", Concurrency: 1, Shard: "4"}, `JOB_COMPLETION_INDEX is not set`},
	} {
		tc.f.Net.Timeout = time.Second
		_, err := tc.f.Prepare(ios, time.Now, "v")
		if err == nil || !strings.Contains(err.Error(), tc.want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%+v: got %v, want %q and exit 2", tc.f, err, tc.want)
		}
	}
}

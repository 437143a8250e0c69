package report

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd/cmdutil"
)

func TestNewCmdReportFlags(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	var got *ReportOptions
	c := NewCmdReport(&cmdutil.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ReportOptions) error { got = o; return nil })
	c.SetArgs([]string{"--from", "a.json", "--from", "-", "--format", "csv", "--out", "r.csv", "--csv-bom", "-v"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	want := ReportOptions{From: []string{"a.json", "-"}, Format: "csv", Out: "r.csv", CSVBOM: true, Verbose: true}
	if d := cmp.Diff(want, *got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".IO" || p.Last().String() == ".Now"
	}, cmp.Ignore())); d != "" {
		t.Errorf("options (-want +got):\n%s", d)
	}
	for args, want := range map[string]string{
		"":                              "report needs --from",
		"--from a --format xml":         `unknown --format "xml"`,
		"--from a --csv-bom":            "--csv-bom goes with --format csv",
		"--from a --format html extra":  "unknown command",
		"--from a --format text --nope": "unknown flag",
	} {
		c := NewCmdReport(&cmdutil.Factory{IO: ios, Now: time.Now}, func(context.Context, *ReportOptions) error { return nil })
		c.SetArgs(strings.Fields(args))
		c.SilenceErrors, c.SilenceUsage = true, true
		if err := c.Execute(); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", args, err, want)
		}
	}
}

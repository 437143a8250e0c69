package diff

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/cmd/cmdutil"
)

func TestNewCmdDiffFlags(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	var got *DiffOptions
	c := NewCmdDiff(&cmdutil.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *DiffOptions) error { got = o; return nil })
	c.SetArgs([]string{"old.json", "new.jsonl", "--format", "html", "--out", "d.html", "--now", "2026-01-02T03:04:05Z"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Old != "old.json" || got.New != "new.jsonl" || got.Format != "html" || got.Out != "d.html" || got.At != "2026-01-02T03:04:05Z" {
		t.Errorf("options: %+v", got)
	}
	for args, want := range map[string]string{
		"":                 "diff needs two reports: OLD NEW",
		"a":                "diff needs two reports: OLD NEW",
		"a b c":            "diff needs two reports: OLD NEW, got 3 arguments",
		"a b --format csv": `unknown --format "csv"`,
	} {
		c := NewCmdDiff(&cmdutil.Factory{IO: ios, Now: time.Now}, func(context.Context, *DiffOptions) error { return nil })
		c.SetArgs(strings.Fields(args))
		c.SilenceErrors, c.SilenceUsage = true, true
		err := c.Execute()
		if err == nil || !strings.Contains(err.Error(), want) || cmdutil.ExitCode(err) != 2 {
			t.Errorf("%q: %v, want %q and exit 2", args, err, want)
		}
	}
	// Both from standard input cannot be.
	o := &DiffOptions{IO: ios, Now: time.Now, Old: "-", New: "-", Format: "text"}
	if err := diffRun(o); err == nil || cmdutil.ExitCode(err) != 2 {
		t.Errorf("- -: %v", err)
	}
}

package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/trustgap/trustgap/cmd/cmdutil"
)

// TestHelpPlaceholders: every flag that takes a value names it in --help
// (FILE, FORMAT, SOURCE, DURATION, N, K/N...), never by its Go type
// (string, stringArray, int, duration); client -v says what scan -v says;
// cobra's completion command is kept.
func TestHelpPlaceholders(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	root := NewCmdRoot(&cmdutil.Factory{IO: ios, Now: time.Now, Version: "test"})
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			name, _ := pflag.UnquoteUsage(f)
			switch name {
			case "string", "stringArray", "strings", "int", "int64", "uint", "duration", "float64":
				t.Errorf("%s --%s: --help shows its type %q, not what to give", c.CommandPath(), f.Name, name)
			}
		})
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	usage := func(path ...string) string {
		c, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		return c.Flags().Lookup("verbose").Usage
	}
	if s, c := usage("scan"), usage("client"); s != c {
		t.Errorf("client -v: %q, scan -v: %q", c, s)
	}
	root.InitDefaultCompletionCmd()
	if c, _, err := root.Find([]string{"completion"}); err != nil || c.Name() != "completion" {
		t.Errorf("no completion command: %v", err)
	}
}

// TestErrorIsOneEscapedLine: an error quoting a hostile input (here a
// target file's name) reaches the terminal as one escaped line.
func TestErrorIsOneEscapedLine(t *testing.T) {
	ios, _, _, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: time.Now, Version: "test"}
	if code := Run(context.Background(), f, []string{"scan", "-f", "no\r\nsuch\x1b[2J.txt"}); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	first, _, _ := strings.Cut(errOut.String(), "\ntrustgap: hint")
	if !strings.HasPrefix(first, "trustgap: error: ") || strings.ContainsAny(strings.TrimSuffix(first, "\n"), "\r\n\x1b") {
		t.Fatalf("error not one escaped line: %q", errOut.String())
	}
}

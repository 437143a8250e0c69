package cmdutil

import (
	"strings"
	"testing"
)

// TestWarnfOneEscapedLine: a warning quoting hostile text (a store entry's
// name from a Registry.pol, a file name) stays one line with no control
// character reaching the terminal.
func TestWarnfOneEscapedLine(t *testing.T) {
	ios, _, _, errOut := Test()
	ios.Warnf("%s: store %s skipped", "roots.pol", "Trust\r\nFAKE: all good\x1b[2J")
	got := errOut.String()
	if strings.Count(got, "\n") != 1 || strings.ContainsAny(strings.TrimSuffix(got, "\n"), "\r\n\x1b") {
		t.Fatalf("warning not one escaped line: %q", got)
	}
	if !strings.HasPrefix(got, "trustgap: warning: roots.pol: store Trust") {
		t.Errorf("warning %q", got)
	}
}

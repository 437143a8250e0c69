package client_test

import (
	"os"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/client"
)

// TestREADMEExportsEveryKey keeps the README's reg export commands and the
// keys a live check reads (client.ExportKeys) the same, in the same order.
func TestREADMEExportsEveryKey(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## Diagnose a client")
	if start < 0 {
		t.Fatal(`README.md has no "## Diagnose a client" section`)
	}
	text = text[start+1:]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	var exported []string
	for _, l := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(l, `reg export "`); ok {
			exported = append(exported, rest[:strings.IndexByte(rest, '"')])
		}
	}
	short := strings.NewReplacer("HKEY_CURRENT_USER", "HKCU", "HKEY_LOCAL_MACHINE", "HKLM")
	if len(exported) != len(client.ExportKeys) {
		t.Fatalf("README exports %d keys, client.ExportKeys has %d:\n%q", len(exported), len(client.ExportKeys), exported)
	}
	for i, k := range client.ExportKeys {
		if short.Replace(k) != exported[i] {
			t.Errorf("README export %d is %s, want %s", i+1, exported[i], short.Replace(k))
		}
	}
}

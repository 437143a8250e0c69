package finding

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestREADMEDocumentsEveryCode keeps the README's "Finding codes" tables and
// All in step: every code trustgap can report is documented under its
// command, and the README documents no code that does not exist.
func TestREADMEDocumentsEveryCode(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	start := strings.Index(text, "\n## Finding codes")
	if start < 0 {
		t.Fatal(`README.md has no "## Finding codes" section`)
	}
	text = text[start+1:]
	if end := strings.Index(text, "\n## "); end >= 0 {
		text = text[:end]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|")
	documented := map[string][]string{}
	for _, sec := range strings.Split(text, "\n### ")[1:] {
		title, body, _ := strings.Cut(sec, "\n")
		for _, m := range row.FindAllStringSubmatch(body, -1) {
			documented[strings.TrimSpace(title)] = append(documented[strings.TrimSpace(title)], m[1])
		}
	}
	for cmd, codes := range All {
		doc, ok := documented[cmd]
		if !ok {
			t.Errorf("README has no table for %q", cmd)
			continue
		}
		for _, c := range codes {
			if !slices.Contains(doc, c) {
				t.Errorf("%s code %q is not in the README's table", cmd, c)
			}
		}
		for _, c := range doc {
			if !slices.Contains(codes, c) {
				t.Errorf("the README's %s table documents %q, which finding.All lacks", cmd, c)
			}
		}
	}
	for cmd := range documented {
		if _, ok := All[cmd]; !ok {
			t.Errorf("README documents codes for %q, which finding.All lacks", cmd)
		}
	}
}

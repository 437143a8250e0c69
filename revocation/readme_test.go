package revocation

import (
	"os"
	"strings"
	"testing"
)

// TestREADMERulesSayRevocationIsChecked: the rules section once said
// revocation was not checked (before issue 12); it must point at the
// Revocation section instead.
func TestREADMERulesSayRevocationIsChecked(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if strings.Contains(text, "Revocation is not checked here") {
		t.Error(`README still says "Revocation is not checked here"`)
	}
	start := strings.Index(text, "\n## The rules trustgap applies")
	if start < 0 || !strings.Contains(text[start:], "- Revocation is checked after these rules") {
		t.Error("README's rules section does not say where revocation is checked")
	}
}

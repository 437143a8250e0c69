package rootstore_test

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/trustgap/trustgap/rootstore"
)

// TestREADMEMozillaCount keeps the README's JSON report example in step
// with the Mozilla root program trustgap embeds: its "mozilla" source, store
// and public counts are the number of roots --roots mozilla loads.
func TestREADMEMozillaCount(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s, err := rootstore.Load("mozilla")
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(len(s.Roots))
	for _, re := range []string{
		`"sources":\[\{"source":"mozilla","roots":(\d+),`,
		`\n\s+"roots":(\d+),"intermediates":0,"disallowed":0,`,
		`\n\s+"public":(\d+),"private":0,`,
	} {
		m := regexp.MustCompile(re).FindSubmatch(b)
		if m == nil {
			t.Errorf("README has no %s", re)
			continue
		}
		if string(m[1]) != want {
			t.Errorf("README's JSON example says %s roots (%s), mozilla has %s", m[1], re, want)
		}
	}
}

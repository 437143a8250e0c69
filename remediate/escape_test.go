package remediate

import (
	"strings"
	"testing"
)

// FuzzEscapes checks each language's escape on any text: printable ASCII
// only, one line, and nothing that ends a PowerShell string, starts a cmd
// expansion or makes Markdown structure.
func FuzzEscapes(f *testing.F) {
	for _, s := range []string{"CN=Contoso Root CA", "a'b\u2019c\u2018d\u201ae\u201bf", "x\r\ny\x00z\u202e", "&|<>^%!\"`$()", "| [a](b) ![c](d) <e> *f* _g_ `h` ~i~ $j$ https://k www.l m@n", strings.Repeat("é", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for name, out := range map[string]string{"printable": printable(s), "psComment": psComment(s), "psQuote": psQuote(s), "cmdComment": cmdComment(s), "mdText": mdText(s)} {
			for _, r := range out {
				if r < 0x20 || r >= 0x7F {
					t.Fatalf("%s(%q) holds %U", name, s, r)
				}
			}
		}
		q := psQuote(s)
		inner := q[1 : len(q)-1]
		if q[0] != '\'' || q[len(q)-1] != '\'' || strings.Count(strings.ReplaceAll(inner, "''", ""), "'") != 0 {
			t.Fatalf("psQuote(%q) = %s: a quote ends the string early", s, q)
		}
		if c := cmdComment(s); strings.ContainsAny(c, `&|<>^%!"`) {
			t.Fatalf("cmdComment(%q) = %s", s, c)
		}
		md := mdText(s)
		for i := 0; i < len(md); i++ {
			if md[i] == '\\' {
				i++
				continue
			}
			if strings.IndexByte("`*_[]()|~!@$#<>", md[i]) >= 0 {
				t.Fatalf("mdText(%q) = %s: unescaped %q", s, md, md[i])
			}
		}
		lower := strings.ToLower(md)
		for _, a := range []string{"http:", "https:", "www.", "mailto:"} {
			if strings.Contains(lower, a) {
				t.Fatalf("mdText(%q) = %s: an autolink %q", s, md, a)
			}
		}
	})
}

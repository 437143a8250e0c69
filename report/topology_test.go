package report

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// TestTopologyLargeEstate: a large estate's topology draws its roots and
// intermediates from the top (beside the first of their servers, not in the
// middle of a tall server column), at most MaxGraphServers servers (the
// caption says how many, and how many more the table holds), a server that
// fails with a trusted chain in the fail class (never green), and long
// names cut with an ellipsis to fit their boxes, in full in the title.
func TestTopologyLargeEstate(t *testing.T) {
	long := "CN=Contoso Issuing CA 2,OU=Public Key Services,DC=corp,DC=eu,DC=contoso,DC=com"
	root := Cert{Identity: certutil.Identity{Subject: "CN=Contoso Root CA,DC=corp,DC=eu,DC=contoso,DC=com", SHA1: "01"}, SelfSigned: true, CA: true}
	inter := Cert{Identity: certutil.Identity{Subject: long, SHA1: "02"}, CA: true}
	var targets []*Target
	var ids []string
	for i := range MaxGraphServers + 100 {
		tr := &Target{Role: "ews", Target: fmt.Sprintf("h%d", i), Host: fmt.Sprintf("h%d.contoso.test", i), TLSVersion: "TLS 1.3", Verdict: chain.VerdictOK, Trusted: true,
			Chain: []Cert{{Identity: certutil.Identity{Subject: "CN=h", SHA1: fmt.Sprintf("l%d", i)}}, inter, root}, Root: &Root{Cert: root, InStore: true}}
		if i%2 == 1 {
			tr.Verdict = chain.VerdictFail
			tr.Findings = []finding.Finding{{Code: finding.CodeNameMismatch, Severity: finding.SevError}}
		}
		targets = append(targets, tr)
		ids = append(ids, fmt.Sprintf("t%d", i+1))
	}
	g := buildGraph(targets, ids)
	if g.Omitted != 100 || g.MaxServers != MaxGraphServers {
		t.Errorf("omitted %d, max %d", g.Omitted, g.MaxServers)
	}
	servers := 0
	for _, n := range g.Nodes {
		switch n.Kind {
		case nodeRoot, nodeCA:
			if n.Y != graphTop {
				t.Errorf("%s %s at y=%d, want the top (%d)", n.Kind, n.Title, n.Y, graphTop)
			}
		case nodeServer:
			servers++
			if n.Trust == TrustStore && strings.HasPrefix(n.Sub, "FAIL") || strings.HasPrefix(n.Sub, "FAIL") && n.Trust != TrustFail {
				t.Errorf("server %s drawn %s: %s", n.Label, n.Trust, n.Sub)
			}
			if strings.HasPrefix(n.Sub, "FAIL") && (n.Sub != "FAIL · name-mismatch" || n.Style.Fill == trustStyles[TrustStore].Fill) {
				t.Errorf("failing server: %q, fill %s", n.Sub, n.Style.Fill)
			}
		}
		for _, line := range []struct {
			s  string
			px float64
		}{{n.Label, graphLabelPx}, {n.Sub, graphSubPx}} {
			w := 0.0
			for _, r := range line.s {
				w += runeEm(r) * line.px
			}
			if w > lineWidth {
				t.Errorf("%q is %.0f units wide, the box has %d", line.s, w, lineWidth)
			}
		}
		if n.Kind == nodeCA && (!strings.HasSuffix(n.Label, "…") || !strings.HasPrefix(n.Title, long)) {
			t.Errorf("the long name: label %q, title %q", n.Label, n.Title)
		}
	}
	if servers != MaxGraphServers {
		t.Errorf("%d servers drawn, want %d", servers, MaxGraphServers)
	}

	var page bytes.Buffer
	doc := &Document{Targets: targets}
	if _, err := Render(&page, doc, Options{Format: FormatHTML}); err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf("The graph shows the first %d servers; 100 more are in the table below.", MaxGraphServers); !strings.Contains(page.String(), want) {
		t.Errorf("the page does not say %q", want)
	}
}

// TestFitWideText: names in wide scripts are cut by width, not by count.
func TestFitWideText(t *testing.T) {
	for _, s := range []string{strings.Repeat("W", 60), strings.Repeat("中", 40), strings.Repeat("i", 30), "CN=" + strings.Repeat("\U0001F600", 30)} {
		got := label(s)
		w := 0.0
		for _, r := range got {
			w += runeEm(r) * graphLabelPx
		}
		if w > lineWidth || got != s && !strings.HasSuffix(got, "…") {
			t.Errorf("%q -> %q (%.0f units)", s, got, w)
		}
	}
	if s := "CN=Contoso Root CA,O=Contoso"; label(s) != s {
		t.Errorf("a short name is cut: %q", label(s))
	}
}

package remediate_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// withFinding adds an error finding about certificate c (nil: none named).
func withFinding(tr report.Target, code string, c *testca.Cert) report.Target {
	f := finding.Finding{Code: code, Severity: finding.SevError, Message: code, Fix: "fix"}
	if c != nil {
		f.SHA1 = certutil.SHA1Hex(c.Cert)
	}
	tr.Findings = append(append([]finding.Finding(nil), tr.Findings...), f)
	return tr
}

// untrustedEWS is an Exchange target whose chain leaf <- inter <- root
// (sent) ends at a root clients lack.
func untrustedEWS(name string, leaf, inter, root *testca.Cert) report.Target {
	return targetReport("https://"+name+"/EWS/Exchange.asmx", target.RoleEWS, false,
		[]chain.Link{ln(leaf.Cert, chain.FromServer), ln(inter.Cert, chain.FromServer), ln(root.Cert, chain.FromServer)}, true, finding.CodeUntrustedRoot)
}

func codesOf(ts []remediate.TargetCodes) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Target+": "+strings.Join(t.Codes, ","))
	}
	return out
}

// TestPlanLeavesOutHierarchyProblems: nothing is deployed for a chain whose
// problem is in its CA hierarchy (listed as left out, with the codes); a
// chain that keeps server-side errors gets its root all the same (listed as
// still to fix); revocation findings change nothing.
func TestPlanLeavesOutHierarchyProblems(t *testing.T) {
	root := testca.Root("Fabrikam Root CA")
	inter := testca.Intermediate("Fabrikam Issuing CA", root)
	leaf := testca.Leaf(inter, "mail.fabrikam.test")
	base := untrustedEWS("mail.fabrikam.test", leaf, inter, root)

	for _, code := range remediate.HierarchyCodes {
		p := plan(t, []report.Target{withFinding(base, code, inter)}, false)
		left := p.Excluded
		if code == finding.CodeImpersonatingRoot {
			left = p.Intercepted // listed on their own, never in Excluded
			if len(p.Excluded) != 0 {
				t.Errorf("%s: also excluded %v", code, codesOf(p.Excluded))
			}
		}
		if !p.Empty() || len(left) != 1 || left[0].Codes[0] != code {
			t.Errorf("%s: items %v, left out %v; want nothing deployed, the target left out", code, storeOf(p), codesOf(left))
		}
	}
	for _, tc := range []struct {
		name     string
		tr       report.Target
		deployed bool
		toFix    string
	}{
		{"critical extension on the intermediate", withFinding(base, finding.CodeCriticalExtension, inter), false, ""},
		{"critical extension on the leaf", withFinding(base, finding.CodeCriticalExtension, leaf), true, "critical-extension"},
		{"expired root", withFinding(base, finding.CodeExpired, root), false, ""},
		{"expired leaf", withFinding(base, finding.CodeExpired, leaf), true, "expired"},
		{"key usage of the CA", withFinding(base, finding.CodeKeyUsage, inter), false, ""},
		{"key usage of the leaf, and its name", withFinding(withFinding(base, finding.CodeKeyUsage, leaf), finding.CodeNameMismatch, nil), true, "key-usage,name-mismatch"},
		{"no-server-auth of the leaf", withFinding(base, finding.CodeNoServerAuth, leaf), true, "no-server-auth"},
		{"a certificate finding naming no certificate (an older report)", withFinding(base, finding.CodeExpired, nil), false, ""},
		{"revoked leaf: the bundle never depends on revocation", withFinding(withFinding(base, finding.CodeRevoked, nil), finding.CodeNoRevocationInfo, leaf), true, ""},
	} {
		p := plan(t, []report.Target{tc.tr}, false)
		if got := !p.Empty(); got != tc.deployed {
			t.Errorf("%s: deployed %v (%v), want %v", tc.name, got, storeOf(p), tc.deployed)
		}
		if got := len(p.Excluded) == 1; got == tc.deployed {
			t.Errorf("%s: excluded %v", tc.name, codesOf(p.Excluded))
		}
		want := []string(nil)
		if tc.toFix != "" {
			want = []string{tc.tr.Target + ": " + tc.toFix}
		}
		if d := cmp.Diff(want, codesOf(p.StillToFix)); d != "" {
			t.Errorf("%s: still to fix (-want +got):\n%s", tc.name, d)
		}
	}

	// Disallowed: not even the Lync assumption's root goes in.
	lync := targetReport("lync pool.fabrikam.test", target.RoleLync, false,
		[]chain.Link{ln(testca.Leaf(inter, "pool.fabrikam.test").Cert, chain.FromServer), ln(inter.Cert, chain.FromServer), ln(root.Cert, chain.FromServer)}, true, finding.CodeLyncRootAssumed)
	if p := plan(t, []report.Target{withFinding(lync, finding.CodeDisallowed, inter)}, false); !p.Empty() || len(p.Excluded) != 1 {
		t.Errorf("disallowed lync chain: items %v, excluded %v", storeOf(p), codesOf(p.Excluded))
	}
	// A target with a hierarchy problem the bundle had nothing for is
	// listed all the same: no deployment fixes it.
	trusted := targetReport("https://ok.fabrikam.test/EWS/", target.RoleEWS, false,
		[]chain.Link{ln(leaf.Cert, chain.FromServer), ln(inter.Cert, chain.FromServer), ln(root.Cert, chain.FromStore)}, true)
	if p := plan(t, []report.Target{withFinding(trusted, finding.CodeCTLRestricted, root)}, false); !p.Empty() || len(p.Excluded) != 1 {
		t.Errorf("a restricted store root: items %v, excluded %v", storeOf(p), codesOf(p.Excluded))
	}
}

// TestInstructionsTellTheTruth renders INSTRUCTIONS.md for plans of each
// shape and checks what it promises.
func TestInstructionsTellTheTruth(t *testing.T) {
	f := newFixture()
	exchLeaf := testca.Leaf(f.exchInter, "mail.contoso.test")
	ews := untrustedEWS("mail.contoso.test", exchLeaf, f.exchInter, f.exchRoot)
	mismatch := withFinding(untrustedEWS("mail3.contoso.test", testca.Leaf(f.exchInter, "other.contoso.test"), f.exchInter, f.exchRoot), finding.CodeNameMismatch, nil)
	badRoot := testca.Root("Broken Root CA")
	badInter := testca.Intermediate("Broken Issuing CA", badRoot)
	broken := withFinding(untrustedEWS("broken.contoso.test", testca.Leaf(badInter, "broken.contoso.test"), badInter, badRoot), finding.CodePathLength, badInter)

	md := string(render(t, plan(t, []report.Target{ews, mismatch, broken}, false))["INSTRUCTIONS.md"])
	if strings.Contains(md, "makes their chains trusted") {
		t.Error("the opening still promises trusted chains")
	}
	for _, want := range []string{
		"A chain is then\ntrusted when nothing else is wrong with it",
		"### Still to fix on the server",
		"| https\\://mail3.contoso.test/EWS/Exchange.asmx | ews | name-mismatch |",
		"### Left out: problems in the CA hierarchy",
		"| https\\://broken.contoso.test/EWS/Exchange.asmx | ews | path-length |",
		"`certutil -hashfile <file> SHA256`",
		"PowerShell 4.0\nor later also `Get-FileHash",
		"Do not copy `Registry.pol` over a GPO's own `Machine\\Registry.pol`",
		"## Lync Phone Edition",
		"New-CsWebTrustedCACertificate -Thumbprint " + certutil.Thumbprint(f.exchRoot.Cert),
	} {
		if !strings.Contains(md, want) {
			t.Errorf("INSTRUCTIONS.md lacks %q", want)
		}
	}
	if strings.Contains(md, certutil.Thumbprint(badRoot.Cert)) {
		t.Error("the broken hierarchy's root is named in the instructions")
	}
	if n := strings.Count(md, "New-CsWebTrustedCACertificate"); n != 1 {
		t.Errorf("%d Lync Phone Edition roots, want 1", n)
	}

	// Lync Phone Edition: not for a Lync target's root, not for a
	// self-signed server certificate, not for an intermediate; no section
	// when nothing is left.
	lyncRoot := targetReport("lync pool.contoso.test", target.RoleLync, true,
		[]chain.Link{ln(f.leafOK.Cert, chain.FromServer), ln(f.contosoInter.Cert, chain.FromServer), ln(f.contosoRoot.Cert, chain.FromStore)}, true, finding.CodeLyncRootAssumed)
	adOnLync := targetReport("https://autodiscover.contoso.test/autodiscover/autodiscover.xml", target.RoleAutodiscover, true,
		[]chain.Link{ln(testca.Leaf(f.contosoInter, "autodiscover.contoso.test").Cert, chain.FromServer), ln(f.contosoInter.Cert, chain.FromAIA), ln(f.contosoRoot.Cert, chain.FromStore)}, true,
		finding.CodeLyncRootAssumed, finding.CodeIncomplete)
	md = string(render(t, plan(t, []report.Target{lyncRoot, adOnLync, f.reports[2]}, true))["INSTRUCTIONS.md"])
	if strings.Contains(md, "Lync Phone Edition") {
		t.Errorf("a Lync Phone Edition section for the Lync root, a self-signed certificate and an intermediate:\n%s", md)
	}

	// GPMC steps are numbered 1, 2, 3, ... whatever the bundle holds.
	steps := regexp.MustCompile(`(?m)^(\d+)\. `)
	for name, reports := range map[string][]report.Target{
		"roots only":         {ews},
		"intermediates only": {f.reports[1]},
		"both":               {ews, f.reports[1]},
	} {
		md := string(render(t, plan(t, reports, false))["INSTRUCTIONS.md"])
		var got []string
		for _, m := range steps.FindAllStringSubmatch(md, -1) {
			got = append(got, m[1])
		}
		want := []string{"1", "2", "3"}
		if name == "both" {
			want = append(want, "4")
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: GPMC steps (-want +got):\n%s", name, d)
		}
	}

	// A self-signed non-CA atop a chain is not "a server's self-signed
	// certificate".
	ee := testca.New(testca.Options{CN: "Not A CA"}, nil)
	odd := targetReport("https://y.test/EWS/", target.RoleEWS, false,
		[]chain.Link{ln(testca.Leaf(ee, "y.test").Cert, chain.FromServer), ln(ee.Cert, chain.FromServer)}, true, finding.CodeUntrustedRoot)
	for _, self := range []bool{false, true} {
		p := plan(t, []report.Target{odd, ews}, self)
		md := string(render(t, p)["INSTRUCTIONS.md"])
		if strings.Contains(md, "CN=Not A CA is a server's self-signed certificate") || strings.Contains(md, "These servers present a self-signed certificate") {
			t.Errorf("include-self-signed=%v: the non-CA root is called a server's self-signed certificate:\n%s", self, md)
		}
		if !strings.Contains(md, "does not say it is a CA") {
			t.Errorf("include-self-signed=%v: no word that CN=Not A CA is no CA", self)
		}
	}
}

// TestPlanLeavesOutUnusedAndIntercepted: nothing is deployed for an
// endpoint discovery found at a step clients do not use (it is listed with
// the step), while the same endpoint used by clients, or given by the user
// (an inferred lync target included), is bundled; an intercepted target
// (impersonating-root) and a Disallowed one are listed though nothing would
// have been deployed for them; INSTRUCTIONS.md says all of it.
func TestPlanLeavesOutUnusedAndIntercepted(t *testing.T) {
	rogue := testca.Root("Rogue Root CA")
	rogueInter := testca.Intermediate("Rogue Issuing CA", rogue)
	sip := targetReport("sip.contoso.test:5061", target.RoleLync, false,
		[]chain.Link{ln(testca.Leaf(rogueInter, "sip.contoso.test").Cert, chain.FromServer), ln(rogueInter.Cert, chain.FromServer), ln(rogue.Cert, chain.FromServer)}, true, finding.CodeUntrustedRoot)
	sip.RoleInferred = true

	unused := sip
	unused.Discovery = &report.Discovery{Step: "Lync step 8", Used: false}
	p := plan(t, []report.Target{unused}, false)
	if !p.Empty() || len(p.Unused) != 1 || p.Unused[0].Step != "Lync step 8" {
		t.Fatalf("unused endpoint: items %v, unused %+v", storeOf(p), p.Unused)
	}
	for name, tr := range map[string]report.Target{
		"used by clients": func() report.Target {
			u := sip
			u.Discovery = &report.Discovery{Step: "Lync step 5", Used: true}
			return u
		}(),
		"given by the user": sip,
	} {
		if p := plan(t, []report.Target{tr}, false); len(p.Items) != 1 || len(p.Unused) != 0 {
			t.Errorf("%s: items %v, unused %+v; want the root bundled", name, storeOf(p), p.Unused)
		}
	}

	real := testca.Root("Contoso Root CA")
	fake := testca.New(testca.Options{CN: "Contoso Root CA", IsCA: true}, nil)
	fakeInter := testca.Intermediate("Contoso Issuing CA", fake)
	intercepted := targetReport("https://mail.contoso.test/EWS/Exchange.asmx", target.RoleEWS, false,
		[]chain.Link{ln(testca.Leaf(fakeInter, "mail.contoso.test").Cert, chain.FromServer), ln(fakeInter.Cert, chain.FromServer), ln(fake.Cert, chain.FromServer)}, true, finding.CodeImpersonatingRoot)
	distrusted := targetReport("https://old.contoso.test/EWS/Exchange.asmx", target.RoleEWS, false,
		[]chain.Link{ln(testca.Leaf(fakeInter, "old.contoso.test").Cert, chain.FromServer), ln(fakeInter.Cert, chain.FromServer), ln(real.Cert, chain.FromStore)}, true, finding.CodeDisallowed)
	p = plan(t, []report.Target{unused, intercepted, distrusted}, false)
	if !p.Empty() || len(p.Intercepted) != 1 || len(p.Excluded) != 1 || len(p.Unused) != 1 {
		t.Fatalf("items %v, intercepted %v, excluded %v, unused %+v", storeOf(p), codesOf(p.Intercepted), codesOf(p.Excluded), p.Unused)
	}
	// With something to deploy beside them, INSTRUCTIONS.md says all of it.
	fab := testca.Root("Fabrikam Root CA")
	fabInter := testca.Intermediate("Fabrikam Issuing CA", fab)
	ews := untrustedEWS("ews.fabrikam.test", testca.Leaf(fabInter, "ews.fabrikam.test"), fabInter, fab)
	md := string(render(t, plan(t, []report.Target{unused, intercepted, distrusted, ews}, false))["INSTRUCTIONS.md"])
	for _, want := range []string{
		"### Left out: intercepted connections",
		"| https\\://mail.contoso.test/EWS/Exchange.asmx | ews | impersonating-root |",
		"They stay broken until clients reach the real\nserver",
		"### Left out: problems in the CA hierarchy",
		"| https\\://old.contoso.test/EWS/Exchange.asmx | ews | disallowed |",
		"### Left out: endpoints clients do not use",
		"| sip.contoso.test:5061 | lync | found by discovery at Lync step 8, which clients do not use: fix or remove that endpoint |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("INSTRUCTIONS.md lacks %q", want)
		}
	}
	if strings.Contains(md, certutil.Thumbprint(rogue.Cert)) || strings.Contains(md, certutil.Thumbprint(fake.Cert)) {
		t.Error("a root left out is named in the instructions")
	}
}

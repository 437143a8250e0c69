package remediate_test

import (
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
	"github.com/trustgap/trustgap/target"
)

// hostile is certificate and report text a scanned server (or an edited
// report) chooses: line breaks, cmd's & | < > ^ % !, PowerShell's backtick,
// $() and each of its quote characters (' U+2018 U+2019 U+201A U+201B and
// " U+201C U+201D U+201E), NUL, a right-to-left override, and Markdown.
var hostile = []string{
	"Evil\r\ncalc.exe\r\nrem ",
	"x' ; Start-Process calc ; '",
	"x\u2018; Start-Process calc; \u2018",
	"x\u2019; Start-Process calc; \u2019",
	"x\u201a; Start-Process calc; \u201a",
	"x\u201b; Start-Process calc; \u201b",
	"x\"; calc; \"",
	"x\u201c$(calc)\u201d\u201e",
	"`$(Start-Process calc)` & calc | calc < in > out ^ %COMSPEC% !x!",
	"\x00nul\u202eexe.txt",
	"| a | b |\n| <img src=x onerror=alert(1)> [link](http://evil.test) ![i](http://evil.test/i) **b** <!-- -->",
	"#> Start-Process calc <# ^",
	"%~ ^",
}

// hostileFixture is a plan with an untrusted root per hostile text (its
// subject, its target and role in the report), an AIA-completed
// intermediate and a self-signed server certificate, or, with benign set,
// the same plan with plain names.
func hostileFixture(t *testing.T, benign bool) *remediate.Plan {
	t.Helper()
	text := func(i int) string {
		if benign {
			return fmt.Sprintf("Plain Name %d", i)
		}
		return hostile[i%len(hostile)]
	}
	srv, aia := chain.FromServer, chain.FromAIA
	var reports []report.Target
	for i := range hostile {
		root := testca.New(testca.Options{CN: text(i), Org: text(i + 1), IsCA: true}, nil)
		leaf := testca.Leaf(root, "mail.contoso.test")
		// The first target is an Exchange one in both renders, so that
		// both have the same Lync Phone Edition section (one root).
		role := target.Role(text(i + 2))
		switch {
		case i == 0:
			role = target.RoleEWS
		case benign:
			role = target.RoleOther
		}
		reports = append(reports, targetReport(text(i+3), role, false, []chain.Link{ln(leaf.Cert, srv), ln(root.Cert, srv)}, true, "untrusted-root"))
	}
	root := testca.Root("Plain Root")
	inter := testca.New(testca.Options{CN: text(4), Org: text(5), IsCA: true}, root)
	leaf := testca.Leaf(inter, "ad.contoso.test")
	self := testca.New(testca.Options{CN: text(6), DNSNames: []string{"exch.contoso.test"}}, nil)
	reports = append(reports,
		targetReport(text(7), target.RoleAutodiscover, true, []chain.Link{ln(leaf.Cert, srv), ln(inter.Cert, aia), ln(root.Cert, chain.FromStore)}, true, "incomplete-chain"),
		targetReport(text(8), target.RoleEWS, false, []chain.Link{ln(self.Cert, srv)}, true, "self-signed"))
	// A target still to fix (an error finding of a code the report chose)
	// and one left out for its CA hierarchy, each with chosen text.
	other := testca.Root("Other Root")
	toFix := targetReport(text(9), target.Role(text(10)), false, []chain.Link{ln(testca.Leaf(other, "x.test").Cert, srv), ln(other.Cert, srv)}, true, "untrusted-root", text(11))
	broken := targetReport(text(12), target.Role(text(0)), false, []chain.Link{ln(testca.Leaf(other, "y.test").Cert, srv), ln(other.Cert, srv)}, true, "untrusted-root", "path-length")
	reports = append(reports, toFix, broken)
	return plan(t, reports, true)
}

// thumb and file are what differs between two renders of the same plan
// shape: thumbprints and trustgap's certificate file names.
var (
	thumb = regexp.MustCompile(`[0-9A-F]{40}|[0-9a-f]{40}|[0-9a-f]{64}`)
	file  = regexp.MustCompile(`certs[/\\][A-Za-z0-9.-]*_THUMB\.cer`)
)

func normalize(s string) string {
	return file.ReplaceAllString(thumb.ReplaceAllString(s, "THUMB"), "certs/FILE.cer")
}

// TestScriptsCarryNoAttackerCode renders the bundle for hostile and plain
// certificate text and parses each script: every command, operator and
// string literal must be the same (thumbprints and file names aside), and
// every comment printable ASCII on its line. Issue 10: today's scripts put
// subjects in PowerShell strings and cmd rem lines, where U+2019 closes a
// string and CR/LF starts a command.
func TestScriptsCarryNoAttackerCode(t *testing.T) {
	bad := render(t, hostileFixture(t, false))
	good := render(t, hostileFixture(t, true))
	for _, name := range []string{"Import-Roots.ps1", "Deploy-Gpo.ps1"} {
		b, g := psTokens(t, string(bad[name])), psTokens(t, string(good[name]))
		if diff := cmp.Diff(g, b); diff != "" {
			t.Errorf("%s: hostile certificate text changes the script's code (-plain +hostile):\n%s", name, diff)
		}
	}
	b, g := cmdTokens(string(bad["import-roots.cmd"])), cmdTokens(string(good["import-roots.cmd"]))
	if diff := cmp.Diff(g, b); diff != "" {
		t.Errorf("import-roots.cmd: hostile certificate text changes the script's commands (-plain +hostile):\n%s", diff)
	}
	mb, mg := mdSkeleton(string(bad["INSTRUCTIONS.md"])), mdSkeleton(string(good["INSTRUCTIONS.md"]))
	if diff := cmp.Diff(mg, mb); diff != "" {
		t.Errorf("INSTRUCTIONS.md: hostile text changes the document's structure (-plain +hostile):\n%s", diff)
	}
	for _, name := range []string{"Import-Roots.ps1", "Deploy-Gpo.ps1", "import-roots.cmd", "INSTRUCTIONS.md"} {
		for i, line := range strings.Split(string(bad[name]), "\n") {
			line = strings.TrimSuffix(line, "\r")
			for _, r := range line {
				if r < 0x20 && r != '\t' || r >= 0x7F {
					t.Errorf("%s:%d: %U outside printable ASCII: %q", name, i+1, r, line)
					break
				}
			}
		}
	}
}

// TestPowerShellParser parses the hostile scripts with PowerShell's own
// parser where pwsh is installed: no parse error, and the same commands as
// the plain render. (Debian has no PowerShell package; the Go-side check
// above is the test there.)
func TestPowerShellParser(t *testing.T) {
	pwsh, err := exec.LookPath("pwsh")
	if err != nil {
		t.Skip("pwsh is not installed (no Debian package): TestScriptsCarryNoAttackerCode checks the token streams in Go")
	}
	dir := t.TempDir()
	bad := render(t, hostileFixture(t, false))
	writeFiles(t, dir, bad)
	script := `$e = $null; $t = $null; $ast = [System.Management.Automation.Language.Parser]::ParseFile($args[0], [ref]$t, [ref]$e);
if ($e.Count) { $e | ForEach-Object { $_.Message }; exit 1 }
$ast.FindAll({ $args[0] -is [System.Management.Automation.Language.CommandAst] }, $true) | ForEach-Object { $_.GetCommandName() }`
	for _, name := range []string{"Import-Roots.ps1", "Deploy-Gpo.ps1"} {
		out, err := exec.Command(pwsh, "-NoProfile", "-NonInteractive", "-Command", script, dir+"/"+name).CombinedOutput()
		if err != nil {
			t.Errorf("%s: PowerShell's parser: %v\n%s", name, err, out)
		}
		for _, cmd := range strings.Fields(string(out)) {
			if strings.EqualFold(cmd, "Start-Process") || strings.EqualFold(cmd, "calc") {
				t.Errorf("%s: PowerShell parses a command %q from certificate text", name, cmd)
			}
		}
	}
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// token is a lexical element of a script: its kind and its text.
type token struct{ Kind, Text string }

var (
	psSingle = "'\u2018\u2019\u201a\u201b"
	psDouble = "\"\u201c\u201d\u201e"
)

// psTokens splits a PowerShell script the way PowerShell's tokenizer does
// where it matters here: single-quoted strings close on any of the five
// single quote characters (two in a row are one quote), double-quoted ones
// on any of the three double quotes, with backtick escapes and $( )
// subexpressions; # starts a comment to the end of the line (CR or LF),
// <# #> a block comment; here-strings. Comments must be printable ASCII;
// their text is not compared.
func psTokens(t *testing.T, src string) []token {
	t.Helper()
	var out []token
	rs := []rune(src)
	i := 0
	isNL := func(r rune) bool { return r == '\r' || r == '\n' }
	for i < len(rs) {
		r := rs[i]
		switch {
		case r == ' ' || r == '\t':
			i++
		case isNL(r):
			if len(out) == 0 || out[len(out)-1].Kind != "nl" {
				out = append(out, token{"nl", ""})
			}
			i++
		case r == '<' && i+1 < len(rs) && rs[i+1] == '#':
			j := i + 2
			for j+1 < len(rs) && !(rs[j] == '#' && rs[j+1] == '>') {
				j++
			}
			if j+1 >= len(rs) {
				t.Fatalf("unterminated block comment")
			}
			checkComment(t, string(rs[i:j+2]))
			out = append(out, token{"comment", ""})
			i = j + 2
		case r == '#':
			j := i
			for j < len(rs) && !isNL(rs[j]) {
				j++
			}
			checkComment(t, string(rs[i:j]))
			out = append(out, token{"comment", ""})
			i = j
		case r == '@' && i+1 < len(rs) && strings.ContainsRune(psSingle+psDouble, rs[i+1]) && i+2 < len(rs) && isNL(rs[i+2]):
			// Here-string: ends at a line starting with a quote and @.
			j := i + 2
			for j < len(rs) && !(isNL(rs[j-1]) && strings.ContainsRune(psSingle+psDouble, rs[j]) && j+1 < len(rs) && rs[j+1] == '@') {
				j++
			}
			out = append(out, token{"herestring", normalize(string(rs[i:min(j+2, len(rs))]))})
			i = j + 2
		case strings.ContainsRune(psSingle, r):
			j := i + 1
			var b strings.Builder
			for ; j < len(rs); j++ {
				if strings.ContainsRune(psSingle, rs[j]) {
					if j+1 < len(rs) && strings.ContainsRune(psSingle, rs[j+1]) {
						b.WriteRune('\'')
						j++
						continue
					}
					break
				}
				b.WriteRune(rs[j])
			}
			out = append(out, token{"string", normalize(b.String())})
			i = j + 1
		case strings.ContainsRune(psDouble, r):
			j := i + 1
			var b strings.Builder
			depth := 0
			for ; j < len(rs); j++ {
				c := rs[j]
				if c == '`' && j+1 < len(rs) {
					b.WriteRune(c)
					b.WriteRune(rs[j+1])
					j++
					continue
				}
				if c == '$' && j+1 < len(rs) && rs[j+1] == '(' {
					depth++
					b.WriteString("$(")
					j++
					continue
				}
				if depth > 0 && c == ')' {
					depth--
				}
				if depth == 0 && strings.ContainsRune(psDouble, c) {
					if j+1 < len(rs) && strings.ContainsRune(psDouble, rs[j+1]) {
						b.WriteRune('"')
						j++
						continue
					}
					break
				}
				b.WriteRune(c)
			}
			out = append(out, token{"expandable", normalize(b.String())})
			i = j + 1
		case strings.ContainsRune("(){}[];,|=+!", r):
			out = append(out, token{"punct", string(r)})
			i++
		default:
			j := i
			for j < len(rs) && !strings.ContainsRune(" \t\r\n(){}[];,|=+!#"+psSingle+psDouble, rs[j]) {
				j++
			}
			if j == i {
				j++
			}
			out = append(out, token{"word", normalize(string(rs[i:j]))})
			i = j
		}
	}
	return out
}

func checkComment(t *testing.T, text string) {
	t.Helper()
	for _, r := range text {
		if (r < 0x20 && r != '\r' && r != '\n' && r != '\t') || r >= 0x7F {
			t.Errorf("comment holds %U: %q", r, text)
			return
		}
	}
}

// cmdTokens splits a batch file the way cmd.exe reads it: a line per LF
// (CR dropped); a rem line is a comment whose text must hold nothing cmd
// acts on there (% expansion, ^ continuation, & | < > ! ") and is not
// compared; other lines are words, "quoted" words and the operators & | < >
// ( ), with ^ escaping the next character.
func cmdTokens(src string) []token {
	var out []token
	for _, line := range strings.Split(src, "\n") {
		line = strings.ReplaceAll(line, "\r", "")
		trimmed := strings.TrimLeft(line, " \t@")
		low := strings.ToLower(trimmed)
		if low == "rem" || strings.HasPrefix(low, "rem ") || strings.HasPrefix(low, "::") {
			if i := strings.IndexAny(trimmed, `%^&|<>!"`); i >= 0 {
				out = append(out, token{"rem-with-special", trimmed[i:]})
			} else {
				out = append(out, token{"rem", ""})
			}
			continue
		}
		var word strings.Builder
		quoted := false
		flush := func() {
			if word.Len() > 0 {
				out = append(out, token{"word", normalize(word.String())})
				word.Reset()
			}
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			switch {
			case c == '"':
				quoted = !quoted
				word.WriteByte(c)
			case quoted:
				word.WriteByte(c)
			case c == '^' && i+1 < len(line):
				word.WriteByte(line[i+1])
				i++
			case strings.IndexByte("&|<>()", c) >= 0:
				flush()
				out = append(out, token{"op", string(c)})
			case c == ' ' || c == '\t':
				flush()
			default:
				word.WriteByte(c)
			}
		}
		flush()
		out = append(out, token{"nl", ""})
	}
	return out
}

// mdSkeleton reduces a Markdown document to its structure: per line, the
// unescaped characters that make Markdown structure (table cells, code,
// emphasis, links, images, HTML, headings, quotes), and autolinks.
func mdSkeleton(src string) []string {
	var out []string
	autolink := regexp.MustCompile(`(?i)(https?|mailto|ftp):|www\.`)
	for _, line := range strings.Split(src, "\n") {
		var b strings.Builder
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '\\' && i+1 < len(line) {
				i++
				continue
			}
			if strings.IndexByte("|`*_[]()<>!#~$", c) >= 0 {
				b.WriteByte(c)
			}
		}
		for _, m := range autolink.FindAllString(line, -1) {
			b.WriteString(" autolink:" + m)
		}
		out = append(out, b.String())
	}
	return out
}

// TestEscapes pins each language's escape of hostile text.
func TestEscapes(t *testing.T) {
	c := testca.New(testca.Options{CN: "a'b\u2019c\"d\u201ce\r\nf\x00g\u202eh&i|j<k>l^m%n!o`p$(q)r[s](t)*u_v#w"}, nil).Cert
	files := render(t, planOf(t, c))
	for _, tc := range []struct{ file, want string }{
		// The subject is written as RFC 4514 does (certutil.DN: \" \< \> and
		// control or format characters as \XX), then reduced to ASCII.
		{"Import-Roots.ps1", "    # CN=a'b?c\\\"d?e\\0D\\0Af\\00g\\E2\\80\\AEh&i|j\\<k\\>l^m%n!o`p$(q)r[s](t)*u_v#w\r\n"},
		{"import-roots.cmd", "rem CN=a'b?c\\_d?e\\0D\\0Af\\00g\\E2\\80\\AEh_i_j\\_k\\_l_m_n_o`p$(q)r[s](t)*u_v#w\r\n"},
		{"INSTRUCTIONS.md", "| CN=a'b?c\\\\\"d?e\\\\0D\\\\0Af\\\\00g\\\\E2\\\\80\\\\AEh&amp;i\\|j\\\\&lt;k\\\\&gt;l^m%n\\!o\\`p\\$\\(q\\)r\\[s\\]\\(t\\)\\*u\\_v\\#w |"},
	} {
		if !strings.Contains(string(files[tc.file]), tc.want) {
			t.Errorf("%s does not hold %q", tc.file, tc.want)
		}
	}
	if !utf8.Valid(files["INSTRUCTIONS.md"]) {
		t.Error("INSTRUCTIONS.md is not UTF-8")
	}
}

// planOf is a plan deploying the self-signed c as an untrusted root.
func planOf(t *testing.T, c *x509.Certificate) *remediate.Plan {
	t.Helper()
	r := targetReport("https://x.test/ews/", target.RoleEWS, false, []chain.Link{ln(c, chain.FromServer)}, true, "self-signed")
	return plan(t, []report.Target{r}, true)
}

// TestFileNamesAreNotDevices: a subject such as "NUL.contoso.test" must not
// become a file Windows reads as its NUL device.
func TestFileNamesAreNotDevices(t *testing.T) {
	for cn, want := range map[string]string{
		"NUL.contoso.test": "certs/cert-NUL.contoso.test_",
		"con":              "certs/cert-con_",
		"Com1.x":           "certs/cert-Com1.x_",
		"NULL.x":           "certs/NULL.x_",
	} {
		c := testca.New(testca.Options{CN: cn, IsCA: true}, nil).Cert
		it := planOf(t, c).Items[0]
		if !strings.HasPrefix(it.File(), want) {
			t.Errorf("%q: file %s, want %s...", cn, it.File(), want)
		}
	}
}

// TestImportRootsRemoveLogic checks, as far as it can without Windows, that
// Import-Roots.ps1 -Remove removes only what the script added: the state
// file lines the script writes are the ones its reader accepts (the reader's
// regex is taken from the rendered script), nothing else is read as
// "added", the state is written before the import, and in the -Remove
// branch the store's Remove call comes after the guard that skips every
// certificate the state does not list.
func TestImportRootsRemoveLogic(t *testing.T) {
	f := newFixture()
	ps := strings.ReplaceAll(string(render(t, plan(t, f.reports, true))["Import-Roots.ps1"]), "\r\n", "\n")
	m := regexp.MustCompile(`\$line -cmatch '([^']+)'`).FindStringSubmatch(ps)
	if m == nil {
		t.Fatal("no state reader in Import-Roots.ps1")
	}
	reader := regexp.MustCompile(m[1]) // .NET and Go agree on this syntax
	header := regexp.MustCompile(`\$lines = @\('([^']*)', '([^']*)'\)`).FindStringSubmatch(ps)
	if header == nil {
		t.Fatal("no state writer in Import-Roots.ps1")
	}
	for _, line := range header[1:] {
		if reader.MatchString(line) {
			t.Errorf("the state header %q reads as an added certificate", line)
		}
	}
	tp := certutil.Thumbprint(f.exchRoot.Cert)
	for line, want := range map[string]bool{
		"added Root " + tp:                   true,
		"added CA " + tp:                     true,
		"added root " + tp:                   false, // -cmatch: case counts
		"added Root " + strings.ToLower(tp):  false,
		"added Disallowed " + tp:             false,
		"added Root " + tp + " ; rm -r C:\\": false,
		" added Root " + tp:                  false,
		"present Root " + tp:                 false,
	} {
		if reader.MatchString(line) != want {
			t.Errorf("state line %q: read as added = %v, want %v", line, !want, want)
		}
	}
	if !strings.Contains(ps, "$lines += 'added ' + $k") || !strings.Contains(ps, "$key = $c.Store + ' ' + $c.Thumbprint") {
		t.Error("the state writer no longer writes 'added Store THUMBPRINT' lines")
	}
	// Order of the statements that matter, within the script.
	inOrder := func(what string, parts ...string) {
		t.Helper()
		at := 0
		for _, p := range parts {
			i := strings.Index(ps[at:], p)
			if i < 0 {
				t.Errorf("%s: %q missing or out of order", what, p)
				return
			}
			at += i + len(p)
		}
	}
	inOrder("-Remove guard", "if ($Remove) {", "if ($added -notcontains $key) {", "continue", "$store.Remove($found)", "Write-State $added", "continue\n    }")
	inOrder("import records first", "continue\n    }", "$added += $key", "Write-State $added", "$store.Add($x509)")
	if n := strings.Count(ps, ".Remove("); n != 1 {
		t.Errorf("%d store Remove calls, want the one guarded", n)
	}
	if strings.Contains(ps, "Import-Certificate -") || strings.Contains(ps, "#Requires") || strings.Contains(ps, "[pscustomobject]") {
		t.Error("Import-Roots.ps1 uses what Windows PowerShell 2.0 lacks (Import-Certificate, #Requires -RunAsAdministrator, [pscustomobject])")
	}
}

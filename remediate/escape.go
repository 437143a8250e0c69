package remediate

import (
	"fmt"
	"regexp"
	"strings"
)

// Certificate text (subjects, issuers) and report text (targets, roles) are
// attacker-chosen: a server picks its CA's subject. The scripts of a bundle
// carry none of it as code: they read the thumbprints and file names, which
// trustgap makes, and show subjects only in comments and messages, reduced
// by these functions to printable ASCII on one line with every character
// that means something to the language escaped or replaced. One function
// per language.

// printable reduces s to printable ASCII (0x20-0x7E): every other rune (CR,
// LF, NUL, tabs, right-to-left overrides, typographic quotes) becomes '?'.
// The result is at most maxShown runes.
func printable(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxShown {
			b.WriteString("...")
			break
		}
		n++
		if r >= 0x20 && r < 0x7F {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

// maxShown bounds the certificate text shown in a script or document.
const maxShown = 256

// psComment is s for a PowerShell "#" comment: printable ASCII on one line
// (PowerShell ends a comment only at CR or LF). Quotes are harmless there,
// but the typographic ones PowerShell reads as quotes are gone anyway.
func psComment(s string) string { return printable(s) }

// psQuote is s as a PowerShell single-quoted string: printable ASCII, so
// that of the five characters PowerShell closes such a string on (' U+2018
// U+2019 U+201A U+201B) only ' is left, and it is doubled.
func psQuote(s string) string {
	return "'" + strings.ReplaceAll(printable(s), "'", "''") + "'"
}

// cmdComment is s for a cmd.exe "rem" line: printable ASCII, with the
// characters cmd acts on even in a rem line (% expansion, ^ continuation)
// or around it (& | < > ! ") replaced by '_'.
func cmdComment(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune(`&|<>^%!"`, r) {
			return '_'
		}
		return r
	}, printable(s))
}

// mdText is s as Markdown text inside a line (a table cell, a warning):
// printable ASCII on one line; the characters that make Markdown inline
// structure backslash-escaped (code spans, emphasis, links and images,
// table cells, strike-through, math, headings, and the ":" and "@" of
// autolinks, and "www." too); <, > and & written as entities, so no HTML or entity comes
// out of it.
func mdText(s string) string {
	var b strings.Builder
	for _, r := range printable(s) {
		switch {
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '&':
			b.WriteString("&amp;")
		case strings.ContainsRune("\\`*_[]()|~!@$#", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return autolinkForm.ReplaceAllStringFunc(b.String(), func(m string) string {
		return m[:len(m)-1] + `\` + m[len(m)-1:] // https\: www\. mailto\:
	})
}

// autolinkForm finds what starts a GitHub autolink ("http:", "https:",
// "ftp:", "www.", "mailto:", "xmpp:"), to escape its last character.
var autolinkForm = regexp.MustCompile(`(?i)(https?:|ftp:|mailto:|xmpp:|www\.)`)

// The forms of the values trustgap itself puts in scripts as code; Render
// refuses anything else, so a bug upstream cannot become an injection.
var (
	thumbprintForm = regexp.MustCompile(`^[0-9A-F]{40}$`)
	fileForm       = regexp.MustCompile(`^certs/[A-Za-z0-9][A-Za-z0-9.-]*_[0-9A-F]{40}\.cer$`)
)

// checkScriptData checks what the scripts take as data.
func checkScriptData(p *Plan) error {
	for _, it := range p.Items {
		if it.Store != StoreRoot && it.Store != StoreCA {
			return fmt.Errorf("remediate: store %q is not Root or CA", it.Store)
		}
		if !thumbprintForm.MatchString(it.Thumbprint()) || !fileForm.MatchString(it.File()) {
			return fmt.Errorf("remediate: certificate file name %q is not one trustgap makes", it.File())
		}
	}
	return nil
}

// Package layout holds the test that keeps trustgap's packages in their
// lanes: data flows one way (targets, network, chain, judgement, report,
// bundle) and only cmd wires them together. The README's "How it works"
// describes the same graph.
package layout

import (
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/trustgap/trustgap/"

// allowed lists, for every package outside cmd, the trustgap packages it may
// import (test files aside). A package missing here fails the test: a new
// package must say where it stands.
var allowed = map[string][]string{
	"finding":           {},
	"target":            {},
	"internal/certutil": {},
	"internal/winfmt":   {},
	"internal/winreg":   {},
	"internal/certfile": {"internal/certutil", "internal/winfmt"},
	"network":           {"finding", "target", "internal/certfile"},
	"chain":             {"finding", "target", "internal/certutil"},
	"scanner":           {"chain", "network", "finding", "target", "internal/certutil"},
	"revocation":        {"network", "chain", "finding", "internal/certutil"},
	"rootstore":         {"finding", "internal/certfile", "internal/certutil", "internal/winfmt"},
	"discover":          {"network", "target", "finding", "internal/certutil"},
	"report":            {"chain", "rootstore", "discover", "client", "finding", "target", "internal/certutil"},
	"remediate":         {"report", "finding", "target", "internal/certutil", "internal/winfmt"},
	"internal/testca":   {},
	"internal/testtool": {},
	"internal/lab":      {"internal/testca"},
	// The fleet benchmark's toolbox (scripts/bench.sh), not part of trustgap.
	"scripts/bench": {"internal/lab", "internal/testca"},
	"client":        {"chain", "finding", "rootstore", "internal/certutil", "internal/winfmt", "internal/winreg"},
}

// cliOnly are the modules only cmd may import.
var cliOnly = []string{"github.com/spf13/cobra", "github.com/spf13/pflag"}

// TestImportRules reads every package's imports with go/build (so that the
// test cache sees the files it depends on) and checks them against allowed.
func TestImportRules(t *testing.T) {
	root := filepath.Join("..", "..")
	seen := 0
	err := filepath.WalkDir(root, func(dir string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if name := d.Name(); dir != root && (name == "testdata" || strings.HasPrefix(name, ".")) {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(dir, 0)
		if err != nil {
			return nil // no Go files here
		}
		rel, _ := filepath.Rel(root, dir)
		rel = filepath.ToSlash(rel)
		if rel == "cmd" || strings.HasPrefix(rel, "cmd/") || rel == "internal/layout" {
			return nil
		}
		ok, known := allowed[rel]
		if !known {
			t.Errorf("package %s has no import rule here: add it to allowed", rel)
			return nil
		}
		seen++
		for _, imp := range p.Imports {
			for _, c := range cliOnly {
				if strings.HasPrefix(imp, c) {
					t.Errorf("%s imports %s: only cmd may", rel, imp)
				}
			}
			dep, ours := strings.CutPrefix(imp, module)
			if ours && !slices.Contains(ok, dep) {
				t.Errorf("%s imports %s, which it must not (allowed: %v)", rel, dep, ok)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != len(allowed) {
		t.Errorf("checked %d packages, but %d have rules: a package was removed or renamed", seen, len(allowed))
	}
}

// Package testtool finds the outside programs some tests use as independent
// oracles (openssl, Samba's Registry.pol parser). Where one is missing the
// test is skipped with a clear message, except under CI (CI=true), where a
// missing tool fails the test: .ci/run installs them.
//
// It is for tests only and imports nothing of trustgap.
package testtool

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Require returns the path of program, or skips (fails under CI) when it is
// not installed.
func Require(t testing.TB, program, install string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	Missing(t, program+" is not installed ("+install+")")
	return ""
}

// Missing skips the test with why, or fails it under CI.
func Missing(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and %s: .ci/run must install it", why)
	}
	t.Skipf("skipped: %s", why)
}

// Shared returns the path of a file in the shared reference material (the
// real Windows files of fixtures/real, the validator tools) that sits beside
// the repository as ../shared, or beside a worktree's parent as ../../shared,
// or where TRUSTGAP_SHARED points. name is relative to the shared folder,
// for example "fixtures/real/authroot.stl".
//
// These are files, not programs CI can install: where the folder is missing
// the test is skipped with a message, also under CI=true, so that a clone
// placed anywhere runs. When TRUSTGAP_SHARED is set (.ci/run sets it when
// the folder is there), a missing file fails the test instead.
func Shared(t testing.TB, name string) string {
	t.Helper()
	var roots []string
	if env := os.Getenv("TRUSTGAP_SHARED"); env != "" {
		roots = append(roots, env)
	}
	if top := repoRoot(); top != "" {
		roots = append(roots, filepath.Join(top, "..", "shared"), filepath.Join(top, "..", "..", "shared"))
	}
	for _, r := range roots {
		p := filepath.Join(r, filepath.FromSlash(name))
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	why := "shared reference file " + name + " not found beside the repository (../shared) or in $TRUSTGAP_SHARED"
	if os.Getenv("TRUSTGAP_SHARED") != "" {
		t.Fatalf("%s", why)
	}
	t.Skipf("skipped: %s", why)
	return ""
}

// repoRoot is the folder holding go.mod, found upwards from the working
// directory (a package's folder under go test).
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for range 16 {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return ""
}

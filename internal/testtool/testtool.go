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

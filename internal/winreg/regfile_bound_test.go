package winreg

import (
	"os"
	"strings"
	"testing"
)

// TestLoadFileBounded: a file that never ends (/dev/zero) is an error at
// the size limit, not all of memory.
func TestLoadFileBounded(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero here")
	}
	var r Registry
	err := r.LoadFile("/dev/zero")
	if err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("got %v, want an error at the size limit", err)
	}
}

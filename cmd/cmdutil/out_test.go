package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestOutFileFinish: --out FILE is replaced by a run that completed, found
// error-severity findings, or was interrupted (what completed is a whole
// report); any other failure leaves the last report, and no temporary
// file, behind.
func TestOutFileFinish(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		commit bool
	}{
		{"done", nil, true},
		{"findings", ErrFindings, true},
		{"interrupted", &InterruptedError{NotScanned: 2, Total: 5}, true},
		{"failed", errors.New("writing the report: disk full"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			os.WriteFile(path, []byte("last report"), 0o644)
			out, w, err := CreateOut(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("new report"))
			if got := out.Finish(tc.err); got != tc.err {
				t.Errorf("Finish returned %v, want %v", got, tc.err)
			}
			b, _ := os.ReadFile(path)
			want := map[bool]string{true: "new report", false: "last report"}[tc.commit]
			if string(b) != want {
				t.Errorf("%s holds %q, want %q", path, b, want)
			}
			if names, _ := os.ReadDir(dir); len(names) != 1 {
				t.Errorf("%d files in the folder, want only the report", len(names))
			}
		})
	}
}

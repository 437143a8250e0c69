//go:build !windows

package cmdutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestOutFileFIFO: --out naming a named pipe writes into the pipe (a
// reader gets the report) and leaves it a pipe, with no temporary file.
func TestOutFileFIFO(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.pipe")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	// The read end, opened first without blocking: the writer's open then
	// does not wait, and what it writes stays in the pipe until read.
	r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	out, w, err := CreateOut(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("new report"))
	if err := out.Finish(ErrFindings); err != ErrFindings {
		t.Fatalf("Finish: %v", err)
	}
	if b, err := io.ReadAll(r); string(b) != "new report" {
		t.Errorf("the reader got %q (%v)", b, err)
	}
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("%s is no longer a named pipe: %v %v", path, fi.Mode(), err)
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("%d files in the folder, want only the pipe", len(names))
	}
}

// TestOutFileDevNull: --out /dev/null is written into, never replaced: it
// stays a character device. (Only written to, never created: the test
// cannot replace a device when the code is right, and as a normal user it
// cannot when it is wrong.)
func TestOutFileDevNull(t *testing.T) {
	before, err := os.Lstat(os.DevNull)
	if err != nil || before.Mode()&os.ModeCharDevice == 0 {
		t.Skipf("%s is not a character device here: %v", os.DevNull, err)
	}
	out, w, err := CreateOut(os.DevNull, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !out.direct {
		out.Abort() // removes the temporary file: never rename over a device
		t.Fatalf("%s would be replaced by a rename", os.DevNull)
	}
	w.Write([]byte("report"))
	if err := out.Finish(nil); err != nil {
		t.Fatal(err)
	}
	after, err := os.Lstat(os.DevNull)
	if err != nil || after.Mode() != before.Mode() {
		t.Errorf("%s: mode %v, was %v (%v)", os.DevNull, after.Mode(), before.Mode(), err)
	}
	// A failed run has nothing to restore: Abort only closes.
	out, _, err = CreateOut(os.DevNull, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Finish(errors.New("disk full")); err == nil {
		t.Error("Finish swallowed the error")
	}
}

// TestOutFileSymlink: --out naming a symbolic link replaces the file it
// points to (temporary file beside the target, renamed over it): the link
// stays a link; a failed run leaves the target as it was; a dangling link
// is an error naming it.
func TestOutFileSymlink(t *testing.T) {
	dir, other := t.TempDir(), t.TempDir()
	target := filepath.Join(other, "report.json")
	os.WriteFile(target, []byte("last report"), 0o644)
	link := filepath.Join(dir, "latest.json")
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	for _, tc := range []struct {
		err  error
		want string
	}{{errors.New("disk full"), "last report"}, {nil, "new report"}} {
		out, w, err := CreateOut(link, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("new report"))
		out.Finish(tc.err)
		fi, err := os.Lstat(link)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s is no longer a link: %v %v", link, fi.Mode(), err)
		}
		if b, _ := os.ReadFile(target); string(b) != tc.want {
			t.Errorf("after Finish(%v) the target holds %q, want %q", tc.err, b, tc.want)
		}
		for _, d := range []string{dir, other} {
			if names, _ := os.ReadDir(d); len(names) != 1 {
				t.Errorf("%d files in %s, want one", len(names), d)
			}
		}
	}

	dangling := filepath.Join(dir, "gone.json")
	os.Symlink(filepath.Join(other, "missing", "report.json"), dangling)
	_, _, err := CreateOut(dangling, nil)
	if err == nil || !strings.Contains(err.Error(), "--out "+dangling+" is a symbolic link to a file that does not exist") {
		t.Errorf("dangling link: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(other, "missing")); err == nil {
		t.Error("a dangling link's target folder was created")
	}
}

// TestOutFileOwnStream: --out /dev/fd/N (as /dev/stdout is) writes into the
// file the process has open, a pipe here, though the link names no file.
func TestOutFileOwnStream(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	path := "/dev/fd/" + strconv.Itoa(int(w.Fd()))
	if _, err := os.Stat(path); err != nil {
		w.Close()
		t.Skipf("no %s here: %v", path, err)
	}
	out, dst, err := CreateOut(path, nil)
	if err != nil {
		w.Close()
		t.Fatal(err)
	}
	dst.Write([]byte("new report"))
	err = out.Finish(nil)
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "new report" {
		t.Errorf("the pipe got %q", b)
	}
}

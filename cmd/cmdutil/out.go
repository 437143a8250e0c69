package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// OutFile is a report file being written (--out FILE). A regular file (or
// a new one) is written to a temporary file beside it, renamed into place
// by Commit, so a failed or interrupted run never leaves half a report
// where the last one was. A symbolic link is followed: the file it points
// to is replaced that way, and the link stays a link. A path that exists
// and is not a regular file (a device such as /dev/null or NUL, a named
// pipe, the process's own streams /dev/stdout and /dev/fd/N) is written
// straight into: it is never replaced, and on failure there is nothing to
// restore.
type OutFile struct {
	path   string // as given, for messages
	target string // the file renamed over (path with its links resolved)
	f      *os.File
	direct bool // written straight into path: no temporary, no rename
	done   bool
}

// streamName reports whether path names one of the process's own open files
// through /proc's links: whatever they point to is written straight into,
// like a shell's redirection, never replaced.
func streamName(path string) bool {
	p := filepath.ToSlash(filepath.Clean(path))
	switch p {
	case "/dev/stdout", "/dev/stderr":
		return true
	}
	for _, pre := range []string{"/dev/fd/", "/proc/self/fd/", "/proc/thread-self/fd/"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

// CreateOut starts writing path. "-" means standard output: then it
// returns nil and out.
func CreateOut(path string, out io.Writer) (*OutFile, io.Writer, error) {
	if path == "" || path == "-" {
		return nil, out, nil
	}
	target := path
	if li, err := os.Lstat(path); err == nil && li.Mode()&fs.ModeSymlink != 0 && !streamName(path) {
		resolved, err := filepath.EvalSymlinks(path)
		if err != nil {
			return nil, nil, &HintError{Err: fmt.Errorf("--out %s is a symbolic link to a file that does not exist (%w)", path, err),
				Hint: "give the file itself, or fix or remove the link"}
		}
		target = resolved
	}
	fi, err := os.Stat(target)
	switch {
	case err == nil && fi.IsDir():
		return nil, nil, &HintError{Err: fmt.Errorf("--out %s is a folder", path), Hint: "give a file name, such as report.html"}
	case err == nil && (!fi.Mode().IsRegular() || streamName(path)):
		// A device, a pipe, a socket, or one of our own streams: write
		// into it, as a shell's redirection would.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot write --out %s: %w", path, err)
		}
		return &OutFile{path: path, target: path, f: f, direct: true}, f, nil
	}
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write --out %s: %w", path, err)
	}
	return &OutFile{path: path, target: target, f: f}, f, nil
}

// Commit closes the file and renames it into place (a file written
// straight into is only closed).
func (o *OutFile) Commit() error {
	if o == nil || o.done {
		return nil
	}
	o.done = true
	if o.direct {
		if err := o.f.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", o.path, err)
		}
		return nil
	}
	if err := o.f.Sync(); err != nil {
		o.abort()
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	if err := o.f.Close(); err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	if err := os.Chmod(o.f.Name(), 0o644); err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	if err := os.Rename(o.f.Name(), o.target); err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	return nil
}

// Abort removes the temporary file; the file at the path is left as it
// was (a file written straight into is only closed). It does nothing
// after Commit.
func (o *OutFile) Abort() {
	if o == nil || o.done {
		return
	}
	o.done = true
	o.abort()
}

func (o *OutFile) abort() {
	o.f.Close()
	if !o.direct {
		os.Remove(o.f.Name())
	}
}

// Finish commits o when err is nil, or only says that findings were found
// or that the run was interrupted (what completed was written, a whole
// report), and aborts it otherwise; it returns err, or the commit's error.
func (o *OutFile) Finish(err error) error {
	if err != nil && !errors.Is(err, ErrFindings) && !errors.Is(err, ErrInterrupted) {
		o.Abort()
		return err
	}
	if cerr := o.Commit(); cerr != nil {
		return cerr
	}
	return err
}

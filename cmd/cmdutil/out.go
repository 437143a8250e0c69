package cmdutil

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// OutFile is a report file being written (--out FILE): it goes to a
// temporary file beside FILE, renamed into place by Commit, so a failed or
// interrupted run never leaves half a report where the last one was.
type OutFile struct {
	path string
	f    *os.File
	done bool
}

// CreateOut starts writing path. "-" means standard output: then it
// returns nil and out.
func CreateOut(path string, out io.Writer) (*OutFile, io.Writer, error) {
	if path == "" || path == "-" {
		return nil, out, nil
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, nil, &HintError{Err: fmt.Errorf("--out %s is a folder", path), Hint: "give a file name, such as report.html"}
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return nil, nil, fmt.Errorf("cannot write --out %s: %w", path, err)
	}
	return &OutFile{path: path, f: f}, f, nil
}

// Commit closes the file and renames it into place.
func (o *OutFile) Commit() error {
	if o == nil || o.done {
		return nil
	}
	o.done = true
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
	if err := os.Rename(o.f.Name(), o.path); err != nil {
		os.Remove(o.f.Name())
		return fmt.Errorf("writing %s: %w", o.path, err)
	}
	return nil
}

// Abort removes the temporary file; the file at the path is left as it
// was. It does nothing after Commit.
func (o *OutFile) Abort() {
	if o == nil || o.done {
		return
	}
	o.done = true
	o.abort()
}

func (o *OutFile) abort() {
	o.f.Close()
	os.Remove(o.f.Name())
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

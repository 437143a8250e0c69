// Package cmdutil holds what every trustgap subcommand shares: the I/O
// streams, the factory of dependencies, and the error kinds that decide the
// exit code.
package cmdutil

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	outTTY  bool
	errTTY  bool
	noColor bool
}

// System returns the process's streams. Colour is on when standard output
// is a terminal and NO_COLOR is unset (https://no-color.org).
func System() *IOStreams {
	io := &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		io.outTTY = true
		io.noColor = !enableVT(os.Stdout)
	}
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		io.noColor = true
	}
	io.errTTY = term.IsTerminal(int(os.Stderr.Fd())) && os.Getenv("TERM") != "dumb"
	return io
}

// Test returns streams backed by buffers, for tests.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// SetStdoutTTY pretends standard output is (or is not) a terminal.
func (s *IOStreams) SetStdoutTTY(tty bool) { s.outTTY = tty }

// SetStderrTTY pretends standard error is (or is not) a terminal.
func (s *IOStreams) SetStderrTTY(tty bool) { s.errTTY = tty }

// IsStderrTTY reports whether standard error is a terminal (not a dumb
// one): scan shows its progress there.
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// ColorEnabled reports whether output may use ANSI colours.
func (s *IOStreams) ColorEnabled() bool { return s.outTTY && !s.noColor }

// Warnf prints "trustgap: warning: ..." to standard error, on one line:
// warnings quote file names, store entries and certificate text, so what
// they print is escaped as a whole (certutil.SafeText) and can neither start
// a line nor move the terminal's cursor.
func (s *IOStreams) Warnf(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, "trustgap: warning: %s\n", certutil.SafeText(fmt.Sprintf(format, args...)))
}

// Infof prints "trustgap: ..." to standard error.
func (s *IOStreams) Infof(format string, args ...any) {
	fmt.Fprintf(s.ErrOut, "trustgap: "+format+"\n", args...)
}

// Factory supplies the dependencies of commands.
type Factory struct {
	IO *IOStreams
	// Now returns the current time; tests pin it.
	Now func() time.Time
	// Version is trustgap's version, written into manifests.
	Version string
}

// ErrFindings means the run worked and found at least one error-severity
// problem: exit 1, with nothing more printed.
var ErrFindings = errors.New("error-severity findings")

// ErrInterrupted means the run was stopped by Ctrl-C (SIGINT) or SIGTERM:
// exit 130, as a shell reports a process ended by SIGINT.
var ErrInterrupted = errors.New("interrupted")

// InterruptedError is a scan stopped before every target was scanned.
type InterruptedError struct {
	NotScanned, Total int
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted: %d of %d targets not scanned; the report holds the others, and no bundle was written", e.NotScanned, e.Total)
}

// Is makes errors.Is(err, ErrInterrupted) true.
func (e *InterruptedError) Is(target error) bool { return target == ErrInterrupted }

// FlagError is a usage error: exit 2, with a hint to read --help.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf returns a formatted [*FlagError].
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// HintError is an error with advice on what to do next.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() }
func (e *HintError) Unwrap() error { return e.Err }

// ExitCode maps an error from a command to the process exit code: 0 for
// none, 1 for [ErrFindings], 130 for [ErrInterrupted], 2 for everything
// else (usage, input and I/O errors).
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrFindings):
		return 1
	case errors.Is(err, ErrInterrupted):
		return 130
	}
	return 2
}

//go:build !windows

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

// runMainEnv makes the test binary run trustgap's main (see TestMain).
const runMainEnv = "TRUSTGAP_TEST_RUN_MAIN"

// interruptLab serves ok1..ok3.test (on a root the client store lacks, so a
// bundle would be written) and hang1..hang2.test, which accept and never
// answer. It returns the server list and the flags that reach them.
func interruptLab(t *testing.T) (silent *lab.Server, targets []string, flags []string) {
	root := testca.Root("Interrupt Root")
	silent = lab.Silent()
	t.Cleanup(silent.Close)
	for _, n := range []string{"ok1.test", "ok2.test", "ok3.test"} {
		s := lab.TLS(testca.TLSCert(testca.Leaf(root, n)), lab.TLSOptions{})
		t.Cleanup(s.Close)
		flags = append(flags, "--resolve", n+":"+strconv.Itoa(s.Port)+":127.0.0.1")
		targets = append(targets, n+":"+strconv.Itoa(s.Port))
	}
	for _, n := range []string{"hang1.test", "hang2.test"} {
		flags = append(flags, "--resolve", n+":"+strconv.Itoa(silent.Port)+":127.0.0.1")
	}
	p := strconv.Itoa(silent.Port)
	targets = []string{targets[0], "hang1.test:" + p, "hang2.test:" + p, targets[1], targets[2]}
	flags = append(flags, "--roots", "mozilla", "--timeout", "60s", "-c", "3")
	return silent, targets, flags
}

// start runs trustgap with args in the background, its standard output
// and error going to pipes whose read ends it returns (os.Pipe, so that
// they stay readable after the process exits and is waited for). A non-nil
// stdout replaces the standard output pipe.
func start(t *testing.T, stdout *os.File, args ...string) (c *exec.Cmd, out, errOut *os.File) {
	t.Helper()
	c = exec.Command(os.Args[0], args...)
	c.Env = append(os.Environ(), runMainEnv+"=1", "NO_COLOR=1")
	var ow *os.File
	if stdout == nil {
		var err error
		if out, ow, err = os.Pipe(); err != nil {
			t.Fatal(err)
		}
		stdout = ow
	}
	errOut, ew, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c.Stdout, c.Stderr = stdout, ew
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ew.Close()
	if ow != nil {
		ow.Close()
	}
	t.Cleanup(func() {
		c.Process.Kill()
		c.Wait()
		errOut.Close()
		if out != nil {
			out.Close()
		}
	})
	return c, out, errOut
}

// waitExit waits for the process, killing it (and failing) if it has not
// exited long before the 60 s connection timeout: exiting at all proves
// the connections in flight were cancelled.
func waitExit(t *testing.T, c *exec.Cmd) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		t.Fatal("trustgap did not exit after the interrupt: connections in flight were not cancelled")
		return -1
	}
}

// TestInterruptJSON interrupts a JSON scan while two connections hang: the
// report is one valid document marked interrupted, without the cancelled
// targets or any finding for them, no bundle is written, and the exit code
// is 130.
func TestInterruptJSON(t *testing.T) {
	silent, targets, flags := interruptLab(t)
	dir := filepath.Join(t.TempDir(), "bundle")
	args := append([]string{"scan", "--format", "json", "--bundle", dir}, flags...)
	c, out, errOut := start(t, nil, append(args, targets...)...)
	<-silent.Accepted
	<-silent.Accepted
	c.Process.Signal(syscall.SIGINT)
	code := waitExit(t, c)
	stdout, _ := io.ReadAll(out)
	stderr, _ := io.ReadAll(errOut)
	if code != 130 {
		t.Fatalf("exit %d, want 130\nstderr: %s", code, stderr)
	}
	var rep struct {
		Targets []struct {
			Target   string
			Findings []struct{ Code string }
		}
		Summary struct {
			Targets     int
			Interrupted bool
			NotScanned  int `json:"not_scanned"`
		}
	}
	if err := json.Unmarshal(stdout, &rep); err != nil {
		t.Fatalf("the report is not one JSON document: %v\n%s", err, stdout)
	}
	if !rep.Summary.Interrupted || rep.Summary.Targets+rep.Summary.NotScanned != 5 || len(rep.Targets) != rep.Summary.Targets || rep.Summary.NotScanned < 2 {
		t.Errorf("summary %+v with %d targets, want interrupted and every target counted once", rep.Summary, len(rep.Targets))
	}
	for _, tr := range rep.Targets {
		if strings.HasPrefix(tr.Target, "hang") {
			t.Errorf("cancelled target %s is in the report with %v", tr.Target, tr.Findings)
		}
	}
	if !strings.Contains(string(stderr), "trustgap: interrupt: stopping") || !strings.Contains(string(stderr), "trustgap: interrupted: ") || !strings.Contains(string(stderr), "targets not scanned") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a bundle was written after an interrupted scan: %v", err)
	}
}

// TestInterruptJSONLAndText: jsonl keeps only complete lines, the first of
// them the target that completed; text says how many were not scanned.
// SIGTERM works like Ctrl-C.
func TestInterruptJSONLAndText(t *testing.T) {
	silent, targets, flags := interruptLab(t)
	for _, format := range []string{"jsonl", "text"} {
		c, out, errOut := start(t, nil, append(append([]string{"scan", "--format", format}, flags...), targets...)...)
		br := bufio.NewReader(out)
		first, err := br.ReadString('\n') // ok1 is written as it completes
		if err != nil {
			t.Fatal(err)
		}
		<-silent.Accepted
		<-silent.Accepted
		c.Process.Signal(syscall.SIGTERM)
		code := waitExit(t, c)
		rest, _ := io.ReadAll(br)
		stderr, _ := io.ReadAll(errOut)
		if code != 130 {
			t.Fatalf("%s: exit %d, want 130\n%s", format, code, stderr)
		}
		all := first + string(rest)
		switch format {
		case "jsonl":
			if !strings.Contains(first, `"target":"ok1.test:`) {
				t.Errorf("first line %q, want ok1", first)
			}
			for _, line := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
				if !json.Valid([]byte(line)) || strings.Contains(line, `"target":"hang`) {
					t.Errorf("jsonl line %q", line)
				}
			}
		case "text":
			if !strings.Contains(all, "\ninterrupted: ") || !strings.Contains(all, " targets not scanned\n") || strings.Contains(all, "hang1") {
				t.Errorf("text report:\n%s", all)
			}
		}
		if !strings.Contains(string(stderr), "trustgap: terminated: stopping") {
			t.Errorf("%s: stderr %s", format, stderr)
		}
	}
}

// TestSecondInterrupt: a second Ctrl-C exits at once, even where the first
// cannot finish the run: here standard output is a full pipe nobody reads,
// so writing the report blocks.
func TestSecondInterrupt(t *testing.T) {
	silent, targets, flags := interruptLab(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	fd := int(w.Fd()) // Fd makes the file blocking: call it once
	if err := syscall.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for i := 0; i < 1<<16; i++ {
		if _, err := syscall.Write(fd, chunk); err != nil {
			break // EAGAIN: the pipe is full
		}
	}
	c, _, errOut := start(t, w, append(append([]string{"scan"}, flags...), targets...)...)
	w.Close()
	<-silent.Accepted
	<-silent.Accepted
	c.Process.Signal(syscall.SIGINT)
	br := bufio.NewReader(errOut)
	line, err := br.ReadString('\n')
	if err != nil || !strings.Contains(line, "stopping") {
		t.Fatalf("after the first interrupt: %q, %v", line, err)
	}
	c.Process.Signal(syscall.SIGINT)
	if code := waitExit(t, c); code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	rest, _ := io.ReadAll(br)
	if !strings.Contains(string(rest), "interrupted again: quitting") {
		t.Errorf("stderr after the second interrupt: %q", rest)
	}
}

// TestInterruptOut interrupts scans that write to --out FILE: FILE then
// holds what completed (a JSON document marked interrupted; a page that
// says so and that no bundle was written), not the last report, and no
// temporary file is left beside it.
func TestInterruptOut(t *testing.T) {
	silent, targets, flags := interruptLab(t)
	for _, format := range []string{"json", "html"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "report."+format)
		os.WriteFile(path, []byte("last report"), 0o644)
		args := append([]string{"scan", "--format", format, "--out", path, "--bundle", filepath.Join(dir, "bundle")}, flags...)
		c, out, errOut := start(t, nil, append(args, targets...)...)
		<-silent.Accepted
		<-silent.Accepted
		c.Process.Signal(syscall.SIGINT)
		code := waitExit(t, c)
		stdout, _ := io.ReadAll(out)
		stderr, _ := io.ReadAll(errOut)
		if code != 130 {
			t.Fatalf("%s: exit %d, want 130\nstderr: %s", format, code, stderr)
		}
		if len(stdout) != 0 {
			t.Errorf("%s: the report went to standard output too: %q", format, stdout)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		switch format {
		case "json":
			var rep struct {
				Targets []struct{ Target string }
				Summary struct {
					Targets     int
					Interrupted bool
					NotScanned  int `json:"not_scanned"`
				}
			}
			if err := json.Unmarshal(b, &rep); err != nil {
				t.Fatalf("--out holds no JSON document: %v\n%s", err, b)
			}
			if !rep.Summary.Interrupted || rep.Summary.NotScanned < 2 || rep.Summary.Targets+rep.Summary.NotScanned != 5 || len(rep.Targets) != rep.Summary.Targets {
				t.Errorf("summary %+v with %d targets", rep.Summary, len(rep.Targets))
			}
		case "html":
			page := string(b)
			for _, want := range []string{"<strong>Interrupted:</strong>", "targets were not scanned and are not on this page", "None was written: the run was interrupted", "</html>"} {
				if !strings.Contains(page, want) {
					t.Errorf("the page lacks %q", want)
				}
			}
		}
		if names, _ := os.ReadDir(dir); len(names) != 1 {
			t.Errorf("%s: %d files in the folder, want only the report (no bundle, no temporary file)", format, len(names))
		}
	}
}

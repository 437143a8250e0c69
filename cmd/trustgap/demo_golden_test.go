package main

import (
	"bytes"
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd"
	"github.com/trustgap/trustgap/cmd/cmdutil"
	"github.com/trustgap/trustgap/internal/testca"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// loopbackPort hides the lab's ephemeral ports, the one thing that differs
// between two runs of the demo.
var loopbackPort = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// cipherSuite hides the negotiated TLS 1.3 cipher suite, which differs
// between machines: Go prefers AES-GCM where the CPU has AES instructions
// and ChaCha20-Poly1305 elsewhere.
var cipherSuite = regexp.MustCompile(`"cipher_suite":"TLS_[A-Z0-9_]+"`)

// htmlCipherSuite hides the cipher suite in the HTML page.
var htmlCipherSuite = regexp.MustCompile(`TLS_(AES|CHACHA20)_[A-Z0-9_]+`)

// runDemo runs "trustgap demo" at a fixed instant and returns its standard
// output (ports hidden), the bundle's files by name, and the HTML page it
// writes beside the bundle (ports and cipher suites hidden).
func runDemo(t *testing.T, format string) (string, map[string][]byte, []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	ios, _, out, errOut := cmdutil.Test()
	f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return testca.Epoch }, Version: "golden"}
	if code := cmd.Run(context.Background(), f, []string{"demo", "--format", format, "--bundle", dir}); code != 1 {
		t.Fatalf("demo exited %d, want 1 (the lab has error findings)", code)
	}
	page := filepath.Join(filepath.Dir(dir), "trustgap-demo-report.html")
	if !strings.Contains(errOut.String(), "trustgap: report page written to "+page+": open it in a browser") {
		t.Errorf("the demo does not say where its page is:\n%s", errOut)
	}
	html, err := os.ReadFile(page)
	if err != nil {
		t.Fatalf("the demo wrote no page beside its bundle: %v", err)
	}
	html = htmlCipherSuite.ReplaceAll(loopbackPort.ReplaceAll(html, []byte("127.0.0.1:PORT")), []byte("CIPHER"))
	html = bytes.ReplaceAll(html, []byte(dir), []byte("trustgap-demo-bundle")) // the demo's default folder
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return cipherSuite.ReplaceAllString(loopbackPort.ReplaceAllString(out.String(), "127.0.0.1:PORT"), `"cipher_suite":"CIPHER"`), files, html
}

// TestDemoGolden pins the demo's reports and bundle byte for byte. The lab's
// keys and serials are derived from fixed seeds, so at a fixed instant every
// run gives the same bytes; a refactoring that changes none of trustgap's
// behaviour leaves these files untouched (go test ./cmd/trustgap -run
// DemoGolden -update rewrites them).
func TestDemoGolden(t *testing.T) {
	golden := filepath.Join("testdata", "golden", "demo")
	check := func(name string, got []byte) {
		t.Helper()
		p := filepath.Join(golden, filepath.FromSlash(name))
		if *update {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if d := cmp.Diff(string(want), string(got)); d != "" {
			t.Errorf("%s differs from the golden file (-want +got):\n%s", name, d)
		}
	}
	text, bundle, page := runDemo(t, "text")
	check("report.txt", []byte(text))
	check("report.html", page)
	js, bundle2, page2 := runDemo(t, "json")
	check("report.json", []byte(js))
	if d := cmp.Diff(bundle, bundle2); d != "" {
		t.Errorf("two runs of the demo wrote different bundles:\n%s", d)
	}
	if d := cmp.Diff(string(page), string(page2)); d != "" {
		t.Errorf("two runs of the demo wrote different pages:\n%s", d)
	}
	if *update {
		os.RemoveAll(filepath.Join(golden, "bundle"))
	}
	var names []string
	for name, b := range bundle {
		names = append(names, name)
		check("bundle/"+name, b)
	}
	if !*update {
		// Every golden file must still be written.
		filepath.WalkDir(filepath.Join(golden, "bundle"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				rel, _ := filepath.Rel(filepath.Join(golden, "bundle"), p)
				if _, ok := bundle[filepath.ToSlash(rel)]; !ok {
					t.Errorf("the bundle no longer holds %s", rel)
				}
			}
			return nil
		})
	}
	if len(names) == 0 {
		t.Fatal("the demo wrote an empty bundle")
	}
}

// TestDemoGoldenRerendered renders the demo's saved JSON report with
// "trustgap report --from": text and JSON come out byte for byte as the
// scan wrote them, and it exits as the scan did.
func TestDemoGoldenRerendered(t *testing.T) {
	golden := filepath.Join("testdata", "golden", "demo")
	for _, format := range []string{"text", "json"} {
		ios, _, out, errOut := cmdutil.Test()
		f := &cmdutil.Factory{IO: ios, Now: func() time.Time { return testca.Epoch }, Version: "golden"}
		if code := cmd.Run(context.Background(), f, []string{"report", "--from", filepath.Join(golden, "report.json"), "--format", format}); code != 1 {
			t.Fatalf("report --format %s exited %d, want 1 as the scan did: %s", format, code, errOut)
		}
		name := map[string]string{"text": "report.txt", "json": "report.json"}[format]
		want, err := os.ReadFile(filepath.Join(golden, name))
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(string(want), out.String()); d != "" {
			t.Errorf("report --from report.json --format %s differs from the scan's %s (-scan +report):\n%s", format, name, d)
		}
	}
}

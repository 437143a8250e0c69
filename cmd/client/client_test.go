package client

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/trustgap/trustgap/cmd/cmdutil"
)

func TestNewCmdClientFlags(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	var got *ClientOptions
	c := NewCmdClient(&cmdutil.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ClientOptions) error { got = o; return nil })
	c.SetArgs([]string{"--user", "sip:alice@contoso.com", "--reg", "a.reg", "--reg", "dir", "--offline", "--roots", "r.sst",
		"--roots", "authroot:a.stl+b.sst", "--dns", "127.0.0.1:53", "--timeout", "3s", "--no-aia", "--now", "2026-01-02T03:04:05Z", "--format", "json", "-v"})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	want := []any{"sip:alice@contoso.com", []string{"a.reg", "dir"}, true, []string{"r.sst", "authroot:a.stl+b.sst"}, "127.0.0.1:53", 3 * time.Second, true, "2026-01-02T03:04:05Z", "json", true}
	have := []any{got.User, got.RegFiles, got.Offline, got.Roots, got.Net.DNS, got.Net.Timeout, got.NoAIA, got.At, got.Format, got.Verbose}
	if d := cmp.Diff(want, have); d != "" {
		t.Errorf("flags (-want +got):\n%s", d)
	}
	c = NewCmdClient(&cmdutil.Factory{IO: ios, Now: time.Now}, func(_ context.Context, o *ClientOptions) error { got = o; return nil })
	c.SetArgs([]string{})
	if err := c.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Format != "text" || got.Offline || got.Net.Timeout != 5*time.Second || len(got.RegFiles) != 0 {
		t.Errorf("defaults: %+v", got)
	}
}

func TestNoRegistryOffWindows(t *testing.T) {
	ios, _, _, _ := cmdutil.Test()
	o := &ClientOptions{IO: ios, Now: time.Now, Format: "text", testOnlyGOOS: "linux"}
	err := clientRun(context.Background(), o)
	var fe *cmdutil.FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "give the user's registry as --reg FILE") || cmdutil.ExitCode(err) != 2 {
		t.Errorf("got %v, want a usage error pointing at --reg", err)
	}
}

func TestRegDirectory(t *testing.T) {
	dir := t.TempDir()
	v4 := func(body string) []byte { return []byte("REGEDIT4\r\n\r\n" + body) }
	os.WriteFile(filepath.Join(dir, "1-lync.reg"), v4("[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Lync]\r\n\"ServerSipUri\"=\"sip:a@contoso.com\"\r\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "2-later.REG"), v4("[HKEY_CURRENT_USER\\Software\\Microsoft\\Office\\16.0\\Lync]\r\n\"ServerSipUri\"=\"sip:b@contoso.com\"\r\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not read"), 0o644)
	ios, _, out, _ := cmdutil.Test()
	o := &ClientOptions{IO: ios, Now: time.Now, Format: "text", RegFiles: []string{dir}, Offline: true}
	if err := clientRun(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Client check for b@contoso.com (from ServerSipUri)") {
		t.Errorf("the later file must win; got\n%s", out)
	}
	empty := t.TempDir()
	o.RegFiles = []string{empty}
	if err := clientRun(context.Background(), o); err == nil || !strings.Contains(err.Error(), "holds no .reg file") || cmdutil.ExitCode(err) != 2 {
		t.Errorf("empty directory: %v", err)
	}
}

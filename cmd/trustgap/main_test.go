package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/trustgap/trustgap/cmd"
	"github.com/trustgap/trustgap/internal/certfile"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/winfmt"
)

func TestMain(m *testing.M) {
	if os.Getenv("TRUSTGAP_TEST_RUN_MAIN") == "1" {
		os.Exit(cmd.Main()) // a test runs trustgap as a process of its own
	}
	testscript.Main(m, map[string]func(){
		"trustgap": func() { os.Exit(cmd.Main()) },
	})
}

// TestScripts runs the end-to-end scripts in testdata against the built
// command, with loopback labs started by the "lab" command.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"lab":   cmdLab,
			"exit":  cmdExit,
			"utf16": cmdUTF16,
			"ctl":   cmdCTL,
		},
		Condition: haveCondition,
		Setup: func(env *testscript.Env) error {
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

// cmdLab starts a lab. "lab discover": see labDiscover. "lab demo" starts the demo servers and a DNS server
// that answers 127.0.0.1 for their names, writes lab.targets and the lab's
// CA certificates (contoso-root.pem, fabrikam-root.pem, contoso-issuing.pem),
// and sets $DNS, $NOW and one
// variable per server with its address ($MAIL, $LYNCPOOL, ...).
// Everything stops when the script ends.
func cmdLab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 || args[0] != "demo" && args[0] != "discover" && args[0] != "client" {
		ts.Fatalf("usage: lab demo|discover|client")
	}
	switch args[0] {
	case "discover":
		labDiscover(ts)
		return
	case "client":
		labClient(ts)
		return
	}
	l := lab.Demo(time.Now(), true)
	ts.Defer(l.Close)
	dns := lab.NewDNS()
	ts.Defer(dns.Close)
	for _, n := range l.Names() {
		dns.A(n, "127.0.0.1")
	}
	ts.Setenv("DNS", dns.Addr)
	ts.Setenv("NOW", time.Now().UTC().Format(time.RFC3339))
	for k, addr := range l.Pins {
		// $MAIL, $EXCH02, ... hold each server's loopback address.
		ts.Setenv(strings.ToUpper(strings.SplitN(k, ".", 2)[0]), addr)
	}
	for name, c := range l.Certs {
		if err := os.WriteFile(ts.MkAbs(name+".pem"), testca.PEM(c), 0o644); err != nil {
			ts.Fatalf("%v", err)
		}
	}
	if err := os.WriteFile(ts.MkAbs("lab.targets"), []byte(l.Targets), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// haveCondition answers [have:PROGRAM]: whether PROGRAM is installed. Under
// CI (CI=true) a missing program is an error, not a skip: .ci/run installs it.
func haveCondition(cond string) (bool, error) {
	prog, ok := strings.CutPrefix(cond, "have:")
	if !ok {
		return false, fmt.Errorf("unknown condition %q", cond)
	}
	if _, err := exec.LookPath(prog); err != nil {
		if os.Getenv("CI") == "true" {
			return false, fmt.Errorf("CI=true and %s is not installed: .ci/run must install it", prog)
		}
		return false, nil
	}
	return true, nil
}

// labDiscover starts what discovery finds for contoso.test: only the SRV
// record _autodiscover._tcp.contoso.test, pointing at mail.contoso.test on a
// loopback port, served with a certificate from an untrusted CA; and, for
// the SIP domain contoso.test, the SRV records _sipinternaltls._tcp (Lync
// step 5, where clients sign in: pool.contoso.test, on "Contoso Lync Root
// CA") and _sip._tls (step 6, which clients never reach: rogue.contoso.test,
// on "Rogue Root CA"). It sets $DNS.
func labDiscover(ts *testscript.TestScript) {
	root := testca.Root("Fabrikam Root CA")
	srv := lab.TLS(testca.TLSCert(testca.Leaf(root, "mail.contoso.test"), root.Cert), lab.TLSOptions{})
	ts.Defer(srv.Close)
	lyncRoot, rogueRoot := testca.Root("Contoso Lync Root CA"), testca.Root("Rogue Root CA")
	pool := lab.TLS(testca.TLSCert(testca.Leaf(lyncRoot, "pool.contoso.test"), lyncRoot.Cert), lab.TLSOptions{})
	ts.Defer(pool.Close)
	rogue := lab.TLS(testca.TLSCert(testca.Leaf(rogueRoot, "rogue.contoso.test"), rogueRoot.Cert), lab.TLSOptions{})
	ts.Defer(rogue.Close)
	dns := lab.NewDNS().A("mail.contoso.test", "127.0.0.1").SRV("_autodiscover._tcp.contoso.test", 0, 0, uint16(srv.Port), "mail.contoso.test").
		A("pool.contoso.test", "127.0.0.1").SRV("_sipinternaltls._tcp.contoso.test", 0, 0, uint16(pool.Port), "pool.contoso.test").
		A("rogue.contoso.test", "127.0.0.1").SRV("_sip._tls.contoso.test", 0, 0, uint16(rogue.Port), "rogue.contoso.test")
	ts.Defer(dns.Close)
	ts.Setenv("DNS", dns.Addr)
}

// cmdExit runs a program and checks its exit code: "exit 2 trustgap scan".
func cmdExit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exit CODE PROGRAM [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("bad exit code %q", args[0])
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// labClient starts what a client check of alice@contoso.test finds: the
// SRV records _autodiscover._tcp.contoso.test (to mail.contoso.test, with a
// certificate from "Exchange Root CA") and _sipinternaltls._tcp.contoso.test
// (to pool.contoso.test, from "Fabrikam Root CA"), each on a loopback port.
// It writes exchange-root.pem and lync-root.pem and sets $DNS.
func labClient(ts *testscript.TestScript) {
	root, exch := testca.Root("Fabrikam Root CA"), testca.Root("Exchange Root CA")
	mail := lab.TLS(testca.TLSCert(testca.Leaf(exch, "mail.contoso.test"), exch.Cert), lab.TLSOptions{})
	ts.Defer(mail.Close)
	pool := lab.TLS(testca.TLSCert(testca.Leaf(root, "pool.contoso.test"), root.Cert), lab.TLSOptions{})
	ts.Defer(pool.Close)
	dns := lab.NewDNS().A("mail.contoso.test", "127.0.0.1").A("pool.contoso.test", "127.0.0.1").
		SRV("_autodiscover._tcp.contoso.test", 0, 0, uint16(mail.Port), "mail.contoso.test").
		SRV("_sipinternaltls._tcp.contoso.test", 0, 0, uint16(pool.Port), "pool.contoso.test")
	ts.Defer(dns.Close)
	ts.Setenv("DNS", dns.Addr)
	if err := os.WriteFile(ts.MkAbs("exchange-root.pem"), testca.PEM(exch.Cert), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
	if err := os.WriteFile(ts.MkAbs("lync-root.pem"), testca.PEM(root.Cert), 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// cmdUTF16 writes a text file as regedit writes a registry export: UTF-16LE
// with a byte order mark and CRLF line endings. "utf16 IN OUT".
func cmdUTF16(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: utf16 IN OUT")
	}
	text := strings.ReplaceAll(strings.ReplaceAll(ts.ReadFile(args[0]), "\r\n", "\n"), "\n", "\r\n")
	out := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		out = append(out, byte(u), byte(u>>8))
	}
	if err := os.WriteFile(ts.MkAbs(args[1]), out, 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

// cmdCTL writes a certificate trust list (the shape of authroot.stl)
// listing the certificates of a PEM file: "ctl OUT.stl CERTS.pem
// [disabled]", where disabled gives every entry a disable date in the past.
func cmdCTL(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 || len(args) == 3 && args[2] != "disabled" {
		ts.Fatalf("usage: ctl OUT.stl CERTS.pem [disabled]")
	}
	d, err := certfile.Decode([]byte(ts.ReadFile(args[1])))
	if err != nil {
		ts.Fatalf("%v", err)
	}
	c := &winfmt.CTL{ThisUpdate: time.Now().UTC().Truncate(time.Second)}
	for _, e := range d.Entries {
		ent := winfmt.CTLEntry{ID: certutil.Thumbprint(e.Cert), FriendlyName: e.Cert.Subject.CommonName}
		if len(args) == 3 {
			ent.DisabledAt = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		c.Entries = append(c.Entries, ent)
	}
	der, err := winfmt.EncodeCTL(c)
	if err != nil {
		ts.Fatalf("%v", err)
	}
	if err := os.WriteFile(ts.MkAbs(args[0]), der, 0o644); err != nil {
		ts.Fatalf("%v", err)
	}
}

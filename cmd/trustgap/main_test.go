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

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/trustgap/trustgap/cmd"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
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
			"lab":  cmdLab,
			"exit": cmdExit,
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
	if neg || len(args) != 1 || args[0] != "demo" && args[0] != "discover" {
		ts.Fatalf("usage: lab demo|discover")
	}
	if args[0] == "discover" {
		labDiscover(ts)
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
// loopback port, served with a certificate from an untrusted CA. It sets $DNS.
func labDiscover(ts *testscript.TestScript) {
	root := testca.Root("Fabrikam Root CA")
	srv := lab.TLS(testca.TLSCert(testca.Leaf(root, "mail.contoso.test"), root.Cert), lab.TLSOptions{})
	ts.Defer(srv.Close)
	dns := lab.NewDNS().A("mail.contoso.test", "127.0.0.1").SRV("_autodiscover._tcp.contoso.test", 0, 0, uint16(srv.Port), "mail.contoso.test")
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

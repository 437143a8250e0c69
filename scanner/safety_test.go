package scanner_test

import (
	"context"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/scanner"
	"github.com/trustgap/trustgap/target"
)

// TestDNSFailureFixes: the dns-failure fix follows what the DNS server
// said. Only a missing name or record calls for creating one; a server that
// fails or refuses to answer is the thing to check (issue 10).
func TestDNSFailureFixes(t *testing.T) {
	dns := lab.NewDNS().A("mail.contoso.test", "127.0.0.1").Refused("refused.contoso.test").ServFail("servfail.contoso.test")
	t.Cleanup(dns.Close)
	e := newEnv(t)
	e.dns = dns.Addr
	rs := e.scan("nothere.contoso.test", "contoso.test", "refused.contoso.test", "servfail.contoso.test")
	for i, want := range []struct{ msg, fix string }{
		{"no such name (NXDOMAIN)", "create the DNS record for nothere.contoso.test (the name does not exist)"},
		{"no A/AAAA record", "create the A (or AAAA) record for contoso.test (the name exists without one)"},
		{"refused to answer: rcode REFUSED", "the DNS server failed or refused to answer for refused.contoso.test: check that server"},
		{"refused to answer: rcode SERVFAIL", "the DNS server failed or refused to answer for servfail.contoso.test: check that server"},
	} {
		wantCodes(t, rs[i], "dns-failure/error")
		f := rs[i].Findings[0]
		if !strings.Contains(f.Message, want.msg) || !strings.HasPrefix(f.Fix, want.fix) {
			t.Errorf("%s: got %q / %q, want %q / %q", rs[i].Target.Raw, f.Message, f.Fix, want.msg, want.fix)
		}
	}
}

// TestInterrupt cancels a scan while connections hang: dispatching stops,
// the connections in flight are cancelled (the test would otherwise wait
// for the 60 s timeout and then see timeout findings), and only the results
// that completed are emitted, in input order. A cancelled target gets no
// finding: the network did not cause its failure.
func TestInterrupt(t *testing.T) {
	p := newPKI("Contoso")
	silent := lab.Silent()
	t.Cleanup(silent.Close)
	e := newEnv(t, p.root.Cert)
	e.tmo = 60 * time.Second
	for _, n := range []string{"ok1.test", "ok2.test", "ok3.test"} {
		e.serve(n, 443, testca.Leaf(p.inter, n), []*x509.Certificate{p.inter.Cert}, lab.TLSOptions{})
	}
	e.pin("hang1.test", 443, silent.Addr)
	e.pin("hang2.test", 443, silent.Addr)
	var list target.List
	for _, l := range []string{"ok1.test", "hang1.test", "hang2.test", "ok2.test", "ok3.test"} {
		list.Add(mustTarget(t, l))
	}
	sc := e.scanner()
	sc.Concurrency = 3
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan struct{})
	go func() {
		// ok1 is written and both hanging connections are in flight:
		// interrupt.
		<-first
		<-silent.Accepted
		<-silent.Accepted
		cancel()
	}()
	var got []string
	err := sc.Scan(ctx, list.Targets, func(r *chain.Result) error {
		got = append(got, r.Target.Raw+" "+codes(r))
		if len(got) == 1 {
			close(first)
		}
		return nil
	})
	var ie *scanner.InterruptedError
	if !errors.As(err, &ie) || !errors.Is(err, context.Canceled) || ie.Total != 5 || ie.NotScanned != 5-len(got) {
		t.Fatalf("got %v (%d emitted), want an InterruptedError counting the rest", err, len(got))
	}
	// ok2 and ok3 wait for a worker while both hanging targets hold
	// two of the three: at most one of them completes before the cancel.
	if len(got) < 1 || got[0] != "ok1.test " {
		t.Errorf("emitted %q, want ok1.test first, and nothing for the hanging targets", got)
	}
	for _, g := range got {
		if strings.HasPrefix(g, "hang") {
			t.Errorf("a cancelled target was emitted: %q", g)
		}
	}
}

// TestInterruptedBeforeStart: a scan whose context is already done scans
// nothing and says so.
func TestInterruptedBeforeStart(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	err := e.scanner().Scan(ctx, []target.Target{mustTarget(t, "lync a.test"), mustTarget(t, "b.test")}, func(*chain.Result) error { n++; return nil })
	var ie *scanner.InterruptedError
	if !errors.As(err, &ie) || ie.NotScanned != 2 || n != 0 {
		t.Errorf("got %v, %d emitted", err, n)
	}
}

func mustTarget(t *testing.T, line string) target.Target {
	t.Helper()
	tg, err := target.ParseTarget(line)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// TestDNSServerUnreachable: when the DNS server itself cannot be asked (no
// one listens on its port), the fix is about that server, not "create the
// record": nothing said the name is missing.
func TestDNSServerUnreachable(t *testing.T) {
	e := newEnv(t)
	e.dns = lab.ClosedPort()
	e.tmo = 2 * time.Second
	r := e.scan("mail.contoso.test")[0]
	wantCodes(t, r, "dns-failure/error")
	if f := r.Findings[0]; !strings.HasPrefix(f.Fix, "the DNS server could not be asked about mail.contoso.test") {
		t.Errorf("fix %q, want one about the DNS server", f.Fix)
	}
}

//go:build linux

// Command bench is the fleet benchmark's toolbox (scripts/bench.sh runs
// it): it writes an estate's target list, serves it on loopback addresses,
// runs the bare crypto/tls dial loop trustgap is compared with, and
// measures a command's wall time, CPU and peak memory.
//
//	bench targets -n 2000 -dead 0.10 -refuse 0.05 -out DIR
//	bench serve -dir DIR [-delay 80ms]
//	bench dial -f DIR/targets.txt [-c 300] [-timeout 5s]
//	bench measure -- COMMAND [ARG...]
//
// Everything listens on and connects to 127.0.0.0/8 only. It is a
// benchmark tool, not part of trustgap or of go test ./...
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "targets":
		err = targets(os.Args[2:])
	case "serve":
		err = serve(os.Args[2:])
	case "dial":
		err = dial(os.Args[2:])
	case "measure":
		err = measure(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: bench targets|serve|dial|measure ... (see scripts/bench.sh)")
	os.Exit(2)
}

// estate is what bench targets writes to DIR/estate.json.
type estate struct {
	Live   []string `json:"live"`   // ip:port served with a TLS certificate for the ip
	Holes  []string `json:"holes"`  // ip:port whose SYNs are dropped
	Closed []string `json:"closed"` // ip:port that refuse (RST)
}

// targets writes an estate of n endpoints on 127.x.y.z addresses: dead
// (SYNs dropped) and refuse fractions of them, the rest live, in a
// shuffled order (fixed seed), as DIR/targets.txt and DIR/estate.json.
func targets(args []string) error {
	fs := flag.NewFlagSet("targets", flag.ExitOnError)
	n := fs.Int("n", 1000, "endpoints")
	dead := fs.Float64("dead", 0, "fraction whose SYNs are dropped (firewalled)")
	refuse := fs.Float64("refuse", 0, "fraction that refuse connections")
	port := fs.Int("port", 18443, "port of the live endpoints (closed ones use port+1, firewalled ones port+2)")
	out := fs.String("out", "", "directory to write")
	fs.Parse(args)
	if *out == "" || *n < 1 || *n > 60000 {
		return errors.New("targets: want -out DIR and -n from 1 to 60000")
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	var e estate
	var all []string
	nd, nr := int(float64(*n)**dead), int(float64(*n)**refuse)
	for i := 0; i < *n; i++ {
		ip := fmt.Sprintf("127.%d.%d.%d", 1+i/62500, i/250%250+1, i%250+1)
		switch {
		case i < nd:
			a := net.JoinHostPort(ip, fmt.Sprint(*port+2))
			e.Holes = append(e.Holes, a)
			all = append(all, a)
		case i < nd+nr:
			a := net.JoinHostPort(ip, fmt.Sprint(*port+1))
			e.Closed = append(e.Closed, a)
			all = append(all, a)
		default:
			a := net.JoinHostPort(ip, fmt.Sprint(*port))
			e.Live = append(e.Live, a)
			all = append(all, a)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	b, _ := json.Marshal(&e)
	if err := os.WriteFile(filepath.Join(*out, "estate.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(*out, "targets.txt"), []byte(strings.Join(all, "\n")+"\n"), 0o644)
}

// serve serves DIR/estate.json: one TLS listener per live port on
// 0.0.0.0 (so every 127.x address), presenting for each address its own
// leaf (issued by one intermediate, sent along) after holding its first
// flight for -delay (the round trips of a WAN: connect and ClientHello),
// and a SYN-dropping listener per firewalled endpoint. It writes the root
// to DIR/root.pem, prints "ready" and serves until it is signalled.
func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	dir := fs.String("dir", "", "the estate's directory")
	delay := fs.Duration("delay", 0, "hold each server's first flight this long (2 round trips of the emulated network)")
	fs.Parse(args)
	b, err := os.ReadFile(filepath.Join(*dir, "estate.json"))
	if err != nil {
		return err
	}
	var e estate
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	root := testca.Root("Bench Root CA")
	inter := testca.Intermediate("Bench Issuing CA", root)
	if err := os.WriteFile(filepath.Join(*dir, "root.pem"), testca.PEM(root.Cert), 0o644); err != nil {
		return err
	}
	certs := map[string]*tls.Certificate{}
	ports := map[string]bool{}
	for _, a := range e.Live {
		host, port, _ := net.SplitHostPort(a)
		leaf := testca.New(testca.Options{CN: host, IPs: []net.IP{net.ParseIP(host)}}, inter)
		c := testca.TLSCert(leaf, inter.Cert)
		certs[host] = &c
		ports[port] = true
	}
	cfg := &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		host, _, _ := net.SplitHostPort(h.Conn.LocalAddr().String())
		if c := certs[host]; c != nil {
			return c, nil
		}
		return nil, fmt.Errorf("no certificate for %s", host)
	}}
	for port := range ports {
		ln, err := net.Listen("tcp", ":"+port)
		if err != nil {
			return err
		}
		defer ln.Close()
		go accept(ln, cfg, *delay)
	}
	for _, a := range e.Holes {
		h, ok, err := lab.BlackHole(a)
		if !ok {
			return errors.New("serve: firewalled endpoints need Linux")
		}
		if err != nil {
			return fmt.Errorf("black hole %s: %v", a, err)
		}
		defer h.Close()
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}

func accept(ln net.Listener, cfg *tls.Config, delay time.Duration) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			if delay > 0 {
				time.Sleep(delay) // the network's round trips, before the server's first flight
			}
			tc := tls.Server(c, cfg)
			if tc.Handshake() != nil {
				return
			}
			buf := make([]byte, 1)
			tc.Read(buf) // until the client closes
		}()
	}
}

// dial is the bare loop: -c workers connect to every target and complete a
// TLS handshake (crypto/tls defaults, no verification: it only fetches
// certificates, as trustgap does), each within -timeout.
func dial(args []string) error {
	fs := flag.NewFlagSet("dial", flag.ExitOnError)
	file := fs.String("f", "", "targets, one ip:port a line")
	conc := fs.Int("c", 300, "connections in flight")
	timeout := fs.Duration("timeout", 5*time.Second, "per connection: connect and handshake")
	fs.Parse(args)
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	var addrs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if a := strings.TrimSpace(sc.Text()); a != "" {
			addrs = append(addrs, a)
		}
	}
	f.Close()
	jobs := make(chan string)
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for a := range jobs {
				ctx, cancel := context.WithTimeout(context.Background(), *timeout)
				d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true}}
				c, err := d.DialContext(ctx, "tcp", a)
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				if len(c.(*tls.Conn).ConnectionState().PeerCertificates) == 0 {
					failed.Add(1)
				} else {
					ok.Add(1)
				}
				c.Close()
			}
		}()
	}
	for _, a := range addrs {
		jobs <- a
	}
	close(jobs)
	wg.Wait()
	fmt.Fprintf(os.Stderr, "bare loop: %d handshakes, %d failed\n", ok.Load(), failed.Load())
	return nil
}

// measure runs a command and prints, as one JSON line on standard error,
// its wall time, its CPU time (user + system, its children's included) and
// its peak resident memory. The command's exit status is reported, not
// passed on (trustgap exits 1 on findings).
func measure(args []string) error {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return errors.New("measure: no command")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	err := cmd.Wait()
	wall := time.Since(start)
	var code int
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return err
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	b, _ := json.Marshal(map[string]any{"wall_s": wall.Seconds(), "cpu_s": cpu.Seconds(), "max_rss_kib": ru.Maxrss, "exit": code})
	fmt.Fprintf(os.Stderr, "measure: %s\n", b)
	return nil
}

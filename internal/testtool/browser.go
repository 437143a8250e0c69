package testtool

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// browserTimeout bounds every DevTools call and page load.
const browserTimeout = 30 * time.Second

// Browser is a headless Chromium (Debian's chromium package) driven over
// the DevTools protocol through a pipe (--remote-debugging-pipe), so it
// opens no port. It runs with the flags that keep it off the network
// (no background networking, component updates or sync) and a fresh
// profile, and stops when the test ends.
type Browser struct {
	t      testing.TB
	cmd    *exec.Cmd
	in     io.WriteCloser
	stderr *limitedWriter

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan message
	events  []message
	notify  chan struct{}
	err     error
}

// message is one DevTools protocol message.
type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

// StartBrowser starts headless Chromium, or skips the test (fails under
// CI) when it is not installed.
func StartBrowser(t testing.TB) *Browser {
	t.Helper()
	path := Require(t, "chromium", "Debian package chromium")
	// The browser reads commands on fd 3 and writes answers on fd 4.
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	b := &Browser{t: t, in: cmdW, stderr: &limitedWriter{n: 64 << 10}, waiting: map[int]chan message{}, notify: make(chan struct{}, 1)}
	b.cmd = exec.Command(path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
		"--disable-default-apps", "--mute-audio", "--hide-scrollbars", "--user-data-dir="+t.TempDir(),
		"--remote-debugging-pipe", "about:blank")
	b.cmd.ExtraFiles = []*os.File{cmdR, outW}
	b.cmd.Stderr = b.stderr
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	cmdR.Close()
	outW.Close()
	go b.read(outR)
	t.Cleanup(b.close)
	return b
}

// limitedWriter keeps the first n bytes written to it. exec's copying
// goroutine writes it while the reader may read it, so a mutex guards it.
type limitedWriter struct {
	mu sync.Mutex
	w  bytes.Buffer
	n  int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if room := l.n - l.w.Len(); room > 0 {
		l.w.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// String returns what was kept.
func (l *limitedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// read dispatches the browser's messages (NUL-terminated JSON) until the
// pipe closes.
func (b *Browser) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		line, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.err = fmt.Errorf("chromium closed its DevTools pipe: %v; stderr: %s", err, b.stderr.String())
			for id, ch := range b.waiting {
				close(ch)
				delete(b.waiting, id)
			}
			b.mu.Unlock()
			b.wake()
			return
		}
		var m message
		if json.Unmarshal(line[:len(line)-1], &m) != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.waiting[m.ID]; ch != nil {
				ch <- m
				delete(b.waiting, m.ID)
			}
		} else if len(b.events) < 10000 {
			b.events = append(b.events, m)
		}
		b.mu.Unlock()
		b.wake()
	}
}

func (b *Browser) wake() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// call sends one command (to a page's session when session is not empty)
// and decodes its result into result (when not nil).
func (b *Browser) call(session, method string, params, result any) error {
	b.mu.Lock()
	if b.err != nil {
		b.mu.Unlock()
		return b.err
	}
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.waiting[id] = ch
	b.mu.Unlock()
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": json.RawMessage(p), "sessionId": session})
	if _, err := b.in.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: %v", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: %v", method, b.err)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-time.After(browserTimeout):
		return fmt.Errorf("%s: no answer within %s", method, browserTimeout)
	}
}

// waitEvent waits for an event of session, after the first skip events,
// for which ok is true; it returns its index.
func (b *Browser) waitEvent(session, method string, skip int) (int, error) {
	deadline := time.After(browserTimeout)
	for {
		b.mu.Lock()
		for i := skip; i < len(b.events); i++ {
			if e := b.events[i]; e.SessionID == session && e.Method == method {
				b.mu.Unlock()
				return i, nil
			}
		}
		err := b.err
		b.mu.Unlock()
		if err != nil {
			return 0, err
		}
		select {
		case <-b.notify:
		case <-deadline:
			return 0, fmt.Errorf("no %s within %s", method, browserTimeout)
		}
	}
}

func (b *Browser) close() {
	done := make(chan struct{})
	go func() { b.cmd.Wait(); close(done) }()
	b.call("", "Browser.close", struct{}{}, nil)
	b.in.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-done
	}
}

// Page is a tab of the browser.
type Page struct {
	b       *Browser
	session string
	first   int // the index of the page's first event
}

// Open opens url in a new tab at width x height CSS pixels and waits until
// it has loaded.
func (b *Browser) Open(url string, width, height int) *Page {
	b.t.Helper()
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call("", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		b.t.Fatal(err)
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call("", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		b.t.Fatal(err)
	}
	p := &Page{b: b, session: att.SessionID}
	b.mu.Lock()
	p.first = len(b.events)
	b.mu.Unlock()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Network.enable", "Log.enable"} {
		if err := b.call(p.session, m, struct{}{}, nil); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := b.call(p.session, "Emulation.setDeviceMetricsOverride", map[string]any{"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}, nil); err != nil {
		b.t.Fatal(err)
	}
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := b.call(p.session, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		b.t.Fatal(err)
	}
	if nav.ErrorText != "" {
		b.t.Fatalf("opening %s: %s", url, nav.ErrorText)
	}
	if _, err := b.waitEvent(p.session, "Page.loadEventFired", p.first); err != nil {
		b.t.Fatalf("opening %s: %v", url, err)
	}
	return p
}

// Eval evaluates a JavaScript expression in the page (awaiting a promise)
// and decodes its value into out (when not nil).
func (p *Page) Eval(expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.b.call(p.session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &res); err != nil {
		return err
	}
	if e := res.ExceptionDetails; e != nil {
		return fmt.Errorf("evaluating %q: %s %s", expr, e.Text, e.Exception.Description)
	}
	if out == nil {
		return nil
	}
	if len(res.Result.Value) == 0 {
		return errors.New("evaluating " + expr + ": no value")
	}
	return json.Unmarshal(res.Result.Value, out)
}

// MustEval is Eval that fails the test on an error.
func (p *Page) MustEval(expr string, out any) {
	p.b.t.Helper()
	if err := p.Eval(expr, out); err != nil {
		p.b.t.Fatal(err)
	}
}

// Screenshot returns a PNG of the tab, or of the whole page when full.
func (p *Page) Screenshot(full bool) []byte {
	p.b.t.Helper()
	var res struct {
		Data string `json:"data"`
	}
	if err := p.b.call(p.session, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": full}, &res); err != nil {
		p.b.t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		p.b.t.Fatal(err)
	}
	return png
}

// EmulateMedia renders the page for a CSS media type ("print", "screen").
func (p *Page) EmulateMedia(media string) {
	p.b.t.Helper()
	if err := p.b.call(p.session, "Emulation.setEmulatedMedia", map[string]any{"media": media}, nil); err != nil {
		p.b.t.Fatal(err)
	}
}

// Requests lists the URLs the page requested, itself included.
func (p *Page) Requests() []string {
	var urls []string
	for _, e := range p.eventsOf("Network.requestWillBeSent") {
		var ev struct {
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(e.Params, &ev) == nil {
			urls = append(urls, ev.Request.URL)
		}
	}
	return urls
}

// Messages lists what the page logged: console messages, errors and the
// browser's own reports (such as Content-Security-Policy violations).
func (p *Page) Messages() []string {
	var out []string
	for _, e := range p.eventsOf("Log.entryAdded") {
		var ev struct {
			Entry struct {
				Level, Source, Text string
			} `json:"entry"`
		}
		if json.Unmarshal(e.Params, &ev) == nil {
			out = append(out, ev.Entry.Level+" "+ev.Entry.Source+": "+ev.Entry.Text)
		}
	}
	for _, e := range p.eventsOf("Runtime.exceptionThrown") {
		out = append(out, "exception: "+string(e.Params))
	}
	for _, e := range p.eventsOf("Runtime.consoleAPICalled") {
		out = append(out, "console: "+string(e.Params))
	}
	return out
}

func (p *Page) eventsOf(method string) []message {
	p.b.mu.Lock()
	defer p.b.mu.Unlock()
	var out []message
	for _, e := range p.b.events[p.first:] {
		if e.SessionID == p.session && e.Method == method {
			out = append(out, e)
		}
	}
	return out
}

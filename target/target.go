// Package target parses what trustgap is asked to scan: target lines
// ("[ROLE] TARGET") from arguments and target files, with the role each
// endpoint plays for a Lync or Skype for Business client.
//
// It knows nothing of the network or of certificates, and imports nothing
// of trustgap.
package target

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Role is what a target is to a Lync or Skype for Business client.
type Role string

// The roles a target line may name.
const (
	RoleEWS          Role = "ews"
	RoleAutodiscover Role = "autodiscover"
	RoleLync         Role = "lync"
	RoleOther        Role = "other"
)

// Target is one endpoint to scan.
type Target struct {
	Role Role   // as given, or inferred by [ParseTarget]
	Raw  string // the target as written
	Host string // host name or IP literal, without brackets
	Port int
}

// Key identifies a target for de-duplication: role, host and port.
func (t Target) Key() string {
	return string(t.Role) + " " + strings.ToLower(t.Host) + " " + strconv.Itoa(t.Port)
}

// Addr is host:port, with brackets around IPv6 literals.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// maxLineLen bounds one line of a target file; longer lines are an error.
const maxLineLen = 4096

// ParseTarget parses one target line: "[ROLE] TARGET". Without a role it is
// inferred: a URL path containing /ews/ is ews, /autodiscover/ is
// autodiscover, port 5061 is lync, anything else is other.
func ParseTarget(line string) (Target, error) {
	fields := strings.Fields(line)
	var t Target
	switch len(fields) {
	case 1:
		t.Raw = fields[0]
	case 2:
		r := Role(strings.ToLower(fields[0]))
		switch r {
		case RoleEWS, RoleAutodiscover, RoleLync, RoleOther:
		default:
			return t, fmt.Errorf("unknown role %q (want ews, autodiscover, lync or other)", fields[0])
		}
		t.Role, t.Raw = r, fields[1]
	default:
		if len(fields) == 0 {
			return t, fmt.Errorf("empty target")
		}
		return t, fmt.Errorf("want \"[ROLE] TARGET\", got %d fields", len(fields))
	}
	path := ""
	raw := t.Raw
	if i := strings.Index(raw, "://"); i >= 0 {
		u, err := url.Parse(raw)
		if err != nil {
			return t, fmt.Errorf("bad URL %q: %v", raw, err)
		}
		if !strings.EqualFold(u.Scheme, "https") {
			return t, fmt.Errorf("unsupported scheme %q in %q (EWS and Autodiscover are HTTPS only)", u.Scheme, raw)
		}
		if u.Host == "" {
			return t, fmt.Errorf("URL %q has no host", raw)
		}
		t.Host, path = u.Hostname(), strings.ToLower(u.Path)
		if p := u.Port(); p != "" {
			n, err := ParsePort(p)
			if err != nil {
				return t, err
			}
			t.Port = n
		}
	} else {
		if strings.ContainsAny(raw, "/?#@") {
			return t, fmt.Errorf("bad target %q: want host, host:port, [v6]:port or https://host[:port]/path", raw)
		}
		host, port, err := net.SplitHostPort(raw)
		if err != nil {
			// No port: a bare host name or a bare IP literal (IPv6 included).
			host, port = strings.TrimSuffix(strings.TrimPrefix(raw, "["), "]"), ""
			if strings.Contains(host, ":") && net.ParseIP(host) == nil {
				return t, fmt.Errorf("bad target %q: %v", raw, err)
			}
		}
		t.Host = host
		if port != "" {
			n, err := ParsePort(port)
			if err != nil {
				return t, err
			}
			t.Port = n
		}
	}
	if err := checkHost(t.Host); err != nil {
		return t, err
	}
	if t.Role == "" {
		switch {
		case strings.Contains(path, "/ews/"):
			t.Role = RoleEWS
		case strings.Contains(path, "/autodiscover/"):
			t.Role = RoleAutodiscover
		case t.Port == 5061:
			t.Role = RoleLync
		default:
			t.Role = RoleOther
		}
	}
	if t.Port == 0 {
		t.Port = 443
		if t.Role == RoleLync && path == "" && !strings.Contains(raw, "://") {
			t.Port = 5061
		}
	}
	return t, nil
}

// ParsePort parses a TCP port number, 1-65535.
func ParsePort(p string) (int, error) {
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("bad port %q (want 1-65535)", p)
	}
	return n, nil
}

func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("missing host")
	}
	if net.ParseIP(h) != nil {
		return nil
	}
	if len(h) > 253 {
		return fmt.Errorf("host name %.40q... is longer than 253 characters", h)
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("bad host name %q", h)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r == '*' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return fmt.Errorf("bad host name %q: character %q", h, r)
			}
		}
	}
	return nil
}

// LineError is a malformed line in a target file.
type LineError struct {
	File string
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// List collects targets from files and arguments, de-duplicated by
// [Target.Key] in first-seen order.
type List struct {
	Targets []Target
	seen    map[string]bool
}

// Add appends t unless an equal target was added before.
func (l *List) Add(t Target) {
	if l.seen == nil {
		l.seen = make(map[string]bool)
	}
	if l.seen[t.Key()] {
		return
	}
	l.seen[t.Key()] = true
	l.Targets = append(l.Targets, t)
}

// AddFile reads a target file named name: one "[ROLE] TARGET" per line, "#"
// starts a comment, blank lines are skipped. The first malformed line is
// returned as a [*LineError]; nothing is added after it.
func (l *List) AddFile(r io.Reader, name string) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), maxLineLen)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		t, err := ParseTarget(line)
		if err != nil {
			return &LineError{File: name, Line: n, Err: err}
		}
		l.Add(t)
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			err = fmt.Errorf("line longer than %d bytes", maxLineLen)
		}
		return &LineError{File: name, Line: n + 1, Err: err}
	}
	return nil
}

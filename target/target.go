// Package target parses what trustgap is asked to scan: target lines
// ("[ROLE] TARGET") from arguments and target files, with the role each
// endpoint plays for a Lync or Skype for Business client.
//
// It knows nothing of the network or of certificates, and imports nothing
// of trustgap.
package target

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf16"
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
	// RoleInferred is set when the role was not written in the target line
	// but inferred ([ParseTarget]: from the URL path or port 5061), or
	// given by discovery to a Lync endpoint clients do not sign in at. A
	// lync target whose role is inferred is judged as lync, but its root
	// is never assumed trusted: only the user (or the step where clients
	// sign in) asserts that a server is the Lync pool.
	RoleInferred bool
	// Discovery says where discovery found the target (trustgap discover
	// --scan) and whether clients use it; nil for a target the user gave.
	Discovery *Discovery
}

// Discovery is where discovery found a target: the lookup step, and
// whether clients use the endpoint. Only the endpoints of the step where
// discovery says clients find Autodiscover (or sign in to Lync) are used;
// those of earlier steps that fail or are web sites, and of later steps
// clients never reach, are not, and nothing is deployed for them.
type Discovery struct {
	Step string // "Autodiscover step 2", "Lync step 5"
	Used bool
}

// Key identifies a target for de-duplication: role, host and port.
func (t Target) Key() string {
	return string(t.Role) + " " + strings.ToLower(t.Host) + " " + strconv.Itoa(t.Port)
}

// Addr is host:port, with brackets around IPv6 literals.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.Port)) }

// maxLineLen bounds one line of a target file; longer lines are an error.
const maxLineLen = 4096

// MaxFileSize bounds a target file (or standard input): a larger one is an
// error, not a memory exhaustion.
const MaxFileSize = 64 << 20

// IsRole reports whether word is a role word (ews, autodiscover, lync or
// other, in any case).
func IsRole(word string) bool {
	switch Role(strings.ToLower(word)) {
	case RoleEWS, RoleAutodiscover, RoleLync, RoleOther:
		return true
	}
	return false
}

// ParseTarget parses one target line: "[ROLE] TARGET". Without a role it is
// inferred (and [Target.RoleInferred] set): a URL path containing /ews/ is
// ews, /autodiscover/ is autodiscover, port 5061 is lync, anything else is
// other.
func ParseTarget(line string) (Target, error) {
	fields := strings.Fields(line)
	var t Target
	switch len(fields) {
	case 1:
		if IsRole(fields[0]) {
			return t, fmt.Errorf("role %q has no target after it (want \"%s TARGET\")", fields[0], strings.ToLower(fields[0]))
		}
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
	if err := checkUserInfo(raw); err != nil {
		return t, err
	}
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
		t.RoleInferred = true
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

// checkUserInfo refuses a target with user info ("user:password@host"):
// trustgap sends no credentials, and the error must not echo a password, so
// it shows the target with the user info replaced.
func checkUserInfo(raw string) error {
	scheme, rest := "", raw
	if i := strings.Index(raw, "://"); i >= 0 {
		scheme, rest = raw[:i+3], raw[i+3:]
	}
	authority, tail := rest, ""
	if scheme != "" {
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			authority, tail = rest[:i], rest[i:]
		}
	}
	at := strings.LastIndex(authority, "@")
	if at < 0 {
		return nil
	}
	shown := scheme + "USER@" + authority[at+1:] + tail
	return fmt.Errorf("target %q holds user info (user:password@): trustgap sends no credentials; give the target without it", shown)
}

// CheckHost checks a host name or IP literal (without brackets): a DNS name
// of letters, digits, '-' and '_' labels, no wildcard.
func CheckHost(h string) error { return checkHost(h) }

func checkHost(h string) error {
	if h == "" {
		return fmt.Errorf("missing host")
	}
	if net.ParseIP(h) != nil {
		return nil
	}
	if strings.Contains(h, "*") {
		return fmt.Errorf("wildcard host %q: give the names clients connect to (a wildcard certificate is fine, a wildcard target is not)", h)
	}
	if len(h) > 253 {
		return fmt.Errorf("host name %.40q... is longer than 253 characters", h)
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return fmt.Errorf("bad host name %q", h)
		}
		for _, r := range label {
			if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
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
	seen    map[string]int // key -> index in Targets
}

// Add appends t unless an equal target was added before. A target given
// twice, once with its role written and once inferred, counts as written
// ([Target.RoleInferred] false); one given by the user and found by
// discovery counts as given ([Target.Discovery] nil); one discovery found
// at several steps counts as found where clients use it, if they do.
func (l *List) Add(t Target) {
	if l.seen == nil {
		l.seen = make(map[string]int)
	}
	if i, ok := l.seen[t.Key()]; ok {
		old := &l.Targets[i]
		if !t.RoleInferred {
			old.RoleInferred = false
		}
		switch {
		case t.Discovery == nil:
			old.Discovery = nil
		case old.Discovery != nil && t.Discovery.Used && !old.Discovery.Used:
			old.Discovery = t.Discovery
		}
		return
	}
	l.seen[t.Key()] = len(l.Targets)
	l.Targets = append(l.Targets, t)
}

// FileError is a target file that cannot be read as a whole (too large,
// or a read failure).
type FileError struct {
	File string
	Err  error
}

func (e *FileError) Error() string { return fmt.Sprintf("%s: %v", e.File, e.Err) }
func (e *FileError) Unwrap() error { return e.Err }

// AddArgs adds command-line targets. Each argument is a target line
// ("[ROLE] TARGET"); a role word given as its own argument applies to the
// next argument ("lync pool.contoso.com"). A role word with no target after
// it is an error. Errors are [*LineError]s of file "argument", numbered from
// 1.
func (l *List) AddArgs(args []string) error {
	role, roleAt := "", 0
	for i, a := range args {
		fields := strings.Fields(a)
		if len(fields) == 1 && IsRole(fields[0]) {
			if role != "" {
				return &LineError{File: "argument", Line: roleAt, Err: fmt.Errorf("role %q is followed by another role %q, not a target", role, fields[0])}
			}
			role, roleAt = fields[0], i+1
			continue
		}
		line := a
		if role != "" {
			if len(fields) > 1 {
				return &LineError{File: "argument", Line: roleAt, Err: fmt.Errorf("role %q is followed by %q, which has a role of its own", role, fields[0])}
			}
			line = role + " " + a
			role = ""
		}
		t, err := ParseTarget(line)
		if err != nil {
			return &LineError{File: "argument", Line: i + 1, Err: err}
		}
		l.Add(t)
	}
	if role != "" {
		return &LineError{File: "argument", Line: roleAt, Err: fmt.Errorf("role %q has no target after it", role)}
	}
	return nil
}

// AddFile reads a target file named name: one "[ROLE] TARGET" per line, "#"
// starts a comment, blank lines are skipped. The file may be UTF-8 (with or
// without a byte order mark) or UTF-16 with a byte order mark (what Windows
// PowerShell 5.1's ">" writes), with LF or CRLF line ends and trailing
// blanks. At most [MaxFileSize] bytes are read. The first malformed line is
// returned as a [*LineError] (a NUL byte, an over-long line, a bad target);
// nothing is added after it.
func (l *List) AddFile(r io.Reader, name string) error {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return &FileError{File: name, Err: err}
	}
	if len(data) > MaxFileSize {
		return &FileError{File: name, Err: fmt.Errorf("larger than %d MiB; split it into several files", MaxFileSize>>20)}
	}
	text, err := decodeText(data)
	if err != nil {
		return &LineError{File: name, Line: bytes.Count(data, []byte{'\n'}) + 1, Err: err}
	}
	n := 0
	for len(text) > 0 {
		n++
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		line = strings.TrimSuffix(line, "\r")
		if len(line) > maxLineLen {
			return &LineError{File: name, Line: n, Err: fmt.Errorf("line longer than %d bytes", maxLineLen)}
		}
		if strings.IndexByte(line, 0) >= 0 {
			return &LineError{File: name, Line: n, Err: errors.New("NUL byte: not a text file (UTF-16 without a byte order mark? save it as UTF-8)")}
		}
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
	return nil
}

// decodeText turns a file's bytes into text: a UTF-8 byte order mark is
// dropped, UTF-16 LE or BE with a byte order mark is converted to UTF-8.
func decodeText(b []byte) (string, error) {
	var order func([]byte) uint16
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return string(b[3:]), nil
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		order = func(p []byte) uint16 { return uint16(p[0]) | uint16(p[1])<<8 }
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		order = func(p []byte) uint16 { return uint16(p[1]) | uint16(p[0])<<8 }
	default:
		return string(b), nil
	}
	b = b[2:]
	if len(b)%2 != 0 {
		return "", errors.New("UTF-16 file with an odd number of bytes (truncated?)")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// The first line of a registry export.
const (
	HeaderV5       = "Windows Registry Editor Version 5.00"
	HeaderRegedit4 = "REGEDIT4"
)

// MaxFileSize bounds a .reg file read by [Registry.LoadFile].
const MaxFileSize = 256 << 20

// maxLine bounds a logical line (continuations joined): a few MiB of hex.
const maxLine = 32 << 20

// ErrNotExport is returned (wrapped in a [ParseError]) for data that does not
// start like a registry export.
var ErrNotExport = errors.New("not a registry export")

// ParseError is a .reg file that could not be read, with where.
type ParseError struct {
	File string
	Line int // 0 when the problem is not on one line
	Err  error
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("winreg: %s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("winreg: %s: %v", e.File, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// LoadFile reads a .reg file into r (see [Registry.Parse]).
func (r *Registry) LoadFile(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return &ParseError{File: path, Err: err}
	}
	if fi.IsDir() {
		return &ParseError{File: path, Err: errors.New("is a directory")}
	}
	f, err := os.Open(path)
	if err != nil {
		return &ParseError{File: path, Err: err}
	}
	defer f.Close()
	// Read through a limit, not by the size Stat gives: a device such as
	// /dev/zero says 0 and never ends.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return &ParseError{File: path, Err: err}
	}
	if len(data) > MaxFileSize {
		return &ParseError{File: path, Err: fmt.Errorf("larger than %d MiB", MaxFileSize>>20)}
	}
	return r.Parse(path, data)
}

// Parse reads a registry export into r, merging it with what r holds (later
// files win, value by value; "[-KEY]" and `"name"=-` lines delete). name
// says where data came from in errors.
//
// The formats are those regedit and "reg export" write: UTF-16LE with a byte
// order mark and the header "Windows Registry Editor Version 5.00", or ANSI
// (Windows-1252; UTF-8 is accepted too) with the header "REGEDIT4". Values
// are "strings", dword:, hex: and hex(N): (type N in hex), with long hex
// data continued on the next line after ",\"; @= is a key's default value;
// lines starting with ';' are comments. In REGEDIT4 files the hex data of
// string types (hex(1), hex(2), hex(7)) is ANSI and is stored as UTF-16LE,
// as Windows does on import.
//
// A malformed line stops the parse with a [ParseError] naming the line;
// what was read before it stays in r.
func (r *Registry) Parse(name string, data []byte) error {
	text, err := decodeText(data)
	if err != nil {
		return &ParseError{File: name, Err: err}
	}
	p := &parser{r: r, file: name, text: text}
	return p.run()
}

// decodeText turns a .reg file into text according to its byte order mark.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], binary.BigEndian)
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	}
	if utf8.Valid(data) {
		return string(data), nil
	}
	// ANSI: Windows-1252.
	var sb strings.Builder
	sb.Grow(len(data))
	for _, c := range data {
		sb.WriteRune(ansiRune(c))
	}
	return sb.String(), nil
}

func decodeUTF16(b []byte, order binary.ByteOrder) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("%w: UTF-16 text with an odd number of bytes (truncated?)", ErrNotExport)
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = order.Uint16(b[2*i:])
	}
	return string(utf16.Decode(u)), nil
}

type parser struct {
	r    *Registry
	file string
	text string
	ansi bool
	line int // physical line number of the current logical line's start
	key  *Key
}

func (p *parser) errf(format string, args ...any) error {
	return &ParseError{File: p.file, Line: p.line, Err: fmt.Errorf(format, args...)}
}

func (p *parser) run() error {
	rest := p.text
	n := 0
	next := func() (string, bool) {
		if rest == "" {
			return "", false
		}
		var l string
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			l, rest = rest, ""
		}
		n++
		return strings.TrimSuffix(l, "\r"), true
	}
	// The header: the first line that is not blank.
	for {
		l, ok := next()
		if !ok {
			p.line = 0
			return &ParseError{File: p.file, Err: fmt.Errorf("%w: the file is empty", ErrNotExport)}
		}
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		p.line = n
		switch l {
		case HeaderV5:
		case HeaderRegedit4:
			p.ansi = true
		default:
			return p.errf("%w: it starts with %q, not %q or %q", ErrNotExport, clip(l), HeaderV5, HeaderRegedit4)
		}
		break
	}
	for {
		l, ok := next()
		if !ok {
			return nil
		}
		p.line = n
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, ";") {
			continue
		}
		if strings.HasPrefix(t, "[") {
			if err := p.keyLine(t); err != nil {
				return err
			}
			continue
		}
		// A value line, continued while it ends with a backslash (regedit
		// wraps hex data after ",\" and indents the next line).
		var sb strings.Builder
		for strings.HasSuffix(t, `\`) {
			sb.WriteString(t[:len(t)-1])
			c, ok := next()
			if !ok {
				t = ""
				break
			}
			t = strings.TrimSpace(c)
			if sb.Len()+len(t) > maxLine {
				return p.errf("a value is longer than %d MiB of text", maxLine>>20)
			}
		}
		sb.WriteString(t)
		if err := p.valueLine(sb.String()); err != nil {
			return err
		}
	}
}

func (p *parser) keyLine(t string) error {
	if !strings.HasSuffix(t, "]") || len(t) < 3 {
		return p.errf("a key line must be [KEY], got %q", clip(t))
	}
	path := t[1 : len(t)-1]
	if strings.HasPrefix(path, "-") {
		p.r.DeleteKey(path[1:])
		p.key = nil
		return nil
	}
	k, err := p.r.CreateKey(path)
	if err != nil {
		return p.errf("key [%s]: %v", clip(path), err)
	}
	p.key = k
	return nil
}

func (p *parser) valueLine(t string) error {
	name, rest, err := p.valueName(t)
	if err != nil {
		return err
	}
	if p.key == nil {
		return p.errf("value %q comes before any [KEY] line (or after a deleted key)", clip(name))
	}
	rest = strings.TrimSpace(rest)
	if rest == "-" {
		p.r.DeleteValue(p.key, name)
		return nil
	}
	v, err := p.data(name, rest)
	if err != nil {
		return p.errf("value %q: %v", clip(name), err)
	}
	if err := p.r.SetValue(p.key, v); err != nil {
		return p.errf("%v", err)
	}
	return nil
}

// valueName reads `@=` or `"name"=` and returns the name and what follows
// the '='.
func (p *parser) valueName(t string) (string, string, error) {
	if rest, ok := strings.CutPrefix(t, "@"); ok {
		rest = strings.TrimLeft(rest, " \t")
		if !strings.HasPrefix(rest, "=") {
			return "", "", p.errf("want @=VALUE, got %q", clip(t))
		}
		return "", rest[1:], nil
	}
	if !strings.HasPrefix(t, `"`) {
		return "", "", p.errf("not a key, a value or a comment: %q", clip(t))
	}
	name, rest, err := quoted(t)
	if err != nil {
		return "", "", p.errf("value name: %v", err)
	}
	rest = strings.TrimLeft(rest, " \t")
	if !strings.HasPrefix(rest, "=") {
		return "", "", p.errf("want \"NAME\"=VALUE, got %q", clip(t))
	}
	return name, rest[1:], nil
}

// quoted reads a "..." string at the start of t and returns it and the rest
// of t. Escapes are \\ and \", and \r and \n as reg export writes line breaks
// (a literal backslash is always doubled, so these cannot be a path's);
// any other backslash is kept.
func quoted(t string) (string, string, error) {
	var sb strings.Builder
	for i := 1; i < len(t); i++ {
		switch c := t[i]; c {
		case '\\':
			if i+1 < len(t) {
				switch t[i+1] {
				case '\\', '"':
					sb.WriteByte(t[i+1])
					i++
					continue
				case 'n':
					sb.WriteByte('\n')
					i++
					continue
				case 'r':
					sb.WriteByte('\r')
					i++
					continue
				}
			}
			sb.WriteByte(c)
		case '"':
			return sb.String(), t[i+1:], nil
		default:
			sb.WriteByte(c)
		}
	}
	return "", "", errors.New("unterminated string (no closing \")")
}

func (p *parser) data(name, s string) (Value, error) {
	v := Value{Name: name}
	switch {
	case strings.HasPrefix(s, `"`):
		str, rest, err := quoted(s)
		if err != nil {
			return v, err
		}
		if strings.TrimSpace(rest) != "" {
			return v, fmt.Errorf("text after the closing quote: %q", clip(rest))
		}
		v.Type, v.Data = SZ, EncodeUTF16(str)
		return v, nil
	case strings.HasPrefix(strings.ToLower(s), "dword:"):
		h := strings.TrimSpace(s[len("dword:"):])
		if len(h) == 0 || len(h) > 8 {
			return v, fmt.Errorf("dword:%q is not 1 to 8 hex digits", clip(h))
		}
		n, err := strconv.ParseUint(h, 16, 32)
		if err != nil {
			return v, fmt.Errorf("dword:%q is not hex", clip(h))
		}
		v.Type, v.Data = DWord, binary.LittleEndian.AppendUint32(nil, uint32(n))
		return v, nil
	case strings.HasPrefix(strings.ToLower(s), "hex"):
		return p.hexData(v, s)
	}
	return v, fmt.Errorf("unknown value format %q (want \"string\", dword:, hex: or hex(N):)", clip(s))
}

func (p *parser) hexData(v Value, s string) (Value, error) {
	rest := s[3:]
	v.Type = Binary
	if strings.HasPrefix(rest, "(") {
		end := strings.IndexByte(rest, ')')
		if end < 0 {
			return v, errors.New("hex( without )")
		}
		t, err := strconv.ParseUint(strings.TrimSpace(rest[1:end]), 16, 32)
		if err != nil {
			return v, fmt.Errorf("hex(%s): the type is not a hex number", clip(rest[1:end]))
		}
		v.Type, rest = Type(t), rest[end+1:]
	}
	rest, ok := strings.CutPrefix(rest, ":")
	if !ok {
		return v, fmt.Errorf("want hex: or hex(N):, got %q", clip(s))
	}
	if len(rest)/3 > p.r.limits.MaxValueSize {
		return v, fmt.Errorf("more than %d bytes of data", p.r.limits.MaxValueSize)
	}
	data := make([]byte, 0, len(rest)/3+1)
	fields := strings.Split(rest, ",")
	if last := len(fields) - 1; strings.TrimSpace(fields[last]) == "" {
		fields = fields[:last] // hex: with no data, or a trailing comma
	}
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if len(f) != 2 {
			return v, fmt.Errorf("byte %d is %q, not two hex digits", i+1, clip(f))
		}
		b, err := strconv.ParseUint(f, 16, 8)
		if err != nil {
			return v, fmt.Errorf("byte %d is %q, not hex", i+1, clip(f))
		}
		data = append(data, byte(b))
	}
	if p.ansi && (v.Type == SZ || v.Type == ExpandSZ || v.Type == MultiSZ) {
		data = ansiToUTF16(data)
	}
	v.Data = data
	return v, nil
}

// ansiToUTF16 converts a REGEDIT4 string value's ANSI bytes (NULs kept, so
// REG_MULTI_SZ lists survive) to UTF-16LE.
func ansiToUTF16(b []byte) []byte {
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = binary.LittleEndian.AppendUint16(out, uint16(ansiRune(c)))
	}
	return out
}

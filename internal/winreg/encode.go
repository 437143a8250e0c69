package winreg

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Format is a registry export format.
type Format int

// The export formats.
const (
	// V5 is "Windows Registry Editor Version 5.00": UTF-16LE with a byte
	// order mark, what regedit and "reg export" write.
	V5 Format = iota
	// Regedit4 is "REGEDIT4": ANSI (Windows-1252), string types' hex data
	// in ANSI too.
	Regedit4
)

// wrapAt is the column at which reg export continues hex data on the next
// line: it writes "xx," and, once the line is 77 characters long or more, a
// backslash and a new line indented by two spaces (so 22 bytes follow
// `"Blob"=hex:` and 25 fill each continuation line). This is MAX_HEX_CHARS
// of the reg.exe that ReactOS and Wine model on Windows'.
const wrapAt = 77

// Encode writes every key of r under the given paths (all keys when none is
// given), subkeys sorted, as regedit exports them in format f, with CRLF line
// endings. Parse reads back exactly what Encode writes.
func Encode(w io.Writer, r *Registry, f Format, paths ...string) error {
	var keys []*Key
	if len(paths) == 0 {
		keys = r.Roots()
	}
	for _, p := range paths {
		k := r.Key(p)
		if k == nil {
			return fmt.Errorf("winreg: no key %s to export", p)
		}
		keys = append(keys, k)
	}
	var text strings.Builder
	if f == Regedit4 {
		text.WriteString(HeaderRegedit4 + "\r\n\r\n")
	} else {
		text.WriteString(HeaderV5 + "\r\n\r\n")
	}
	for _, k := range keys {
		encodeKey(&text, k, f)
	}
	bw := bufio.NewWriter(w)
	if f == Regedit4 {
		bw.Write(encodeANSI(text.String()))
	} else {
		bw.Write([]byte{0xFF, 0xFE})
		for _, u := range utf16.Encode([]rune(text.String())) {
			bw.Write([]byte{byte(u), byte(u >> 8)})
		}
	}
	return bw.Flush()
}

func encodeKey(sb *strings.Builder, k *Key, f Format) {
	fmt.Fprintf(sb, "[%s]\r\n", k.path)
	for _, v := range k.values {
		encodeValue(sb, v, f)
	}
	sb.WriteString("\r\n")
	for _, s := range k.Subkeys() {
		encodeKey(sb, s, f)
	}
}

// escape escapes a value name or string as reg export does.
func escape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\r", `\r`, "\n", `\n`).Replace(s)
}

func encodeValue(sb *strings.Builder, v *Value, f Format) {
	var line strings.Builder
	if v.Name == "" {
		line.WriteString("@=")
	} else {
		fmt.Fprintf(&line, "\"%s\"=", escape(v.Name))
	}
	switch {
	case v.Type == SZ && plainString(v.Data):
		fmt.Fprintf(&line, "\"%s\"", escape(UTF16(v.Data)))
		sb.WriteString(line.String() + "\r\n")
		return
	case v.Type == DWord && len(v.Data) == 4:
		n, _ := v.Uint32()
		fmt.Fprintf(&line, "dword:%08x", n)
		sb.WriteString(line.String() + "\r\n")
		return
	case v.Type == Binary:
		line.WriteString("hex:")
	default:
		fmt.Fprintf(&line, "hex(%x):", uint32(v.Type))
	}
	data := v.Data
	if f == Regedit4 && (v.Type == SZ || v.Type == ExpandSZ || v.Type == MultiSZ) {
		data = encodeANSI(string(utf16.Decode(utf16Units(data))))
	}
	col := line.Len()
	sb.WriteString(line.String())
	for i, b := range data {
		fmt.Fprintf(sb, "%02x", b)
		col += 2
		if i == len(data)-1 {
			break
		}
		sb.WriteByte(',')
		col++
		if col >= wrapAt {
			sb.WriteString("\\\r\n  ")
			col = 2
		}
	}
	sb.WriteString("\r\n")
}

// plainString reports whether a REG_SZ's data can be written as "text":
// UTF-16LE with one terminating NUL and no other NUL or line break.
func plainString(b []byte) bool {
	if len(b) < 2 || len(b)%2 != 0 || b[len(b)-1] != 0 || b[len(b)-2] != 0 {
		return false
	}
	u := utf16Units(b[:len(b)-2])
	for _, c := range u {
		if c == 0 || c == '\r' || c == '\n' {
			return false
		}
	}
	return bytes.Equal(EncodeUTF16(string(utf16.Decode(u))), b)
}

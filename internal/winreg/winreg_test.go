package winreg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

// utf16File returns text as regedit writes a version 5 export: UTF-16LE
// with a byte order mark and CRLF line endings.
func utf16File(text string) []byte {
	text = strings.ReplaceAll(text, "\n", "\r\n")
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(text)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// regeditSample is written by hand the way reg export writes (not by
// Encode): hex data wrapped once a line reaches 77 characters, so 20 bytes
// follow `"Account Name"=hex:` and continuation lines are indented by two
// spaces.
const regeditSample = `Windows Registry Editor Version 5.00

[HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook]
"DefaultProfile"="Outlook"
@="default value with \"quotes\" and a \\ backslash"

[HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook\9375CFF0413111d3B88A00104B2A6676\00000002]
"Account Name"=hex:61,00,6c,00,69,00,63,00,65,00,40,00,63,00,6f,00,6e,00,74,00,\
  6f,00,73,00,6f,00,2e,00,63,00,6f,00,6d,00,00,00
"Service UID"=hex:9e,2b,41,87,2c,56,6f,4a,a2,7a,a0,6c,3a,66,95,3f
"clsid"="{ED475418-B0D6-11D2-8C3B-00104B2A6676}"
"Flags"=dword:0000000a
"Note"="two\r\nlines"
"Path"=hex(2):25,00,55,00,53,00,45,00,52,00,50,00,52,00,4f,00,46,00,49,00,4c,\
  00,45,00,25,00,00,00
"List"=hex(7):61,00,00,00,62,00,00,00,00,00
"Big"=hex(b):01,00,00,00,00,00,00,00
"Empty"=hex:

; a comment
[-HKEY_CURRENT_USER\Software\Gone]
`

func TestParseRegeditExport(t *testing.T) {
	r := New(Limits{})
	if err := r.Parse("sample.reg", utf16File(regeditSample)); err != nil {
		t.Fatal(err)
	}
	k := r.Key(`HKCU\software\microsoft\office\16.0\OUTLOOK`)
	if k == nil {
		t.Fatal("key not found (paths must be case-insensitive, HKCU short)")
	}
	if got, _ := k.Value("defaultprofile").String(); got != "Outlook" {
		t.Errorf("DefaultProfile = %q", got)
	}
	if got, _ := k.Value("").String(); got != `default value with "quotes" and a \ backslash` {
		t.Errorf("default value = %q", got)
	}
	acct := r.Key(`HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook\Profiles\Outlook\9375CFF0413111d3B88A00104B2A6676\00000002`)
	v := acct.Value("Account Name")
	if v.Type != Binary || UTF16(v.Data) != "alice@contoso.com" {
		t.Errorf("Account Name = %s %q", v.Type, UTF16(v.Data))
	}
	if s, _ := acct.Value("Note").String(); s != "two\r\nlines" {
		t.Errorf("Note = %q: \\r\\n escapes, as reg export writes line breaks", s)
	}
	if n, err := acct.Value("Flags").Uint32(); err != nil || n != 10 {
		t.Errorf("Flags = %d, %v", n, err)
	}
	if s, err := acct.Value("Path").String(); err != nil || s != "%USERPROFILE%" {
		t.Errorf("Path = %q, %v", s, err)
	}
	if l, err := acct.Value("List").Strings(); err != nil || !cmp.Equal(l, []string{"a", "b"}) {
		t.Errorf("List = %q, %v", l, err)
	}
	if n, err := acct.Value("Big").Uint64(); err != nil || n != 1 {
		t.Errorf("Big = %d, %v", n, err)
	}
	if v := acct.Value("Empty"); v == nil || len(v.Data) != 0 || v.Type != Binary {
		t.Errorf("Empty = %+v", v)
	}
	if len(acct.Value("Service UID").Data) != 16 {
		t.Errorf("Service UID has %d bytes", len(acct.Value("Service UID").Data))
	}
	if _, err := acct.Value("Flags").String(); err == nil {
		t.Error("a DWORD read as a string gave no error")
	}
}

func TestParseRegedit4ANSI(t *testing.T) {
	// REGEDIT4: ANSI text (é is 0xE9, € is 0x80 in Windows-1252) and ANSI
	// bytes in hex(2).
	text := "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\Office\\16.0\\Lync]\r\n" +
		"\"TrustModelData\"=\"contoso.com,caf\xe9.example\"\r\n" +
		"\"Cost\"=\"\x80\"\r\n" +
		"\"Expand\"=hex(2):25,54,45,4d,50,25,00\r\n"
	r := New(Limits{})
	if err := r.Parse("old.reg", []byte(text)); err != nil {
		t.Fatal(err)
	}
	k := r.Key(`HKLM\SOFTWARE\Policies\Microsoft\Office\16.0\Lync`)
	if s, _ := k.Value("TrustModelData").String(); s != "contoso.com,café.example" {
		t.Errorf("TrustModelData = %q", s)
	}
	if s, _ := k.Value("Cost").String(); s != "€" {
		t.Errorf("Cost = %q", s)
	}
	if s, _ := k.Value("Expand").String(); s != "%TEMP%" {
		t.Errorf("Expand = %q (ANSI hex(2) must become UTF-16LE)", s)
	}
}

func sampleRegistry(t *testing.T) *Registry {
	r := New(Limits{})
	k, err := r.CreateKey(`HKCU\Software\Test`)
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.SetValue(k, Value{Name: "Text", Type: SZ, Data: EncodeUTF16(`C:\Program Files\"x"`)}))
	must(r.SetValue(k, Value{Name: "", Type: SZ, Data: EncodeUTF16("default")}))
	must(r.SetValue(k, Value{Name: "Number", Type: DWord, Data: []byte{0xef, 0xbe, 0xad, 0xde}}))
	blob := make([]byte, 300)
	for i := range blob {
		blob[i] = byte(i)
	}
	must(r.SetValue(k, Value{Name: "Blob", Type: Binary, Data: blob}))
	must(r.SetValue(k, Value{Name: "Multi", Type: MultiSZ, Data: append(append(EncodeUTF16("one"), EncodeUTF16("two")...), 0, 0)}))
	must(r.SetValue(k, Value{Name: "Odd", Type: Type(0xffff0012), Data: []byte{1}}))
	must(r.SetValue(k, Value{Name: "Lines", Type: SZ, Data: EncodeUTF16("a\r\nb")}))
	sub, _ := r.CreateKey(`HKCU\Software\Test\sub key`)
	must(r.SetValue(sub, Value{Name: "n", Type: QWord, Data: make([]byte, 8)}))
	return r
}

func TestEncodeWrapsLikeRegedit(t *testing.T) {
	r := sampleRegistry(t)
	var buf bytes.Buffer
	if err := Encode(&buf, r, V5); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte{0xFF, 0xFE, 'W', 0}) {
		t.Fatalf("no UTF-16LE BOM: % x", b[:4])
	}
	text, _ := decodeText(b)
	lines := strings.Split(text, "\r\n")
	if lines[0] != HeaderV5 || lines[1] != "" {
		t.Fatalf("header lines %q", lines[:2])
	}
	var blob []string
	for i, l := range lines {
		if strings.HasPrefix(l, `"Blob"=hex:`) {
			for j := i; strings.HasSuffix(lines[j], `\`); j++ {
				blob = append(blob, lines[j], lines[j+1])
			}
			break
		}
	}
	// reg export: 22 bytes on the first line after `"Blob"=hex:`, 25 on each
	// continuation line, each wrapped line 78 characters with its backslash.
	if got := strings.Count(blob[0], ","); got != 22 {
		t.Errorf("first Blob line holds %d bytes, want 22: %q", got, blob[0])
	}
	if len(blob[0]) != 78 || len(blob[2]) != 78 || !strings.HasPrefix(blob[1], "  ") || strings.Count(blob[1], ",") != 25 {
		t.Errorf("wrapped lines differ from regedit's: %q", blob[:3])
	}
	for _, want := range []string{
		`"Text"="C:\\Program Files\\\"x\""`, `@="default"`, `"Number"=dword:deadbeef`,
		`"Odd"=hex(ffff0012):01`, `"n"=hex(b):00,00,00,00,00,00,00,00`, `[HKEY_CURRENT_USER\Software\Test\sub key]`,
		`"Lines"=hex(1):61,00,0d,00,0a,00,62,00,00,00`,
	} {
		if !strings.Contains(text, want+"\r\n") {
			t.Errorf("export lacks the line %s", want)
		}
	}
}

// TestEncodeMatchesHandWritten: Encode writes the hand-written sample's
// wrapped value exactly.
func TestEncodeMatchesHandWritten(t *testing.T) {
	r := New(Limits{})
	if err := r.Parse("sample.reg", utf16File(regeditSample)); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Encode(&buf, r, V5, `HKCU\Software\Microsoft\Office\16.0\Outlook\Profiles`); err != nil {
		t.Fatal(err)
	}
	text, _ := decodeText(buf.Bytes())
	want := strings.ReplaceAll(`"Account Name"=hex:61,00,6c,00,69,00,63,00,65,00,40,00,63,00,6f,00,6e,00,74,00,\
  6f,00,73,00,6f,00,2e,00,63,00,6f,00,6d,00,00,00
`, "\n", "\r\n")
	if !strings.Contains(text, want) {
		t.Errorf("Encode wraps differently from reg export:\n%s", text)
	}
}

func TestEncodeParseRoundTrip(t *testing.T) {
	for _, f := range []Format{V5, Regedit4} {
		r := sampleRegistry(t)
		var buf bytes.Buffer
		if err := Encode(&buf, r, f); err != nil {
			t.Fatal(err)
		}
		back := New(Limits{})
		if err := back.Parse("x.reg", buf.Bytes()); err != nil {
			t.Fatalf("format %d: %v", f, err)
		}
		if d := diffRegistries(r, back); d != "" {
			t.Errorf("format %d: round trip differs:\n%s", f, d)
		}
	}
}

// dump lists every value of r as "path|name|type|hex" lines.
func dump(r *Registry) []string {
	var out []string
	var walk func(k *Key)
	walk = func(k *Key) {
		out = append(out, strings.ToLower(k.Path()))
		for _, v := range k.Values() {
			out = append(out, strings.ToLower(k.Path())+"|"+strings.ToLower(v.Name)+"|"+v.Type.String()+"|"+string(v.Data))
		}
		for _, s := range k.Subkeys() {
			walk(s)
		}
	}
	for _, k := range r.Roots() {
		walk(k)
	}
	return out
}

func diffRegistries(a, b *Registry) string { return cmp.Diff(dump(a), dump(b)) }

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string
		notExport  bool
	}{
		{"empty", "", "winreg: f.reg: not a registry export: the file is empty", true},
		{"not reg", "hello\nworld", `winreg: f.reg:1: not a registry export: it starts with "hello"`, true},
		{"value first", HeaderV5 + "\n\n\"a\"=\"b\"", `f.reg:3: value "a" comes before any [KEY] line`, false},
		{"bad hex", HeaderV5 + "\n[HKCU\\x]\n\"a\"=hex:01,zz", `f.reg:3: value "a": byte 2 is "zz", not hex`, false},
		{"bad continuation", HeaderV5 + "\n[HKCU\\x]\n\"a\"=hex:01,\\\n  0", `f.reg:3: value "a": byte 2 is "0", not two hex digits`, false},
		{"bad root", HeaderV5 + "\n[HKEY_NOWHERE\\x]", `f.reg:2: key [HKEY_NOWHERE\x]: bad key path: "HKEY_NOWHERE" is not a root key`, false},
		{"bad dword", HeaderV5 + "\n[HKCU\\x]\n\"a\"=dword:123456789", `dword:"123456789" is not 1 to 8 hex digits`, false},
		{"junk", HeaderV5 + "\n[HKCU\\x]\nfoo", `f.reg:3: not a key, a value or a comment: "foo"`, false},
		{"unterminated", HeaderV5 + "\n[HKCU\\x]\n\"a=1", `f.reg:3: value name: unterminated string`, false},
		{"format", HeaderV5 + "\n[HKCU\\x]\n\"a\"=qword:1", `unknown value format "qword:1"`, false},
		{"odd utf16", "\xff\xfeW\x00x", "UTF-16 text with an odd number of bytes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := New(Limits{}).Parse("f.reg", []byte(tc.text))
			var pe *ParseError
			if !errors.As(err, &pe) || pe.File != "f.reg" {
				t.Fatalf("got %v, want a ParseError naming f.reg", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q, want it to contain %q", err, tc.want)
			}
			if errors.Is(err, ErrNotExport) != tc.notExport {
				t.Errorf("errors.Is(ErrNotExport) = %v", !tc.notExport)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	text := HeaderV5 + "\n[HKCU\\x]\n\"a\"=hex:" + strings.Repeat("01,", 100) + "01\n"
	err := New(Limits{MaxValueSize: 50}).Parse("big.reg", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "more than 50 bytes") {
		t.Errorf("value limit: %v", err)
	}
	text = HeaderV5 + "\n[HKCU\\a]\n[HKCU\\b]\n[HKCU\\c]\n"
	err = New(Limits{MaxKeys: 3}).Parse("keys.reg", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "keys.reg:4") || !strings.Contains(err.Error(), "more than 3 keys") {
		t.Errorf("key limit: %v", err)
	}
	text = HeaderV5 + "\n[HKCU\\a]\n\"a\"=hex:01,02,03\n\"b\"=hex:01,02,03\n"
	err = New(Limits{MaxTotal: 5}).Parse("total.reg", []byte(text))
	if err == nil || !strings.Contains(err.Error(), "total.reg:4") {
		t.Errorf("total limit: %v", err)
	}
}

func TestDeletesAndMerge(t *testing.T) {
	r := New(Limits{})
	first := HeaderV5 + "\n[HKCU\\a\\b]\n\"x\"=\"1\"\n\"y\"=\"2\"\n[HKCU\\c]\n\"z\"=dword:1\n"
	second := HeaderV5 + "\n[HKCU\\a\\b]\n\"x\"=-\n\"y\"=\"3\"\n[-HKCU\\c]\n"
	if err := r.Parse("1.reg", utf16File(first)); err != nil {
		t.Fatal(err)
	}
	if err := r.Parse("2.reg", utf16File(second)); err != nil {
		t.Fatal(err)
	}
	k := r.Key(`HKCU\a\b`)
	if k.Value("x") != nil {
		t.Error(`"x"=- did not delete x`)
	}
	if s, _ := k.Value("y").String(); s != "3" {
		t.Errorf("y = %q: the later file must win", s)
	}
	if r.Key(`HKCU\c`) != nil {
		t.Error("[-HKCU\\c] did not delete the key")
	}
	if r.Keys() != 3 { // HKEY_CURRENT_USER, a, b
		t.Errorf("%d keys counted after the delete, want 3", r.Keys())
	}
}

func TestLoadFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x.reg")
	os.WriteFile(p, utf16File(regeditSample), 0o644)
	r := New(Limits{})
	if err := r.LoadFile(p); err != nil {
		t.Fatal(err)
	}
	if err := r.LoadFile(filepath.Join(dir, "missing.reg")); err == nil || !strings.Contains(err.Error(), "missing.reg") {
		t.Errorf("missing file: %v", err)
	}
	if err := r.LoadFile(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
}

func TestReadLiveOffWindows(t *testing.T) {
	if _, err := ReadLive(Limits{}, `HKCU\Software`); err != nil && !errors.Is(err, ErrNoLiveRegistry) {
		t.Errorf("ReadLive: %v", err)
	}
}

// FuzzParse checks that no input panics the parser and that whatever it
// accepts survives Encode and Parse unchanged.
func FuzzParse(f *testing.F) {
	f.Add(utf16File(regeditSample))
	f.Add([]byte("REGEDIT4\r\n[HKLM\\a]\r\n\"x\"=hex(7):61,00,00\r\n@=\"v\"\r\n"))
	var buf bytes.Buffer
	Encode(&buf, func() *Registry {
		r := New(Limits{})
		k, _ := r.CreateKey(`HKCU\k`)
		r.SetValue(k, Value{Name: "b", Type: Binary, Data: bytes.Repeat([]byte{7}, 80)})
		return r
	}(), V5)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		lim := Limits{MaxKeys: 1000, MaxValueSize: 1 << 16, MaxTotal: 1 << 20}
		r := New(lim)
		if err := r.Parse("fuzz.reg", data); err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, r, V5); err != nil {
			t.Fatal(err)
		}
		back := New(lim)
		if err := back.Parse("again.reg", out.Bytes()); err != nil {
			t.Fatalf("Encode wrote what Parse rejects: %v\n%q", err, out.Bytes())
		}
		if d := diffRegistries(r, back); d != "" {
			t.Fatalf("round trip differs:\n%s", d)
		}
	})
}

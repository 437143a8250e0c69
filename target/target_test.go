package target

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
)

func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // role host port
	}{
		{"mail.contoso.com", "other mail.contoso.com 443"},
		{"mail.contoso.com:8443", "other mail.contoso.com 8443"},
		{"lync pool.contoso.com", "lync pool.contoso.com 5061"},
		{"LYNC pool.contoso.com:443", "lync pool.contoso.com 443"},
		{"pool.contoso.com:5061", "lync pool.contoso.com 5061"},
		{"https://mail.contoso.com/EWS/Exchange.asmx", "ews mail.contoso.com 443"},
		{"https://mail.contoso.com:4443/ews/exchange.asmx", "ews mail.contoso.com 4443"},
		{"HTTPS://contoso.com/Autodiscover/Autodiscover.xml", "autodiscover contoso.com 443"},
		{"ews https://mail.contoso.com/owa/", "ews mail.contoso.com 443"},
		{"lync https://web.contoso.com/", "lync web.contoso.com 443"},
		{"[2001:db8::1]:5061", "lync 2001:db8::1 5061"},
		{"2001:db8::1", "other 2001:db8::1 443"},
		{"[2001:db8::1]", "other 2001:db8::1 443"},
		{"192.0.2.1", "other 192.0.2.1 443"},
		{"other  sip.contoso.com:5061", "other sip.contoso.com 5061"},
	} {
		got, err := ParseTarget(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if s := string(got.Role) + " " + got.Host + " " + strconv.Itoa(got.Port); s != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, s, tc.want)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	for in, want := range map[string]string{
		"smtp mail.contoso.com":                  `unknown role "smtp"`,
		"http://mail.contoso.com/ews/":           `unsupported scheme "http"`,
		"mail.contoso.com:99999":                 `bad port "99999"`,
		"mail.contoso.com:0":                     `bad port "0"`,
		"ews a b":                                `got 3 fields`,
		"https:///ews/":                          `has no host`,
		"mail.contoso.com/ews":                   `bad target`,
		"bad_host!.com":                          `character '!'`,
		"a..b":                                   `bad host name`,
		"fe80::1::2":                             `bad target`,
		"https://mail.contoso.com:x/ews":         `bad URL`,
		"lync":                                   `role "lync" has no target after it`,
		"*.contoso.com":                          `wildcard host "*.contoso.com"`,
		"ews https://*.contoso.com/ews/":         `wildcard host`,
		"https://u:s3cret@mail.contoso.com/ews/": `target "https://USER@mail.contoso.com/ews/" holds user info`,
		"u:s3cret@mail.contoso.com:443":          `target "USER@mail.contoso.com:443" holds user info`,
		"https://u:s3cret@[::1/ews/":             `holds user info`,
	} {
		_, err := ParseTarget(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want it to contain %q", in, err, want)
		}
	}
}

func TestTargetFile(t *testing.T) {
	var l List
	in := "# servers\n\nlync pool.contoso.com\n  https://mail.contoso.com/EWS/Exchange.asmx  # EWS\npool.contoso.com:5061\nmail.contoso.com\n"
	if err := l.AddFile(strings.NewReader(in), "servers.txt"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range l.Targets {
		got = append(got, tg.Key())
	}
	want := "lync pool.contoso.com 5061|ews mail.contoso.com 443|other mail.contoso.com 443"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q (duplicates scanned once)", strings.Join(got, "|"), want)
	}

	err := l.AddFile(strings.NewReader("ok.test\n\nsmtp x.test\n"), "list.txt")
	var le *LineError
	if !errors.As(err, &le) || err.Error() != `list.txt:3: unknown role "smtp" (want ews, autodiscover, lync or other)` {
		t.Errorf("got %v, want list.txt:3: unknown role", err)
	}
	err = l.AddFile(strings.NewReader("ok.test\n"+strings.Repeat("a", maxLineLen+10)+"\n"), "long.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "long.txt:2: line longer than") {
		t.Errorf("got %v, want long.txt:2: line longer than", err)
	}
}

// TestUserInfoNeverEchoed checks that no error about a target with user
// info repeats its password, whatever else is wrong with it.
func TestUserInfoNeverEchoed(t *testing.T) {
	for _, in := range []string{
		"https://admin:s3cret@mail.contoso.com/ews/",
		"https://admin:s3cret@mail.contoso.com:99999/ews/",
		"https://admin:s3cret@%zz/",
		"smtp https://admin:s3cret@mail.contoso.com/",
		"admin:s3cret@mail.contoso.com",
		"http://admin:s3cret@mail.contoso.com/",
	} {
		var l List
		err := l.AddFile(strings.NewReader(in+"\n"), "f.txt")
		if err == nil {
			t.Errorf("%q: accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q: error echoes the password: %v", in, err)
		}
		err = l.AddArgs([]string{in})
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%q as an argument: %v", in, err)
		}
	}
	// An @ in a URL path is no user info.
	if _, err := ParseTarget("https://mail.contoso.com/ews/a@b"); err != nil {
		t.Errorf("@ in the path: %v", err)
	}
}

func TestAddArgsRoleWord(t *testing.T) {
	var l List
	if err := l.AddArgs([]string{"lync", "pool.contoso.com", "https://mail.contoso.com/EWS/Exchange.asmx", "EWS", "mail2.contoso.com", "lync sip.contoso.com:443"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range l.Targets {
		got = append(got, tg.Key())
	}
	want := "lync pool.contoso.com 5061|ews mail.contoso.com 443|ews mail2.contoso.com 443|lync sip.contoso.com 443"
	if strings.Join(got, "|") != want {
		t.Errorf("got %q, want %q", strings.Join(got, "|"), want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pool.contoso.com", "lync"}, `argument:2: role "lync" has no target after it`},
		{[]string{"lync", "ews", "x.test"}, `argument:1: role "lync" is followed by another role "ews"`},
		{[]string{"lync", "ews x.test"}, `argument:1: role "lync" is followed by "ews", which has a role of its own`},
		{[]string{"lync", "smtp:x"}, `argument:2: bad port "x"`},
	} {
		var l List
		err := l.AddArgs(tc.args)
		var le *LineError
		if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestTargetFileEncodings reads the same list as Windows tools write it:
// UTF-8 with a BOM (Notepad), UTF-16 LE and BE with a BOM (PowerShell 5.1's
// ">"), CRLF line ends, trailing blanks.
func TestTargetFileEncodings(t *testing.T) {
	text := "# servers\r\nlync pool.contoso.com \t\r\nhttps://mail.contoso.com/EWS/Exchange.asmx\t  \r\n\r\nother [2001:db8::10]:4443  # v6\r\n"
	want := "lync pool.contoso.com 5061|ews mail.contoso.com 443|other 2001:db8::10 4443"
	utf16 := func(bigEndian bool) []byte {
		b := []byte{0xFF, 0xFE}
		if bigEndian {
			b = []byte{0xFE, 0xFF}
		}
		for _, r := range text { // ASCII only
			if bigEndian {
				b = append(b, 0, byte(r))
			} else {
				b = append(b, byte(r), 0)
			}
		}
		return b
	}
	for name, data := range map[string][]byte{
		"utf8":        []byte(text),
		"utf8-bom":    append([]byte{0xEF, 0xBB, 0xBF}, text...),
		"utf16le-bom": utf16(false),
		"utf16be-bom": utf16(true),
		"lf-only":     []byte(strings.ReplaceAll(text, "\r\n", "\n")),
	} {
		var l List
		if err := l.AddFile(bytes.NewReader(data), name); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var got []string
		for _, tg := range l.Targets {
			got = append(got, tg.Key())
		}
		if strings.Join(got, "|") != want {
			t.Errorf("%s: got %q, want %q", name, strings.Join(got, "|"), want)
		}
	}
	// UTF-16 without a BOM is full of NUL bytes: a clear FILE:LINE error.
	noBOM := utf16(false)[2:]
	var l List
	err := l.AddFile(bytes.NewReader(noBOM), "servers.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "servers.txt:1: NUL byte") {
		t.Errorf("UTF-16 without BOM: got %v", err)
	}
	err = l.AddFile(strings.NewReader("a.test\nb.test\x00\n"), "nul.txt")
	if err == nil || !strings.HasPrefix(err.Error(), "nul.txt:2: NUL byte") {
		t.Errorf("NUL on line 2: got %v", err)
	}
	err = l.AddFile(bytes.NewReader(utf16(false)[:9]), "odd.txt")
	if err == nil || !strings.Contains(err.Error(), "odd number of bytes") {
		t.Errorf("odd UTF-16: got %v", err)
	}
}

func TestTargetFileTooLarge(t *testing.T) {
	var l List
	r := io.LimitReader(zeros{}, MaxFileSize+10)
	err := l.AddFile(r, "big.txt")
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), "big.txt: larger than 64 MiB") {
		t.Errorf("got %v", err)
	}
}

// zeros is an endless reader of newlines (like /dev/zero, but lines).
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = '\n'
	}
	return len(p), nil
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"mail.contoso.com", "lync pool:5061", "https://a.b/EWS/x", "[::1]:443", "ews https://x:1/autodiscover/", "a b c", "%zz://"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		if tg.Host == "" || tg.Port < 1 || tg.Port > 65535 || tg.Role == "" {
			t.Fatalf("%q parsed to an invalid target %+v", s, tg)
		}
	})
}

func FuzzAddArgs(f *testing.F) {
	f.Add("lync\x00pool.contoso.com\x00https://mail.contoso.com/EWS/Exchange.asmx")
	f.Add("ews\x00lync")
	f.Add("a.b\x00lync a.b:443")
	f.Fuzz(func(t *testing.T, s string) {
		var l List
		err := l.AddArgs(strings.Split(s, "\x00"))
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
		for _, tg := range l.Targets {
			if tg.Host == "" || tg.Role == "" || tg.Port < 1 {
				t.Fatalf("%q gave target %+v", s, tg)
			}
		}
	})
}

func FuzzTargetFile(f *testing.F) {
	f.Add("# c\nlync a.b\n\nhttps://x.y/ews/\n")
	f.Add("ews\n")
	f.Add("\xff\xfel\x00y\x00n\x00c\x00 \x00a\x00\r\x00\n\x00")
	f.Add("\xef\xbb\xbfews a.b\r\n")
	f.Fuzz(func(t *testing.T, s string) {
		var l List
		err := l.AddFile(strings.NewReader(s), "f")
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
		for _, tg := range l.Targets {
			if tg.Host == "" || strings.ContainsAny(tg.Host, "\x00*@") {
				t.Fatalf("%q gave target %+v", s, tg)
			}
		}
	})
}

// TestRoleInferred: a role written in the line (or as the argument before
// it) is asserted; one inferred from the URL path or port 5061 is not. A
// target given both ways counts as asserted, wherever the assertion comes.
func TestRoleInferred(t *testing.T) {
	for in, want := range map[string]bool{
		"lync pool.contoso.com":                      false,
		"LYNC pool.contoso.com:5061":                 false,
		"pool.contoso.com:5061":                      true,
		"https://mail.contoso.com/EWS/Exchange.asmx": true,
		"ews https://mail.contoso.com/EWS/":          false,
		"mail.contoso.com":                           true,
		"other mail.contoso.com":                     false,
	} {
		got, err := ParseTarget(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got.RoleInferred != want {
			t.Errorf("%q: RoleInferred %v, want %v", in, got.RoleInferred, want)
		}
	}
	var l List
	if err := l.AddArgs([]string{"pool.contoso.com:5061", "lync", "pool.contoso.com:5061", "sip.contoso.com:5061"}); err != nil {
		t.Fatal(err)
	}
	if len(l.Targets) != 2 || l.Targets[0].RoleInferred || !l.Targets[1].RoleInferred {
		t.Errorf("targets %+v: want pool asserted (given again with lync), sip inferred", l.Targets)
	}
}

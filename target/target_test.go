package target

import (
	"errors"
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
		"smtp mail.contoso.com":          `unknown role "smtp"`,
		"http://mail.contoso.com/ews/":   `unsupported scheme "http"`,
		"mail.contoso.com:99999":         `bad port "99999"`,
		"mail.contoso.com:0":             `bad port "0"`,
		"ews a b":                        `got 3 fields`,
		"https:///ews/":                  `has no host`,
		"mail.contoso.com/ews":           `bad target`,
		"bad_host!.com":                  `character '!'`,
		"a..b":                           `bad host name`,
		"fe80::1::2":                     `bad target`,
		"https://mail.contoso.com:x/ews": `bad URL`,
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

func FuzzTargetFile(f *testing.F) {
	f.Add("# c\nlync a.b\n\nhttps://x.y/ews/\n")
	f.Add("ews\n")
	f.Fuzz(func(t *testing.T, s string) {
		var l List
		err := l.AddFile(strings.NewReader(s), "f")
		var le *LineError
		if err != nil && !errors.As(err, &le) {
			t.Fatalf("error %v is not a *LineError", err)
		}
	})
}

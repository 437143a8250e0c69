package report_test

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/internal/winreg"
	"github.com/trustgap/trustgap/report"
)

// hostileClient is a registry whose strings carry terminal escapes, as a
// hostile export could.
func hostileClient(t *testing.T) *client.Report {
	t.Helper()
	r := winreg.New(winreg.Limits{})
	set := func(path, name string, typ winreg.Type, data []byte) {
		k, err := r.CreateKey(path)
		if err != nil {
			t.Fatal(err)
		}
		r.SetValue(k, winreg.Value{Name: name, Type: typ, Data: data})
	}
	const base = `HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook`
	set(base, "DefaultProfile", winreg.SZ, winreg.EncodeUTF16("Evil\x1b[31m"))
	acct := base + `\Profiles\Evil` + "\x1b[31m" + `\9375CFF0413111d3B88A00104B2A6676\00000002`
	uid := bytes.Repeat([]byte{0xab}, 16)
	set(acct, "Account Name", winreg.Binary, winreg.EncodeUTF16("alice@contoso.com\x1b]0;owned\x07"))
	set(acct, "Service Name", winreg.Binary, winreg.EncodeUTF16("MSEMS"))
	set(acct, "Service UID", winreg.Binary, uid)
	sec := base + `\Profiles\Evil` + "\x1b[31m" + `\` + strings.Repeat("ab", 16)
	set(sec, "001f6622", winreg.Binary, winreg.EncodeUTF16("mail.contoso.com\x1b[2J"))
	set(`HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Lync`, "ServerSipUri", winreg.SZ, winreg.EncodeUTF16("sip:alice@fabrikam.com"))
	rep, err := client.Inspect(r, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep.CheckTrustModel(rep.OfflineEWSHost(), true)
	return rep
}

func TestClientTextEscapesRegistryStrings(t *testing.T) {
	rep := hostileClient(t)
	var out bytes.Buffer
	if err := report.WriteClient(&out, report.NewClient(rep, nil, nil, nil), report.Options{Format: report.FormatText}); err != nil {
		t.Fatal(err)
	}
	if bytes.ContainsAny(out.Bytes(), "\x1b\x07") {
		t.Errorf("raw control characters reach the terminal:\n%q", out.String())
	}
	if !strings.Contains(out.String(), `Evil\x1b[31m (default)`) {
		t.Errorf("the profile name is not shown escaped:\n%s", out.String())
	}
	if rep.OfflineEWSHost() != "" && strings.Contains(rep.OfflineEWSHost(), "\x1b") {
		t.Errorf("a proxy host with control characters is used: %q", rep.OfflineEWSHost())
	}
}

func TestClientJSONShape(t *testing.T) {
	rep := hostileClient(t)
	for _, tc := range []struct {
		disc *discover.Report
		keys []string
	}{
		{nil, []string{"default_profile", "findings", "lync", "outlook", "policies", "profiles", "store", "user", "user_from"}},
		{&discover.Report{Domain: "contoso.com"}, []string{"default_profile", "discover", "findings", "lync", "outlook", "policies", "profiles", "scan", "store", "user", "user_from"}},
	} {
		var out bytes.Buffer
		if err := report.WriteClient(&out, report.NewClient(rep, tc.disc, nil, nil), report.Options{Format: report.FormatJSON}); err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range doc {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, tc.keys) {
			t.Errorf("keys %q, want %q", keys, tc.keys)
		}
		if tc.disc != nil && !strings.Contains(string(doc["scan"]), `"targets": []`) {
			t.Errorf("scan %s", doc["scan"])
		}
	}
}

package client_test

import (
	"bytes"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/internal/winreg"
)

// reg builds a user's registry as the tests need it; write turns it into a
// .reg file in the exact export format (winreg.Encode: UTF-16LE with BOM,
// CRLF, hex lines wrapped as regedit wraps them), which the test then reads
// back as trustgap client --reg would.
type reg struct {
	t *testing.T
	r *winreg.Registry
}

func newReg(t *testing.T) *reg { return &reg{t: t, r: winreg.New(winreg.Limits{})} }

func (b *reg) set(path, name string, typ winreg.Type, data []byte) *reg {
	b.t.Helper()
	k, err := b.r.CreateKey(path)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := b.r.SetValue(k, winreg.Value{Name: name, Type: typ, Data: data}); err != nil {
		b.t.Fatal(err)
	}
	return b
}

func (b *reg) sz(path, name, v string) *reg {
	return b.set(path, name, winreg.SZ, winreg.EncodeUTF16(v))
}
func (b *reg) dword(path, name string, n uint32) *reg {
	return b.set(path, name, winreg.DWord, binary.LittleEndian.AppendUint32(nil, n))
}

// utf16bin is a MAPI Unicode string property: UTF-16LE, NUL-terminated,
// stored as REG_BINARY.
func utf16bin(s string) []byte { return winreg.EncodeUTF16(s) }

// acct is an Outlook account.
type acct struct {
	service     string // "MSEMS" for Exchange; "" for a PST (no Service Name)
	accountName string
	smtp, proxy string
	home        string // written ANSI (001e), as old profiles do
	serviceSZ   bool   // write Service Name as REG_SZ instead of REG_BINARY
}

var profileKeys = map[string]string{
	"2016": `HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook`,
	"2013": `HKEY_CURRENT_USER\Software\Microsoft\Office\15.0\Outlook`,
	"2010": `HKEY_CURRENT_USER\Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem`,
}

// profile writes a profile of Outlook version outlook with accounts.
func (b *reg) profile(outlook, name string, accounts ...acct) *reg {
	base := profileKeys[outlook] + `\Profiles\` + name
	b.r.CreateKey(base)
	for i, a := range accounts {
		uid := make([]byte, 16)
		for j := range uid {
			uid[j] = byte(0x10*i + j + len(name))
		}
		k := fmt.Sprintf(`%s\9375CFF0413111d3B88A00104B2A6676\%08d`, base, i+2)
		b.set(k, "Account Name", winreg.Binary, utf16bin(a.accountName))
		b.set(k, "Service UID", winreg.Binary, uid)
		switch {
		case a.service != "" && a.serviceSZ:
			b.sz(k, "Service Name", a.service)
		case a.service != "":
			b.set(k, "Service Name", winreg.Binary, utf16bin(a.service))
		}
		sec := base + `\` + hex.EncodeToString(uid)
		if a.smtp != "" {
			b.set(sec, "001f6641", winreg.Binary, utf16bin(a.smtp))
		}
		if a.proxy != "" {
			b.set(sec, "001f6622", winreg.Binary, utf16bin(a.proxy))
		}
		if a.home != "" {
			b.set(sec, "001e6602", winreg.Binary, append([]byte(a.home), 0))
		}
	}
	return b
}

func (b *reg) defaultProfile(outlook, name string) *reg {
	k := profileKeys[outlook]
	if outlook == "2010" {
		k += `\Profiles`
	}
	return b.sz(k, "DefaultProfile", name)
}

func (b *reg) lync(version, sipURI string) *reg {
	k := map[string]string{
		"16.0": `HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Lync`,
		"15.0": `HKEY_CURRENT_USER\Software\Microsoft\Office\15.0\Lync`,
		"2010": `HKEY_CURRENT_USER\Software\Microsoft\Communicator`,
	}[version]
	b.sz(k, "ServerSipUri", sipURI)
	return b.sz(k, "ServerUsername", `CONTOSO\alice`)
}

// write exports the registry to a .reg file in format f and returns its
// path.
func (b *reg) write(f winreg.Format) string {
	b.t.Helper()
	var buf bytes.Buffer
	if err := winreg.Encode(&buf, b.r, f); err != nil {
		b.t.Fatal(err)
	}
	p := filepath.Join(b.t.TempDir(), "export.reg")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		b.t.Fatal(err)
	}
	return p
}

// inspect writes the registry as an export, reads it back like --reg, and
// inspects it.
func (b *reg) inspect(o client.Options, f winreg.Format) *client.Report {
	b.t.Helper()
	path := b.write(f)
	data, _ := os.ReadFile(path)
	if f == winreg.V5 && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		b.t.Fatal("the export has no UTF-16LE byte order mark")
	}
	back := winreg.New(winreg.Limits{})
	if err := back.LoadFile(path); err != nil {
		b.t.Fatal(err)
	}
	r, err := client.Inspect(back, o)
	if err != nil {
		b.t.Fatal(err)
	}
	return r
}

func codes(r *client.Report) string {
	var cs []string
	for _, f := range r.Findings {
		cs = append(cs, f.Code+"/"+string(f.Severity))
	}
	return strings.Join(cs, " ")
}

func find(t *testing.T, r *client.Report, code string) finding.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if f.Code == code {
			if f.Fix == "" {
				t.Errorf("%s has no fix", code)
			}
			return f
		}
	}
	t.Fatalf("no %s finding in %q", code, codes(r))
	return finding.Finding{}
}

var alice = acct{service: "MSEMS", accountName: "alice@contoso.com", smtp: "alice@contoso.com", proxy: "mail.contoso.com", home: "EXCH01.contoso.local"}

func TestOneProfile(t *testing.T) {
	for _, f := range []winreg.Format{winreg.V5, winreg.Regedit4} {
		r := newReg(t).profile("2016", "Outlook", alice).defaultProfile("2016", "Outlook").
			inspect(client.Options{User: "sip:Alice@contoso.com"}, f)
		if got := codes(r); got != "" {
			t.Errorf("format %d: findings %q, want none", f, got)
		}
		if r.Outlook != "2016" || r.DefaultProfile != "Outlook" || len(r.Profiles) != 1 || !r.Profiles[0].Default {
			t.Fatalf("format %d: outlook %q default %q profiles %+v", f, r.Outlook, r.DefaultProfile, r.Profiles)
		}
		a := r.Profiles[0].Accounts[0]
		want := client.Account{Service: "MSEMS", Exchange: true, AccountName: "alice@contoso.com", SMTP: "alice@contoso.com", ProxyServer: "mail.contoso.com", HomeServer: "EXCH01.contoso.local"}
		want.Key = a.Key
		if a != want || !strings.HasSuffix(a.Key, `\9375CFF0413111d3B88A00104B2A6676\00000002`) {
			t.Errorf("format %d: account %+v, want %+v", f, a, want)
		}
		if r.User != "alice@contoso.com" || r.UserFrom != "--user" || r.SMTPAddress() != "alice@contoso.com" || r.MailDomain() != "contoso.com" || r.OfflineEWSHost() != "mail.contoso.com" {
			t.Errorf("format %d: user %q from %q, smtp %q, mail domain %q, EWS host %q", f, r.User, r.UserFrom, r.SMTPAddress(), r.MailDomain(), r.OfflineEWSHost())
		}
	}
}

func TestSeveralProfilesDefaultOnPST(t *testing.T) {
	pst := acct{accountName: "Outlook Data File"}
	r := newReg(t).
		profile("2016", "Archive", pst).
		profile("2016", "Work", alice).
		defaultProfile("2016", "Archive").
		lync("16.0", "sip:alice@contoso.com").
		inspect(client.Options{}, winreg.V5)
	if got := codes(r); got != "several-profiles/info default-profile-not-exchange/error" {
		t.Fatalf("findings %q", got)
	}
	if r.UserFrom != "ServerSipUri" || r.User != "alice@contoso.com" {
		t.Errorf("user %q from %q, want ServerSipUri's", r.User, r.UserFrom)
	}
	sev := find(t, r, finding.CodeSeveralProfiles)
	if !strings.Contains(sev.Message, `2 profiles: "Archive" (default), "Work"`) || !strings.Contains(sev.Fix, "Control Panel > Mail > Show Profiles") {
		t.Errorf("several-profiles: %q / %q", sev.Message, sev.Fix)
	}
	f := find(t, r, finding.CodeDefaultNotExchange)
	if !strings.Contains(f.Message, `profile "Archive" has no Exchange account (only Outlook Data File)`) {
		t.Errorf("message %q", f.Message)
	}
	if !strings.Contains(f.Fix, `"Always use this profile"`) || !strings.Contains(f.Fix, `profiles with that mailbox: "Work" (alice@contoso.com)`) {
		t.Errorf("fix %q", f.Fix)
	}
}

func TestDefaultOnAnotherMailbox(t *testing.T) {
	shared := acct{service: "MSEMS", serviceSZ: true, accountName: "Helpdesk", smtp: "helpdesk@contoso.com"}
	r := newReg(t).profile("2016", "Alice", alice).profile("2016", "Helpdesk", shared).defaultProfile("2016", "helpdesk").
		inspect(client.Options{User: "alice@contoso.com"}, winreg.V5)
	if got := codes(r); got != "several-profiles/info default-profile-other-mailbox/error" {
		t.Fatalf("findings %q", got)
	}
	f := find(t, r, finding.CodeDefaultOtherMailbox)
	if !strings.Contains(f.Message, `profile "Helpdesk" opens the mailbox helpdesk@contoso.com, not the user's alice@contoso.com (from --user)`) {
		t.Errorf("message %q", f.Message)
	}
	if !strings.Contains(f.Fix, `profiles with that mailbox: "Alice" (alice@contoso.com)`) || !strings.Contains(f.Fix, "Show Profiles") {
		t.Errorf("fix %q", f.Fix)
	}
}

func TestNoDefaultProfile(t *testing.T) {
	r := newReg(t).profile("2016", "A", alice).profile("2016", "B", alice).inspect(client.Options{}, winreg.V5)
	f := find(t, r, finding.CodeNoDefaultProfile)
	if f.Severity != finding.SevError || !strings.Contains(f.Message, `DefaultProfile on HKCU\Software\Microsoft\Office\16.0\Outlook is not set`) {
		t.Errorf("%+v", f)
	}
	r = newReg(t).profile("2016", "A", alice).defaultProfile("2016", "Gone").inspect(client.Options{}, winreg.V5)
	f = find(t, r, finding.CodeNoDefaultProfile)
	if !strings.Contains(f.Message, `names "Gone", which does not exist`) {
		t.Errorf("%+v", f)
	}
	// No profile at all: nothing to say about profiles.
	if r := newReg(t).lync("16.0", "sip:a@b.c").inspect(client.Options{}, winreg.V5); codes(r) != "" || r.Outlook != "" {
		t.Errorf("no profiles: %q, outlook %q", codes(r), r.Outlook)
	}
}

func TestOutlook2010And2016Layouts(t *testing.T) {
	r := newReg(t).profile("2010", "Old", alice).defaultProfile("2010", "Old").inspect(client.Options{User: "alice@contoso.com"}, winreg.V5)
	if r.Outlook != "2010" || r.DefaultProfile != "Old" || codes(r) != "" || !strings.Contains(r.Profiles[0].Key, `Windows Messaging Subsystem\Profiles\Old`) {
		t.Errorf("2010: outlook %q default %q findings %q key %s", r.Outlook, r.DefaultProfile, codes(r), r.Profiles[0].Key)
	}
	// Both: Outlook 2016 is in use; the 2010 profiles stay listed.
	r = newReg(t).profile("2010", "Old", acct{accountName: "pst"}).defaultProfile("2010", "Old").
		profile("2016", "New", alice).defaultProfile("2016", "New").
		inspect(client.Options{User: "alice@contoso.com"}, winreg.V5)
	if r.Outlook != "2016" || r.DefaultProfile != "New" || codes(r) != "" || len(r.Profiles) != 2 {
		t.Errorf("2010+2016: outlook %q default %q findings %q profiles %d", r.Outlook, r.DefaultProfile, codes(r), len(r.Profiles))
	}
	r = newReg(t).profile("2013", "P", alice).defaultProfile("2013", "P").inspect(client.Options{}, winreg.V5)
	if r.Outlook != "2013" || r.DefaultProfile != "P" {
		t.Errorf("2013: %q %q", r.Outlook, r.DefaultProfile)
	}
}

func TestSMTPSIPDomainDiffer(t *testing.T) {
	r := newReg(t).profile("2016", "Outlook", alice).defaultProfile("2016", "Outlook").
		inspect(client.Options{User: "alice@contoso-sip.com"}, winreg.V5)
	f := find(t, r, finding.CodeSMTPSIPDiffer)
	if codes(r) != "smtp-sip-domain-differ/warning" || !strings.Contains(f.Message, "Lync looks up Autodiscover for contoso.com, not contoso-sip.com") || !strings.Contains(f.Fix, "TrustModelData") {
		t.Errorf("%q: %+v", codes(r), f)
	}
}

func TestTrustModelData(t *testing.T) {
	const hklm16 = `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Office\16.0\Lync`
	base := func() *reg {
		return newReg(t).profile("2016", "Outlook", alice).defaultProfile("2016", "Outlook")
	}
	// The EWS host's domain is listed: nothing to do.
	r := base().lync("16.0", "sip:alice@fabrikam.com").sz(hklm16, "TrustModelData", "fabrikam.net, contoso.com").inspect(client.Options{}, winreg.V5)
	r.CheckTrustModel("mail.contoso.com", false)
	if strings.Contains(codes(r), "trust-model-data") {
		t.Errorf("covered: %q", codes(r))
	}
	if len(r.Policies.TrustModelData) != 1 || strings.Join(r.Policies.TrustModelData[0].Domains, "|") != "fabrikam.net|contoso.com" {
		t.Errorf("policies %+v", r.Policies.TrustModelData)
	}
	// Set, but without it: append, on the same key.
	r = base().lync("16.0", "sip:alice@fabrikam.com").sz(hklm16, "TrustModelData", "fabrikam.net").inspect(client.Options{}, winreg.V5)
	r.CheckTrustModel("mail.contoso.com", false)
	f := find(t, r, finding.CodeTrustModelData)
	if !strings.Contains(f.Message, `Exchange (mail.contoso.com) is outside the SIP domain fabrikam.com and TrustModelData is "fabrikam.net" on `+hklm16+`, which does not cover it`) {
		t.Errorf("message %q", f.Message)
	}
	if !strings.Contains(f.Fix, `set TrustModelData (REG_SZ) on `+hklm16+` to "fabrikam.net,contoso.com"`) || !strings.Contains(f.Fix, "replaces Lync's built-in list") ||
		!strings.Contains(f.Fix, `reg add "HKLM\Software\Policies\Microsoft\Office\16.0\Lync" /v TrustModelData /t REG_SZ /d "fabrikam.net,contoso.com" /f`) {
		t.Errorf("fix %q", f.Fix)
	}
	// Not set: the key of the installed version (Lync 2013, Lync 2010).
	for _, tc := range []struct{ version, key string }{
		{"15.0", `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Office\15.0\Lync`},
		{"2010", `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Communicator`},
	} {
		r = base().lync(tc.version, "sip:alice@fabrikam.com").
			sz(hklm16, "TrustModelData", "contoso.com"). // another version's key does not count
			inspect(client.Options{}, winreg.V5)
		r.CheckTrustModel("mail.contoso.com", false)
		f = find(t, r, finding.CodeTrustModelData)
		if !strings.Contains(f.Fix, "on "+tc.key+` to "contoso.com"`) || !strings.Contains(f.Message, "no TrustModelData is set") {
			t.Errorf("Lync %s: %q / %q", tc.version, f.Message, f.Fix)
		}
	}
	// HKCU policy counts too; a host in the SIP domain needs nothing.
	r = base().lync("16.0", "sip:alice@fabrikam.com").sz(`HKEY_CURRENT_USER\Software\Policies\Microsoft\Office\16.0\Lync`, "TrustModelData", "*.contoso.com").inspect(client.Options{}, winreg.V5)
	r.CheckTrustModel("mail.contoso.com", false)
	r.CheckTrustModel("mail.fabrikam.com", false)
	if strings.Contains(codes(r), "trust-model-data") {
		t.Errorf("HKCU policy / same domain: %q", codes(r))
	}
	// Offline, with only the SMTP domain known: that domain is added.
	r = base().lync("16.0", "sip:alice@fabrikam.com").inspect(client.Options{}, winreg.V5)
	r.CheckTrustModel("contoso.com", true)
	if f := find(t, r, finding.CodeTrustModelData); !strings.Contains(f.Fix, `to "contoso.com"`) {
		t.Errorf("domain only: %q", f.Fix)
	}
}

func TestUserHiveUnderHKEYUSERS(t *testing.T) {
	b := newReg(t)
	const sid = `HKEY_USERS\S-1-5-21-1004336348-1177238915-682003330-1001`
	b.sz(sid+`\Software\Microsoft\Office\16.0\Lync`, "ServerSipUri", "sip:bob@contoso.com")
	b.r.CreateKey(sid + `_Classes`)
	r := b.inspect(client.Options{}, winreg.V5)
	if r.User != "bob@contoso.com" || r.Lync == nil || !strings.HasPrefix(r.Lync.Key, sid) {
		t.Errorf("user %q lync %+v", r.User, r.Lync)
	}
}

func TestBadUser(t *testing.T) {
	for _, u := range []string{"alice", "sip:", "Alice <alice@contoso.com>", "a@b c"} {
		_, err := client.Inspect(winreg.New(winreg.Limits{}), client.Options{User: u})
		var ie *client.InputError
		if !errors.As(err, &ie) || !strings.Contains(err.Error(), "bad SIP address") {
			t.Errorf("%q: %v", u, err)
		}
	}
}

func TestLyncSettings(t *testing.T) {
	b := newReg(t).lync("15.0", "sip:alice@contoso.com")
	k := `HKEY_CURRENT_USER\Software\Microsoft\Office\15.0\Lync`
	b.dword(k, "ConfigurationMode", 1).sz(k, "ServerAddressInternal", "pool.contoso.com").sz(k, "ServerAddressExternal", "sip.contoso.com:443")
	r := b.inspect(client.Options{}, winreg.V5)
	if r.Lync.Version != "15.0" || r.Lync.Product != "Lync 2013" || r.Lync.ServerUsername != `CONTOSO\alice` || *r.Lync.ConfigurationMode != 1 {
		t.Errorf("lync %+v", r.Lync)
	}
	if got := strings.Join(r.LyncServers(), " "); got != "pool.contoso.com:5061 sip.contoso.com:443" {
		t.Errorf("servers %q", got)
	}
}

// blob is a certificate as Windows keeps it in a registry store: a
// property (here its SHA-1, 3) before the certificate element.
func blob(c *x509.Certificate) []byte {
	el := func(id uint32, v []byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, id)
		b = binary.LittleEndian.AppendUint32(b, 1)
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		return append(b, v...)
	}
	sum := certutil.Thumbprint(c)
	raw, _ := hex.DecodeString(sum)
	return append(el(3, raw), el(0x20, c.Raw)...)
}

func (b *reg) cert(storeKey string, c *x509.Certificate) *reg {
	return b.set(storeKey+`\Certificates\`+certutil.Thumbprint(c), "Blob", winreg.Binary, blob(c))
}

func TestStoreFromRegistryAndPolicies(t *testing.T) {
	lm, gp, ent, user, auth, restricted, inter, bad := testca.Root("LM Root"), testca.Root("GP Root"), testca.Root("Enterprise Root"),
		testca.Root("User Root"), testca.Root("Program Root"), testca.Root("Restricted Program Root"), testca.Intermediate("Some CA", testca.Root("X")), testca.Root("Bad")
	mk := func() *reg {
		b := newReg(t).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\ROOT`, lm.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\SystemCertificates\Root`, gp.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\EnterpriseCertificates\Root`, ent.Cert).
			cert(`HKEY_CURRENT_USER\Software\Microsoft\SystemCertificates\Root`, user.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot`, auth.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot`, restricted.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\CA`, inter.Cert).
			cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\Disallowed`, bad.Cert)
		// A Blob under the wrong thumbprint: Windows ignores it.
		b.set(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\ROOT\Certificates\0000000000000000000000000000000000000000`, "Blob", winreg.Binary, blob(lm.Cert))
		der, err := winfmt.EncodeCTL(&winfmt.CTL{ThisUpdate: testca.Epoch, Entries: []winfmt.CTLEntry{
			{ID: certutil.Thumbprint(auth.Cert)},
			{ID: certutil.Thumbprint(restricted.Cert), DisabledAt: testca.Epoch.AddDate(0, -1, 0)},
		}})
		if err != nil {
			t.Fatal(err)
		}
		return b.set(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`, "EncodedCtl", winreg.Binary, der)
	}
	names := func(r *client.Report) string {
		var out []string
		for _, c := range r.Trust().Roots {
			out = append(out, c.Cert.Subject.CommonName)
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}

	r := mk().inspect(client.Options{}, winreg.V5)
	if got := names(r); got != "Enterprise Root,GP Root,LM Root,Program Root,Restricted Program Root,User Root" {
		t.Errorf("roots %s", got)
	}
	s := r.Store
	if s.Roots != 6 || s.Intermediates != 1 || s.Disallowed != 1 || len(s.Excluded) != 0 || s.CTL == nil || s.CTL.Entries != 2 {
		t.Errorf("store %+v", s)
	}
	if len(s.Warnings) != 1 || !strings.Contains(s.Warnings[0], `ROOT\Certificates\0000000000000000000000000000000000000000: the key names thumbprint`) {
		t.Errorf("warnings %q", s.Warnings)
	}
	if !r.Policies.UserRoots || !r.Policies.ProgramRoots || !r.Policies.RootAutoUpdate {
		t.Errorf("policies %+v", r.Policies)
	}
	rule := r.Trust().RootRule()
	leaf := &x509.Certificate{NotBefore: testca.Epoch}
	if rule == nil || rule(restricted.Cert, leaf, testca.Epoch) == "" || rule(auth.Cert, leaf, testca.Epoch) != "" || rule(lm.Cert, leaf, testca.Epoch) != "" {
		t.Error("the client's CTL (EncodedCtl) does not restrict its downloaded roots as it says")
	}

	// ProtectedRoots 0x1 drops the user's roots; 0x8 Microsoft's program.
	r = mk().dword(`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\SystemCertificates\Root\ProtectedRoots`, "Flags", 0x9).inspect(client.Options{}, winreg.V5)
	if got := names(r); got != "Enterprise Root,GP Root,LM Root" {
		t.Errorf("with Flags 0x9: roots %s", got)
	}
	if len(r.Store.Excluded) != 2 || !strings.Contains(r.Store.Excluded[0].Why, "user roots are not trusted") || !strings.Contains(r.Store.Excluded[1].Why, "Microsoft's root program") {
		t.Errorf("excluded %+v", r.Store.Excluded)
	}
	if *r.Policies.ProtectedRootsFlags != 9 || r.Policies.UserRoots || r.Policies.ProgramRoots || r.Policies.RootAutoUpdate {
		t.Errorf("policies %+v", r.Policies)
	}

	// DisableRootAutoUpdate: authroot: sources (roots not yet downloaded)
	// do not count; the downloaded ones still do.
	dir := t.TempDir()
	extra := testca.Root("Not Yet Downloaded")
	der, _ := winfmt.EncodeCTL(&winfmt.CTL{ThisUpdate: testca.Epoch, Entries: []winfmt.CTLEntry{{ID: certutil.Thumbprint(extra.Cert)}}})
	stl := filepath.Join(dir, "authroot.stl")
	os.WriteFile(stl, der, 0o644)
	certs := filepath.Join(dir, "roots.pem")
	os.WriteFile(certs, testca.PEM(extra.Cert), 0o644)
	src := "authroot:" + stl + "+" + certs
	r = mk().inspect(client.Options{Roots: []string{src}}, winreg.V5)
	if !strings.Contains(names(r), "Not Yet Downloaded") || r.Store.Roots != 7 {
		t.Errorf("auto update on: roots %s", names(r))
	}
	r = mk().dword(`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\SystemCertificates\AuthRoot`, "DisableRootAutoUpdate", 1).
		inspect(client.Options{Roots: []string{src}}, winreg.V5)
	if strings.Contains(names(r), "Not Yet Downloaded") || !strings.Contains(names(r), "Program Root") || len(r.Store.Excluded) != 1 || !strings.Contains(r.Store.Excluded[0].Why, "DisableRootAutoUpdate is 1") {
		t.Errorf("auto update off: roots %s, excluded %+v", names(r), r.Store.Excluded)
	}

	// A --roots source whose roots the registry already gave is no error.
	dup := filepath.Join(dir, "dup.pem")
	os.WriteFile(dup, testca.PEM(lm.Cert), 0o644)
	if r := mk().inspect(client.Options{Roots: []string{dup}}, winreg.V5); r.Store.Roots != 6 {
		t.Errorf("duplicate --roots: %d roots", r.Store.Roots)
	}

	// A --roots source that cannot be read is an input error naming it.
	_, err := client.Inspect(winreg.New(winreg.Limits{}), client.Options{Roots: []string{filepath.Join(dir, "none.sst")}})
	var ie *client.InputError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "none.sst") {
		t.Errorf("bad --roots: %v", err)
	}
}

// TestNoRootsWarning: an export without certificate stores (or stores
// without a root) leaves the client's trust empty; with no Lync assumption
// in a client check that makes every chain untrusted, so the store says so
// in a warning naming what to export.
func TestNoRootsWarning(t *testing.T) {
	base := func() *reg { return newReg(t).lync("16.0", "sip:alice@contoso.test") }
	r := base().inspect(client.Options{}, winreg.V5)
	if !strings.HasPrefix(r.Store.NoRoots, "no certificate store was exported and --roots gave none") ||
		!strings.Contains(r.Store.NoRoots, "every chain is judged untrusted") || !strings.Contains(r.Store.NoRoots, `certs-machine.reg`) ||
		len(r.Store.Warnings) != 1 || r.Store.Warnings[0] != r.Store.NoRoots {
		t.Errorf("no store: NoRoots %q, warnings %q", r.Store.NoRoots, r.Store.Warnings)
	}
	// A CA store but no root: exported, yet empty of roots.
	r = base().cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\CA`, testca.Intermediate("Some CA", testca.Root("X")).Cert).inspect(client.Options{}, winreg.V5)
	if !strings.HasPrefix(r.Store.NoRoots, "the client's certificate stores hold no root") {
		t.Errorf("stores without a root: %q", r.Store.NoRoots)
	}
	// A root: no warning.
	r = base().cert(`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\ROOT`, testca.Root("LM Root").Cert).inspect(client.Options{}, winreg.V5)
	if r.Store.NoRoots != "" || len(r.Store.Warnings) != 0 {
		t.Errorf("with a root: NoRoots %q, warnings %q", r.Store.NoRoots, r.Store.Warnings)
	}
}

package client

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/winreg"
)

// Profile is one Outlook (MAPI) profile.
type Profile struct {
	Name string `json:"name"`
	// Outlook is the version whose key holds it: "2016", "2013" or "2010".
	Outlook  string    `json:"outlook"`
	Key      string    `json:"key"`
	Default  bool      `json:"default"`
	Accounts []Account `json:"accounts"`
}

// Account is one account of a profile (a subkey of the profile's
// 9375CFF0413111d3B88A00104B2A6676 key).
type Account struct {
	Key string `json:"key"`
	// Service is the MAPI service name ("MSEMS" for Exchange), when known.
	Service  string `json:"service,omitempty"`
	Exchange bool   `json:"exchange"`
	// AccountName is the account's display name, usually the SMTP address.
	AccountName string `json:"account_name,omitempty"`
	// SMTP is PR_PROFILE_USER_SMTP_EMAIL_ADDRESS (0x6641) of the account's
	// service section, else AccountName when it is an address.
	SMTP string `json:"smtp,omitempty"`
	// ProxyServer is the RPC/HTTP (Outlook Anywhere) proxy, 0x6622.
	ProxyServer string `json:"proxy_server,omitempty"`
	// HomeServer is the Exchange home server, 0x6602.
	HomeServer string `json:"home_server,omitempty"`
}

// outlookVersions are where each Outlook version keeps its profiles and its
// DefaultProfile value, newest first (relative to the user's hive).
var outlookVersions = []struct{ outlook, profiles, defaultKey string }{
	{"2016", `Software\Microsoft\Office\16.0\Outlook\Profiles`, `Software\Microsoft\Office\16.0\Outlook`},
	{"2013", `Software\Microsoft\Office\15.0\Outlook\Profiles`, `Software\Microsoft\Office\15.0\Outlook`},
	{"2010", `Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles`, `Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles`},
}

// accountsKey holds a profile's accounts (IID_IOlkAccountManager's key).
const accountsKey = "9375CFF0413111d3B88A00104B2A6676"

// exchangeCLSID is the account class of Exchange accounts.
const exchangeCLSID = "{ED475418-B0D6-11D2-8C3B-00104B2A6676}"

// MAPI properties of a service's profile section: the value name is the
// property type (001f Unicode, 001e ANSI) then the property ID.
const (
	propSMTP        = "6641" // PR_PROFILE_USER_SMTP_EMAIL_ADDRESS
	propProxyServer = "6622" // PR_PROFILE_RPC_PROXY_SERVER
	propHomeServer  = "6602" // PR_PROFILE_HOME_SERVER
	propServiceName = "3d09" // PR_SERVICE_NAME
)

// maxProfiles and maxAccounts bound what is read from one hive.
const (
	maxProfiles = 256
	maxAccounts = 64
)

// mapiString reads a MAPI string property of a profile section: the
// Unicode (001f) value, else the ANSI (001e) one.
func mapiString(k *winreg.Key, prop string) string {
	if v := k.Value("001f" + prop); v != nil {
		return strings.TrimSpace(winreg.UTF16(v.Data))
	}
	if v := k.Value("001e" + prop); v != nil {
		return strings.TrimSpace(winreg.ANSI(v.Data))
	}
	return ""
}

func (r *Report) readProfiles(reg *winreg.Registry, user string) {
	for _, ov := range outlookVersions {
		pk := reg.Key(user + `\` + ov.profiles)
		if pk == nil {
			continue
		}
		def := str(reg.Key(user+`\`+ov.defaultKey), "DefaultProfile")
		subs := pk.Subkeys()
		if len(subs) > maxProfiles {
			subs = subs[:maxProfiles]
		}
		n := 0
		for _, p := range subs {
			prof := Profile{Name: p.Name(), Outlook: ov.outlook, Key: p.Path(), Accounts: []Account{}}
			prof.Default = def != "" && strings.EqualFold(def, p.Name())
			accts := p.Subkey(accountsKey).Subkeys()
			if len(accts) > maxAccounts {
				accts = accts[:maxAccounts]
			}
			for _, a := range accts {
				prof.Accounts = append(prof.Accounts, readAccount(p, a))
			}
			r.Profiles = append(r.Profiles, prof)
			n++
		}
		if n > 0 && r.Outlook == "" {
			r.Outlook = ov.outlook
			r.DefaultProfile = def
		}
	}
}

func readAccount(profile, a *winreg.Key) Account {
	acct := Account{Key: a.Path(), Service: str(a, "Service Name"), AccountName: str(a, "Account Name")}
	var section *winreg.Key
	if v := a.Value("Service UID"); v != nil && v.Type == winreg.Binary && len(v.Data) == 16 {
		section = profile.Subkey(hex.EncodeToString(v.Data))
	}
	if acct.Service == "" && section != nil {
		acct.Service = mapiString(section, propServiceName)
	}
	acct.Exchange = strings.EqualFold(acct.Service, "MSEMS") || strings.EqualFold(str(a, "clsid"), exchangeCLSID)
	if section != nil {
		acct.SMTP = mapiString(section, propSMTP)
		acct.ProxyServer = mapiString(section, propProxyServer)
		acct.HomeServer = mapiString(section, propHomeServer)
	}
	if acct.SMTP == "" && strings.Contains(acct.AccountName, "@") {
		acct.SMTP = acct.AccountName
	}
	acct.SMTP = strings.ToLower(acct.SMTP)
	return acct
}

// active returns the profiles of the Outlook version in use.
func (r *Report) active() []Profile {
	var out []Profile
	for _, p := range r.Profiles {
		if p.Outlook == r.Outlook {
			out = append(out, p)
		}
	}
	return out
}

func (r *Report) defaultProfile() *Profile {
	for i, p := range r.Profiles {
		if p.Outlook == r.Outlook && p.Default {
			return &r.Profiles[i]
		}
	}
	return nil
}

// defaultExchange is the default profile's first Exchange account, the one
// Lync uses; when the user is known, the one with the user's address wins.
func (r *Report) defaultExchange() *Account {
	p := r.defaultProfile()
	if p == nil {
		return nil
	}
	var first *Account
	for i, a := range p.Accounts {
		if !a.Exchange {
			continue
		}
		if first == nil {
			first = &p.Accounts[i]
		}
		if r.User != "" && a.SMTP == r.User {
			return &p.Accounts[i]
		}
	}
	return first
}

func outlookKey(outlook string) string {
	for _, ov := range outlookVersions {
		if ov.outlook == outlook {
			return ov.defaultKey
		}
	}
	return ""
}

// howToChange is the part of every profile fix that says how to change the
// default profile.
const howToChange = `change the default in Control Panel > Mail > Show Profiles: select the profile of the user's Exchange mailbox under "Always use this profile" (Lync uses the default Outlook profile for EWS; restart Lync afterwards)`

func names(ps []Profile) string {
	var out []string
	for _, p := range ps {
		n := fmt.Sprintf("%q", clip(p.Name))
		if p.Default {
			n += " (default)"
		}
		out = append(out, n)
	}
	return strings.Join(out, ", ")
}

// exchangeProfiles describes the profiles with an Exchange account, for
// fixes: which one to choose.
func exchangeProfiles(ps []Profile, want string) string {
	var out []string
	for _, p := range ps {
		for _, a := range p.Accounts {
			if a.Exchange && (want == "" || a.SMTP == want) {
				out = append(out, fmt.Sprintf("%q (%s)", clip(p.Name), clip(a.SMTP)))
				break
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "; profiles with that mailbox: " + strings.Join(out, ", ")
}

func (r *Report) judgeProfiles() {
	ps := r.active()
	if len(ps) == 0 {
		return
	}
	key := `HKCU\` + outlookKey(r.Outlook)
	if len(ps) > 1 {
		r.add(finding.CodeSeveralProfiles, finding.SevInfo,
			"make sure the default is the profile of the user's Exchange mailbox, or "+howToChange,
			"Outlook %s has %d profiles: %s; Lync uses only the default one for EWS", r.Outlook, len(ps), names(ps))
	}
	def := r.defaultProfile()
	if def == nil {
		why := fmt.Sprintf("DefaultProfile on %s is not set", key)
		if r.DefaultProfile != "" {
			why = fmt.Sprintf("DefaultProfile on %s names %q, which does not exist", key, clip(r.DefaultProfile))
		}
		r.add(finding.CodeNoDefaultProfile, finding.SevError,
			howToChange+exchangeProfiles(ps, r.User),
			"Outlook %s has profiles (%s) but no default profile: %s, so Lync finds no mailbox for EWS", r.Outlook, names(ps), why)
		return
	}
	ex := r.defaultExchange()
	if ex == nil {
		var kinds []string
		for _, a := range def.Accounts {
			kinds = append(kinds, clip(firstNonEmpty(a.AccountName, a.Service, "an account")))
		}
		what := "no account at all"
		if len(kinds) > 0 {
			what = "only " + strings.Join(kinds, ", ")
		}
		r.add(finding.CodeDefaultNotExchange, finding.SevError,
			howToChange+exchangeProfiles(ps, r.User),
			"the default Outlook %s profile %q has no Exchange account (%s): Lync gets no EWS from it", r.Outlook, clip(def.Name), what)
		return
	}
	if r.User == "" || ex.SMTP == "" || ex.SMTP == r.User {
		r.judgeDomains(ex)
		return
	}
	if local(ex.SMTP) == local(r.User) {
		// The same mailbox under another domain: the domain finding says it.
		r.judgeDomains(ex)
		return
	}
	r.add(finding.CodeDefaultOtherMailbox, finding.SevError,
		howToChange+exchangeProfiles(ps, r.User),
		"the default Outlook %s profile %q opens the mailbox %s, not the user's %s (from %s): Lync uses that mailbox's EWS, or none", r.Outlook, clip(def.Name), clip(ex.SMTP), r.User, r.UserFrom)
}

func (r *Report) judgeDomains(ex *Account) {
	smtp, sip := clip(Domain(ex.SMTP)), r.SIPDomain()
	if smtp == "" || sip == "" || smtp == sip {
		return
	}
	r.add(finding.CodeSMTPSIPDiffer, finding.SevWarning,
		fmt.Sprintf("make sure Autodiscover answers for %s (trustgap discover %s) and that clients trust the Exchange host outside %s (TrustModelData, finding trust-model-data); if the default profile is not the user's own mailbox, %s", smtp, smtp, sip, howToChange),
		"the mailbox %s (SMTP domain %s) and the sign-in address %s (SIP domain %s) differ in domain: Lync looks up Autodiscover for %s, not %s", clip(ex.SMTP), smtp, r.User, sip, smtp, sip)
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Package client diagnoses the client side of "EWS not deployed": what a
// user's machine says in its registry. It reads one registry model
// (internal/winreg: exported .reg files, or the live registry on Windows)
// and finds
//
//   - the Outlook (MAPI) profiles of every Outlook version and the default
//     one, which Lync always uses for EWS, with their Exchange accounts;
//   - Lync's settings (ServerSipUri, ServerUsername, manual server
//     addresses) and the TrustModelData policy;
//   - what the client trusts: its Root, CA and Disallowed stores (local,
//     Group Policy, Enterprise, CurrentUser, and Microsoft's root program),
//     as the ProtectedRoots and DisableRootAutoUpdate policies shape them;
//
// and reports the profile and policy findings. Microsoft documents that
// the profile registry layout is not an interface: this is best effort,
// read-only.
//
// The network part of a client check (discover, scan) is wired by cmd; this
// package judges what they found against the client ([Report.CheckTrustModel],
// [CompareOS]). On Windows, [OSVerify] puts a chain to the operating
// system's own chain engine, so that trustgap's rules are checked against
// Windows on every real run.
//
// It must not import report, network, scanner, remediate or cmd.
package client

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/winreg"
	"github.com/trustgap/trustgap/rootstore"
)

// Report is what a client check found in the registry: the "profiles",
// "lync", "policies" and "store" of the client report, and its findings
// (the profile and policy ones first; trust-model-data and os-disagrees are
// added once the network part has run).
type Report struct {
	// User is the SIP address checked (without "sip:"); empty when neither
	// --user nor ServerSipUri gave one.
	User string `json:"user"`
	// UserFrom says where User came from: "--user" or "ServerSipUri".
	UserFrom string `json:"user_from,omitempty"`
	// Outlook is the Outlook version whose profiles are in use (the newest
	// with a profile): "2016" (16.0: also 2019, 2021, Microsoft 365),
	// "2013" (15.0) or "2010" (2010 and earlier); empty with no profile.
	Outlook string `json:"outlook"`
	// Profiles lists every profile of every Outlook version.
	Profiles []Profile `json:"profiles"`
	// DefaultProfile names the default profile of Outlook; empty when none
	// is set.
	DefaultProfile string            `json:"default_profile"`
	Lync           *Lync             `json:"lync"`
	Policies       Policies          `json:"policies"`
	Store          Store             `json:"store"`
	Findings       []finding.Finding `json:"findings"`

	trust *rootstore.Store
}

// Options shape a client check.
type Options struct {
	// User is the user's SIP address (a "sip:" prefix is allowed); empty
	// means ServerSipUri from Lync's settings.
	User string
	// Roots are further root store sources (rootstore syntax) that the
	// client trusts: its exported SST, the GPO's Registry.pol, authroot:.
	Roots []string
	// Now is the instant certificates are judged at; zero means time.Now().
	Now time.Time
}

// InputError is a bad option or input: exit 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return "client: " + e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Inspect reads the client's profiles, Lync settings, policies and stores
// from reg and judges the profiles. The trust store it builds is
// [Report.Trust]. A bad --user or unreadable --roots source is an
// [InputError].
func Inspect(reg *winreg.Registry, o Options) (*Report, error) {
	r := &Report{Profiles: []Profile{}, Findings: []finding.Finding{}}
	u := userRoot(reg)
	r.readProfiles(reg, u)
	r.readLync(reg, u)
	r.readPolicies(reg, u)
	if o.User != "" {
		addr, err := ParseSIP(o.User)
		if err != nil {
			return nil, &InputError{Err: err}
		}
		r.User, r.UserFrom = addr, "--user"
	} else if r.Lync != nil && r.Lync.ServerSipUri != "" {
		if addr, err := ParseSIP(r.Lync.ServerSipUri); err == nil {
			r.User, r.UserFrom = addr, "ServerSipUri"
		}
	}
	if err := r.buildStore(reg, u, o.Roots); err != nil {
		return nil, err
	}
	r.judgeProfiles()
	return r, nil
}

// Trust returns the store the client trusts, for judging chains.
func (r *Report) Trust() *rootstore.Store { return r.trust }

// Failed reports whether any finding has error severity.
func (r *Report) Failed() bool { return finding.HasError(r.Findings) }

func (r *Report) add(code string, sev finding.Severity, fix, format string, args ...any) {
	r.Findings = append(r.Findings, finding.New(code, sev, fix, format, args...))
}

// ParseSIP returns the address of a SIP URI or address ("sip:" prefix
// allowed), lower-cased.
func ParseSIP(s string) (string, error) {
	a := strings.TrimSpace(s)
	if len(a) > 4 && strings.EqualFold(a[:4], "sip:") {
		a = a[4:]
	}
	p, err := mail.ParseAddress(a)
	if err != nil || p.Address != a || p.Name != "" || strings.ContainsAny(a, "<> \"") {
		return "", fmt.Errorf("bad SIP address %q: want user@domain, optionally with sip: before it", clip(s))
	}
	return strings.ToLower(a), nil
}

// Domain returns the domain of an address, lower-cased.
func Domain(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[i+1:])
	}
	return ""
}

func local(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.ToLower(addr[:i])
	}
	return strings.ToLower(addr)
}

// SIPDomain is the domain of the user's SIP address; empty when unknown.
func (r *Report) SIPDomain() string { return Domain(r.User) }

// SMTPAddress returns the SMTP address of the default profile's first
// Exchange account that names one, or "".
func (r *Report) SMTPAddress() string {
	if a := r.defaultExchange(); a != nil {
		return a.SMTP
	}
	return ""
}

// MailDomain is the domain Autodiscover is asked about: the default
// profile's SMTP domain, else the SIP domain (for most users they are the
// same). A domain that is not a DNS name is not used.
func (r *Report) MailDomain() string {
	if d := Domain(r.SMTPAddress()); validHost(d) {
		return d
	}
	if d := r.SIPDomain(); validHost(d) {
		return d
	}
	return ""
}

// OfflineEWSHost is the Exchange host to judge TrustModelData against when
// no discovery ran: the default profile's RPC/HTTP proxy (Outlook Anywhere)
// host, else the mail domain.
func (r *Report) OfflineEWSHost() string {
	if a := r.defaultExchange(); a != nil && validHost(strings.ToLower(a.ProxyServer)) {
		return strings.ToLower(a.ProxyServer)
	}
	return r.MailDomain()
}

// hostRE is a DNS name of at least two labels (lower case).
var hostRE = regexp.MustCompile(`^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)+$`)

// validHost reports whether s, from the registry, is a DNS name trustgap
// may look up and print.
func validHost(s string) bool { return len(s) <= 253 && hostRE.MatchString(s) }

// userRoot is the root of the user's hive in reg: HKEY_CURRENT_USER, or,
// when an administrator exported HKEY_USERS\<SID> instead and only one
// user's SID is there, that key.
func userRoot(reg *winreg.Registry) string {
	if reg.Key("HKEY_CURRENT_USER") != nil {
		return "HKEY_CURRENT_USER"
	}
	var sids []string
	for _, k := range reg.Key("HKEY_USERS").Subkeys() {
		n := k.Name()
		if strings.HasPrefix(strings.ToUpper(n), "S-1-5-21-") && !strings.HasSuffix(strings.ToLower(n), "_classes") {
			sids = append(sids, n)
		}
	}
	if len(sids) == 1 {
		return `HKEY_USERS\` + sids[0]
	}
	return "HKEY_CURRENT_USER"
}

// str reads a string value (REG_SZ, REG_EXPAND_SZ, or UTF-16LE REG_BINARY
// as MAPI writes); "" when absent.
func str(k *winreg.Key, name string) string {
	v := k.Value(name)
	if v == nil {
		return ""
	}
	if s, err := v.String(); err == nil {
		return strings.TrimSpace(s)
	}
	if v.Type == winreg.Binary {
		return strings.TrimSpace(winreg.UTF16(v.Data))
	}
	return ""
}

// dword reads a REG_DWORD value; ok is false when absent or not a DWORD.
func dword(k *winreg.Key, name string) (n uint32, ok bool) {
	v := k.Value(name)
	if v == nil {
		return 0, false
	}
	n, err := v.Uint32()
	return n, err == nil
}

// clip shortens and escapes text from the registry for messages: it is
// attacker-chosen and may hold control characters.
func clip(s string) string {
	const n = 80
	if r := []rune(s); len(r) > n {
		s = string(r[:n]) + "..."
	}
	return esc(s)
}

// esc escapes the control characters of registry text (key paths in
// warnings) before it reaches a terminal.
func esc(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c < 0x20 || c == 0x7f || c >= 0x80 && c < 0xa0 {
			fmt.Fprintf(&b, "\\x%02x", c)
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// ExportKeys are the registry keys a client check reads: on Windows, live;
// elsewhere, from "reg export" files of the same keys (the README gives the
// commands, in this order).
var ExportKeys = []string{
	`HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Outlook`,
	`HKEY_CURRENT_USER\Software\Microsoft\Office\15.0\Outlook`,
	`HKEY_CURRENT_USER\Software\Microsoft\Windows NT\CurrentVersion\Windows Messaging Subsystem\Profiles`,
	`HKEY_CURRENT_USER\Software\Microsoft\Office\16.0\Lync`,
	`HKEY_CURRENT_USER\Software\Microsoft\Office\15.0\Lync`,
	`HKEY_CURRENT_USER\Software\Microsoft\Communicator`,
	`HKEY_CURRENT_USER\Software\Policies\Microsoft`,
	`HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft`,
	`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates`,
	`HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\EnterpriseCertificates`,
	`HKEY_CURRENT_USER\Software\Microsoft\SystemCertificates`,
}

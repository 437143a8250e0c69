package client

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/winreg"
)

// Lync is the Lync or Skype for Business client's own settings.
type Lync struct {
	// Version is the settings key's version: "16.0" (Skype for Business
	// 2015 and later), "15.0" (Lync 2013) or "2010" (Lync 2010).
	Version        string `json:"version"`
	Product        string `json:"product"`
	Key            string `json:"key"`
	ServerSipUri   string `json:"server_sip_uri,omitempty"`
	ServerUsername string `json:"server_username,omitempty"`
	// ConfigurationMode 1 is manual configuration, with the server
	// addresses below.
	ConfigurationMode     *uint32 `json:"configuration_mode,omitempty"`
	ServerAddressInternal string  `json:"server_address_internal,omitempty"`
	ServerAddressExternal string  `json:"server_address_external,omitempty"`
}

var lyncVersions = []struct{ version, product, key string }{
	{"16.0", "Skype for Business", `Software\Microsoft\Office\16.0\Lync`},
	{"15.0", "Lync 2013", `Software\Microsoft\Office\15.0\Lync`},
	{"2010", "Lync 2010", `Software\Microsoft\Communicator`},
}

func (r *Report) readLync(reg *winreg.Registry, user string) {
	for _, lv := range lyncVersions {
		k := reg.Key(user + `\` + lv.key)
		if k == nil {
			continue
		}
		l := &Lync{Version: lv.version, Product: lv.product, Key: k.Path(),
			ServerSipUri: str(k, "ServerSipUri"), ServerUsername: str(k, "ServerUsername"),
			ServerAddressInternal: str(k, "ServerAddressInternal"), ServerAddressExternal: str(k, "ServerAddressExternal")}
		if n, ok := dword(k, "ConfigurationMode"); ok {
			l.ConfigurationMode = &n
		}
		r.Lync = l
		return
	}
}

// LyncServers returns the Lync pools the client is configured with by hand
// (ServerAddressInternal, ServerAddressExternal), as "host:port" with 5061
// when no port is given.
func (r *Report) LyncServers() []string {
	if r.Lync == nil {
		return nil
	}
	var out []string
	for _, a := range []string{r.Lync.ServerAddressInternal, r.Lync.ServerAddressExternal} {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		host, port := a, "5061"
		if h, p, err := net.SplitHostPort(a); err == nil {
			host, port = h, p
		}
		if _, err := strconv.Atoi(port); err != nil || host == "" || strings.ContainsAny(host, " /\\") {
			continue
		}
		out = append(out, net.JoinHostPort(host, port))
	}
	return out
}

// TrustModelData is one place the TrustModelData policy is set: the domains
// Lync trusts for Exchange outside the SIP domain.
type TrustModelData struct {
	// Version is the Lync version the key serves ("16.0", "15.0", "2010").
	Version string   `json:"version"`
	Key     string   `json:"key"`
	Value   string   `json:"value"`
	Domains []string `json:"domains"`
}

// trustModelKeys are where TrustModelData may be set, per Lync version
// (machine policy first).
var trustModelKeys = []struct{ version, key string }{
	{"16.0", `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Office\16.0\Lync`},
	{"16.0", `HKEY_CURRENT_USER\Software\Policies\Microsoft\Office\16.0\Lync`},
	{"15.0", `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Office\15.0\Lync`},
	{"15.0", `HKEY_CURRENT_USER\Software\Policies\Microsoft\Office\15.0\Lync`},
	{"2010", `HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Communicator`},
}

// splitDomains reads a TrustModelData list: domains separated by commas
// (semicolons and spaces are tolerated), "*." and leading dots dropped.
func splitDomains(v string) []string {
	out := []string{}
	for _, d := range strings.FieldsFunc(v, func(c rune) bool { return c == ',' || c == ';' || c == ' ' || c == '\t' }) {
		d = strings.ToLower(strings.TrimLeft(strings.TrimPrefix(d, "*."), "."))
		if d != "" {
			out = append(out, d)
		}
	}
	return out
}

// InDomain reports whether host is domain or under it.
func InDomain(host, domain string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	return domain != "" && (host == domain || strings.HasSuffix(host, "."+domain))
}

// versionsFor returns the Lync versions whose policy keys apply: the
// installed one when known, else all.
func (r *Report) versionsFor() []string {
	if r.Lync != nil {
		return []string{r.Lync.Version}
	}
	return []string{"16.0", "15.0", "2010"}
}

func applies(versions []string, v string) bool {
	for _, x := range versions {
		if x == v {
			return true
		}
	}
	return false
}

// CheckTrustModel adds trust-model-data when ewsHost, the Exchange host Lync
// talks to (the one discovery found; offline, [Report.OfflineEWSHost]), is
// outside the SIP domain and no TrustModelData of the installed Lync version
// covers it. ewsIsDomain says ewsHost is the mail domain itself (no host was
// known), which is then the domain to add.
func (r *Report) CheckTrustModel(ewsHost string, ewsIsDomain bool) {
	sip := r.SIPDomain()
	ewsHost = strings.ToLower(strings.TrimSuffix(ewsHost, "."))
	if sip == "" || !validHost(ewsHost) || InDomain(ewsHost, sip) {
		return
	}
	vs := r.versionsFor()
	var set []TrustModelData
	for _, t := range r.Policies.TrustModelData {
		if !applies(vs, t.Version) {
			continue
		}
		set = append(set, t)
		for _, d := range t.Domains {
			if InDomain(ewsHost, d) {
				return
			}
		}
	}
	add := ewsHost
	if !ewsIsDomain {
		if i := strings.IndexByte(ewsHost, '.'); i > 0 && strings.Contains(ewsHost[i+1:], ".") {
			add = ewsHost[i+1:]
		}
	}
	// The key to set: the one already used (the machine's first), else the
	// machine policy key of the installed version.
	key, current := "", ""
	for _, t := range trustModelKeys {
		if t.version == vs[0] && key == "" {
			key = t.key
		}
	}
	if len(set) > 0 {
		key, current = set[0].Key, set[0].Value
	}
	value := add
	if cur := strings.Trim(strings.TrimSpace(current), ","); cur != "" {
		value = cur + "," + add
	}
	short := strings.Replace(strings.Replace(key, "HKEY_LOCAL_MACHINE", "HKLM", 1), "HKEY_CURRENT_USER", "HKCU", 1)
	now := "no TrustModelData is set"
	if len(set) > 0 {
		var parts []string
		for _, t := range set {
			parts = append(parts, fmt.Sprintf("%q on %s", clip(t.Value), t.Key))
		}
		now = "TrustModelData is " + strings.Join(parts, " and ") + ", which does not cover it"
	}
	r.add(finding.CodeTrustModelData, finding.SevWarning,
		fmt.Sprintf(`set TrustModelData (REG_SZ) on %s to "%s": the value replaces Lync's built-in list of trusted domains, so keep what is there and append %s (reg add "%s" /v TrustModelData /t REG_SZ /d "%s" /f, or the same by Group Policy), then restart Lync`, key, clip(value), add, short, clip(value)),
		"Exchange (%s) is outside the SIP domain %s and %s: Lync asks the user whether to trust it, and EWS stays unavailable if they decline", ewsHost, sip, now)
}

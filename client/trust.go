package client

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/winfmt"
	"github.com/trustgap/trustgap/internal/winreg"
	"github.com/trustgap/trustgap/rootstore"
)

// Policies are the policy values that shape what the client trusts and
// whom Lync trusts for Exchange.
type Policies struct {
	TrustModelData []TrustModelData `json:"trust_model_data"`
	// ProtectedRootsFlags is HKLM\Software\Policies\Microsoft\
	// SystemCertificates\Root\ProtectedRoots Flags; null when not set.
	ProtectedRootsFlags *uint32 `json:"protected_roots_flags"`
	// DisableRootAutoUpdate is HKLM\Software\Policies\Microsoft\
	// SystemCertificates\AuthRoot DisableRootAutoUpdate; null when not set.
	DisableRootAutoUpdate *uint32 `json:"disable_root_auto_update"`
	// UserRoots: roots the user added (CurrentUser Root) count (Flags
	// 0x1 clear).
	UserRoots bool `json:"user_roots"`
	// ProgramRoots: roots of Microsoft's root program count (Flags 0x8
	// clear).
	ProgramRoots bool `json:"program_roots"`
	// RootAutoUpdate: roots Microsoft's CTL lists count even before Windows
	// has downloaded them (ProgramRoots, and DisableRootAutoUpdate not 1).
	RootAutoUpdate bool `json:"root_auto_update"`
}

// The ProtectedRoots flags trustgap reads (wincrypt.h CERT_PROT_ROOT_*).
const (
	// FlagNoUserRoots: CERT_PROT_ROOT_DISABLE_CURRENT_USER_FLAG, the policy
	// "Allow user trusted root CAs to be used to validate certificates"
	// turned off.
	FlagNoUserRoots = 0x1
	// FlagNoProgramRoots: CERT_PROT_ROOT_DISABLE_LM_AUTH_FLAG, no roots of
	// Microsoft's root program ("Enterprise Root CAs only").
	FlagNoProgramRoots = 0x8
)

const (
	certPolicyKey     = `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\SystemCertificates`
	protectedRootsKey = certPolicyKey + `\Root\ProtectedRoots`
	authRootPolicyKey = certPolicyKey + `\AuthRoot`
	// ctlKey holds the CTL the client last downloaded (EncodedCtl).
	ctlKey = `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate`
)

func (r *Report) readPolicies(reg *winreg.Registry, user string) {
	p := &r.Policies
	p.TrustModelData = []TrustModelData{}
	for _, t := range trustModelKeys {
		key := t.key
		if rest, ok := strings.CutPrefix(key, "HKEY_CURRENT_USER"); ok {
			key = user + rest
		}
		k := reg.Key(key)
		if v := str(k, "TrustModelData"); k != nil && k.Value("TrustModelData") != nil {
			p.TrustModelData = append(p.TrustModelData, TrustModelData{Version: t.version, Key: t.key, Value: v, Domains: splitDomains(v)})
		}
	}
	if n, ok := dword(reg.Key(protectedRootsKey), "Flags"); ok {
		p.ProtectedRootsFlags = &n
	}
	if n, ok := dword(reg.Key(authRootPolicyKey), "DisableRootAutoUpdate"); ok {
		p.DisableRootAutoUpdate = &n
	}
	flags := uint32(0)
	if p.ProtectedRootsFlags != nil {
		flags = *p.ProtectedRootsFlags
	}
	p.UserRoots = flags&FlagNoUserRoots == 0
	p.ProgramRoots = flags&FlagNoProgramRoots == 0
	p.RootAutoUpdate = p.ProgramRoots && (p.DisableRootAutoUpdate == nil || *p.DisableRootAutoUpdate != 1)
}

// Store says what the client trusts and where it came from.
type Store struct {
	// Sources counts what every registry store and --roots source gave.
	Sources       []rootstore.SourceCount `json:"sources"`
	Roots         int                     `json:"roots"`
	Intermediates int                     `json:"intermediates"`
	Disallowed    int                     `json:"disallowed"`
	// Excluded lists the stores and sources the client's policies leave
	// out, and why.
	Excluded []Excluded `json:"excluded"`
	// CTL describes the root program list the client last downloaded
	// (EncodedCtl), when the registry holds it.
	CTL *CTLInfo `json:"ctl"`
	// Warnings lists what was skipped, naming where, and NoRoots.
	Warnings []string `json:"warnings"`
	// NoRoots, when the store holds no root, says so and what to export:
	// every chain is then untrusted. It is also in Warnings.
	NoRoots string `json:"-"`
}

// Excluded is a store the client's policy leaves out.
type Excluded struct {
	Source string `json:"source"`
	Why    string `json:"why"`
}

// CTLInfo describes a certificate trust list.
type CTLInfo struct {
	Source     string    `json:"source"`
	Sequence   string    `json:"sequence"`
	ThisUpdate time.Time `json:"this_update"`
	Entries    int       `json:"entries"`
}

// physical is one registry-backed certificate store of a client.
type physical struct {
	label, key, store string
	user              bool // a CurrentUser store the user can change
	program           bool // Microsoft's root program (AuthRoot)
}

// physicalStores are the registry stores whose certificates make up the
// client's logical Root, CA and Disallowed stores (user keys relative to
// the user's hive).
var physicalStores = []physical{
	{"HKLM Root", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\ROOT\Certificates`, "Root", false, false},
	{"HKLM Root (Group Policy)", certPolicyKey + `\Root\Certificates`, "Root", false, false},
	{"HKLM Root (Enterprise)", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\EnterpriseCertificates\Root\Certificates`, "Root", false, false},
	{"HKCU Root", `HKEY_CURRENT_USER\Software\Microsoft\SystemCertificates\Root\Certificates`, "Root", true, false},
	{"HKCU Root (Group Policy)", `HKEY_CURRENT_USER\Software\Policies\Microsoft\SystemCertificates\Root\Certificates`, "Root", false, false},
	{"HKLM AuthRoot (Microsoft's root program, downloaded)", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\Certificates`, "Root", false, true},
	{"HKLM CA", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\CA\Certificates`, "CA", false, false},
	{"HKLM CA (Group Policy)", certPolicyKey + `\CA\Certificates`, "CA", false, false},
	{"HKLM CA (Enterprise)", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\EnterpriseCertificates\CA\Certificates`, "CA", false, false},
	{"HKCU CA", `HKEY_CURRENT_USER\Software\Microsoft\SystemCertificates\CA\Certificates`, "CA", false, false},
	{"HKCU CA (Group Policy)", `HKEY_CURRENT_USER\Software\Policies\Microsoft\SystemCertificates\CA\Certificates`, "CA", false, false},
	{"HKLM Disallowed", `HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\SystemCertificates\Disallowed\Certificates`, "Disallowed", false, false},
	{"HKLM Disallowed (Group Policy)", certPolicyKey + `\Disallowed\Certificates`, "Disallowed", false, false},
	{"HKCU Disallowed", `HKEY_CURRENT_USER\Software\Microsoft\SystemCertificates\Disallowed\Certificates`, "Disallowed", false, false},
	{"HKCU Disallowed (Group Policy)", `HKEY_CURRENT_USER\Software\Policies\Microsoft\SystemCertificates\Disallowed\Certificates`, "Disallowed", false, false},
}

// maxStoreCerts bounds the certificates read from one registry store.
const maxStoreCerts = 10000

// readStore reads the certificates of a registry store: one subkey per
// certificate, named by its SHA-1, whose Blob value is the serialized
// certificate (properties, then the certificate).
func readStore(k *winreg.Key, store string, warn func(string)) []rootstore.Cert {
	var out []rootstore.Cert
	for i, sub := range k.Subkeys() {
		if i == maxStoreCerts {
			warn(fmt.Sprintf("%s: more than %d certificates; the rest are not read", esc(k.Path()), maxStoreCerts))
			break
		}
		v := sub.Value("Blob")
		if v == nil {
			continue // CRLs and CTLs keys have none
		}
		der, err := winfmt.DecodeBlob(v.Data)
		if err != nil {
			warn(fmt.Sprintf("%s: Blob: %v: skipped", esc(sub.Path()), err))
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			warn(fmt.Sprintf("%s: %v: skipped", esc(sub.Path()), err))
			continue
		}
		if got := certutil.Thumbprint(c); !strings.EqualFold(got, sub.Name()) {
			warn(fmt.Sprintf("%s: the key names thumbprint %s but the certificate's is %s; Windows ignores it: skipped", esc(sub.Path()), clip(sub.Name()), got))
			continue
		}
		out = append(out, rootstore.Cert{Cert: c, Source: esc(sub.Path()), Store: store})
	}
	return out
}

// buildStore makes the client's trust store: its registry stores as its
// policies allow, then the --roots sources.
func (r *Report) buildStore(reg *winreg.Registry, user string, roots []string) error {
	s := &rootstore.Store{}
	st := &r.Store
	st.Sources, st.Excluded, st.Warnings = []rootstore.SourceCount{}, []Excluded{}, []string{}
	warn := func(w string) { st.Warnings = append(st.Warnings, w) }
	pol := r.Policies

	var ctl *winfmt.CTL
	if v := reg.Key(ctlKey).Value("EncodedCtl"); v != nil {
		c, err := winfmt.DecodeCTL(v.Data)
		if err != nil {
			warn(fmt.Sprintf(`%s\EncodedCtl: %v: the restrictions of Microsoft's root program are not applied to the downloaded roots`, ctlKey, err))
		} else {
			ctl = c
			st.CTL = &CTLInfo{Source: ctlKey + `\EncodedCtl`, Sequence: c.Sequence, ThisUpdate: c.ThisUpdate, Entries: len(c.Entries)}
		}
	}
	for _, ps := range physicalStores {
		key := ps.key
		if rest, ok := strings.CutPrefix(key, "HKEY_CURRENT_USER"); ok {
			key = user + rest
		}
		k := reg.Key(key)
		if k == nil {
			continue
		}
		certs := readStore(k, ps.store, warn)
		if len(certs) == 0 {
			continue
		}
		switch {
		case ps.user && !pol.UserRoots:
			st.Excluded = append(st.Excluded, Excluded{Source: ps.label, Why: fmt.Sprintf("ProtectedRoots Flags 0x%x: user roots are not trusted (%d certificates left out)", *pol.ProtectedRootsFlags, len(certs))})
			continue
		case ps.program && !pol.ProgramRoots:
			st.Excluded = append(st.Excluded, Excluded{Source: ps.label, Why: fmt.Sprintf("ProtectedRoots Flags 0x%x: roots of Microsoft's root program are not trusted (%d certificates left out)", *pol.ProtectedRootsFlags, len(certs))})
			continue
		}
		if ps.program && ctl != nil {
			n0 := len(s.Roots)
			listed, _ := s.AddProgram(ctl, certs)
			if listed < len(certs) {
				warn(fmt.Sprintf("%s: %d certificates are not in the client's CTL: skipped", key, len(certs)-listed))
			}
			if added := len(s.Roots) - n0; added > 0 {
				s.Sources = append(s.Sources, rootstore.SourceCount{Source: ps.label, Roots: added})
			}
			continue
		}
		err := s.AddCerts(ps.label, certs)
		var le *rootstore.LoadError
		if err != nil && !errors.As(err, &le) {
			return err
		}
	}
	for _, src := range roots {
		if strings.HasPrefix(src, rootstore.AuthrootPrefix) && !pol.RootAutoUpdate {
			why := "DisableRootAutoUpdate is 1: the client does not download roots Microsoft's CTL lists"
			if !pol.ProgramRoots {
				why = fmt.Sprintf("ProtectedRoots Flags 0x%x: roots of Microsoft's root program are not trusted", *pol.ProtectedRootsFlags)
			}
			st.Excluded = append(st.Excluded, Excluded{Source: src, Why: why})
			continue
		}
		// Read it on its own first: a source whose roots the registry
		// already gave adds nothing, which is no error here.
		if _, err := rootstore.Load(src); err != nil {
			return &InputError{Err: fmt.Errorf("--roots: %w", err)}
		}
		_ = s.Add(src)
		st.Warnings = append(st.Warnings, s.Warnings...)
		s.Warnings = nil
	}
	st.Warnings = append(st.Warnings, s.Warnings...)
	st.Sources = append(st.Sources, s.Sources...)
	st.Roots, st.Intermediates, st.Disallowed = len(s.Roots), len(s.Intermediates), len(s.Disallowed)
	if st.Roots == 0 {
		exported := false
		for _, ps := range physicalStores {
			key := ps.key
			if rest, ok := strings.CutPrefix(key, "HKEY_CURRENT_USER"); ok {
				key = user + rest
			}
			if reg.Key(key) != nil {
				exported = true
				break
			}
		}
		st.NoRoots = noRootsWarning(exported)
		st.Warnings = append(st.Warnings, st.NoRoots)
	}
	r.trust = s
	return nil
}

// noRootsWarning says that the client's trust is empty, why every chain
// will be untrusted (the client check makes no Lync assumption), and what
// to export.
func noRootsWarning(exported bool) string {
	what := "no certificate store was exported"
	if exported {
		what = "the client's certificate stores hold no root"
	}
	return what + " and --roots gave none: trustgap client judges against the client's own store, without the Lync assumption, so every chain is judged untrusted. " +
		`Export the stores on the client (reg export "HKLM\SOFTWARE\Microsoft\SystemCertificates" certs-machine.reg /y, ` +
		`reg export "HKLM\SOFTWARE\Microsoft\EnterpriseCertificates" certs-enterprise.reg /y, ` +
		`reg export "HKCU\Software\Microsoft\SystemCertificates" certs-user.reg /y and, for the roots Group Policy deploys, ` +
		`reg export "HKLM\SOFTWARE\Policies\Microsoft" policies-machine.reg /y) and give them with --reg, ` +
		"or give the client's exported Root store with --roots (and Microsoft's root program with --roots authroot:AUTHROOT.STL+ROOTS.SST)"
}

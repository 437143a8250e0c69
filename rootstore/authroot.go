package rootstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/winfmt"
)

// AuthrootPrefix starts the source of Microsoft's root program:
// "authroot:CTL+CERTS", where CTL is an authroot.stl (the certificate trust
// list Windows downloads; certutil -syncWithWU writes it) and CERTS holds
// the roots' certificates (certutil -generateSSTFromWU roots.sst writes an
// SST of them; any certificate file or directory serves).
const AuthrootPrefix = "authroot:"

// ParseAuthroot splits an authroot source into its CTL and certificate
// paths. The split is at the last "+", so the CTL's path may hold one.
func ParseAuthroot(src string) (ctl, certs string, err error) {
	spec, ok := strings.CutPrefix(src, AuthrootPrefix)
	if !ok {
		return "", "", fmt.Errorf("%q does not start with %s", src, AuthrootPrefix)
	}
	i := strings.LastIndex(spec, "+")
	if i <= 0 || i == len(spec)-1 {
		return "", "", fmt.Errorf("want %sAUTHROOT.STL+ROOTS.SST (the CTL, then the roots' certificates), got %q", AuthrootPrefix, src)
	}
	return spec[:i], spec[i+1:], nil
}

// ReadCTL reads a certificate trust list file (authroot.stl).
func ReadCTL(path string) (*winfmt.CTL, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ctl, err := winfmt.DecodeCTL(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ctl, nil
}

func (s *Store) addAuthroot(src string) error {
	ctlPath, certPath, err := ParseAuthroot(src)
	if err != nil {
		return err
	}
	ctl, err := ReadCTL(ctlPath)
	if err != nil {
		return err
	}
	// The certificates: a scratch store reads them in any form.
	scratch := &Store{}
	if err := scratch.addPath(certPath); err != nil {
		return fmt.Errorf("%s: %w", certPath, err)
	}
	s.Warnings = append(s.Warnings, scratch.Warnings...)
	var certs []Cert
	for _, list := range [][]Cert{scratch.Roots, scratch.Intermediates, scratch.Disallowed} {
		certs = append(certs, list...)
	}
	if len(certs) == 0 {
		return fmt.Errorf("%s: holds no certificate", certPath)
	}
	listed, missing := s.AddProgram(ctl, certs)
	if unlisted := len(certs) - listed; unlisted > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %d certificates are not in %s (not part of Microsoft's root program as of %s): skipped", certPath, unlisted, ctlPath, ctl.ThisUpdate.Format("2006-01-02")))
	}
	if missing > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %d roots it lists have no certificate in %s: they are not counted (Windows would download them on demand; export a newer SST with certutil -generateSSTFromWU)", ctlPath, missing, certPath))
	}
	return nil
}

// AddProgram adds the roots of Microsoft's root program: every certificate
// of certs that ctl lists becomes a root whose use is bound by its CTL entry
// (allowed and disallowed EKUs, disable date, NotBefore date; see
// [Store.RootRule]). It returns how many certificates ctl lists and how many
// of ctl's entries found no certificate.
func (s *Store) AddProgram(ctl *winfmt.CTL, certs []Cert) (listed, missing int) {
	found := map[string]bool{}
	for _, c := range certs {
		e := ctl.Find(c.Cert.Raw)
		if e == nil {
			continue
		}
		listed++
		found[e.ID] = true
		if s.program == nil {
			s.program = map[string][]*winfmt.CTLEntry{}
		}
		k := anchorKey(c.Cert)
		s.program[k] = append(s.program[k], e)
		c.Store, c.program = "", true
		s.add(c)
	}
	return listed, len(ctl.Entries) - len(found)
}

// AddCerts adds certificates read elsewhere (a client's registry) under
// source, each to the store its Store field names, and counts them as one
// source. It is an error when none is added.
func (s *Store) AddCerts(source string, certs []Cert) error {
	r0, i0, d0 := s.counts()
	for _, c := range certs {
		s.add(c)
	}
	r1, i1, d1 := s.counts()
	if r1+i1+d1 == r0+i0+d0 {
		return &LoadError{Source: source, Err: errors.New("holds no certificate")}
	}
	s.Sources = append(s.Sources, SourceCount{Source: source, Roots: r1 - r0, Intermediates: i1 - i0, Disallowed: d1 - d0})
	return nil
}

func anchorKey(c *x509.Certificate) string {
	return string(c.RawSubject) + "|" + string(c.RawSubjectPublicKeyInfo)
}

// RootRule returns the rule that refuses a root of Microsoft's root program
// for a chain its CTL entry does not allow for server authentication at an
// instant (why, or "" when allowed), or nil when the store holds no such
// root. A root that another source (a file, a Group Policy, the machine's
// own Root store) also supplies is not restricted: it was trusted on
// purpose.
func (s *Store) RootRule() func(root, leaf *x509.Certificate, now time.Time) string {
	if len(s.program) == 0 {
		return nil
	}
	return func(root, leaf *x509.Certificate, now time.Time) string {
		k := anchorKey(root)
		if s.explicit[k] {
			return ""
		}
		// A re-issued root shares its subject and key with the old one, and
		// chains anchor by key: any of its entries that allows the chain
		// will do.
		first := ""
		for _, e := range s.program[k] {
			why := e.Restriction(winfmt.OIDServerAuth, now, leaf.NotBefore)
			if why == "" {
				return ""
			}
			if first == "" {
				first = fmt.Sprintf("%s (its entry %q, SHA-1 %s)", why, e.FriendlyName, e.ID)
			}
		}
		return first
	}
}

// ProgramEntry returns the CTL entry that admitted root into the store (the
// entry of that very certificate, else of one with its subject and key), or
// nil when it is not a root of Microsoft's root program.
func (s *Store) ProgramEntry(root *x509.Certificate) *winfmt.CTLEntry {
	es := s.program[anchorKey(root)]
	for _, e := range es {
		if strings.EqualFold(e.ID, certutil.Thumbprint(root)) {
			return e
		}
	}
	if len(es) > 0 {
		return es[0]
	}
	return nil
}

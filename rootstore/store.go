// Package rootstore loads the client root stores trustgap judges chains
// against, and audits a store for the problems that break Lync and IIS on
// Windows ([AuditStore]; the report package renders the audit).
//
// # Sources
//
// A source is "system" (the machine's roots), "mozilla" (the Mozilla root
// program embedded in the binary), or a path: a PEM or DER file, a PKCS#7
// (.p7b/.p7c), a serialized store (.sst), a Registry.pol, or a directory of
// such files. The format of a file is sniffed from its content (package
// certfile reads the containers). "authroot:CTL+CERTS" reads Microsoft's
// root program: the roots an authroot.stl lists, with their certificates
// from CERTS, restricted as the list says ([Store.RootRule]).
//
// # Stores
//
// A Registry.pol names the Windows store of every certificate (Root, CA,
// Disallowed, ...). The other forms carry no store name: their certificates
// are roots, unless the source is prefixed with the store it was exported
// from, "root:", "ca:" or "disallowed:" (for example
// "ca:client-intermediates.sst", written by Export-Certificate from
// Cert:\LocalMachine\CA).
//
// It reads files and the operating system's stores, never the network, and
// must not import network, chain, scanner, report, remediate or cmd.
package rootstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trustgap/trustgap/internal/certfile"
	"github.com/trustgap/trustgap/internal/winfmt"
)

// Cert is a certificate of a store and where it came from.
type Cert struct {
	Cert   *x509.Certificate
	Source string // the source that supplied it, with its position
	// Store is the Windows store a Registry.pol named ("Root", "CA",
	// "Disallowed", ...); empty otherwise, meaning Root.
	Store string

	program bool // a root of Microsoft's root program (see AddProgram)
}

// Store is the certificates loaded from one or more sources, by the Windows
// store they belong to: a Registry.pol's "Root" store (or any source without
// store names) gives roots, its "CA" store intermediates and its
// "Disallowed" store certificates clients refuse wherever they appear. Other
// stores (TrustedPublisher, TrustedPeople, Trust, ...) are skipped with a
// warning.
type Store struct {
	Roots         []Cert
	Intermediates []Cert
	Disallowed    []Cert
	// Sources counts what each source given to [Store.Add] supplied, in
	// the order given.
	Sources []SourceCount
	// Warnings lists what was skipped while loading, one line each, naming
	// the file and the position.
	Warnings []string

	seen map[string]bool
	// dups counts the certificates given again (already loaded in their
	// store), to tell a source of duplicates from an empty one.
	dups int
	// forceStore is the store prefix of the source being added.
	forceStore string
	// program holds the CTL entries of Microsoft's root program roots, by
	// subject and key; explicit marks roots another source also supplied.
	program  map[string][]*winfmt.CTLEntry
	explicit map[string]bool
}

// SourceCount is what one source supplied to a store.
type SourceCount struct {
	Source        string `json:"source"`
	Roots         int    `json:"roots"`
	Intermediates int    `json:"intermediates"`
	Disallowed    int    `json:"disallowed"`
}

func (s *Store) counts() (roots, intermediates, disallowed int) {
	return len(s.Roots), len(s.Intermediates), len(s.Disallowed)
}

// LoadError is a source that could not be read or held no certificate.
type LoadError struct {
	Source string
	Err    error
}

func (e *LoadError) Error() string { return fmt.Sprintf("rootstore: %s: %v", e.Source, e.Err) }
func (e *LoadError) Unwrap() error { return e.Err }

// Load reads every source into one store. On error the store is still
// returned, so that its Warnings explain what was skipped.
func Load(sources ...string) (*Store, error) {
	s := &Store{}
	for _, src := range sources {
		if err := s.Add(src); err != nil {
			return s, err
		}
	}
	return s, nil
}

// maxDirFiles bounds how many files a directory source is read from.
const maxDirFiles = 10000

// MaxFileSize bounds one source file: a larger one (or an endless one,
// such as /dev/zero) is an error once that much is read.
const MaxFileSize = 64 << 20

// readFile reads path, at most [MaxFileSize] bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d MiB: not a certificate store file", MaxFileSize>>20)
	}
	return data, nil
}

// storePrefixes are the store names a source may be prefixed with.
var storePrefixes = []string{"root", "ca", "disallowed"}

// SplitStore splits a source into its store prefix ("Root", "CA",
// "Disallowed", or "" without one) and the source itself.
func SplitStore(src string) (store, rest string) {
	if name, path, ok := strings.Cut(src, ":"); ok {
		for _, p := range storePrefixes {
			if strings.EqualFold(name, p) {
				switch p {
				case "root":
					return "Root", path
				case "ca":
					return "CA", path
				}
				return "Disallowed", path
			}
		}
	}
	return "", src
}

// Add loads one source into s. A "root:", "ca:" or "disallowed:" prefix
// puts the certificates of a source that carries no store names in that
// store.
func (s *Store) Add(src string) error {
	r0, i0, d0 := s.counts()
	dups0 := s.dups
	store, path := SplitStore(src)
	s.forceStore = store
	defer func() { s.forceStore = "" }()
	var err error
	switch path {
	case "system":
		var certs []*x509.Certificate
		certs, err = systemRoots()
		for _, c := range certs {
			s.add(Cert{Cert: c, Source: "system"})
		}
	case "mozilla":
		for _, c := range mozillaRoots() {
			s.add(Cert{Cert: c, Source: "mozilla"})
		}
	default:
		if strings.HasPrefix(path, AuthrootPrefix) {
			err = s.addAuthroot(path)
			break
		}
		err = s.addPath(path)
	}
	if err != nil {
		return &LoadError{Source: src, Err: err}
	}
	r1, i1, d1 := s.counts()
	if r1+i1+d1 == r0+i0+d0 {
		if s.dups == dups0 {
			return &LoadError{Source: src, Err: errors.New("holds no certificate")}
		}
		// Certificates, but every one of them loaded already (the same
		// roots given twice, a GPO's Registry.pol beside its export): not
		// an empty source.
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: every certificate it holds (%d) was already loaded from an earlier source: it adds nothing", src, s.dups-dups0))
	}
	s.Sources = append(s.Sources, SourceCount{Source: src, Roots: r1 - r0, Intermediates: i1 - i0, Disallowed: d1 - d0})
	return nil
}

func (s *Store) addPath(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return s.addFile(path, true)
	}
	ents, err := os.ReadDir(path)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range ents { // sorted by name: deterministic
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if n++; n > maxDirFiles {
			s.Warnings = append(s.Warnings, fmt.Sprintf("%s: more than %d files; the rest are not read", path, maxDirFiles))
			break
		}
		if err := s.addFile(filepath.Join(path, e.Name()), false); err != nil {
			// In a directory (such as /etc/ssl/certs) unrelated files are
			// expected; note them and go on.
			s.Warnings = append(s.Warnings, err.Error())
		}
	}
	return nil
}

func (s *Store) addFile(path string, strict bool) error {
	data, err := readFile(path)
	if err != nil {
		if strict {
			return err
		}
		return fmt.Errorf("%s: skipped: %v", path, err)
	}
	d, err := certfile.Decode(data)
	if errors.Is(err, certfile.ErrCTL) {
		err = fmt.Errorf("%w: give it with the roots' certificates as %sAUTHROOT.STL+ROOTS.SST", err, AuthrootPrefix)
	}
	if err != nil {
		if strict {
			return err
		}
		return fmt.Errorf("%s: skipped: %v", path, err)
	}
	for _, w := range d.Skipped {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: %s: skipped", path, w))
	}
	for _, e := range d.Entries {
		s.add(Cert{Cert: e.Cert, Source: fmt.Sprintf("%s#%d", path, e.Position), Store: e.Store})
	}
	return nil
}

func (s *Store) add(c Cert) {
	if c.Store == "" {
		c.Store = s.forceStore
	}
	if s.seen == nil {
		s.seen = make(map[string]bool)
	}
	store := strings.ToLower(c.Store)
	if store == "" {
		store = "root" // no store name means Root
	}
	k := store + "|" + string(c.Cert.Raw)
	if !c.program && (c.Store == "" || strings.EqualFold(c.Store, "Root")) {
		if s.explicit == nil {
			s.explicit = make(map[string]bool)
		}
		s.explicit[anchorKey(c.Cert)] = true
	}
	if s.seen[k] {
		s.dups++
		return
	}
	s.seen[k] = true
	switch {
	case c.Store == "" || strings.EqualFold(c.Store, "Root"):
		s.Roots = append(s.Roots, c)
	case strings.EqualFold(c.Store, "CA"):
		s.Intermediates = append(s.Intermediates, c)
	case strings.EqualFold(c.Store, "Disallowed"):
		s.Disallowed = append(s.Disallowed, c)
	default:
		s.Warnings = append(s.Warnings, fmt.Sprintf("%s: store %q is not used to judge server chains (only Root, CA and Disallowed are): skipped", c.Source, c.Store))
	}
}

// ClientWarning returns a warning when the store includes "system" and goos
// (runtime.GOOS) is not windows: this machine's store is not what a Windows
// client trusts, so verdicts may differ from the clients'. It says how to
// judge against a client's store instead. It returns "" otherwise.
func (s *Store) ClientWarning(goos string) string {
	if goos == "windows" {
		return ""
	}
	for _, sc := range s.Sources {
		if sc.Source == "system" {
			return fmt.Sprintf("--roots system is this %s machine's store, not a Windows client's: verdicts rest on it and may differ from what clients see. "+
				"Judge against what a client trusts instead: Microsoft's root program as a client with automatic root update sees it, "+
				"with --roots authroot:DIR/authroot.stl+roots.sst (on any Windows machine with Internet access: certutil -syncWithWU DIR, then certutil -generateSSTFromWU roots.sst; "+
				"roots.sst alone also holds roots the program has disabled or restricted, which authroot.stl says), "+
				"plus the GPO's Registry.pol (\\\\<domain>\\SYSVOL\\<domain>\\Policies\\{GUID}\\Machine\\Registry.pol); "+
				"or a client's own Root store as an SST (then --roots client-roots.sst): in certmgr.msc, Trusted Root Certification Authorities, "+
				"select all, All Tasks > Export, Microsoft Serialized Certificate Store (any Windows), or "+
				"Get-ChildItem Cert:\\LocalMachine\\Root | Export-Certificate -Type SST -FilePath client-roots.sst "+
				"(Export-Certificate needs Windows 8 or Server 2012 and later: PowerShell 3.0's PKI module)", goos)
		}
	}
	return ""
}

// Certificates returns the roots.
func (s *Store) Certificates() []*x509.Certificate { return certsOf(s.Roots) }

// IntermediateCertificates returns the intermediates (the CA store).
func (s *Store) IntermediateCertificates() []*x509.Certificate { return certsOf(s.Intermediates) }

// DisallowedCertificates returns the Disallowed store's certificates.
func (s *Store) DisallowedCertificates() []*x509.Certificate { return certsOf(s.Disallowed) }

func certsOf(cs []Cert) []*x509.Certificate {
	out := make([]*x509.Certificate, len(cs))
	for i, r := range cs {
		out[i] = r.Cert
	}
	return out
}

// readFiles reads the certificates of every file that exists among
// paths, skipping unreadable ones; used for the system store.
func readFiles(paths []string) []*x509.Certificate {
	var out []*x509.Certificate
	for _, p := range paths {
		data, err := readFile(p)
		if err != nil {
			continue
		}
		d, err := certfile.Decode(data)
		if err != nil {
			continue
		}
		for _, e := range d.Entries {
			out = append(out, e.Cert)
		}
	}
	return out
}

// readDirs reads the certificate files of directories (OpenSSL hashed
// directories included), in name order.
func readDirs(dirs []string) []*x509.Certificate {
	var out []*x509.Certificate
	for _, dir := range dirs {
		ents, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		var names []string
		for i, e := range ents {
			if i == maxDirFiles {
				break
			}
			names = append(names, filepath.Join(dir, e.Name()))
		}
		sort.Strings(names)
		out = append(out, readFiles(names)...)
	}
	return out
}

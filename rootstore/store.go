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
// certfile reads the containers).
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
)

// Cert is a certificate of a store and where it came from.
type Cert struct {
	Cert   *x509.Certificate
	Source string // the source that supplied it, with its position
	// Store is the Windows store a Registry.pol named ("Root", "CA",
	// "Disallowed", ...); empty otherwise, meaning Root.
	Store string
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

// Add loads one source into s.
func (s *Store) Add(src string) error {
	r0, i0, d0 := s.counts()
	var err error
	switch src {
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
		err = s.addPath(src)
	}
	if err != nil {
		return &LoadError{Source: src, Err: err}
	}
	r1, i1, d1 := s.counts()
	if r1+i1+d1 == r0+i0+d0 {
		return &LoadError{Source: src, Err: errors.New("holds no certificate")}
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
	if s.seen == nil {
		s.seen = make(map[string]bool)
	}
	k := c.Store + "|" + string(c.Cert.Raw)
	if s.seen[k] {
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

// Certificates returns the roots.
func (s *Store) Certificates() []*x509.Certificate {
	out := make([]*x509.Certificate, len(s.Roots))
	for i, r := range s.Roots {
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

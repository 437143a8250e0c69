// Package certfile reads certificates out of every container trustgap meets:
// PEM, DER, PKCS#7 (.p7b/.p7c, DER or PEM), Microsoft serialized stores
// (.sst) and Group Policy Registry.pol files. The format is sniffed from the
// content. Root stores and AIA answers are both read through it.
//
// It imports only internal helpers ([certutil], [winfmt]).
package certfile

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/winfmt"
	"go.mozilla.org/pkcs7"
)

// Kind is a certificate container format.
type Kind string

// The container formats trustgap reads.
const (
	KindPEM   Kind = "pem"
	KindDER   Kind = "der"
	KindPKCS7 Kind = "pkcs7"
	KindSST   Kind = "sst"
	KindPol   Kind = "registry.pol"
	// KindCTL is a certificate trust list (authroot.stl): thumbprints, not
	// certificates. Decode refuses it with [ErrCTL].
	KindCTL Kind = "ctl"
)

// ErrCTL is Decode's answer to a certificate trust list: it names roots by
// thumbprint and holds no root certificate (the certificates in its PKCS#7
// envelope are Microsoft's signing chain, not roots).
var ErrCTL = errors.New("a certificate trust list (such as authroot.stl) names roots by thumbprint and holds no root certificate")

// Sniff guesses the format of data from its first bytes.
func Sniff(data []byte) Kind {
	switch {
	case bytes.HasPrefix(data, []byte("PReg")):
		return KindPol
	case bytes.HasPrefix(data, []byte{0, 0, 0, 0, 'C', 'E', 'R', 'T'}):
		return KindSST
	case bytes.Contains(data[:min(len(data), 4096)], []byte("-----BEGIN")):
		return KindPEM
	}
	if _, err := x509.ParseCertificate(data); err == nil {
		return KindDER
	}
	if winfmt.IsCTL(data) {
		return KindCTL
	}
	return KindPKCS7
}

// Entry is a certificate read from a container, with where it was.
type Entry struct {
	Cert *x509.Certificate
	// Position is 1-based: the certificate's place in the file.
	Position int
	// Store is the Windows store a Registry.pol entry names ("Root", "CA",
	// ...); empty for other formats.
	Store string
}

// Decoded is what a container held.
type Decoded struct {
	Kind    Kind
	Entries []Entry
	// Skipped lists what was passed over, one message each (bad
	// certificates, other PEM blocks, other registry values).
	Skipped []string
}

// Decode reads every certificate in data, whatever the container. A single
// bad certificate is skipped and noted; only an unreadable container is an
// error.
func Decode(data []byte) (*Decoded, error) {
	d := &Decoded{Kind: Sniff(data)}
	switch d.Kind {
	case KindPEM:
		d.pem(data)
	case KindDER:
		c, _ := x509.ParseCertificate(data)
		d.Entries = append(d.Entries, Entry{Cert: c, Position: 1})
	case KindSST:
		ders, err := winfmt.DecodeSST(data)
		if err != nil && len(ders) == 0 {
			return nil, fmt.Errorf("serialized store: %v", err)
		}
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("serialized store truncated: %v", err))
		}
		for i, der := range ders {
			d.der(der, i+1, "")
		}
	case KindPol:
		if err := d.pol(data); err != nil {
			return nil, err
		}
	case KindCTL:
		return nil, ErrCTL
	default:
		certs, err := parsePKCS7(data)
		if err != nil {
			return nil, errors.New("not PEM, DER, PKCS#7, a serialized store (.sst) or Registry.pol")
		}
		for i, c := range certs {
			d.Entries = append(d.Entries, Entry{Cert: c, Position: i + 1})
		}
	}
	return d, nil
}

func (d *Decoded) der(der []byte, pos int, store string) {
	c, err := x509.ParseCertificate(der)
	if err != nil {
		d.Skipped = append(d.Skipped, fmt.Sprintf("certificate %d: %v", pos, err))
		return
	}
	d.Entries = append(d.Entries, Entry{Cert: c, Position: pos, Store: store})
}

func (d *Decoded) pem(data []byte) {
	rest := data
	n := 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return
		}
		n++
		switch b.Type {
		case "CERTIFICATE", "TRUSTED CERTIFICATE", "X509 CERTIFICATE":
			der := b.Bytes
			if b.Type == "TRUSTED CERTIFICATE" {
				// OpenSSL's trusted form appends trust settings after the
				// certificate; parse only the certificate.
				if c, err := firstDER(der); err == nil {
					der = c
				}
			}
			d.der(der, n, "")
		case "PKCS7", "CERTIFICATES":
			certs, err := parsePKCS7(b.Bytes)
			if err != nil {
				d.Skipped = append(d.Skipped, fmt.Sprintf("PEM block %d (%s): %v", n, b.Type, err))
			}
			for _, c := range certs {
				d.Entries = append(d.Entries, Entry{Cert: c, Position: n})
			}
		default:
			d.Skipped = append(d.Skipped, fmt.Sprintf("PEM block %d is %q, not a certificate", n, b.Type))
		}
	}
}

// firstDER returns the first DER element of b.
func firstDER(b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != 0x30 {
		return nil, errors.New("not a DER sequence")
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return nil, errors.New("bad DER length")
		}
		n = 0
		for _, x := range b[2 : 2+k] {
			n = n<<8 | int(x)
		}
		hdr += k
	}
	if hdr+n > len(b) {
		return nil, errors.New("truncated DER")
	}
	return b[:hdr+n], nil
}

func (d *Decoded) pol(data []byte) error {
	entries, err := winfmt.DecodePol(data)
	if err != nil && len(entries) == 0 {
		return fmt.Errorf("reading Registry.pol: %v", err)
	}
	if err != nil {
		d.Skipped = append(d.Skipped, fmt.Sprintf("Registry.pol truncated: %v", err))
	}
	prefix := strings.ToLower(winfmt.PolicyKey) + `\`
	for i, e := range entries {
		k := strings.ToLower(e.Key)
		if !strings.HasPrefix(k, prefix) {
			continue
		}
		parts := strings.Split(e.Key[len(prefix):], `\`)
		if len(parts) != 3 || !strings.EqualFold(parts[1], "Certificates") {
			continue // CRLs, CTLs and other keys
		}
		if !strings.EqualFold(e.Value, "Blob") || e.Type != winfmt.RegBinary {
			d.Skipped = append(d.Skipped, fmt.Sprintf("entry %d (%s;%s): not a REG_BINARY Blob", i+1, e.Key, e.Value))
			continue
		}
		der, err := winfmt.DecodeBlob(e.Data)
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("entry %d (%s): %v", i+1, e.Key, err))
			continue
		}
		before := len(d.Entries)
		d.der(der, i+1, parts[0])
		if len(d.Entries) > before {
			if got := certutil.Thumbprint(d.Entries[before].Cert); !strings.EqualFold(got, parts[2]) {
				// Windows skips such an entry (its key must be the SHA-1).
				d.Entries = d.Entries[:before]
				d.Skipped = append(d.Skipped, fmt.Sprintf("entry %d: key names thumbprint %s but the certificate's is %s; Windows ignores it", i+1, parts[2], got))
			}
		}
	}
	return nil
}

// ParseCertificates reads DER, PEM or PKCS#7 (DER or PEM) certificates,
// as served at AIA URLs. Unlike [Decode] it fails on any bad certificate.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	d, err := Decode(data)
	if err != nil {
		return nil, err
	}
	if d.Kind == KindSST || d.Kind == KindPol {
		return nil, fmt.Errorf("unexpected %s content", d.Kind)
	}
	if len(d.Skipped) > 0 && d.Kind != KindPEM {
		return nil, errors.New(d.Skipped[0])
	}
	if len(d.Entries) == 0 {
		return nil, errors.New("no certificate found")
	}
	out := make([]*x509.Certificate, len(d.Entries))
	for i, e := range d.Entries {
		out[i] = e.Cert
	}
	return out, nil
}

func parsePKCS7(der []byte) (certs []*x509.Certificate, err error) {
	defer func() {
		// go.mozilla.org/pkcs7 is not hardened against every malformed
		// input; a panic there must not take the program down.
		if r := recover(); r != nil {
			certs, err = nil, fmt.Errorf("malformed PKCS#7: %v", r)
		}
	}()
	p, err := pkcs7.Parse(der)
	if err != nil {
		return nil, fmt.Errorf("malformed PKCS#7: %v", err)
	}
	if len(p.Certificates) == 0 {
		return nil, errors.New("PKCS#7 holds no certificate")
	}
	return p.Certificates, nil
}

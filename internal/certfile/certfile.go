// Package certfile reads certificates out of every container trustgap meets:
// PEM, DER, PKCS#7 (.p7b/.p7c, DER or PEM), Microsoft serialized stores
// (.sst) and Group Policy Registry.pol files. The format is sniffed from the
// content. Root stores and AIA answers are both read through it.
//
// It imports only internal helpers ([certutil], [winfmt]).
package certfile

import (
	"bytes"
	"cmp"
	"crypto/x509"
	encasn1 "encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

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

// Sniff guesses the format of data from its content: the Registry.pol and
// serialized store headers, then DER (an ASN.1 SEQUENCE: one or more
// certificates, or a PKCS#7 ContentInfo), then a PEM block anywhere (after
// a text preamble such as "openssl x509 -text" writes).
func Sniff(data []byte) Kind {
	switch {
	case bytes.HasPrefix(data, []byte("PReg")):
		return KindPol
	case bytes.HasPrefix(data, []byte{0, 0, 0, 0, 'C', 'E', 'R', 'T'}):
		return KindSST
	case winfmt.IsCTL(data):
		// A PKCS#7 too, but its content is a trust list, not certificates.
		return KindCTL
	case len(data) > 0 && data[0] == 0x30 && isPKCS7(data):
		return KindPKCS7
	case len(data) > 0 && data[0] == 0x30 && (!bytes.Contains(data, []byte("-----BEGIN")) || startsWithCert(data)):
		return KindDER
	case bytes.Contains(data, []byte("-----BEGIN")):
		return KindPEM
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
// bad certificate is skipped and noted with its position and reason; only
// an unreadable container, or a PKCS#7 that holds no certificate, is an
// error.
func Decode(data []byte) (*Decoded, error) {
	d := &Decoded{Kind: Sniff(data)}
	switch d.Kind {
	case KindPEM:
		d.pem(data)
	case KindDER:
		d.derSequence(data)
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
		n, err := d.pkcs7(data, 0)
		if errors.Is(err, errNotPKCS7) {
			return nil, errors.New("not PEM, DER, PKCS#7, a serialized store (.sst) or Registry.pol")
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			return nil, errors.New("PKCS#7 holds no certificate")
		}
	}
	return d, nil
}

// derSequence reads one or more DER certificates one after the other (a
// .cer holds one; some tools concatenate several). A certificate that does
// not parse is skipped with its position; bytes that are not a DER element
// end the file with a note.
func (d *Decoded) derSequence(data []byte) {
	rest := data
	for pos := 1; len(rest) > 0; pos++ {
		el, err := firstDER(rest)
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("%d bytes after certificate %d: %v", len(rest), pos-1, err))
			return
		}
		d.der(el, pos, "")
		rest = rest[len(el):]
	}
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
			got, err := d.pkcs7(b.Bytes, n)
			switch {
			case err != nil:
				d.Skipped = append(d.Skipped, fmt.Sprintf("PEM block %d (%s): %v", n, b.Type, err))
			case got == 0:
				d.Skipped = append(d.Skipped, fmt.Sprintf("PEM block %d (%s): PKCS#7 holds no certificate", n, b.Type))
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
		if k == 0 || k > 4 || len(b) < 2+k {
			return nil, errors.New("bad DER length")
		}
		n = 0
		for _, x := range b[2 : 2+k] {
			n = n<<8 | int(x)
		}
		hdr += k
	}
	if n < 0 || hdr+n > len(b) {
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

var errNotPKCS7 = errors.New("not PKCS#7")

// oidSignedData is PKCS#7 signedData (RFC 2315, RFC 5652).
var oidSignedData = encasn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}

// isPKCS7 reports whether data starts with a PKCS#7 signedData ContentInfo.
func isPKCS7(data []byte) bool {
	s := cryptobyte.String(data)
	var ci cryptobyte.String
	var oid encasn1.ObjectIdentifier
	return s.ReadASN1(&ci, cbasn1.SEQUENCE) && ci.ReadASN1ObjectIdentifier(&oid) && oid.Equal(oidSignedData) ||
		berPKCS7(data)
}

// startsWithCert reports whether data starts with a DER certificate.
func startsWithCert(data []byte) bool {
	el, err := firstDER(data)
	if err != nil {
		return false
	}
	_, err = x509.ParseCertificate(el)
	return err == nil
}

// berPKCS7 recognises a BER (indefinite length) signedData ContentInfo by
// its first bytes.
func berPKCS7(data []byte) bool {
	oid := []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02}
	return len(data) > 2 && data[0] == 0x30 && data[1] == 0x80 && bytes.HasPrefix(data[2:], oid)
}

// pkcs7 adds the certificates of a PKCS#7 signedData (a .p7b), skipping
// with a note any that does not parse, and returns how many it added.
// Certificates are numbered in the file unless pos, the PEM block's number,
// is set. DER is read element by element; BER (indefinite lengths) falls
// back to go.mozilla.org/pkcs7, which takes all certificates or none.
func (d *Decoded) pkcs7(der []byte, pos int) (int, error) {
	certs, err := pkcs7Certs(der)
	if err == errBER || err == errMalformed {
		// BER, or DER this walk does not follow: all or nothing.
		all, perr := parsePKCS7(der)
		if perr != nil {
			return 0, perr
		}
		for i, c := range all {
			d.Entries = append(d.Entries, Entry{Cert: c, Position: cmp.Or(pos, i+1)})
		}
		return len(all), nil
	}
	if err != nil && len(certs) == 0 {
		return 0, err
	}
	if err != nil {
		d.Skipped = append(d.Skipped, err.Error())
	}
	n := 0
	for i, el := range certs {
		where := cmp.Or(pos, i+1)
		if el.tag != cbasn1.SEQUENCE {
			d.Skipped = append(d.Skipped, fmt.Sprintf("certificate %d: not an X.509 certificate (an attribute or other certificate form)", i+1))
			continue
		}
		c, err := x509.ParseCertificate(el.der)
		if err != nil {
			d.Skipped = append(d.Skipped, fmt.Sprintf("certificate %d: %v", i+1, err))
			continue
		}
		d.Entries = append(d.Entries, Entry{Cert: c, Position: where})
		n++
	}
	return n, nil
}

var (
	errBER       = errors.New("BER encoding")
	errMalformed = errors.New("malformed PKCS#7 signedData")
)

type p7Element struct {
	tag cbasn1.Tag
	der []byte
}

// pkcs7Certs returns the elements of a DER signedData's certificates field
// (RFC 5652 5.1: ContentInfo { contentType, [0] EXPLICIT SignedData {
// version, digestAlgorithms, encapContentInfo, [0] IMPLICIT certificates
// OPTIONAL, ... } }).
func pkcs7Certs(der []byte) ([]p7Element, error) {
	if berPKCS7(der) {
		return nil, errBER
	}
	s := cryptobyte.String(der)
	var ci, content, sd, certs cryptobyte.String
	var oid encasn1.ObjectIdentifier
	if !s.ReadASN1(&ci, cbasn1.SEQUENCE) || !ci.ReadASN1ObjectIdentifier(&oid) {
		return nil, errNotPKCS7
	}
	if !oid.Equal(oidSignedData) {
		return nil, fmt.Errorf("PKCS#7 content is %v, not signedData", oid)
	}
	var version int64
	var has bool
	if !ci.ReadASN1(&content, cbasn1.Tag(0).Constructed().ContextSpecific()) ||
		!content.ReadASN1(&sd, cbasn1.SEQUENCE) ||
		!sd.ReadASN1Integer(&version) ||
		!sd.SkipASN1(cbasn1.SET) ||
		!sd.SkipASN1(cbasn1.SEQUENCE) ||
		!sd.ReadOptionalASN1(&certs, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errMalformed
	}
	var out []p7Element
	for !certs.Empty() {
		var el cryptobyte.String
		var tag cbasn1.Tag
		if !certs.ReadAnyASN1Element(&el, &tag) {
			return out, fmt.Errorf("malformed PKCS#7: certificate %d is not a DER element", len(out)+1)
		}
		out = append(out, p7Element{tag: tag, der: el})
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
	return p.Certificates, nil
}

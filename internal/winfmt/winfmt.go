// Package winfmt encodes and decodes the Windows certificate containers that
// Group Policy and PowerShell use: the certificate BLOB of MS-GPEF §2.2.1.1.1,
// the serialized certificate store (.sst) and the registry policy file
// (Registry.pol, MS-GPREG §2.2.1), and certificate trust lists (authroot.stl,
// a PKCS#7 SignedData over a CertificateTrustList, MS-CAESO §4.4).
//
// Decoders are bounded and never panic on malformed input: every length is
// checked against what remains before it is used. It imports nothing of
// trustgap.
package winfmt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf16"
)

// PolicyKey is the registry key under which Group Policy stores
// certificates: PolicyKey\<Store>\Certificates\<SHA-1>, value Blob
// (windows-formats.md §1).
const PolicyKey = `Software\Policies\Microsoft\SystemCertificates`

// Property IDs used in certificate BLOBs and serialized stores.
const (
	PropFriendlyName = 11   // CERT_FRIENDLY_NAME_PROP_ID, UTF-16LE, NUL-terminated
	PropCert         = 0x20 // CERT_CERT_PROP_ID: the DER certificate, always last
	PropCRL          = 0x21
	PropCTL          = 0x22
)

// MaxBlob is the largest value Registry.pol allows (MS-GPREG: size is at most
// 65535 bytes).
const MaxBlob = 65535

func putElem(buf *bytes.Buffer, id uint32, val []byte) {
	var h [12]byte
	binary.LittleEndian.PutUint32(h[0:], id)
	binary.LittleEndian.PutUint32(h[4:], 1)
	binary.LittleEndian.PutUint32(h[8:], uint32(len(val)))
	buf.Write(h[:])
	buf.Write(val)
}

// EncodeBlob returns the certificate BLOB Group Policy stores for der: only
// the final CERT_CERT_PROP_ID element. Windows computes the hash properties
// itself; a wrong stored SHA-1 property would be trusted, so none is written.
func EncodeBlob(der []byte) []byte {
	var buf bytes.Buffer
	putElem(&buf, PropCert, der)
	return buf.Bytes()
}

// Element is one (property ID, value) record.
type Element struct {
	ID    uint32
	Value []byte
}

// readElem reads one element from b, returning it and the rest.
func readElem(b []byte) (Element, []byte, error) {
	if len(b) < 12 {
		return Element{}, nil, fmt.Errorf("truncated element header (%d bytes left)", len(b))
	}
	id := binary.LittleEndian.Uint32(b[0:])
	n := binary.LittleEndian.Uint32(b[8:])
	if uint64(n) > uint64(len(b)-12) {
		return Element{}, nil, fmt.Errorf("element 0x%x claims %d bytes, %d left", id, n, len(b)-12)
	}
	return Element{ID: id, Value: b[12 : 12+n]}, b[12+n:], nil
}

// DecodeBlob returns the DER certificate inside a certificate BLOB, skipping
// any properties before it.
func DecodeBlob(b []byte) ([]byte, error) {
	for len(b) > 0 {
		e, rest, err := readElem(b)
		if err != nil {
			return nil, err
		}
		if e.ID == PropCert {
			if len(rest) != 0 {
				return nil, fmt.Errorf("%d bytes after the certificate element", len(rest))
			}
			return e.Value, nil
		}
		b = rest
	}
	return nil, errors.New("no certificate element (0x20)")
}

var sstHeader = []byte{0, 0, 0, 0, 'C', 'E', 'R', 'T'}

// EncodeSST returns a serialized certificate store holding ders, in order,
// with no properties (Wine and Windows disagree on which certificate a
// property belongs to, so none is written).
func EncodeSST(ders [][]byte) []byte {
	var buf bytes.Buffer
	buf.Write(sstHeader)
	for _, d := range ders {
		putElem(&buf, PropCert, d)
	}
	buf.Write(make([]byte, 12))
	return buf.Bytes()
}

// DecodeSST returns the DER certificates of a serialized store. CRL and CTL
// elements and properties are skipped.
func DecodeSST(b []byte) ([][]byte, error) {
	if len(b) < 8 || !bytes.Equal(b[:8], sstHeader) {
		return nil, errors.New("not a serialized certificate store (no CERT header)")
	}
	b = b[8:]
	var out [][]byte
	for {
		if len(b) >= 12 && binary.LittleEndian.Uint32(b) == 0 && binary.LittleEndian.Uint32(b[8:]) == 0 {
			return out, nil // end marker
		}
		if len(b) == 0 {
			// Some writers omit the trailer.
			return out, nil
		}
		e, rest, err := readElem(b)
		if err != nil {
			return out, fmt.Errorf("element %d: %v", len(out)+1, err)
		}
		if e.ID == PropCert {
			out = append(out, e.Value)
		}
		b = rest
	}
}

// Registry value types used in Registry.pol.
const (
	RegNone   = 0
	RegSZ     = 1
	RegBinary = 3
	RegDWORD  = 4
)

// PolEntry is one Registry.pol entry. A key-only entry has an empty Value
// name, type RegNone and no data.
type PolEntry struct {
	Key   string
	Value string
	Type  uint32
	Data  []byte
}

var polHeader = []byte{'P', 'R', 'e', 'g', 1, 0, 0, 0}

func utf16z(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u)+2)
	for i, r := range u {
		binary.LittleEndian.PutUint16(b[2*i:], r)
	}
	return b
}

// EncodePol returns a Registry.pol holding entries in the order given.
func EncodePol(entries []PolEntry) ([]byte, error) {
	var buf bytes.Buffer
	buf.Write(polHeader)
	sep := func(c byte) { buf.Write([]byte{c, 0}) }
	for _, e := range entries {
		if len(e.Data) > MaxBlob {
			return nil, fmt.Errorf("winfmt: value %s\\%s is %d bytes, more than Registry.pol's %d", e.Key, e.Value, len(e.Data), MaxBlob)
		}
		sep('[')
		buf.Write(utf16z(e.Key))
		sep(';')
		buf.Write(utf16z(e.Value))
		sep(';')
		binary.Write(&buf, binary.LittleEndian, e.Type)
		sep(';')
		binary.Write(&buf, binary.LittleEndian, uint32(len(e.Data)))
		sep(';')
		buf.Write(e.Data)
		sep(']')
	}
	return buf.Bytes(), nil
}

// DecodePol parses a Registry.pol file.
func DecodePol(b []byte) ([]PolEntry, error) {
	if len(b) < 8 || !bytes.Equal(b[:8], polHeader) {
		return nil, errors.New("not a Registry.pol file (no PReg version 1 header)")
	}
	p := &polReader{b: b, off: 8}
	var out []PolEntry
	for p.off < len(p.b) {
		e, err := p.entry()
		if err != nil {
			return out, fmt.Errorf("entry %d at offset %d: %v", len(out)+1, p.off, err)
		}
		out = append(out, e)
	}
	return out, nil
}

type polReader struct {
	b   []byte
	off int
}

func (p *polReader) char(c byte) error {
	if p.off+2 > len(p.b) {
		return fmt.Errorf("truncated, want %q", c)
	}
	if p.b[p.off] != c || p.b[p.off+1] != 0 {
		return fmt.Errorf("want %q, got 0x%02x%02x", c, p.b[p.off], p.b[p.off+1])
	}
	p.off += 2
	return nil
}

func (p *polReader) str() (string, error) {
	var u []uint16
	for {
		if p.off+2 > len(p.b) {
			return "", errors.New("unterminated string")
		}
		r := binary.LittleEndian.Uint16(p.b[p.off:])
		p.off += 2
		if r == 0 {
			if i := loneSurrogate(u); i >= 0 {
				// Decoding would turn it into U+FFFD: a different name.
				return "", fmt.Errorf("string is not valid UTF-16: lone surrogate 0x%04X at character %d", u[i], i+1)
			}
			return string(utf16.Decode(u)), nil
		}
		u = append(u, r)
	}
}

// loneSurrogate returns the index of the first unpaired surrogate in u, or
// -1.
func loneSurrogate(u []uint16) int {
	for i := 0; i < len(u); i++ {
		switch c := u[i]; {
		case c >= 0xD800 && c < 0xDC00:
			if i+1 < len(u) && u[i+1] >= 0xDC00 && u[i+1] < 0xE000 {
				i++
				continue
			}
			return i
		case c >= 0xDC00 && c < 0xE000:
			return i
		}
	}
	return -1
}

func (p *polReader) u32() (uint32, error) {
	if p.off+4 > len(p.b) {
		return 0, errors.New("truncated number")
	}
	v := binary.LittleEndian.Uint32(p.b[p.off:])
	p.off += 4
	return v, nil
}

func (p *polReader) entry() (e PolEntry, err error) {
	steps := []func() error{
		func() error { return p.char('[') },
		func() (err error) { e.Key, err = p.str(); return },
		func() error { return p.char(';') },
		func() (err error) { e.Value, err = p.str(); return },
		func() error { return p.char(';') },
		func() (err error) { e.Type, err = p.u32(); return },
		func() error { return p.char(';') },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return e, err
		}
	}
	size, err := p.u32()
	if err != nil {
		return e, err
	}
	if err := p.char(';'); err != nil {
		return e, err
	}
	if size > MaxBlob || int(size) > len(p.b)-p.off {
		return e, fmt.Errorf("value size %d exceeds the %d bytes left (or 65535)", size, len(p.b)-p.off)
	}
	e.Data = p.b[p.off : p.off+int(size)]
	p.off += int(size)
	return e, p.char(']')
}

package certutil

import (
	"bytes"
	"unicode/utf8"
)

// Bounds of the walk [PlainStrings] makes through a certificate's DER.
const (
	maxTextDepth = 32
	maxTextNodes = 20000
)

// The universal ASN.1 tags PlainStrings reads.
const (
	tagOctetString    = 4
	tagOID            = 6
	tagVideotexString = 21
	tagGraphicString  = 25
	tagGeneralString  = 27
)

// gnExtensions are the DER contents of the OIDs of the extensions whose
// value holds GeneralNames, where [1] rfc822Name, [2] dNSName and [6]
// uniformResourceIdentifier are IA5 strings under context-specific tags:
// subject and issuer alternative names, CRL distribution points and the
// Freshest CRL, name constraints, the issuing distribution point, and
// authority and subject information access.
var gnExtensions = [][]byte{
	{0x55, 0x1d, 0x11}, // 2.5.29.17 subjectAltName
	{0x55, 0x1d, 0x12}, // 2.5.29.18 issuerAltName
	{0x55, 0x1d, 0x1f}, // 2.5.29.31 cRLDistributionPoints
	{0x55, 0x1d, 0x2e}, // 2.5.29.46 freshestCRL
	{0x55, 0x1d, 0x1e}, // 2.5.29.30 nameConstraints
	{0x55, 0x1d, 0x1c}, // 2.5.29.28 issuingDistributionPoint
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01}, // 1.3.6.1.5.5.7.1.1 authorityInfoAccess
	{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x0b}, // 1.3.6.1.5.5.7.1.11 subjectInfoAccess
}

// textOctetExtensions are the DER contents of the OIDs of extensions whose
// OCTET STRINGs certinfo prints as text: smallstep's provisioner extension
// (1.3.6.1.4.1.37476.9000.64.1: its name and credential ID).
var textOctetExtensions = [][]byte{
	{0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0xa4, 0x64, 0xc6, 0x28, 0x40, 0x01},
}

// PlainStrings reports whether every string value of the DER certificate
// der is free of control characters, format characters (bidirectional
// overrides, zero-width marks), line and paragraph separators and other
// unprintable characters (any character but the space that
// unicode.IsPrint refuses, and invalid encodings): the character string
// types anywhere (names, policy texts), the IA5 strings of GeneralNames
// (e-mail, DNS and URI names) in the extensions that hold them, and what
// an extension's OCTET STRING holds. It walks the DER itself, bounded in
// depth and elements, so it sees what a parser may pass on as it is. It
// errs towards false: DER it cannot walk, or a binary field read as a
// name, is not plain.
//
// Text rendered from a certificate by another library (certinfo, for -v)
// is printed only when PlainStrings says so: that text splits on line
// feeds the certificate's issuer chose.
func PlainStrings(der []byte) bool {
	if len(der) == 0 {
		return false
	}
	w := &textWalker{}
	return w.walk(der, 0, walkIn{})
}

// walkIn says what the elements being walked are part of.
type walkIn struct {
	gn        bool // an extension value holding GeneralNames
	octetText bool // an extension value whose OCTET STRINGs are text
}

type textWalker struct{ nodes int }

// tlv is one DER element.
type tlv struct {
	class       byte // 0 universal, 2 context-specific, ...
	constructed bool
	tag         int
	content     []byte
}

// readTLV reads the DER element at the start of b and returns it and what
// follows; ok is false when b does not start with a well-formed element
// (indefinite lengths, which DER forbids, included).
func readTLV(b []byte) (e tlv, rest []byte, ok bool) {
	if len(b) < 2 {
		return e, nil, false
	}
	e.class, e.constructed = b[0]>>6, b[0]&0x20 != 0
	e.tag = int(b[0] & 0x1f)
	i := 1
	if e.tag == 0x1f { // high tag number: base 128, at most 4 bytes
		e.tag = 0
		for n := 0; ; n++ {
			if i >= len(b) || n == 4 {
				return e, nil, false
			}
			c := b[i]
			i++
			e.tag = e.tag<<7 | int(c&0x7f)
			if c&0x80 == 0 {
				break
			}
		}
	}
	if i >= len(b) {
		return e, nil, false
	}
	l := int(b[i])
	i++
	if l >= 0x80 {
		n := l & 0x7f
		if n == 0 || n > 4 || i+n > len(b) {
			return e, nil, false
		}
		l = 0
		for _, c := range b[i : i+n] {
			l = l<<8 | int(c)
		}
		i += n
	}
	if l < 0 || l > len(b)-i {
		return e, nil, false
	}
	return tlv{class: e.class, constructed: e.constructed, tag: e.tag, content: b[i : i+l]}, b[i+l:], true
}

// walk checks every element of b (a run of DER elements), part of in.
func (w *textWalker) walk(b []byte, depth int, in walkIn) bool {
	if depth > maxTextDepth {
		return false
	}
	var oid []byte // the last OID of this run: an extension's, before its value
	for len(b) > 0 {
		e, rest, ok := readTLV(b)
		if !ok {
			return false
		}
		b = rest
		if w.nodes++; w.nodes > maxTextNodes {
			return false
		}
		switch {
		case e.constructed:
			if !w.walk(e.content, depth+1, in) {
				return false
			}
		case e.class == 0 && e.tag == tagOID:
			oid = e.content
		case e.class == 0 && e.tag == tagOctetString && in.octetText:
			if !plain(string(e.content)) {
				return false
			}
		case e.class == 0 && e.tag == tagOctetString && oid != nil:
			// An extension's value (or another value named by an OID): read
			// it when it is DER; binary contents are nobody's text.
			next := walkIn{gn: in.gn || oneOf(gnExtensions, oid), octetText: oneOf(textOctetExtensions, oid)}
			if wellFormed(e.content) && !w.walk(e.content, depth+1, next) {
				return false
			}
		case e.class == 0:
			if text, isString := stringText(e.tag, e.content); isString && !plain(text) {
				return false
			}
		case e.class == 2 && in.gn && (e.tag == 1 || e.tag == 2 || e.tag == 6):
			if !plainASCII(e.content) {
				return false
			}
		}
	}
	return true
}

// wellFormed reports whether b is a run of complete DER elements.
func wellFormed(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for len(b) > 0 {
		_, rest, ok := readTLV(b)
		if !ok {
			return false
		}
		b = rest
	}
	return true
}

func oneOf(oids [][]byte, oid []byte) bool {
	for _, o := range oids {
		if bytes.Equal(o, oid) {
			return true
		}
	}
	return false
}

// stringText decodes a universal character string; isString is false for
// other types. An encoding error gives text with utf8.RuneError in it.
func stringText(tag int, b []byte) (text string, isString bool) {
	switch tag {
	case tagUTF8String:
		return string(b), true
	case tagNumericString, tagPrintableString, tagIA5String, tagVisibleString:
		if !plainASCII(b) {
			return "\x00", true
		}
		return string(b), true
	case tagVideotexString, tagGraphicString, tagGeneralString:
		tag = tagT61String // read as Latin-1, as T61String is
		fallthrough
	case tagT61String, tagBMPString, tagUniversalString:
		// The one decoder of these types, the DN formatter's; a value it
		// cannot decode is not plain.
		if s, ok := decodeString(tag, b); ok {
			return s, true
		}
		return string(utf8.RuneError), true
	}
	return "", false
}

// plain reports whether s is valid UTF-8 holding only printable characters
// and the ASCII space.
func plain(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			return false
		}
	}
	return true
}

// plainASCII reports whether b is printable ASCII (space to tilde).
func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

package certutil

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// attributeNames are the short names distinguished names show: RFC 4514's
// (CN, L, ST, O, OU, C, STREET, DC, UID), then the names OpenSSL prints for
// the others a CA name or a server certificate commonly holds. SERIALNUMBER
// is spelled as Windows and crypto/x509 spell it (OpenSSL: serialNumber).
// Any other type is shown as its dotted OID, its value as # and hex (RFC 4514
// sections 2.3 and 2.4).
var attributeNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.6":                    "C",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
	"1.2.840.113549.1.9.1":       "emailAddress",
	"1.2.840.113549.1.9.2":       "unstructuredName",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.4":                    "SN",
	"2.5.4.42":                   "GN",
	"2.5.4.43":                   "initials",
	"2.5.4.44":                   "generationQualifier",
	"2.5.4.12":                   "title",
	"2.5.4.13":                   "description",
	"2.5.4.15":                   "businessCategory",
	"2.5.4.17":                   "postalCode",
	"2.5.4.46":                   "dnQualifier",
	"2.5.4.65":                   "pseudonym",
	"2.5.4.97":                   "organizationIdentifier",
	"1.3.6.1.4.1.311.60.2.1.1":   "jurisdictionL",
	"1.3.6.1.4.1.311.60.2.1.2":   "jurisdictionST",
	"1.3.6.1.4.1.311.60.2.1.3":   "jurisdictionC",
}

// ASN.1 string tags (X.680) that a DN value may carry.
const (
	tagUTF8String      = 12
	tagNumericString   = 18
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagVisibleString   = 26
	tagUniversalString = 28
	tagBMPString       = 30
)

// errDN is a name that is not a DER RDNSequence.
var errDN = errors.New("certutil: malformed distinguished name")

// Subject is c's subject as [DN] shows it.
func Subject(c *x509.Certificate) string { return DN(c.RawSubject) }

// Issuer is c's issuer as [DN] shows it.
func Issuer(c *x509.Certificate) string { return DN(c.RawIssuer) }

// DN formats a DER-encoded distinguished name (an RDNSequence, such as a
// certificate's RawSubject) the one way every trustgap output shows names:
// RFC 4514 order (the most specific RDN first), the usual attribute names
// (DC=, emailAddress=, UID=, ...), multi-valued RDNs joined with "+",
// repeated attributes kept as separate RDNs, and RFC 4514 escaping. Beyond
// RFC 4514, every character that could move a terminal's cursor or start a
// line (control characters, invalid UTF-8, Unicode format and separator
// characters) is escaped as \XX per byte, so a hostile name is always one
// printable line. A value that is not a character string is shown as #
// followed by the hex of its DER. Malformed input is shown whole as # and
// its hex.
func DN(raw []byte) string {
	s, err := formatDN(raw)
	if err != nil {
		return "#" + hex.EncodeToString(raw)
	}
	return s
}

func formatDN(raw []byte) (string, error) {
	var seq asn1.RawValue
	rest, err := asn1.Unmarshal(raw, &seq)
	if err != nil || len(rest) > 0 || seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence || !seq.IsCompound {
		return "", errDN
	}
	var rdns []string
	for b := seq.Bytes; len(b) > 0; {
		var set asn1.RawValue
		if b, err = asn1.Unmarshal(b, &set); err != nil {
			return "", errDN
		}
		if set.Class != asn1.ClassUniversal || set.Tag != asn1.TagSet || !set.IsCompound {
			return "", errDN
		}
		var atvs []string
		for a := set.Bytes; len(a) > 0; {
			var atv asn1.RawValue
			if a, err = asn1.Unmarshal(a, &atv); err != nil {
				return "", errDN
			}
			if atv.Class != asn1.ClassUniversal || atv.Tag != asn1.TagSequence || !atv.IsCompound {
				return "", errDN
			}
			var oid asn1.ObjectIdentifier
			v, err := asn1.Unmarshal(atv.Bytes, &oid)
			if err != nil {
				return "", errDN
			}
			var val asn1.RawValue
			if rest, err := asn1.Unmarshal(v, &val); err != nil || len(rest) > 0 {
				return "", errDN
			}
			if name, ok := attributeNames[oid.String()]; ok {
				atvs = append(atvs, name+"="+formatValue(val))
			} else {
				// RFC 4514 section 2.4: a type in dotted form has its
				// value as # and the hex of its encoding.
				atvs = append(atvs, oid.String()+"=#"+strings.ToUpper(hex.EncodeToString(val.FullBytes)))
			}
		}
		if len(atvs) == 0 {
			return "", errDN // a SET OF has at least one member
		}
		// The values of a multi-valued RDN may come in any order (RFC 4514
		// section 2.2); like OpenSSL, show them last first, as the RDNs.
		slices.Reverse(atvs)
		rdns = append(rdns, strings.Join(atvs, "+"))
	}
	// RFC 4514 section 2.1: the last RDN of the sequence comes first.
	slices.Reverse(rdns)
	return strings.Join(rdns, ","), nil
}

// formatValue renders one attribute value: an escaped string for the
// character string types, # and the hex of the DER for anything else.
func formatValue(v asn1.RawValue) string {
	if v.Class == asn1.ClassUniversal && !v.IsCompound {
		if s, ok := decodeString(v.Tag, v.Bytes); ok {
			return EscapeDNValue(s)
		}
	}
	return "#" + strings.ToUpper(hex.EncodeToString(v.FullBytes))
}

// decodeString returns the text of a character string, or false when tag is
// not a string type or b is not valid for it.
func decodeString(tag int, b []byte) (string, bool) {
	switch tag {
	case tagUTF8String, tagPrintableString, tagIA5String, tagNumericString, tagVisibleString:
		// Invalid UTF-8 (or bytes past ASCII in the ASCII types) is kept
		// as bytes and escaped by EscapeDNValue.
		return string(b), true
	case tagT61String:
		// Read as Latin-1, as OpenSSL and crypto/x509 do.
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r), true
	case tagBMPString:
		if len(b)%2 != 0 {
			return "", false
		}
		u := make([]uint16, len(b)/2)
		for i := range u {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
		return string(utf16.Decode(u)), true
	case tagUniversalString:
		if len(b)%4 != 0 {
			return "", false
		}
		r := make([]rune, len(b)/4)
		for i := range r {
			r[i] = rune(binary.BigEndian.Uint32(b[4*i:]))
			if !utf8.ValidRune(r[i]) {
				return "", false
			}
		}
		return string(r), true
	}
	return "", false
}

// EscapeDNValue escapes an attribute value as RFC 4514 section 2.4 asks
// (the characters " + , ; < > \, a leading space or #, a trailing space,
// NUL) and also escapes, as \XX for each byte, every character [SafeText]
// would: control characters, invalid UTF-8, and Unicode format and
// separator characters.
func EscapeDNValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1, unsafeRune(r):
			for _, c := range []byte(s[i : i+size]) {
				b.WriteByte('\\')
				b.WriteString(strings.ToUpper(hex.EncodeToString([]byte{c})))
			}
		case strings.ContainsRune(`"+,;<>\`, r),
			i == 0 && (r == ' ' || r == '#'),
			i+size == len(s) && r == ' ':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether r must not reach a terminal as it is: anything
// but printable characters and the ASCII space (control characters C0 and
// C1, DEL, line and paragraph separators, bidirectional and other format
// characters, unassigned code points).
func unsafeRune(r rune) bool {
	return r != ' ' && !unicode.IsPrint(r)
}

// SafeText returns s with every character that could move a terminal's
// cursor, change its state or start a new line (control characters,
// invalid UTF-8, Unicode format and separator characters) written as \xXX
// for each of its bytes. Everything attacker-chosen that reaches text
// output, a script or a document passes through it (or through [DN]).
// Text that needs no escaping is returned unchanged, so applying it twice
// is harmless.
func SafeText(s string) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || unsafeRune(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 || unsafeRune(r) {
			for _, c := range []byte(s[i : i+size]) {
				b.WriteString(`\x`)
				b.WriteString(hex.EncodeToString([]byte{c}))
			}
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

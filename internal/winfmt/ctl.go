package winfmt

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
)

// Object identifiers of certificate trust lists (MS-CAESO §4.4; the
// attribute OIDs are szOID_CERT_PROP_ID_PREFIX 1.3.6.1.4.1.311.10.11 plus
// the CERT_*_PROP_ID number, as certutil -dump names them).
var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	// OIDCTL is szOID_CTL, the content type of a certificate trust list.
	OIDCTL  = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 1}
	oidSHA1 = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA2 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}

	propPrefix = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 10, 11}
)

// CTL property IDs read from an authroot.stl entry's attributes.
const (
	propEKU            = 9   // CERT_ENHKEY_USAGE_PROP_ID: the EKUs the root is trusted for
	propFriendlyName   = 11  // CERT_FRIENDLY_NAME_PROP_ID
	propKeyID          = 20  // CERT_KEY_IDENTIFIER_PROP_ID
	propSubjectNameMD5 = 29  // CERT_SUBJECT_NAME_MD5_HASH_PROP_ID
	propSHA256         = 98  // CERT_AUTH_ROOT_SHA256_HASH_PROP_ID
	propDisallowedTime = 104 // CERT_DISALLOWED_FILETIME_PROP_ID: the disable date
	propDisallowedEKU  = 122 // CERT_DISALLOWED_ENHKEY_USAGE_PROP_ID
	propNotBeforeTime  = 126 // CERT_ROOT_PROGRAM_NOT_BEFORE_FILETIME_PROP_ID
	propNotBeforeEKU   = 127 // CERT_ROOT_PROGRAM_NOT_BEFORE_ENHKEY_USAGE_PROP_ID
)

// maxCTLEntries bounds the entries read from one CTL (authroot.stl has
// about 500).
const maxCTLEntries = 100000

// CTL is a certificate trust list: Microsoft's root program (authroot.stl)
// or its disallowed list.
type CTL struct {
	// Usage is the CTL's subject usage (1.3.6.1.4.1.311.10.3.9 for the
	// root list).
	Usage []asn1.ObjectIdentifier
	// Sequence is the list's sequence number, in hex; empty when absent.
	Sequence   string
	ThisUpdate time.Time
	NextUpdate time.Time // zero when absent
	// Algorithm names the hash of the entries' identifiers: "sha1" or
	// "sha256".
	Algorithm string
	Entries   []CTLEntry

	index map[string]int
}

// CTLEntry is one trusted subject of a CTL: a root named by its hash, with
// the restrictions Microsoft's root program puts on it.
type CTLEntry struct {
	// ID is the identifier in upper-case hex: the root's SHA-1 thumbprint
	// (SHA-256 when the CTL's Algorithm is sha256).
	ID           string
	FriendlyName string
	// SHA256 is the root's SHA-256 in upper-case hex, when listed.
	SHA256 string
	// EKUs are the uses the root is trusted for; none means every use.
	EKUs []asn1.ObjectIdentifier
	// DisallowedEKUs are uses the root is not trusted for (from
	// DisabledAt when set, else always).
	DisallowedEKUs []asn1.ObjectIdentifier
	// DisabledAt is the disable date: from then on the root is not trusted
	// (for DisallowedEKUs only, when there are some). Zero when absent.
	DisabledAt time.Time
	// NotBefore is the NotBefore date: certificates issued (by their own
	// NotBefore) on or after it are not trusted under this root (for
	// NotBeforeEKUs only, when there are some). Zero when absent.
	NotBefore     time.Time
	NotBeforeEKUs []asn1.ObjectIdentifier
}

// CTLError is a certificate trust list that could not be read.
type CTLError struct{ Err error }

func (e *CTLError) Error() string { return "winfmt: certificate trust list: " + e.Err.Error() }
func (e *CTLError) Unwrap() error { return e.Err }

func ctlErr(format string, args ...any) error { return &CTLError{Err: fmt.Errorf(format, args...)} }

// elements splits the contents of a constructed DER value into its elements.
func elements(b []byte) ([]asn1.RawValue, error) {
	var out []asn1.RawValue
	for len(b) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(b, &v)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		b = rest
	}
	return out, nil
}

// ctlContent returns the DER of the CTL inside a PKCS#7 SignedData whose
// content type is szOID_CTL.
func ctlContent(der []byte) ([]byte, error) {
	var ci struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}
	rest, err := asn1.Unmarshal(der, &ci)
	if err != nil {
		return nil, ctlErr("not a PKCS#7 ContentInfo: %v", err)
	}
	if len(rest) > 0 {
		return nil, ctlErr("%d bytes after the PKCS#7 ContentInfo", len(rest))
	}
	if !ci.Type.Equal(oidSignedData) {
		return nil, ctlErr("PKCS#7 content type %v, not SignedData", ci.Type)
	}
	if ci.Content.Class != asn1.ClassContextSpecific || ci.Content.Tag != 0 {
		return nil, ctlErr("PKCS#7 ContentInfo has no [0] content")
	}
	var sdSeq asn1.RawValue
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sdSeq); err != nil || sdSeq.Tag != asn1.TagSequence {
		return nil, ctlErr("malformed SignedData")
	}
	sd, err := elements(sdSeq.Bytes)
	if err != nil || len(sd) < 3 || sd[0].Tag != asn1.TagInteger || sd[2].Tag != asn1.TagSequence {
		return nil, ctlErr("malformed SignedData")
	}
	encap, err := elements(sd[2].Bytes)
	if err != nil || len(encap) == 0 {
		return nil, ctlErr("malformed SignedData content info")
	}
	var typ asn1.ObjectIdentifier
	if _, err := asn1.Unmarshal(encap[0].FullBytes, &typ); err != nil {
		return nil, ctlErr("malformed SignedData content type")
	}
	if !typ.Equal(OIDCTL) {
		return nil, ctlErr("SignedData holds %v, not a certificate trust list (%v)", typ, OIDCTL)
	}
	if len(encap) < 2 || encap[1].Class != asn1.ClassContextSpecific || encap[1].Tag != 0 {
		return nil, ctlErr("SignedData has no content")
	}
	return encap[1].Bytes, nil // [0] EXPLICIT: its contents are the CTL
}

// IsCTL reports whether der is a PKCS#7 SignedData holding a certificate
// trust list (authroot.stl, disallowedcert.stl).
func IsCTL(der []byte) bool {
	_, err := ctlContent(der)
	return err == nil
}

// DecodeCTL reads a certificate trust list from its PKCS#7 SignedData (an
// authroot.stl as Windows Update serves it, or the EncodedCtl value Windows
// keeps under HKLM\SOFTWARE\Microsoft\SystemCertificates\AuthRoot\AutoUpdate).
// The signature is not checked: trust the file for where it came from.
func DecodeCTL(der []byte) (*CTL, error) {
	body, err := ctlContent(der)
	if err != nil {
		return nil, err
	}
	var seq asn1.RawValue
	if rest, err := asn1.Unmarshal(body, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
		return nil, ctlErr("the CertificateTrustList is not one DER sequence")
	}
	f, err := elements(seq.Bytes)
	if err != nil {
		return nil, ctlErr("CertificateTrustList: %v", err)
	}
	c := &CTL{index: map[string]int{}}
	i := 0
	at := func(class, tag int) bool { return i < len(f) && f[i].Class == class && f[i].Tag == tag }
	if at(asn1.ClassUniversal, asn1.TagInteger) { // version
		i++
	}
	if !at(asn1.ClassUniversal, asn1.TagSequence) {
		return nil, ctlErr("no subject usage")
	}
	if c.Usage, err = oidList(f[i].FullBytes); err != nil {
		return nil, ctlErr("subject usage: %v", err)
	}
	i++
	if at(asn1.ClassUniversal, asn1.TagOctetString) { // list identifier
		i++
	}
	if at(asn1.ClassUniversal, asn1.TagInteger) {
		c.Sequence = strings.ToUpper(hex.EncodeToString(f[i].Bytes))
		i++
	}
	if c.ThisUpdate, err = ctlTime(f, i); err != nil {
		return nil, ctlErr("this update: %v", err)
	}
	i++
	if at(asn1.ClassUniversal, asn1.TagUTCTime) || at(asn1.ClassUniversal, asn1.TagGeneralizedTime) {
		c.NextUpdate, _ = ctlTime(f, i)
		i++
	}
	if !at(asn1.ClassUniversal, asn1.TagSequence) {
		return nil, ctlErr("no subject algorithm")
	}
	var alg struct {
		Algorithm asn1.ObjectIdentifier
		Params    asn1.RawValue `asn1:"optional"`
	}
	if _, err := asn1.Unmarshal(f[i].FullBytes, &alg); err != nil {
		return nil, ctlErr("subject algorithm: %v", err)
	}
	switch {
	case alg.Algorithm.Equal(oidSHA1):
		c.Algorithm = "sha1"
	case alg.Algorithm.Equal(oidSHA2):
		c.Algorithm = "sha256"
	default:
		return nil, ctlErr("subject algorithm %v is neither SHA-1 nor SHA-256", alg.Algorithm)
	}
	i++
	if at(asn1.ClassUniversal, asn1.TagSequence) {
		subjects, err := elements(f[i].Bytes)
		if err != nil {
			return nil, ctlErr("trusted subjects: %v", err)
		}
		if len(subjects) > maxCTLEntries {
			return nil, ctlErr("%d entries, more than %d", len(subjects), maxCTLEntries)
		}
		for n, s := range subjects {
			e, err := ctlEntry(s)
			if err != nil {
				return nil, ctlErr("entry %d: %v", n+1, err)
			}
			if _, dup := c.index[e.ID]; !dup {
				c.index[e.ID] = len(c.Entries)
			}
			c.Entries = append(c.Entries, e)
		}
	}
	return c, nil
}

func ctlTime(f []asn1.RawValue, i int) (time.Time, error) {
	if i >= len(f) {
		return time.Time{}, errors.New("missing")
	}
	var t time.Time
	if _, err := asn1.Unmarshal(f[i].FullBytes, &t); err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

func oidList(der []byte) ([]asn1.ObjectIdentifier, error) {
	var out []asn1.ObjectIdentifier
	rest, err := asn1.Unmarshal(der, &out)
	if err == nil && len(rest) > 0 {
		err = errors.New("trailing data")
	}
	return out, err
}

func ctlEntry(s asn1.RawValue) (CTLEntry, error) {
	var e CTLEntry
	if s.Tag != asn1.TagSequence {
		return e, errors.New("not a sequence")
	}
	parts, err := elements(s.Bytes)
	if err != nil || len(parts) == 0 || parts[0].Tag != asn1.TagOctetString {
		return e, errors.New("no subject identifier")
	}
	e.ID = strings.ToUpper(hex.EncodeToString(parts[0].Bytes))
	if len(parts) < 2 {
		return e, nil
	}
	attrs, err := elements(parts[1].Bytes)
	if err != nil {
		return e, fmt.Errorf("attributes: %v", err)
	}
	for _, a := range attrs {
		var attr struct {
			Type   asn1.ObjectIdentifier
			Values asn1.RawValue `asn1:"set"`
		}
		if _, err := asn1.Unmarshal(a.FullBytes, &attr); err != nil {
			return e, fmt.Errorf("attribute: %v", err)
		}
		if len(attr.Type) != len(propPrefix)+1 || !attr.Type[:len(propPrefix)].Equal(propPrefix) {
			continue // not a certificate property
		}
		vals, err := elements(attr.Values.Bytes)
		if err != nil || len(vals) == 0 || vals[0].Tag != asn1.TagOctetString {
			return e, fmt.Errorf("attribute %v: not an octet string", attr.Type)
		}
		v := vals[0].Bytes
		switch attr.Type[len(propPrefix)] {
		case propEKU:
			e.EKUs, err = oidList(v)
		case propDisallowedEKU:
			e.DisallowedEKUs, err = oidList(v)
		case propNotBeforeEKU:
			e.NotBeforeEKUs, err = oidList(v)
		case propDisallowedTime:
			e.DisabledAt, err = filetime(v)
		case propNotBeforeTime:
			e.NotBefore, err = filetime(v)
		case propFriendlyName:
			e.FriendlyName = utf16Text(v)
		case propSHA256:
			e.SHA256 = strings.ToUpper(hex.EncodeToString(v))
		}
		if err != nil {
			return e, fmt.Errorf("attribute %v: %v", attr.Type, err)
		}
	}
	return e, nil
}

// filetimeEpoch is 1601-01-01 in Unix seconds.
const filetimeEpoch = -11644473600

// filetime decodes a Windows FILETIME: 100-ns intervals since 1601, 8 bytes
// little-endian.
func filetime(b []byte) (time.Time, error) {
	if len(b) == 0 {
		return time.Time{}, nil // listed without a date (authroot.stl has such entries)
	}
	if len(b) != 8 {
		return time.Time{}, fmt.Errorf("a FILETIME is 8 bytes, got %d", len(b))
	}
	ft := binary.LittleEndian.Uint64(b)
	return time.Unix(int64(ft/1e7)+filetimeEpoch, int64(ft%1e7)*100).UTC(), nil
}

// EncodeFiletime returns t as a Windows FILETIME (t must be after 1601).
func EncodeFiletime(t time.Time) []byte {
	d := t.Unix() - filetimeEpoch
	ft := uint64(d)*1e7 + uint64(t.Nanosecond()/100)
	return binary.LittleEndian.AppendUint64(nil, ft)
}

func utf16Text(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// Find returns the entry for the DER certificate der, or nil.
func (c *CTL) Find(der []byte) *CTLEntry {
	var id string
	if c.Algorithm == "sha256" {
		h := sha256.Sum256(der)
		id = strings.ToUpper(hex.EncodeToString(h[:]))
	} else {
		h := sha1.Sum(der)
		id = strings.ToUpper(hex.EncodeToString(h[:]))
	}
	i, ok := c.index[id]
	if !ok {
		return nil
	}
	return &c.Entries[i]
}

// Lookup returns the entry whose identifier is id (hex, any case), or nil.
func (c *CTL) Lookup(id string) *CTLEntry {
	i, ok := c.index[strings.ToUpper(id)]
	if !ok {
		return nil
	}
	return &c.Entries[i]
}

// hasOID reports whether list holds oid.
func hasOID(list []asn1.ObjectIdentifier, oid asn1.ObjectIdentifier) bool {
	for _, o := range list {
		if o.Equal(oid) {
			return true
		}
	}
	return false
}

// Restriction says why entry e does not let its root anchor a chain for
// the use eku (such as server authentication, 1.3.6.1.5.5.7.3.1) at the
// instant now, for a leaf certificate issued at leafNotBefore; "" when it
// does. The rules are those of Windows' chain engine for root program
// properties (as reverse-engineered by certutil -dump readers): allowed
// EKUs, then the disable date with its EKUs, then the NotBefore date with
// its EKUs.
func (e *CTLEntry) Restriction(eku asn1.ObjectIdentifier, now, leafNotBefore time.Time) string {
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	if len(e.EKUs) > 0 && !hasOID(e.EKUs, eku) {
		return fmt.Sprintf("Microsoft's root program trusts it only for %s, not %s", oidNames(e.EKUs), oidName(eku))
	}
	switch {
	case !e.DisabledAt.IsZero() && !now.Before(e.DisabledAt) && len(e.DisallowedEKUs) == 0:
		return fmt.Sprintf("Microsoft's root program disabled it on %s", day(e.DisabledAt))
	case !e.DisabledAt.IsZero() && !now.Before(e.DisabledAt) && hasOID(e.DisallowedEKUs, eku):
		return fmt.Sprintf("Microsoft's root program disabled it for %s on %s", oidName(eku), day(e.DisabledAt))
	case e.DisabledAt.IsZero() && hasOID(e.DisallowedEKUs, eku):
		return fmt.Sprintf("Microsoft's root program does not trust it for %s", oidName(eku))
	}
	applies := len(e.NotBeforeEKUs) == 0 || hasOID(e.NotBeforeEKUs, eku)
	if !e.NotBefore.IsZero() && applies && !leafNotBefore.Before(e.NotBefore) {
		return fmt.Sprintf("Microsoft's root program distrusts certificates it issued from %s on (this one is from %s)", day(e.NotBefore), day(leafNotBefore))
	}
	if e.NotBefore.IsZero() && len(e.NotBeforeEKUs) > 0 && hasOID(e.NotBeforeEKUs, eku) {
		return fmt.Sprintf("Microsoft's root program distrusts it for %s", oidName(eku))
	}
	return ""
}

// OIDServerAuth is the server authentication EKU, the use Lync and Outlook
// ask of EWS and Autodiscover chains.
var OIDServerAuth = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}

var ekuNames = map[string]string{
	"1.3.6.1.5.5.7.3.1":      "server authentication",
	"1.3.6.1.5.5.7.3.2":      "client authentication",
	"1.3.6.1.5.5.7.3.3":      "code signing",
	"1.3.6.1.5.5.7.3.4":      "secure email",
	"1.3.6.1.5.5.7.3.8":      "time stamping",
	"1.3.6.1.5.5.7.3.9":      "OCSP signing",
	"1.3.6.1.4.1.311.10.3.4": "EFS",
	"1.3.6.1.4.1.311.60.3.2": "Windows Hello",
}

func oidName(o asn1.ObjectIdentifier) string {
	if n, ok := ekuNames[o.String()]; ok {
		return n
	}
	return o.String()
}

func oidNames(l []asn1.ObjectIdentifier) string {
	var names []string
	for _, o := range l {
		names = append(names, oidName(o))
	}
	return strings.Join(names, ", ")
}

// EncodeCTL returns c as a PKCS#7 SignedData with no signer: the shape of
// authroot.stl, for tests and tools that need a CTL with chosen entries.
// Windows would not accept it without Microsoft's signature.
func EncodeCTL(c *CTL) ([]byte, error) {
	type attribute struct {
		Type   asn1.ObjectIdentifier
		Values []asn1.RawValue `asn1:"set"`
	}
	prop := func(id int, v []byte) attribute {
		oid := append(append(asn1.ObjectIdentifier{}, propPrefix...), id)
		return attribute{Type: oid, Values: []asn1.RawValue{{Tag: asn1.TagOctetString, Bytes: v}}}
	}
	type subject struct {
		ID    []byte
		Attrs []attribute `asn1:"set,omitempty"`
	}
	var subjects []subject
	for _, e := range c.Entries {
		id, err := hex.DecodeString(e.ID)
		if err != nil {
			return nil, fmt.Errorf("winfmt: entry %s: %v", e.ID, err)
		}
		s := subject{ID: id}
		ekus := func(pid int, l []asn1.ObjectIdentifier) {
			if len(l) > 0 {
				b, _ := asn1.Marshal(l)
				s.Attrs = append(s.Attrs, prop(pid, b))
			}
		}
		ekus(propEKU, e.EKUs)
		ekus(propDisallowedEKU, e.DisallowedEKUs)
		ekus(propNotBeforeEKU, e.NotBeforeEKUs)
		if !e.DisabledAt.IsZero() {
			s.Attrs = append(s.Attrs, prop(propDisallowedTime, EncodeFiletime(e.DisabledAt)))
		}
		if !e.NotBefore.IsZero() {
			s.Attrs = append(s.Attrs, prop(propNotBeforeTime, EncodeFiletime(e.NotBefore)))
		}
		if e.FriendlyName != "" {
			s.Attrs = append(s.Attrs, prop(propFriendlyName, utf16z(e.FriendlyName)))
		}
		if e.SHA256 != "" {
			h, err := hex.DecodeString(e.SHA256)
			if err != nil {
				return nil, fmt.Errorf("winfmt: entry %s: SHA-256: %v", e.ID, err)
			}
			s.Attrs = append(s.Attrs, prop(propSHA256, h))
		}
		subjects = append(subjects, s)
	}
	alg := oidSHA1
	if c.Algorithm == "sha256" {
		alg = oidSHA2
	}
	usage := c.Usage
	if len(usage) == 0 {
		usage = []asn1.ObjectIdentifier{{1, 3, 6, 1, 4, 1, 311, 10, 3, 9}}
	}
	type algID struct{ Algorithm asn1.ObjectIdentifier }
	ctl := struct {
		Usage      []asn1.ObjectIdentifier
		ThisUpdate time.Time `asn1:"utc"`
		Alg        algID
		Subjects   []subject
	}{usage, c.ThisUpdate.UTC(), algID{alg}, subjects}
	body, err := asn1.Marshal(ctl)
	if err != nil {
		return nil, fmt.Errorf("winfmt: encode CTL: %v", err)
	}
	sd := struct {
		Version int
		Digests []algID `asn1:"set"`
		Encap   struct {
			Type    asn1.ObjectIdentifier
			Content asn1.RawValue
		}
		Signers []asn1.RawValue `asn1:"set"`
	}{Version: 1, Digests: []algID{{oidSHA2}}}
	sd.Encap.Type = OIDCTL
	sd.Encap.Content = explicit0(body)
	sdDER, err := asn1.Marshal(sd)
	if err != nil {
		return nil, fmt.Errorf("winfmt: encode SignedData: %v", err)
	}
	return asn1.Marshal(struct {
		Type    asn1.ObjectIdentifier
		Content asn1.RawValue
	}{oidSignedData, explicit0(sdDER)})
}

// explicit0 wraps DER in a [0] EXPLICIT tag.
func explicit0(der []byte) asn1.RawValue {
	return asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: der}
}

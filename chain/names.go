package chain

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// The GeneralName forms (RFC 5280 §4.2.1.6), by context tag.
const (
	gnOther = 0
	gnEmail = 1
	gnDNS   = 2
	gnX400  = 3
	gnDir   = 4
	gnEDI   = 5
	gnURI   = 6
	gnIP    = 7
	gnRID   = 8
)

var gnNames = map[int]string{
	gnOther: "otherName", gnEmail: "rfc822Name", gnDNS: "dNSName", gnX400: "x400Address",
	gnDir: "directoryName", gnEDI: "ediPartyName", gnURI: "URI", gnIP: "iPAddress", gnRID: "registeredID",
}

// generalName is one name of a certificate or one subtree base of a name
// constraint: its form and its content (a string for rfc822Name, dNSName
// and URI; address and mask for a constraint's iPAddress; the DER Name for
// directoryName).
type generalName struct {
	tag   int
	value []byte
}

func (g generalName) String() string {
	switch g.tag {
	case gnEmail, gnDNS, gnURI:
		return fmt.Sprintf("%s %q", gnNames[g.tag], string(g.value))
	case gnIP:
		if len(g.value) == 8 || len(g.value) == 32 {
			n := len(g.value) / 2
			return fmt.Sprintf("iPAddress %s", (&net.IPNet{IP: net.IP(g.value[:n]), Mask: net.IPMask(g.value[n:])}).String())
		}
		return fmt.Sprintf("iPAddress %s", net.IP(g.value))
	case gnDir:
		var rdn pkix.RDNSequence
		if _, err := asn1.Unmarshal(g.value, &rdn); err == nil {
			var n pkix.Name
			n.FillFromRDNSequence(&rdn)
			return fmt.Sprintf("directoryName %q", n.String())
		}
	}
	return gnNames[g.tag]
}

// nameConstraints is a parsed name constraints extension (RFC 5280
// §4.2.1.10), every form kept, directoryName included (crypto/x509 does not
// check directoryName constraints).
type nameConstraints struct {
	permitted, excluded []generalName
}

var (
	oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidSubjectAltName  = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidEmailAddress    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}
)

// maxSubtrees bounds the subtrees read from one extension.
const maxSubtrees = 1024

// parseNameConstraints reads a name constraints extension's value.
func parseNameConstraints(der []byte) (*nameConstraints, error) {
	in := cryptobyte.String(der)
	var top cryptobyte.String
	if !in.ReadASN1(&top, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errors.New("name constraints: not a DER SEQUENCE")
	}
	nc := &nameConstraints{}
	for i, dst := range []*[]generalName{&nc.permitted, &nc.excluded} {
		var subtrees cryptobyte.String
		var present bool
		if !top.ReadOptionalASN1(&subtrees, &present, cbasn1.Tag(i).ContextSpecific().Constructed()) {
			return nil, errors.New("name constraints: bad subtrees")
		}
		for !subtrees.Empty() {
			var st cryptobyte.String
			if !subtrees.ReadASN1(&st, cbasn1.SEQUENCE) {
				return nil, errors.New("name constraints: bad subtree")
			}
			g, err := readGeneralName(&st)
			if err != nil {
				return nil, err
			}
			// minimum and maximum (RFC 5280: MUST be 0 and absent) are
			// ignored, as crypto/x509 and Windows do.
			*dst = append(*dst, g)
			if len(nc.permitted)+len(nc.excluded) > maxSubtrees {
				return nil, fmt.Errorf("name constraints: more than %d subtrees", maxSubtrees)
			}
		}
	}
	if !top.Empty() {
		return nil, errors.New("name constraints: trailing data")
	}
	return nc, nil
}

// readGeneralName reads one GeneralName.
func readGeneralName(s *cryptobyte.String) (generalName, error) {
	var v cryptobyte.String
	var tag cbasn1.Tag
	if !s.ReadAnyASN1(&v, &tag) {
		return generalName{}, errors.New("bad GeneralName")
	}
	if tag&0xc0 != 0x80 { // context-specific
		return generalName{}, fmt.Errorf("bad GeneralName tag %#x", uint8(tag))
	}
	n := int(tag & 0x1f)
	if n == gnDir {
		// [4] EXPLICIT Name: the content is the Name SEQUENCE itself.
		var name cryptobyte.String
		inner := v
		if !inner.ReadASN1Element(&name, cbasn1.SEQUENCE) || !inner.Empty() {
			return generalName{}, errors.New("bad directoryName")
		}
		return generalName{tag: n, value: []byte(name)}, nil
	}
	return generalName{tag: n, value: []byte(v)}, nil
}

// maxNames bounds the names read from one certificate.
const maxNames = 1024

// constrainedNames returns every name of c that name constraints apply to: its
// subject (when not empty), its subject alternative names of every form,
// and, when it has no subject alternative name extension, the emailAddress
// attributes of its subject (RFC 5280 §4.2.1.10).
func constrainedNames(c *x509.Certificate) ([]generalName, error) {
	var out []generalName
	if !isEmptyName(c.RawSubject) {
		out = append(out, generalName{tag: gnDir, value: c.RawSubject})
	}
	hasSAN := false
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSubjectAltName) {
			continue
		}
		hasSAN = true
		in := cryptobyte.String(e.Value)
		var seq cryptobyte.String
		if !in.ReadASN1(&seq, cbasn1.SEQUENCE) {
			return nil, errors.New("subject alternative names: not a DER SEQUENCE")
		}
		for !seq.Empty() {
			g, err := readGeneralName(&seq)
			if err != nil {
				return nil, fmt.Errorf("subject alternative names: %v", err)
			}
			out = append(out, g)
			if len(out) > maxNames {
				return nil, fmt.Errorf("more than %d names", maxNames)
			}
		}
	}
	if !hasSAN {
		for _, a := range c.Subject.Names {
			if s, ok := a.Value.(string); ok && a.Type.Equal(oidEmailAddress) {
				out = append(out, generalName{tag: gnEmail, value: []byte(s)})
			}
		}
	}
	return out, nil
}

func isEmptyName(raw []byte) bool {
	var rdn pkix.RDNSequence
	rest, err := asn1.Unmarshal(raw, &rdn)
	return err == nil && len(rest) == 0 && len(rdn) == 0
}

// ncBudget bounds the name comparisons of one path, as crypto/x509 does.
const ncBudget = 250000

// violation is a name outside a CA's constraints.
type violation struct {
	name     generalName
	excluded bool         // inside an excluded subtree (else outside every permitted one)
	base     *generalName // the excluded subtree it is in
	why      string       // when the name could not be compared
}

func (v violation) String() string {
	switch {
	case v.why != "":
		return fmt.Sprintf("%s: %s", v.name, v.why)
	case v.excluded:
		return fmt.Sprintf("%s is inside excluded subtree %s", v.name, v.base)
	}
	return fmt.Sprintf("%s is outside every permitted %s subtree", v.name, gnNames[v.name.tag])
}

// check returns the first of names that nc rules out, if any. budget counts
// down the comparisons made.
func (nc *nameConstraints) check(names []generalName, budget *int) (violation, bool) {
	for _, n := range names {
		permittedOfForm, permittedMatch := false, false
		for i := range nc.permitted {
			p := &nc.permitted[i]
			if p.tag != n.tag {
				continue
			}
			permittedOfForm = true
			if *budget--; *budget < 0 {
				return violation{name: n, why: "too many name constraint comparisons"}, true
			}
			ok, err := matchName(n, *p)
			if err != nil {
				return violation{name: n, why: err.Error()}, true
			}
			if ok {
				permittedMatch = true
				break
			}
		}
		if permittedOfForm && !permittedMatch {
			return violation{name: n}, true
		}
		for i := range nc.excluded {
			x := &nc.excluded[i]
			if x.tag != n.tag {
				continue
			}
			if *budget--; *budget < 0 {
				return violation{name: n, why: "too many name constraint comparisons"}, true
			}
			ok, err := matchName(n, *x)
			if err != nil {
				return violation{name: n, why: err.Error()}, true
			}
			if ok {
				return violation{name: n, excluded: true, base: x}, true
			}
		}
	}
	return violation{}, false
}

// matchName reports whether name is inside the subtree of base (same form).
func matchName(name, base generalName) (bool, error) {
	switch name.tag {
	case gnDNS:
		return dnsWithin(string(name.value), string(base.value)), nil
	case gnEmail:
		return emailWithin(string(name.value), string(base.value))
	case gnURI:
		return uriWithin(string(name.value), string(base.value))
	case gnIP:
		return ipWithin(name.value, base.value)
	case gnDir:
		return dirWithin(name.value, base.value)
	}
	return false, fmt.Errorf("%s constraints cannot be checked", gnNames[name.tag])
}

// dnsWithin: a name is within a DNS subtree when it is the base or ends with
// "." + base; a base starting with "." takes subdomains only; an empty base
// takes every name. Case-insensitive.
func dnsWithin(name, base string) bool {
	name, base = strings.ToLower(strings.TrimSuffix(name, ".")), strings.ToLower(base)
	switch {
	case base == "":
		return true
	case strings.HasPrefix(base, "."):
		return strings.HasSuffix(name, base)
	}
	return name == base || strings.HasSuffix(name, "."+base)
}

// emailWithin: a base with "@" is one mailbox; a base starting with "."
// takes every mailbox of a subdomain; another base takes the mailboxes of
// that host.
func emailWithin(mailbox, base string) (bool, error) {
	at := strings.LastIndexByte(mailbox, '@')
	if at <= 0 {
		return false, fmt.Errorf("rfc822Name %q is not a mailbox", mailbox)
	}
	local, host := mailbox[:at], strings.ToLower(mailbox[at+1:])
	if i := strings.LastIndexByte(base, '@'); i >= 0 {
		return local == base[:i] && host == strings.ToLower(base[i+1:]), nil
	}
	base = strings.ToLower(base)
	if strings.HasPrefix(base, ".") {
		return strings.HasSuffix(host, base), nil
	}
	return host == base, nil
}

// uriWithin compares a URI's host with a host or ".domain" base.
func uriWithin(uri, base string) (bool, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" {
		return false, fmt.Errorf("URI %q has no host to compare", uri)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return false, fmt.Errorf("URI %q names an IP address, which URI constraints cannot take", uri)
	}
	base = strings.ToLower(base)
	if strings.HasPrefix(base, ".") {
		return strings.HasSuffix(host, base), nil
	}
	return host == base, nil
}

// ipWithin compares an address (4 or 16 bytes) with an address and mask of
// the same family (8 or 32 bytes).
func ipWithin(ip, base []byte) (bool, error) {
	if len(base) != 2*len(ip) || len(ip) != 4 && len(ip) != 16 {
		return false, nil // another family
	}
	n := len(ip)
	for i := 0; i < n; i++ {
		if ip[i]&base[n+i] != base[i]&base[n+i] {
			return false, nil
		}
	}
	return true, nil
}

// dirWithin: a distinguished name is within a directoryName subtree when
// the base's RDNs are its first RDNs (RFC 5280 §7.1: attribute values
// compared case-insensitively with spaces collapsed).
func dirWithin(name, base []byte) (bool, error) {
	var n, b pkix.RDNSequence
	if rest, err := asn1.Unmarshal(name, &n); err != nil || len(rest) > 0 {
		return false, errors.New("directoryName does not parse")
	}
	if rest, err := asn1.Unmarshal(base, &b); err != nil || len(rest) > 0 {
		return false, errors.New("directoryName constraint does not parse")
	}
	if len(b) > len(n) {
		return false, nil
	}
	for i := range b {
		if !rdnEqual(n[i], b[i]) {
			return false, nil
		}
	}
	return true, nil
}

func rdnEqual(a, b pkix.RelativeDistinguishedNameSET) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		found := false
		for _, y := range b {
			if x.Type.Equal(y.Type) && attrValueEqual(x.Value, y.Value) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func attrValueEqual(a, b any) bool {
	as, aok := a.(string)
	bs, bok := b.(string)
	if aok && bok {
		return normalise(as) == normalise(bs)
	}
	ab, _ := asn1.Marshal(a)
	bb, _ := asn1.Marshal(b)
	return bytes.Equal(ab, bb)
}

func normalise(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(s), " "))
}

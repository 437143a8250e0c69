package report

import (
	"crypto/x509"
	"strings"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
)

// FetchError returns the message of the finding that says why the address
// did not answer (no TLS handshake completed and no chain was built), and
// whether it did not.
func (a *Address) FetchError() (string, bool) {
	if a.TLSVersion != "" || len(a.Chain) > 0 {
		return "", false
	}
	for _, f := range a.Findings {
		if f.Severity == finding.SevError {
			return f.Message, true
		}
	}
	return "", true
}

// Cert returns the certificate of the target's chains with the SHA-1 sha1
// (lower-case hex): from Chain, else from OtherCerts; nil when neither
// holds it.
func (t *Target) Cert(sha1 string) *Cert {
	for i := range t.Chain {
		if t.Chain[i].SHA1 == sha1 {
			return &t.Chain[i]
		}
	}
	for i := range t.OtherCerts {
		if t.OtherCerts[i].SHA1 == sha1 {
			return &t.OtherCerts[i]
		}
	}
	return nil
}

// certNamer gives the certificates of a target the short names text
// shows (certutil.Name: the CN when there is one, else the subject).
type certNamer struct {
	// known holds the names a live scan computed, by SHA-1; nil for a
	// saved report.
	known map[string]string
	tr    *Target
}

// cert names c: as the scan named it, else from its DER, else from its
// subject.
func (n certNamer) cert(c *Cert) string {
	if name, ok := n.known[c.SHA1]; ok {
		return name
	}
	if x, err := x509.ParseCertificate(c.DER); err == nil {
		return certutil.Name(x)
	}
	return shortName(c.Subject)
}

// presented names a certificate the server presented: a report holds only
// the subject of one its chains do not use.
func (n certNamer) presented(p *Presented) string {
	if name, ok := n.known[p.SHA1]; ok {
		return name
	}
	if c := n.tr.Cert(p.SHA1); c != nil {
		return n.cert(c)
	}
	return shortName(p.Subject)
}

// shortName is what certutil.Name shows for a certificate with the subject
// dn (as certutil.DN formats it): its first CN (the most specific), else
// the whole subject. Names are escaped the same way in both, so this is
// exact unless a CN's encoding is one crypto/x509 reads otherwise
// (T61String past ASCII).
func shortName(dn string) string {
	for _, rdn := range splitDN(dn, ',') {
		for _, atv := range splitDN(rdn, '+') {
			if v, ok := strings.CutPrefix(atv, "CN="); ok {
				return "CN=" + safe(v)
			}
		}
	}
	if dn == "" {
		return "(empty subject)"
	}
	return safe(dn)
}

// splitDN splits an RFC 4514 string at every sep that is not escaped.
func splitDN(s string, sep byte) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the escaped character (or the first digit of \XX)
		case sep:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

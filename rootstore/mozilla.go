package rootstore

import (
	"crypto/x509"
	"strings"
	"sync"

	"github.com/trustgap/trustgap/internal/certutil"
	"golang.org/x/crypto/x509roots/fallback/bundle"
)

var mozilla = sync.OnceValue(func() []*x509.Certificate {
	var out []*x509.Certificate
	for r := range bundle.Roots() {
		if c, err := x509.ParseCertificate(r.Certificate); err == nil {
			out = append(out, c)
		}
	}
	return out
})

var mozillaKeys = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool)
	for _, c := range mozilla() {
		m[nameKey(c)] = true
	}
	return m
})

// nameKey identifies a CA by subject and key, whatever its encoding: the
// subject as certutil.DN shows it, case-folded (X.520 names compare without
// case, and a re-issued root may encode its name with other string types),
// and the public key in its canonical encoding.
func nameKey(c *x509.Certificate) string {
	spki, err := x509.MarshalPKIXPublicKey(c.PublicKey)
	if err != nil {
		spki = c.RawSubjectPublicKeyInfo
	}
	return strings.ToLower(certutil.Subject(c)) + "|" + string(spki)
}

// mozillaRoots returns the Mozilla root program as embedded in
// golang.org/x/crypto/x509roots/fallback: no network is used.
func mozillaRoots() []*x509.Certificate { return mozilla() }

// IsPublic reports whether c is a root of Mozilla's root program, the
// stand-in for "a public CA" in reports. It goes by subject and key, not by
// the certificate's bytes: a public root re-issued (new validity, serial or
// name encoding, same name and key) is public too.
func IsPublic(c *x509.Certificate) bool {
	return mozillaKeys()[nameKey(c)]
}

var mozillaNames = sync.OnceValue(func() map[string][]*x509.Certificate {
	m := make(map[string][]*x509.Certificate)
	for _, c := range mozilla() {
		n := strings.ToLower(certutil.Subject(c))
		m[n] = append(m[n], c)
	}
	return m
})

// PublicNamesake returns a root of Mozilla's root program that has c's
// name (compared as [IsPublic] compares it) but another key: the root c
// impersonates, as TLS interception and a man in the middle do. It
// returns c itself when c, by name and key, is public (a root of the
// program, or a re-issued copy of one), and nil when no public root has
// that name or c's name is empty.
func PublicNamesake(c *x509.Certificate) *x509.Certificate {
	if IsPublic(c) {
		return c
	}
	if len(c.Subject.Names) == 0 {
		return nil
	}
	if cs := mozillaNames()[strings.ToLower(certutil.Subject(c))]; len(cs) > 0 {
		return cs[0]
	}
	return nil
}

package rootstore

import (
	"crypto/x509"
	"sync"

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
		m[string(c.RawSubject)+"|"+string(c.RawSubjectPublicKeyInfo)] = true
	}
	return m
})

// mozillaRoots returns the Mozilla root program as embedded in
// golang.org/x/crypto/x509roots/fallback: no network is used.
func mozillaRoots() []*x509.Certificate { return mozilla() }

// IsPublic reports whether c (same subject and key) is a root of Mozilla's
// root program, the stand-in for "a public CA" in reports.
func IsPublic(c *x509.Certificate) bool {
	return mozillaKeys()[string(c.RawSubject)+"|"+string(c.RawSubjectPublicKeyInfo)]
}

package chain

import (
	"crypto/sha256"
	"crypto/x509"
	"sync"
	"sync/atomic"
	"time"
)

// The crypto/x509 cross-check verifies signatures again (it cannot be told
// that trustgap checked them), so its work is split and remembered where
// the split gives exactly crypto/x509's answer on the whole path:
//
//   - the CA part (the first intermediate up to the anchor) is verified
//     once per distinct CA path and instant, and shared by every target of
//     a run whose chain goes through it;
//   - the leaf is verified with its issuer as the only root.
//
// Verify's checks are per certificate (validity, critical extensions,
// extended key usage, CA basic constraints) or per link (the signature and
// the issuer's CA bit and keyCertSign), and those are each made in one of
// the two halves. What spans the whole path is split only when it cannot
// differ: no certificate above the first intermediate has name
// constraints (they would apply to the leaf) or a path length constraint
// (it would count the first intermediate), no certificate has a policy
// constraint or policy mapping (the only ways policy processing fails), and
// the first intermediate is a version 3 CA. Any other path is verified
// whole. Each path's answer is remembered too, since a path is judged when
// it is built and again when the target is judged.

// crossKey names a verification: the certificates' hashes and the instant.
type crossKey struct {
	certs string // the SHA-256 of each certificate, concatenated
	now   int64
}

func newCrossKey(certs []*x509.Certificate, now time.Time) crossKey {
	b := make([]byte, 0, 32*len(certs))
	for _, c := range certs {
		h := sha256.Sum256(c.Raw)
		b = append(b, h[:]...)
	}
	return crossKey{certs: string(b), now: now.UnixNano()}
}

// crossCache remembers verifications, up to maxCross (then it starts
// over); concurrent verifications of one path wait for the first.
type crossCache struct {
	mu sync.Mutex
	m  map[crossKey]*crossEntry
}

type crossEntry struct {
	once sync.Once
	err  error
}

// maxCross bounds a crossCache: a path is judged twice within moments (when
// built, when its target is judged), and CA parts are few, so a small one
// serves a scan of any length while its memory stays flat.
const maxCross = 1024

func (c *crossCache) do(k crossKey, f func() error) error {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= maxCross {
		c.m = map[crossKey]*crossEntry{}
	}
	e, ok := c.m[k]
	if !ok {
		e = &crossEntry{}
		c.m[k] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.err = f() })
	return e.err
}

var (
	paths, caParts crossCache
	// CrossChecks counts the crypto/x509 verifications made (answers
	// from memory not counted): of whole paths, of CA parts, of leaves
	// with their issuer. Tests and benchmarks read them.
	CrossChecks struct{ Whole, CAPart, Leaf atomic.Int64 }
)

// goVerify asks crypto/x509 whether it accepts certs (leaf first, anchor
// last) for Server Authentication at now.
func goVerify(certs []*x509.Certificate, now time.Time) error {
	return paths.do(newCrossKey(certs, now), func() error {
		if !splittable(certs) {
			CrossChecks.Whole.Add(1)
			return verify(certs, now)
		}
		err := caParts.do(newCrossKey(certs[1:], now), func() error {
			CrossChecks.CAPart.Add(1)
			return verify(certs[1:], now)
		})
		if err != nil {
			return err
		}
		CrossChecks.Leaf.Add(1)
		return verify(certs[:2], now)
	})
}

// verify runs crypto/x509's Verify on certs: certs[0] with the last as the
// only root and those between as intermediates.
func verify(certs []*x509.Certificate, now time.Time) error {
	roots, inter := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(certs[len(certs)-1])
	for _, c := range certs[1 : len(certs)-1] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return err
}

// splittable reports whether crypto/x509 gives the same answer on certs
// verified in two halves (see above) as whole.
func splittable(certs []*x509.Certificate) bool {
	if len(certs) < 3 {
		return false
	}
	if i := certs[1]; i.Version != 3 || !i.BasicConstraintsValid || !i.IsCA {
		return false
	}
	for _, c := range certs {
		if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero || len(c.PolicyMappings) > 0 {
			return false
		}
	}
	for _, c := range certs[2:] {
		if extension(c, oidNameConstraints) != nil || c.BasicConstraintsValid && c.MaxPathLen >= 0 {
			return false
		}
	}
	return true
}

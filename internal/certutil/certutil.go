// Package certutil holds the small certificate helpers every trustgap
// package shares, so that each rule exists once: thumbprints and their
// display case, display names, the names a certificate covers, signature
// links and self-signature, and key and signature strength.
//
// It imports nothing of trustgap.
package certutil

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // old certificates carry DSA keys
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Thumbprint is the upper-case hex SHA-1 of c, as Windows shows it.
func Thumbprint(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// Name is a short display name of c's subject: its CN when it has one,
// else its whole subject, escaped as [DN] escapes names.
func Name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + EscapeDNValue(c.Subject.CommonName)
	}
	if s := Subject(c); s != "" {
		return s
	}
	return "(empty subject)"
}

// Names lists the DNS and IP names c is valid for, or its CN when it has no
// SANs.
func Names(c *x509.Certificate) []string {
	names := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return names
}

// SigStatus is what checking one signature found.
type SigStatus int

// The signature statuses.
const (
	// SigValid: the signature verifies (SHA-2, SHA-1, MD5 with RSA, ECDSA,
	// Ed25519 and DSA are checked).
	SigValid SigStatus = iota
	// SigInvalid: the signature does not verify with the issuer's key.
	SigInvalid
	// SigUncheckable: the algorithm cannot be checked (MD2 and unknown
	// algorithms).
	SigUncheckable
)

func (s SigStatus) String() string {
	switch s {
	case SigValid:
		return "valid"
	case SigInvalid:
		return "invalid"
	}
	return "not checkable"
}

// CheckSignedBy checks child's signature with parent's key, once per run:
// the answer depends only on child's bytes and parent's public key, so it
// is remembered by their hashes (see [SignatureChecks]), and every target
// of a scan whose chain shares a CA link, or a root, reuses it. A CA's
// link (and a self-signature) is remembered for the run; a server
// certificate's while it is among the last [maxLeafSigs] checked, which
// serves a certificate installed on several servers without a memory that
// grows with the estate.
// x509.Certificate.CheckSignature is used rather than CheckSignatureFrom so
// that SHA-1 signatures (old Exchange and CA certificates) are still checked:
// weak algorithms are findings, not broken links. MD5 with RSA, which
// crypto/x509 refuses, is checked here with [rsa.VerifyPKCS1v15], and DSA
// with [dsa.Verify]; MD2 cannot be checked.
func CheckSignedBy(child, parent *x509.Certificate) SigStatus {
	k := sigKey{sha256.Sum256(child.Raw), sha256.Sum256(parent.RawSubjectPublicKeyInfo)}
	c := leafSigs
	if child.IsCA || bytes.Equal(child.RawIssuer, child.RawSubject) {
		c = caSigs
	}
	return c.do(k, func() SigStatus {
		sigChecks.Add(1)
		return checkSignedBy(child, parent)
	})
}

// sigKey names one signature check: the child's hash, the parent key's.
type sigKey struct{ child, parentKey [32]byte }

// The bounds of the signature memories: past maxCASigs, CA links are
// checked again (a hostile server may send many certificates); past
// maxLeafSigs, the memory of server certificates' links starts over.
const (
	maxCASigs   = 1 << 16
	maxLeafSigs = 1024
)

// sigCache remembers checks; concurrent checks of one pair wait for the
// first.
type sigCache struct {
	mu     sync.Mutex
	m      map[sigKey]*sigEntry
	max    int
	forget bool // when full, start over (else keep what is there)
}

type sigEntry struct {
	once sync.Once
	st   SigStatus
}

var (
	caSigs    = &sigCache{m: map[sigKey]*sigEntry{}, max: maxCASigs}
	leafSigs  = &sigCache{m: map[sigKey]*sigEntry{}, max: maxLeafSigs, forget: true}
	sigChecks atomic.Int64
)

func (c *sigCache) do(k sigKey, check func() SigStatus) SigStatus {
	c.mu.Lock()
	e, ok := c.m[k]
	if !ok {
		e = &sigEntry{}
		if len(c.m) >= c.max && c.forget {
			c.m = map[sigKey]*sigEntry{}
		}
		if len(c.m) < c.max {
			c.m[k] = e
		}
	}
	c.mu.Unlock()
	e.once.Do(func() { e.st = check() })
	return e.st
}

// SignatureChecks returns how many signatures [CheckSignedBy] has verified
// since the process started (answers from its memory not counted): a
// counter for tests and benchmarks.
func SignatureChecks() int64 { return sigChecks.Load() }

func checkSignedBy(child, parent *x509.Certificate) SigStatus {
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	if err == nil {
		return SigValid
	}
	switch child.SignatureAlgorithm {
	case x509.MD5WithRSA:
		pub, ok := parent.PublicKey.(*rsa.PublicKey)
		if !ok {
			return SigInvalid
		}
		sum := md5.Sum(child.RawTBSCertificate)
		if rsa.VerifyPKCS1v15(pub, crypto.MD5, sum[:], child.Signature) == nil {
			return SigValid
		}
		return SigInvalid
	case x509.DSAWithSHA1, x509.DSAWithSHA256:
		return checkDSA(child, parent)
	}
	var ia x509.InsecureAlgorithmError
	if errors.As(err, &ia) || errors.Is(err, x509.ErrUnsupportedAlgorithm) {
		return SigUncheckable
	}
	if pub, ok := parent.PublicKey.(*rsa.PublicKey); ok && pub.N.BitLen() < 1024 {
		// crypto/rsa refuses keys below 1024 bits (unless GODEBUG
		// rsa1024min=0): the key is the problem, reported by KeyWeakness.
		return SigUncheckable
	}
	return SigInvalid
}

// checkDSA verifies a DSA signature (RFC 3279 §2.2.2: a DER SEQUENCE of r
// and s), which crypto/x509 no longer does.
func checkDSA(child, parent *x509.Certificate) SigStatus {
	pub, ok := parent.PublicKey.(*dsa.PublicKey)
	if !ok || pub.P == nil || pub.P.BitLen() > 4096 {
		return SigInvalid
	}
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(child.Signature, &sig); err != nil || len(rest) > 0 || sig.R == nil || sig.S == nil {
		return SigInvalid
	}
	var digest []byte
	if child.SignatureAlgorithm == x509.DSAWithSHA1 {
		s := sha1.Sum(child.RawTBSCertificate)
		digest = s[:]
	} else {
		s := sha256.Sum256(child.RawTBSCertificate)
		digest = s[:]
	}
	if dsa.Verify(pub, digest, sig.R, sig.S) { //nolint:staticcheck // DSA is read, never made
		return SigValid
	}
	return SigInvalid
}

// SignedBy reports whether parent's key verifies child's signature. An MD2
// (or otherwise uncheckable) signature counts when the key identifiers agree,
// so the chain is still built and the signature reported.
func SignedBy(child, parent *x509.Certificate) bool {
	switch CheckSignedBy(child, parent) {
	case SigValid:
		return true
	case SigUncheckable:
		return KeyIDsAgree(child, parent)
	}
	return false
}

// KeyIDsAgree reports whether child's authority key identifier, when it has
// one, names parent's subject key identifier.
func KeyIDsAgree(child, parent *x509.Certificate) bool {
	if len(child.AuthorityKeyId) == 0 || len(parent.SubjectKeyId) == 0 {
		return true
	}
	return bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
}

// IsSelfSigned reports whether c is self-signed: it names itself as issuer,
// and its signature verifies with its own key or cannot be checked (MD2
// roots). An issuer == subject comparison alone is not enough: a re-keyed or
// cross-certified CA can share its name with its issuer.
func IsSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && CheckSignedBy(c, c) != SigInvalid
}

// SelfSignatureVerifies reports whether c names itself as issuer and its
// signature verifies with its own key (not merely "cannot be checked").
func SelfSignatureVerifies(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && CheckSignedBy(c, c) == SigValid
}

// SHA1Hex is the lower-case hex SHA-1 of c, as JSON reports carry it.
// Everything people read (text reports, messages, scripts, instructions)
// shows [Thumbprint] instead, the upper-case form Windows shows.
func SHA1Hex(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return hex.EncodeToString(s[:])
}

// NameCovers reports whether c is valid for host: its DNS and IP SANs, or its
// CN when it has no SANs at all (how Windows clients still judge it).
func NameCovers(c *x509.Certificate, host string) bool {
	if len(c.DNSNames) > 0 || len(c.IPAddresses) > 0 {
		return c.VerifyHostname(host) == nil
	}
	cn := strings.ToLower(strings.TrimSuffix(c.Subject.CommonName, "."))
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if ip := net.ParseIP(h); ip != nil {
		cip := net.ParseIP(cn)
		return cip != nil && cip.Equal(ip)
	}
	return matchName(cn, h)
}

func matchName(pattern, host string) bool {
	if pattern == host {
		return true
	}
	if rest, ok := strings.CutPrefix(pattern, "*."); ok {
		i := strings.IndexByte(host, '.')
		return i > 0 && host[i+1:] == rest
	}
	return false
}

// WeakSignature reports whether alg is MD2, MD5 or SHA-1 based.
func WeakSignature(alg x509.SignatureAlgorithm) bool {
	switch alg {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}

// oidMD2WithRSA is md2WithRSAEncryption, which crypto/x509 no longer names.
var oidMD2WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 2}

// IsMD2 reports whether c is signed with MD2 (crypto/x509 reports it as an
// unknown algorithm).
func IsMD2(c *x509.Certificate) bool {
	if c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
		return c.SignatureAlgorithm == x509.MD2WithRSA
	}
	var outer struct {
		TBS asn1.RawValue
		Alg pkix.AlgorithmIdentifier
	}
	_, err := asn1.Unmarshal(c.Raw, &outer)
	return err == nil && outer.Alg.Algorithm.Equal(oidMD2WithRSA)
}

// SignatureAlgorithmName names c's signature algorithm, MD2 included.
func SignatureAlgorithmName(c *x509.Certificate) string {
	switch {
	case IsMD2(c):
		return "MD2-RSA"
	case c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm:
		return "an unknown algorithm"
	}
	return c.SignatureAlgorithm.String()
}

// BlockedSignature reports whether Windows refuses alg in a TLS server
// chain: MD2 and MD5 (SHA-1 is only refused for public roots in browsers).
func BlockedSignature(alg x509.SignatureAlgorithm) bool {
	return alg == x509.MD2WithRSA || alg == x509.MD5WithRSA
}

// KeyWeakness describes c's public key if it is too weak, or returns "";
// blocked is set when Windows refuses the key outright. This is trustgap's
// one key-strength rule, for servers, CAs and roots alike: RSA below 1024
// bits is blocked (Windows has refused it since 2012, KB2661254), RSA from
// 1024 to 2047 bits and EC below 256 bits are weak.
func KeyWeakness(c *x509.Certificate) (desc string, blocked bool) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("a %d-bit RSA key", n), n < 1024
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("a %d-bit EC key", n), false
		}
	case *dsa.PublicKey:
		if k.P != nil {
			if n := k.P.BitLen(); n < 2048 {
				return fmt.Sprintf("a %d-bit DSA key", n), n < 1024
			}
		}
	}
	return "", false
}

// Identity names a certificate the same way in every JSON output: report
// chains and roots, root store audits and the bundle manifest. Subject and
// issuer are formatted by [DN].
type Identity struct {
	Subject   string `json:"subject"`
	Issuer    string `json:"issuer"`
	SHA1      string `json:"sha1"`       // lower-case hex, see [SHA1Hex]
	SHA256    string `json:"sha256"`     // lower-case hex
	NotBefore string `json:"not_before"` // RFC 3339, UTC
	NotAfter  string `json:"not_after"`
}

// IdentityOf returns c's [Identity].
func IdentityOf(c *x509.Certificate) Identity {
	s256 := sha256.Sum256(c.Raw)
	return Identity{
		Subject: Subject(c), Issuer: Issuer(c),
		SHA1: SHA1Hex(c), SHA256: hex.EncodeToString(s256[:]),
		NotBefore: c.NotBefore.UTC().Format(time.RFC3339), NotAfter: c.NotAfter.UTC().Format(time.RFC3339),
	}
}

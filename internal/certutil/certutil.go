// Package certutil holds the small certificate helpers every trustgap
// package shares, so that each rule exists once: thumbprints and their
// display case, display names, the names a certificate covers, signature
// links and self-signature, and key and signature strength.
//
// It imports nothing of trustgap.
package certutil

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
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

// SignedBy reports whether parent's key verifies child's signature.
// x509.Certificate.CheckSignature is used rather than CheckSignatureFrom so
// that SHA-1 signatures (old Exchange and CA certificates) are still checked:
// weak algorithms are findings, not broken links.
func SignedBy(child, parent *x509.Certificate) bool {
	err := parent.CheckSignature(child.SignatureAlgorithm, child.RawTBSCertificate, child.Signature)
	if err == nil {
		return true
	}
	// MD5 and MD2 signatures cannot be checked by crypto/x509. Accept the
	// link when names and key identifiers agree, so the chain is still built
	// and the weak signature reported.
	var ia x509.InsecureAlgorithmError
	if errors.As(err, &ia) {
		return len(child.AuthorityKeyId) > 0 && bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId)
	}
	return false
}

// IsSelfSigned reports whether c names itself as issuer and its signature
// verifies with its own key. An issuer == subject comparison alone is not
// enough: a re-keyed or cross-certified CA can share its name with its issuer.
func IsSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && SignedBy(c, c)
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

// KeyWeakness describes c's public key if it is too weak, or returns "".
// This is trustgap's one key-strength rule, for servers, CAs and roots
// alike: RSA below 2048 bits, EC below 256.
func KeyWeakness(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("a %d-bit RSA key", n)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("a %d-bit EC key", n)
		}
	}
	return ""
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

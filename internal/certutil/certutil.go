// Package certutil holds the small certificate helpers every trustgap
// package shares: thumbprints, display names, signature links and the TLS
// configuration that captures a server's chain.
package certutil

import (
	"bytes"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strings"
)

// Thumbprint is the upper-case hex SHA-1 of c, as Windows shows it.
func Thumbprint(c *x509.Certificate) string {
	s := sha1.Sum(c.Raw)
	return strings.ToUpper(hex.EncodeToString(s[:]))
}

// Name is a short display name of c's subject: its CN when it has one.
func Name(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	if s := c.Subject.String(); s != "" {
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

// MaxPresented bounds how many certificates of a handshake are kept; the
// rest are ignored. (crypto/tls already bounds the handshake message size.)
const MaxPresented = 32

// CaptureTLS returns a client configuration for host that records the
// certificates the server presents in *certs, whatever their validity, as
// soon as they arrive: verification is trustgap's job, not the handshake's,
// and a server that then demands a client certificate (Lync on 5061) still
// yields its chain. A leaf that does not parse fails the handshake.
func CaptureTLS(host string, certs *[]*x509.Certificate) *tls.Config {
	cfg := &tls.Config{
		InsecureSkipVerify: true, // verified by trustgap after capture
		MinVersion:         tls.VersionTLS10,
		CipherSuites:       allCipherSuites(),
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			for i, der := range raw {
				if i == MaxPresented {
					break
				}
				c, err := x509.ParseCertificate(der)
				if err != nil {
					if i == 0 {
						return fmt.Errorf("server certificate does not parse: %v", err)
					}
					continue // an unparsable extra is ignored like any extra
				}
				*certs = append(*certs, c)
			}
			return nil
		},
		// Answer a client certificate request with no certificate.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &tls.Certificate{}, nil
		},
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host // no SNI for IP literals
	}
	return cfg
}

// allCipherSuites offers every suite Go implements, legacy ones included:
// trustgap only reads certificates, and Lync 2010 era servers may offer
// nothing newer.
func allCipherSuites() []uint16 {
	var ids []uint16
	for _, s := range tls.CipherSuites() {
		ids = append(ids, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		ids = append(ids, s.ID)
	}
	return ids
}

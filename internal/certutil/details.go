package certutil

import (
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"math/big"
	"net"
)

// Details are the fields of a certificate an admin needs to act on it, as
// every JSON output and the verbose text show them. Lists are never null.
type Details struct {
	// Serial is the serial number in lower-case hex (two's complement for
	// the negative serials some old roots have, with a leading "-").
	Serial      string   `json:"serial"`
	DNSNames    []string `json:"dns_names"`
	IPAddresses []string `json:"ip_addresses"`
	// KeyType is RSA, ECDSA, Ed25519, DSA or unknown; KeyBits its size
	// (the modulus, the curve or 256 for Ed25519; 0 when unknown).
	KeyType string `json:"key_type"`
	KeyBits int    `json:"key_bits"`
	// SignatureAlgorithm is crypto/x509's name of it (SHA256-RSA,
	// ECDSA-SHA384, SHA1-RSA, ...).
	SignatureAlgorithm string `json:"signature_algorithm"`
	// KeyUsage lists RFC 5280 key usage names (digitalSignature,
	// keyEncipherment, keyCertSign, cRLSign, ...); empty without the
	// extension.
	KeyUsage []string `json:"key_usage"`
	// ExtKeyUsage lists extended key usages by name (serverAuth,
	// clientAuth, ...) or dotted OID; empty without the extension.
	ExtKeyUsage []string `json:"ext_key_usage"`
	// BasicConstraints is null when the certificate has no basic
	// constraints extension.
	BasicConstraints *BasicConstraints `json:"basic_constraints"`
	// CAIssuers, OCSP and CRL are the AIA caIssuers, AIA OCSP and CRL
	// distribution point URLs.
	CAIssuers []string `json:"ca_issuers"`
	OCSP      []string `json:"ocsp"`
	CRL       []string `json:"crl"`
}

// BasicConstraints is the basic constraints extension.
type BasicConstraints struct {
	CA bool `json:"ca"`
	// MaxPathLen is the path length constraint; null when there is none.
	MaxPathLen *int `json:"max_path_len"`
}

// keyUsageNames are the RFC 5280 section 4.2.1.3 names, by bit.
var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "digitalSignature"},
	{x509.KeyUsageContentCommitment, "contentCommitment"},
	{x509.KeyUsageKeyEncipherment, "keyEncipherment"},
	{x509.KeyUsageDataEncipherment, "dataEncipherment"},
	{x509.KeyUsageKeyAgreement, "keyAgreement"},
	{x509.KeyUsageCertSign, "keyCertSign"},
	{x509.KeyUsageCRLSign, "cRLSign"},
	{x509.KeyUsageEncipherOnly, "encipherOnly"},
	{x509.KeyUsageDecipherOnly, "decipherOnly"},
}

// extKeyUsageNames are the names OpenSSL and RFC 5280 use.
var extKeyUsageNames = map[x509.ExtKeyUsage]string{
	x509.ExtKeyUsageAny:                            "any",
	x509.ExtKeyUsageServerAuth:                     "serverAuth",
	x509.ExtKeyUsageClientAuth:                     "clientAuth",
	x509.ExtKeyUsageCodeSigning:                    "codeSigning",
	x509.ExtKeyUsageEmailProtection:                "emailProtection",
	x509.ExtKeyUsageIPSECEndSystem:                 "ipsecEndSystem",
	x509.ExtKeyUsageIPSECTunnel:                    "ipsecTunnel",
	x509.ExtKeyUsageIPSECUser:                      "ipsecUser",
	x509.ExtKeyUsageTimeStamping:                   "timeStamping",
	x509.ExtKeyUsageOCSPSigning:                    "OCSPSigning",
	x509.ExtKeyUsageMicrosoftServerGatedCrypto:     "msSGC",
	x509.ExtKeyUsageNetscapeServerGatedCrypto:      "nsSGC",
	x509.ExtKeyUsageMicrosoftCommercialCodeSigning: "msCodeCom",
	x509.ExtKeyUsageMicrosoftKernelCodeSigning:     "msKernelCodeSigning",
}

// KeyInfo returns c's key type and size in bits (0 when unknown).
func KeyInfo(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 256
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	}
	return "unknown", 0
}

// DetailsOf returns c's [Details].
func DetailsOf(c *x509.Certificate) Details {
	d := Details{
		DNSNames: nonNil(c.DNSNames), IPAddresses: []string{},
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		KeyUsage:           []string{}, ExtKeyUsage: []string{},
		CAIssuers: nonNil(c.IssuingCertificateURL), OCSP: nonNil(c.OCSPServer), CRL: nonNil(c.CRLDistributionPoints),
	}
	if c.SerialNumber != nil {
		if c.SerialNumber.Sign() < 0 {
			d.Serial = "-" + hex.EncodeToString(new(big.Int).Neg(c.SerialNumber).Bytes())
		} else {
			d.Serial = hex.EncodeToString(c.SerialNumber.Bytes())
		}
		if d.Serial == "" || d.Serial == "-" {
			d.Serial += "00"
		}
	}
	for _, ip := range c.IPAddresses {
		d.IPAddresses = append(d.IPAddresses, net.IP(ip).String())
	}
	d.KeyType, d.KeyBits = KeyInfo(c)
	for _, ku := range keyUsageNames {
		if c.KeyUsage&ku.bit != 0 {
			d.KeyUsage = append(d.KeyUsage, ku.name)
		}
	}
	for _, e := range c.ExtKeyUsage {
		if n, ok := extKeyUsageNames[e]; ok {
			d.ExtKeyUsage = append(d.ExtKeyUsage, n)
		} else {
			d.ExtKeyUsage = append(d.ExtKeyUsage, "unknown")
		}
	}
	for _, oid := range c.UnknownExtKeyUsage {
		d.ExtKeyUsage = append(d.ExtKeyUsage, oid.String())
	}
	if c.BasicConstraintsValid {
		d.BasicConstraints = &BasicConstraints{CA: c.IsCA}
		if c.IsCA && (c.MaxPathLen > 0 || c.MaxPathLen == 0 && c.MaxPathLenZero) {
			n := c.MaxPathLen
			d.BasicConstraints.MaxPathLen = &n
		}
	}
	return d
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

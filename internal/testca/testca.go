// Package testca generates certificate authorities, intermediates and leaves in
// memory for tests and for the demo lab. Nothing it makes is written to disk
// unless a caller does so, and private keys never leave the process.
//
// Certificates use a fixed clock ([Epoch]) so that fixtures are reproducible
// relative to the validity instant the tests pin with --now.
//
// It is for tests and the demo lab only and imports nothing of trustgap.
package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// Epoch is the instant fixtures are judged at: certificates made with default
// options are valid from a year before Epoch to two years after it.
var Epoch = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Cert is a certificate with its private key.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// DER is set by [Rewrite]: the certificate's bytes, also when Cert is
	// nil because they do not parse.
	DER []byte
}

// Raw returns the certificate's DER.
func (c *Cert) Raw() []byte {
	if c.Cert == nil {
		return c.DER
	}
	return c.Cert.Raw
}

// Options shape a generated certificate. The zero value makes a P-256,
// SHA-256 end-entity certificate valid around [Epoch].
type Options struct {
	CN        string
	Org       string
	DNSNames  []string
	IPs       []net.IP
	IsCA      bool
	NotBefore time.Time // zero: Epoch minus one year
	NotAfter  time.Time // zero: Epoch plus two years
	// RSABits selects an RSA key of that size instead of P-256.
	RSABits int
	// Curve selects another curve than P-256.
	Curve elliptic.Curve
	// SigAlg overrides the signature algorithm (for example x509.SHA1WithRSA).
	SigAlg x509.SignatureAlgorithm
	// Key reuses an existing key (re-keyed or cross-signed CAs share keys).
	Key crypto.Signer
	// IssuingURL is written as the AIA caIssuers URL.
	IssuingURL string
	// CRLURLs are written as the CRL distribution points, OCSPURLs as the
	// AIA OCSP URLs.
	CRLURLs  []string
	OCSPURLs []string
	// NoSKI leaves out the subject key identifier.
	NoSKI bool
	// RawSubject, when set, is the subject's DER (an RDNSequence), in
	// place of CN and Org: names with DC= parts, multi-valued RDNs, odd
	// string types.
	RawSubject []byte
	// Seed, when set, derives the key (RSA, RSABits or 2048) and the serial
	// number from it, so that the same options give the same certificate
	// bytes on every run (the demo lab and its golden test). RSA PKCS #1
	// v1.5 signatures are deterministic; ECDSA ones are not.
	Seed string

	// EKU, when non-nil, replaces the extended key usages (an empty, non-nil
	// slice leaves the extension out), for example
	// x509.ExtKeyUsageOCSPSigning for an OCSP responder.
	EKU []x509.ExtKeyUsage
	// KeyUsage, when non-zero, replaces the key usage.
	KeyUsage x509.KeyUsage
	// PathLen sets a pathLenConstraint on a CA: n > 0, or 0 with PathLenZero.
	PathLen     int
	PathLenZero bool
	// NoBasicConstraints leaves the basic constraints extension out.
	NoBasicConstraints bool
	// PermittedDNS and ExcludedDNS are DNS name constraints (critical).
	PermittedDNS, ExcludedDNS []string
	// PermittedIPs are IP name constraints.
	PermittedIPs []*net.IPNet
	// Subject replaces the subject built from CN and Org.
	Subject *pkix.Name
	// ExtraExtensions are added as they are (for example a critical
	// extension no client knows, a directoryName constraint, a Freshest
	// CRL).
	ExtraExtensions []pkix.Extension
	// Policies are certificate policy OIDs.
	Policies []x509.OID
}

// New makes a certificate signed by issuer, or self-signed when issuer is nil.
// It panics on failure: generation only fails on programming errors.
func New(o Options, issuer *Cert) *Cert {
	key := o.Key
	if key == nil && o.Seed != "" {
		bits := o.RSABits
		if bits == 0 {
			bits = 2048
		}
		key = seededRSAKey(o.Seed, bits)
	}
	if key == nil {
		var err error
		if o.RSABits > 0 {
			key, err = rsa.GenerateKey(rand.Reader, o.RSABits)
		} else {
			curve := o.Curve
			if curve == nil {
				curve = elliptic.P256()
			}
			key, err = ecdsa.GenerateKey(curve, rand.Reader)
		}
		if err != nil {
			panic(err)
		}
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err)
	}
	if o.Seed != "" {
		serial = seededSerial(o.Seed)
	}
	nb, na := o.NotBefore, o.NotAfter
	if nb.IsZero() {
		nb = Epoch.AddDate(-1, 0, 0)
	}
	if na.IsZero() {
		na = Epoch.AddDate(2, 0, 0)
	}
	tpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: o.CN},
		DNSNames:              o.DNSNames,
		IPAddresses:           o.IPs,
		NotBefore:             nb,
		NotAfter:              na,
		BasicConstraintsValid: true,
		IsCA:                  o.IsCA,
		SignatureAlgorithm:    o.SigAlg,
		RawSubject:            o.RawSubject,
	}
	if o.Org != "" {
		tpl.Subject.Organization = []string{o.Org}
	}
	if o.Subject != nil {
		tpl.Subject = *o.Subject
	}
	if o.IsCA {
		tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	if o.EKU != nil {
		tpl.ExtKeyUsage = o.EKU
	}
	if o.KeyUsage != 0 {
		tpl.KeyUsage = o.KeyUsage
	}
	tpl.MaxPathLen, tpl.MaxPathLenZero = o.PathLen, o.PathLenZero
	tpl.BasicConstraintsValid = !o.NoBasicConstraints
	tpl.PermittedDNSDomains, tpl.ExcludedDNSDomains, tpl.PermittedIPRanges = o.PermittedDNS, o.ExcludedDNS, o.PermittedIPs
	tpl.PermittedDNSDomainsCritical = len(o.PermittedDNS)+len(o.ExcludedDNS)+len(o.PermittedIPs) > 0
	tpl.ExtraExtensions = o.ExtraExtensions
	tpl.Policies = o.Policies
	if o.IssuingURL != "" {
		tpl.IssuingCertificateURL = []string{o.IssuingURL}
	}
	tpl.CRLDistributionPoints, tpl.OCSPServer = o.CRLURLs, o.OCSPURLs
	spki, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		panic(err)
	}
	if !o.NoSKI {
		sum := sha256.Sum256(spki)
		tpl.SubjectKeyId = sum[:20]
	}
	parent, signer := tpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, key.Public(), signer)
	if err != nil {
		panic(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	return &Cert{Cert: c, Key: key}
}

// Root makes a self-signed CA.
func Root(cn string) *Cert { return New(Options{CN: cn, IsCA: true}, nil) }

// Intermediate makes a CA signed by issuer.
func Intermediate(cn string, issuer *Cert) *Cert {
	return New(Options{CN: cn, IsCA: true}, issuer)
}

// Leaf makes a server certificate for names, signed by issuer.
func Leaf(issuer *Cert, names ...string) *Cert {
	o := Options{DNSNames: names}
	if len(names) > 0 {
		o.CN = names[0]
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			o.IPs = append(o.IPs, ip)
		}
	}
	return New(o, issuer)
}

// TLSCert returns a tls.Certificate presenting leaf followed by chain, in the
// order given (tests use this to send wrong orders and extras).
func TLSCert(leaf *Cert, chain ...*x509.Certificate) tls.Certificate {
	tc := tls.Certificate{Certificate: [][]byte{leaf.Raw()}, PrivateKey: leaf.Key, Leaf: leaf.Cert}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc
}

// PEM encodes certificates as PEM.
func PEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

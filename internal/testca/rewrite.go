package testca

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
)

// TBS is the to-be-signed part of a certificate, for [Rewrite] to change
// what crypto/x509 will not make: version 1 certificates, negative serial
// numbers, MD5 signatures.
type TBS struct {
	Raw                asn1.RawContent
	Version            int `asn1:"optional,explicit,default:0,tag:0"` // 0 is v1, 2 is v3
	SerialNumber       *big.Int
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Issuer             asn1.RawValue
	Validity           asn1.RawValue
	Subject            asn1.RawValue
	PublicKey          asn1.RawValue
	IssuerUniqueID     asn1.BitString   `asn1:"optional,tag:1"`
	SubjectUniqueID    asn1.BitString   `asn1:"optional,tag:2"`
	Extensions         []pkix.Extension `asn1:"omitempty,optional,explicit,tag:3"`
}

type certificate struct {
	TBS                asn1.RawValue
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          asn1.BitString
}

// RewriteOptions say how [Rewrite] signs.
type RewriteOptions struct {
	// MD5 signs with MD5 and RSA (the issuer key must be RSA).
	MD5 bool
	// BadSignature flips a bit of the signature after signing.
	BadSignature bool
}

var (
	oidMD5WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA  = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// Rewrite re-signs c with issuer's key (c's own when issuer is nil) after
// edit changed its to-be-signed part. The result's Cert is nil when the new
// certificate does not parse (a negative serial number without the
// x509negativeserial setting); DER always holds it. It panics on failure:
// only programming errors make it fail.
func Rewrite(c *Cert, issuer *Cert, o RewriteOptions, edit func(*TBS)) *Cert {
	var tbs TBS
	if _, err := asn1.Unmarshal(c.Cert.RawTBSCertificate, &tbs); err != nil {
		panic(err)
	}
	tbs.Raw = nil
	if edit != nil {
		edit(&tbs)
	}
	key := c.Key
	if issuer != nil {
		key = issuer.Key
	}
	var alg pkix.AlgorithmIdentifier
	var h crypto.Hash
	switch key.Public().(type) {
	case *rsa.PublicKey:
		alg, h = pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}, crypto.SHA256
		if o.MD5 {
			alg, h = pkix.AlgorithmIdentifier{Algorithm: oidMD5WithRSA, Parameters: asn1.NullRawValue}, crypto.MD5
		}
	case *ecdsa.PublicKey:
		alg, h = pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA}, crypto.SHA256
	default:
		panic(fmt.Sprintf("testca: cannot sign with %T", key.Public()))
	}
	tbs.SignatureAlgorithm = alg
	der, err := asn1.Marshal(tbs)
	if err != nil {
		panic(err)
	}
	var digest []byte
	if h == crypto.MD5 {
		s := md5.Sum(der)
		digest = s[:]
	} else {
		s := sha256.Sum256(der)
		digest = s[:]
	}
	var sig []byte
	if rk, ok := key.(*rsa.PrivateKey); ok {
		sig, err = rsa.SignPKCS1v15(nil, rk, h, digest)
	} else {
		sig, err = key.Sign(rand.Reader, digest, h)
	}
	if err != nil {
		panic(err)
	}
	if o.BadSignature {
		sig[len(sig)/2] ^= 0x01
	}
	out, err := asn1.Marshal(certificate{TBS: asn1.RawValue{FullBytes: der}, SignatureAlgorithm: alg, Signature: asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		panic(err)
	}
	parsed, _ := x509.ParseCertificate(out)
	return &Cert{Cert: parsed, Key: c.Key, DER: out}
}

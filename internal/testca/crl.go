package testca

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"time"
)

// Revoked is one entry of a generated CRL.
type Revoked struct {
	Serial *big.Int
	At     time.Time // zero: a day before the CRL's ThisUpdate
	// Reason is a CRLReason (1 keyCompromise, 6 certificateHold, 8
	// removeFromCRL, ...); 0 writes no reason code.
	Reason int
}

// CRLOptions shape a generated CRL. The zero value makes an empty CRL
// number 1, issued a day before [Epoch] and valid for a week.
type CRLOptions struct {
	Number     int64
	ThisUpdate time.Time // zero: Epoch minus one day
	NextUpdate time.Time // zero: ThisUpdate plus seven days
	Revoked    []Revoked
	// ExtraExtensions are added as they are (an issuing distribution
	// point, a delta CRL indicator, a Freshest CRL).
	ExtraExtensions []pkix.Extension
	// SignWith signs the CRL with another key than the issuer's (a CRL
	// "signed by the wrong key").
	SignWith crypto.Signer
}

// CRL makes a DER CRL issued by issuer. It panics on failure. With an RSA
// issuer key the bytes are the same on every run.
func CRL(issuer *Cert, o CRLOptions) []byte {
	tu := o.ThisUpdate
	if tu.IsZero() {
		tu = Epoch.AddDate(0, 0, -1)
	}
	nu := o.NextUpdate
	if nu.IsZero() {
		nu = tu.AddDate(0, 0, 7)
	}
	n := o.Number
	if n == 0 {
		n = 1
	}
	tpl := &x509.RevocationList{Number: big.NewInt(n), ThisUpdate: tu, NextUpdate: nu, ExtraExtensions: o.ExtraExtensions}
	for _, r := range o.Revoked {
		at := r.At
		if at.IsZero() {
			at = tu.AddDate(0, 0, -1)
		}
		tpl.RevokedCertificateEntries = append(tpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: r.Serial, RevocationTime: at, ReasonCode: r.Reason})
	}
	signer := issuer.Key
	if o.SignWith != nil {
		signer = o.SignWith
	}
	der, err := x509.CreateRevocationList(rand.Reader, tpl, issuer.Cert, signer)
	if err != nil {
		panic(err)
	}
	return der
}

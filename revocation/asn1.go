package revocation

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Extension OIDs (RFC 5280 sections 4.2.1.13, 4.2.1.15, 5.2.4, 5.2.5).
var (
	oidFreshestCRL       = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidIssuingDistPoint  = asn1.ObjectIdentifier{2, 5, 29, 28}
	oidDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidCRLNumber         = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidAuthorityKeyID    = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidReasonCode        = asn1.ObjectIdentifier{2, 5, 29, 21}
	oidInvalidityDate    = asn1.ObjectIdentifier{2, 5, 29, 24}
	oidExpiredCertsOnCRL = asn1.ObjectIdentifier{2, 5, 29, 60}
)

// maxNames bounds the URLs read from one distribution point extension.
const maxNames = 16

var errMalformedDP = errors.New("malformed distribution points")

// parseDistributionPoints returns the URIs of the fullName of every
// distribution point in a cRLDistributionPoints or freshestCRL extension
// value (RFC 5280 4.2.1.13), in order, at most maxNames:
//
//	CRLDistributionPoints ::= SEQUENCE SIZE (1..MAX) OF DistributionPoint
//	DistributionPoint ::= SEQUENCE {
//	     distributionPoint       [0]     DistributionPointName OPTIONAL,
//	     reasons                 [1]     ReasonFlags OPTIONAL,
//	     cRLIssuer               [2]     GeneralNames OPTIONAL }
//
// Names relative to the CRL issuer and other GeneralName forms are skipped.
func parseDistributionPoints(der []byte) ([]string, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errMalformedDP
	}
	var urls []string
	for !seq.Empty() {
		var dp cryptobyte.String
		if !seq.ReadASN1(&dp, cbasn1.SEQUENCE) {
			return nil, errMalformedDP
		}
		var name cryptobyte.String
		var has bool
		if !dp.ReadOptionalASN1(&name, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
			return nil, errMalformedDP
		}
		if !has {
			continue
		}
		u, err := fullNameURIs(name)
		if err != nil {
			return nil, err
		}
		for _, s := range u {
			if len(urls) < maxNames {
				urls = append(urls, s)
			}
		}
	}
	return urls, nil
}

// fullNameURIs reads a DistributionPointName and returns the URIs of its
// fullName:
//
//	DistributionPointName ::= CHOICE {
//	     fullName                [0]     GeneralNames,
//	     nameRelativeToCRLIssuer [1]     RelativeDistinguishedName }
func fullNameURIs(name cryptobyte.String) ([]string, error) {
	var full cryptobyte.String
	var has bool
	if !name.ReadOptionalASN1(&full, &has, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errMalformedDP
	}
	if !has {
		return nil, nil // nameRelativeToCRLIssuer
	}
	var out []string
	for !full.Empty() {
		var gn cryptobyte.String
		var tag cbasn1.Tag
		if !full.ReadAnyASN1(&gn, &tag) {
			return nil, errMalformedDP
		}
		if tag == cbasn1.Tag(6).ContextSpecific() { // uniformResourceIdentifier
			out = append(out, string(gn))
		}
	}
	return out, nil
}

// idp is an issuing distribution point extension (RFC 5280 5.2.5):
//
//	IssuingDistributionPoint ::= SEQUENCE {
//	     distributionPoint          [0] DistributionPointName OPTIONAL,
//	     onlyContainsUserCerts      [1] BOOLEAN DEFAULT FALSE,
//	     onlyContainsCACerts        [2] BOOLEAN DEFAULT FALSE,
//	     onlySomeReasons            [3] ReasonFlags OPTIONAL,
//	     indirectCRL                [4] BOOLEAN DEFAULT FALSE,
//	     onlyContainsAttributeCerts [5] BOOLEAN DEFAULT FALSE }
type idp struct {
	URIs                []string // the fullName URIs, if any
	HasName             bool     // a distributionPoint is present
	OnlyUser, OnlyCA    bool
	OnlySomeReasons     bool
	Indirect, OnlyAttrs bool
}

var errMalformedIDP = errors.New("malformed issuing distribution point")

func parseIDP(der []byte) (*idp, error) {
	in := cryptobyte.String(der)
	var seq cryptobyte.String
	if !in.ReadASN1(&seq, cbasn1.SEQUENCE) || !in.Empty() {
		return nil, errMalformedIDP
	}
	out := &idp{}
	var name cryptobyte.String
	if !seq.ReadOptionalASN1(&name, &out.HasName, cbasn1.Tag(0).Constructed().ContextSpecific()) {
		return nil, errMalformedIDP
	}
	if out.HasName {
		u, err := fullNameURIs(name)
		if err != nil {
			return nil, errMalformedIDP
		}
		if len(u) > maxNames {
			u = u[:maxNames]
		}
		out.URIs = u
	}
	for _, f := range []struct {
		tag int
		out *bool
	}{{1, &out.OnlyUser}, {2, &out.OnlyCA}} {
		if !readImplicitBool(&seq, f.tag, f.out) {
			return nil, errMalformedIDP
		}
	}
	var reasons cryptobyte.String
	if !seq.ReadOptionalASN1(&reasons, &out.OnlySomeReasons, cbasn1.Tag(3).ContextSpecific()) {
		return nil, errMalformedIDP
	}
	for _, f := range []struct {
		tag int
		out *bool
	}{{4, &out.Indirect}, {5, &out.OnlyAttrs}} {
		if !readImplicitBool(&seq, f.tag, f.out) {
			return nil, errMalformedIDP
		}
	}
	if !seq.Empty() {
		return nil, errMalformedIDP
	}
	return out, nil
}

// readImplicitBool reads an optional [tag] IMPLICIT BOOLEAN.
func readImplicitBool(s *cryptobyte.String, tag int, out *bool) bool {
	var v cryptobyte.String
	var present bool
	if !s.ReadOptionalASN1(&v, &present, cbasn1.Tag(tag).ContextSpecific()) {
		return false
	}
	if !present {
		return true
	}
	if len(v) != 1 || v[0] != 0 && v[0] != 0xff {
		return false
	}
	*out = v[0] == 0xff
	return true
}

// parseCRLNumber reads a cRLNumber or deltaCRLIndicator (BaseCRLNumber)
// value: a non-negative INTEGER.
func parseCRLNumber(der []byte) (*big.Int, error) {
	in := cryptobyte.String(der)
	n := new(big.Int)
	if !in.ReadASN1Integer(n) || !in.Empty() || n.Sign() < 0 {
		return nil, errors.New("malformed CRL number")
	}
	return n, nil
}

// extension returns the value of the extension oid in exts, if present.
func extension(exts []pkix.Extension, oid asn1.ObjectIdentifier) ([]byte, bool) {
	for _, e := range exts {
		if e.Id.Equal(oid) {
			return e.Value, true
		}
	}
	return nil, false
}

// freshestCRL returns the delta CRL URLs a certificate names (its
// freshestCRL extension), if any.
func freshestCRL(c *x509.Certificate) ([]string, error) {
	v, ok := extension(c.Extensions, oidFreshestCRL)
	if !ok {
		return nil, nil
	}
	return parseDistributionPoints(v)
}

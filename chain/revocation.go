package chain

import "time"

// RevocationStatus is what a revocation check found for one certificate of a
// path.
type RevocationStatus string

// The revocation statuses.
const (
	// RevocationGood: a CRL or OCSP response signed by the issuer, current
	// at the judged instant, does not list the certificate.
	RevocationGood RevocationStatus = "good"
	// RevocationRevoked: such an answer lists it as revoked.
	RevocationRevoked RevocationStatus = "revoked"
	// RevocationUnknown: the check was tried and got no usable answer
	// (unreachable, ldap only, expired or badly signed CRL, bad OCSP
	// response).
	RevocationUnknown RevocationStatus = "unknown"
	// RevocationNotChecked: nothing was tried (the anchor, a certificate
	// naming no CDP and no OCSP, or checking off).
	RevocationNotChecked RevocationStatus = "not-checked"
)

// RevocationSource says what answered a revocation check.
type RevocationSource string

// The revocation sources.
const (
	SourceCRL      RevocationSource = "crl"
	SourceDeltaCRL RevocationSource = "delta-crl"
	SourceOCSP     RevocationSource = "ocsp"
)

// Revocation is the revocation status of one certificate of a path, as the
// revocation package recorded it. It is plain data: chain neither fetches
// nor judges revocation.
type Revocation struct {
	Status RevocationStatus
	// Source and URL name what answered (empty unless good or revoked).
	Source RevocationSource
	URL    string
	// CheckedAt is the instant the answer was judged at (--now).
	CheckedAt time.Time
	// NextUpdate is the answer's nextUpdate; zero when it has none.
	NextUpdate time.Time
	// RevokedAt and Reason say when and why, for a revoked certificate.
	RevokedAt time.Time
	Reason    string
	// Stale lists the CRLs met that have expired or expire soon: the CRLs
	// to republish.
	Stale []StaleCRL
}

// StaleCRL is a CRL whose nextUpdate has passed, or is near.
type StaleCRL struct {
	URL        string
	Issuer     string // the CA that signs it
	NextUpdate time.Time
	Expired    bool
}

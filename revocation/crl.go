package revocation

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/network"
)

const (
	kindCRL   = "CRL"
	kindDelta = "delta CRL"
)

// The CRL reasons trustgap treats apart.
const (
	reasonCertificateHold = 6
	reasonRemoveFromCRL   = 8
)

// crlInfo is what trustgap keeps of a parsed CRL: enough to verify its
// signature for any issuer and to look serials up, not the parsed entries.
type crlInfo struct {
	id         uint64               // tells CRLs apart in the signature cache
	sig        *x509.RevocationList // only the signed part, signature and algorithm
	rawIssuer  []byte
	issuer     string
	number     *big.Int
	deltaBase  *big.Int // the BaseCRLNumber of a delta CRL; nil for a base CRL
	thisUpdate time.Time
	nextUpdate time.Time
	idp        *idp
	freshest   []string
	// unusable is non-empty when the CRL cannot be used at all (an
	// unsupported critical extension, an indirect CRL), and says why.
	unusable string
	revoked  map[string]revokedEntry
}

type revokedEntry struct {
	at     time.Time
	reason int
}

func serialKey(n *big.Int) string {
	if n.Sign() < 0 {
		return "-" + string(n.Bytes())
	}
	return string(n.Bytes())
}

// parseCRL parses a CRL (DER, or PEM "X509 CRL") into what is kept of it.
func parseCRL(body []byte) (*crlInfo, error) {
	der := body
	if b, _ := pem.Decode(body); b != nil && b.Type == "X509 CRL" {
		der = b.Bytes
	}
	rl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("not a CRL: %s", strings.TrimPrefix(err.Error(), "x509: "))
	}
	ci := &crlInfo{
		id:         crlIDs.Add(1),
		sig:        &x509.RevocationList{RawTBSRevocationList: rl.RawTBSRevocationList, Signature: rl.Signature, SignatureAlgorithm: rl.SignatureAlgorithm},
		rawIssuer:  rl.RawIssuer,
		issuer:     certutil.DN(rl.RawIssuer),
		number:     rl.Number,
		thisUpdate: rl.ThisUpdate,
		nextUpdate: rl.NextUpdate,
		revoked:    make(map[string]revokedEntry, len(rl.RevokedCertificateEntries)),
	}
	for _, e := range rl.Extensions {
		switch {
		case e.Id.Equal(oidIssuingDistPoint):
			if ci.idp, err = parseIDP(e.Value); err != nil {
				return nil, err
			}
		case e.Id.Equal(oidDeltaCRLIndicator):
			if ci.deltaBase, err = parseCRLNumber(e.Value); err != nil {
				return nil, fmt.Errorf("malformed delta CRL indicator")
			}
		case e.Id.Equal(oidFreshestCRL):
			if ci.freshest, err = parseDistributionPoints(e.Value); err != nil {
				return nil, fmt.Errorf("malformed Freshest CRL extension")
			}
		case e.Id.Equal(oidCRLNumber), e.Id.Equal(oidAuthorityKeyID), e.Id.Equal(oidExpiredCertsOnCRL):
		default:
			if e.Critical && ci.unusable == "" {
				ci.unusable = fmt.Sprintf("it has an unsupported critical extension %s", e.Id)
			}
		}
	}
	if ci.idp != nil && ci.idp.Indirect {
		ci.unusable = "it is an indirect CRL, which trustgap does not support"
	}
	for _, e := range rl.RevokedCertificateEntries {
		for _, x := range e.Extensions {
			if x.Critical && !x.Id.Equal(oidReasonCode) && !x.Id.Equal(oidInvalidityDate) && ci.unusable == "" {
				ci.unusable = fmt.Sprintf("an entry has an unsupported critical extension %s", x.Id)
			}
		}
		ci.revoked[serialKey(e.SerialNumber)] = revokedEntry{at: e.RevocationTime, reason: e.ReasonCode}
	}
	return ci, nil
}

// fetchCRL returns the CRL at u, fetched once per run and kept until its
// nextUpdate passes on the wall clock (then fetched once more).
func (c *Checker) fetchCRL(ctx context.Context, u string) (*crlInfo, error) {
	stale := func(f *flight[*crlInfo]) bool {
		if f.val == nil || f.val.nextUpdate.IsZero() {
			return false
		}
		nu := f.val.nextUpdate
		return f.at.Before(nu) && c.clock().After(nu)
	}
	size := func(ci *crlInfo) int64 {
		if ci == nil {
			return 0
		}
		return int64(len(ci.sig.RawTBSRevocationList)) + 64*int64(len(ci.revoked))
	}
	return shared(c, ctx, c.crls, u, stale, size, func(ctx context.Context) (*crlInfo, error) {
		body, err := c.fetcher.Do(ctx, network.Request{URL: u, Limits: c.crlLimits})
		if err != nil {
			return nil, err
		}
		ci, err := parseCRL(body)
		if err != nil {
			return nil, &parseError{err}
		}
		return ci, nil
	})
}

// parseError is a CRL that was fetched but does not parse.
type parseError struct{ err error }

func (e *parseError) Error() string { return e.err.Error() }

// crlIDs numbers parsed CRLs.
var crlIDs atomic.Uint64

// sigKey identifies a (CRL, issuer) signature check.
type sigKey struct {
	crl    uint64 // crlInfo.id
	issuer string // the issuer's subject and public key
}

// checkSignature verifies ci's signature by issuer, once per pair.
func (c *Checker) checkSignature(ci *crlInfo, issuer *x509.Certificate) error {
	k := sigKey{ci.id, string(issuer.RawSubject) + "\x00" + string(issuer.RawSubjectPublicKeyInfo)}
	c.mu.Lock()
	err, ok := c.sigs[k]
	c.mu.Unlock()
	if ok {
		return err
	}
	err = ci.sig.CheckSignatureFrom(issuer)
	c.mu.Lock()
	if len(c.sigs) < maxCacheEntries {
		c.sigs[k] = err
	}
	c.mu.Unlock()
	return err
}

// verdict is what one usable CRL says about a certificate.
type verdict struct {
	listed bool
	entry  revokedEntry
}

// use checks ci as a CRL for cert by issuer at the judged instant. It
// returns the class and reason of a failure, or what the CRL says. expired
// CRLs are still read: a certificate listed in one is reported revoked.
func (c *Checker) use(ci *crlInfo, cert, issuer *x509.Certificate, delta bool) (verdict, class, string) {
	v := verdict{}
	if !bytes.Equal(ci.rawIssuer, cert.RawIssuer) {
		return v, failBadSig, fmt.Sprintf("it is the CRL of %q, not of the certificate's issuer %q", clean(ci.issuer), clean(certutil.Subject(issuer)))
	}
	if err := c.checkSignature(ci, issuer); err != nil {
		return v, failBadSig, fmt.Sprintf("its signature does not verify with the key of %s: %s", certName(issuer), clean(strings.TrimPrefix(err.Error(), "x509: ")))
	}
	if ci.unusable != "" {
		return v, failFetch, ci.unusable
	}
	switch {
	case delta && ci.deltaBase == nil:
		return v, failFetch, "it is not a delta CRL (no delta CRL indicator)"
	case !delta && ci.deltaBase != nil:
		return v, failFetch, "it is a delta CRL, named as a base CRL"
	}
	if d := ci.idp; d != nil {
		switch {
		case d.OnlyAttrs:
			return v, failFetch, "its issuing distribution point covers only attribute certificates"
		case d.OnlyUser && cert.IsCA:
			return v, failFetch, "its issuing distribution point covers only end-entity certificates, and this is a CA"
		case d.OnlyCA && !cert.IsCA:
			return v, failFetch, "its issuing distribution point covers only CA certificates, and this is an end-entity certificate"
		case d.OnlySomeReasons:
			return v, failFetch, "its issuing distribution point covers only some revocation reasons (a partitioned CRL, not supported)"
		case !delta && len(d.URIs) > 0 && !anyEqualFold(d.URIs, cert.CRLDistributionPoints):
			return v, failFetch, fmt.Sprintf("its issuing distribution point names %s, none of the certificate's distribution points", quote(d.URIs[0]))
		}
	}
	if ci.thisUpdate.After(c.now) {
		return v, failFetch, fmt.Sprintf("it is not valid before %s (thisUpdate; check the CA's clock)", when(ci.thisUpdate))
	}
	e, listed := ci.revoked[serialKey(cert.SerialNumber)]
	v = verdict{listed: listed, entry: e}
	if !ci.nextUpdate.IsZero() && ci.nextUpdate.Before(c.now) {
		return v, failExpired, fmt.Sprintf("it expired on %s (nextUpdate)", when(ci.nextUpdate))
	}
	return v, classOK, ""
}

func anyEqualFold(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if strings.EqualFold(x, y) {
				return true
			}
		}
	}
	return false
}

// stale records a CRL that has expired or expires within ExpiringSoon.
func (c *Checker) stale(o *outcome, u string, ci *crlInfo, issuer *x509.Certificate) {
	if ci.nextUpdate.IsZero() || ci.nextUpdate.Sub(c.now) >= ExpiringSoon {
		return
	}
	o.rev.Stale = append(o.rev.Stale, chain.StaleCRL{URL: u, Issuer: certutil.Subject(issuer), NextUpdate: ci.nextUpdate, Expired: ci.nextUpdate.Before(c.now)})
}

// checkCRLs reads the certificate's CRL distribution points in order until
// one gives an answer, with its delta CRL when the base CRL (or the
// certificate) names one.
func (c *Checker) checkCRLs(ctx context.Context, o *outcome, cert, issuer *x509.Certificate) {
	tried := 0
	for _, u := range o.cdps {
		if tried == maxURLs {
			o.fail(kindCRL, u, failNotFetched, "not tried: only the first %d CRL URLs are", maxURLs)
			continue
		}
		if !c.fetchable(ctx, o, kindCRL, u) {
			continue
		}
		tried++
		ci, ok := c.getCRL(ctx, o, kindCRL, u)
		if !ok {
			continue
		}
		v, cl, why := c.use(ci, cert, issuer, false)
		if cl == failBadSig || cl == failFetch {
			o.fail(kindCRL, u, cl, "%s", why)
			continue
		}
		c.stale(o, u, ci, issuer)
		if cl == failExpired {
			o.fail(kindCRL, u, cl, "%s", why)
			if v.listed && v.entry.reason != reasonCertificateHold {
				c.revoked(o, chain.SourceCRL, u, ci, v.entry)
				return
			}
			continue
		}
		if v.listed && v.entry.reason != reasonCertificateHold {
			c.revoked(o, chain.SourceCRL, u, ci, v.entry)
			return
		}
		deltas := ci.freshest
		if len(deltas) == 0 {
			var err error
			if deltas, err = freshestCRL(cert); err != nil {
				o.fail(kindDelta, "", failFetch, "the certificate's Freshest CRL extension is malformed")
				return
			}
		}
		if len(deltas) == 0 {
			if v.listed { // on hold, and no delta to release it
				c.revoked(o, chain.SourceCRL, u, ci, v.entry)
				return
			}
			o.rev.Status, o.rev.Source, o.rev.URL, o.rev.NextUpdate = chain.RevocationGood, chain.SourceCRL, u, ci.nextUpdate
			o.answeredBy = "the CRL " + quote(u)
			return
		}
		c.checkDeltas(ctx, o, cert, issuer, ci, u, v, deltas)
		return
	}
}

// getCRL fetches a CRL and records a failure.
func (c *Checker) getCRL(ctx context.Context, o *outcome, kind, u string) (*crlInfo, bool) {
	ci, err := c.fetchCRL(ctx, u)
	if err == nil {
		return ci, true
	}
	var pe *parseError
	switch {
	case errors.As(err, &pe):
		o.fail(kind, u, failFetch, "%s", clean(pe.Error()))
	case ctx.Err() != nil:
		o.fail(kind, u, failBudget, "no answer within the chain's %s revocation budget", c.budget)
	default:
		o.fail(kind, u, failFetch, "%s", describe(err, c.crlLimits.Timeout))
	}
	return nil, false
}

// checkDeltas applies the first usable delta CRL of urls to the base CRL's
// verdict. Without a usable delta the status stays unknown, as on Windows.
func (c *Checker) checkDeltas(ctx context.Context, o *outcome, cert, issuer *x509.Certificate, base *crlInfo, baseURL string, bv verdict, urls []string) {
	o.deltaOf = "the base CRL " + quote(baseURL) + " needs its delta CRL, and "
	defer func() {
		if o.rev.Status != chain.RevocationUnknown {
			o.deltaOf = ""
		}
	}()
	tried := 0
	for _, u := range urls {
		if tried == maxURLs {
			o.fail(kindDelta, u, failNotFetched, "not tried: only the first %d delta CRL URLs are", maxURLs)
			continue
		}
		if !c.fetchable(ctx, o, kindDelta, u) {
			continue
		}
		tried++
		d, ok := c.getCRL(ctx, o, kindDelta, u)
		if !ok {
			continue
		}
		v, cl, why := c.use(d, cert, issuer, true)
		if cl == failBadSig || cl == failFetch {
			o.fail(kindDelta, u, cl, "%s", why)
			continue
		}
		if base.number == nil || d.deltaBase.Cmp(base.number) > 0 {
			o.fail(kindDelta, u, failFetch, "it applies to base CRL number %s or later, and the base CRL is %s", d.deltaBase, numberOr(base.number))
			continue
		}
		c.stale(o, u, d, issuer)
		if cl == failExpired {
			o.fail(kindDelta, u, cl, "%s", why)
			if v.listed && v.entry.reason != reasonRemoveFromCRL && v.entry.reason != reasonCertificateHold {
				c.revoked(o, chain.SourceDeltaCRL, u, d, v.entry)
				return
			}
			continue
		}
		switch {
		case v.listed && v.entry.reason == reasonRemoveFromCRL:
			// released from hold: good
		case v.listed:
			c.revoked(o, chain.SourceDeltaCRL, u, d, v.entry)
			return
		case bv.listed: // on hold in the base CRL, still on hold
			c.revoked(o, chain.SourceCRL, baseURL, base, bv.entry)
			return
		}
		o.rev.Status, o.rev.Source, o.rev.URL, o.rev.NextUpdate = chain.RevocationGood, chain.SourceDeltaCRL, u, d.nextUpdate
		o.answeredBy = "the delta CRL " + quote(u)
		return
	}
}

func numberOr(n *big.Int) string {
	if n == nil {
		return "unnumbered"
	}
	return "number " + n.String()
}

func (c *Checker) revoked(o *outcome, src chain.RevocationSource, u string, ci *crlInfo, e revokedEntry) {
	o.rev.Status, o.rev.Source, o.rev.URL, o.rev.NextUpdate = chain.RevocationRevoked, src, u, ci.nextUpdate
	o.rev.RevokedAt, o.rev.Reason = e.at, reasonName(e.reason)
	what := "the CRL "
	if src == chain.SourceDeltaCRL {
		what = "the delta CRL "
	}
	o.answeredBy = what + quote(u)
}

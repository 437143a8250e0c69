package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/network"
	"golang.org/x/crypto/ocsp"
)

// ocspAnswer is a parsed, verified OCSP response, or why it is not one.
type ocspAnswer struct {
	resp *ocsp.Response
	bad  string // non-empty: the response is not a usable answer, and why
}

const kindOCSP = "OCSP responder"

// checkOCSP asks the certificate's OCSP responders in order and reports
// whether one gave an answer (good or revoked).
func (c *Checker) checkOCSP(ctx context.Context, o *outcome, cert, issuer *x509.Certificate) bool {
	req, err := ocsp.CreateRequest(cert, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		for _, u := range o.ocsps {
			o.fail(kindOCSP, u, failBadOCSP, "no request could be made: %v", err)
		}
		return false
	}
	tried := 0
	for _, u := range o.ocsps {
		if tried == maxURLs {
			o.fail(kindOCSP, u, failNotFetched, "not tried: only the first %d OCSP URLs are", maxURLs)
			continue
		}
		if !c.fetchable(ctx, o, kindOCSP, u) {
			continue
		}
		tried++
		a, err := shared(c, ctx, c.ocsp, u+"\x00"+string(req), nil, ocspSize, func(ctx context.Context) (*ocspAnswer, error) {
			body, err := c.fetcher.Do(ctx, network.Request{Method: "POST", URL: u, Body: req,
				ContentType: "application/ocsp-request", Accept: "application/ocsp-response", Limits: c.ocspLimit})
			if err != nil {
				return nil, err
			}
			return c.parseOCSP(body, cert, issuer), nil
		})
		if err != nil {
			if ctx.Err() != nil {
				o.fail(kindOCSP, u, failBudget, "no answer within the chain's %s revocation budget", c.budget)
			} else {
				o.fail(kindOCSP, u, failFetch, "%s", describe(err, c.ocspLimit.Timeout))
			}
			continue
		}
		if a.bad != "" {
			o.fail(kindOCSP, u, failBadOCSP, "%s", a.bad)
			continue
		}
		r := a.resp
		o.rev.Source, o.rev.URL, o.rev.NextUpdate = chain.SourceOCSP, u, r.NextUpdate
		o.answeredBy = "the OCSP responder " + quote(u)
		if r.Status == ocsp.Revoked {
			o.rev.Status, o.rev.RevokedAt, o.rev.Reason = chain.RevocationRevoked, r.RevokedAt, reasonName(r.RevocationReason)
		} else {
			o.rev.Status = chain.RevocationGood
		}
		return true
	}
	return false
}

// parseOCSP parses and verifies an OCSP response for cert at the judged
// instant. x/crypto/ocsp checks the signature (by the issuer, or by a
// responder certificate the issuer signed) and the serial; this adds the
// responder's OCSP Signing EKU and validity, the dates and the status.
func (c *Checker) parseOCSP(body []byte, cert, issuer *x509.Certificate) *ocspAnswer {
	r, err := ocsp.ParseResponseForCert(body, cert, issuer)
	if err != nil {
		why := err.Error()
		var pe ocsp.ParseError
		var re ocsp.ResponseError
		if !errors.As(err, &pe) && !errors.As(err, &re) && !strings.HasPrefix(why, "x509: ") {
			why = "it does not parse as an OCSP response"
		}
		return &ocspAnswer{bad: fmt.Sprintf("the response is not a valid answer: %s", clean(why))}
	}
	if rc := r.Certificate; rc != nil && !bytes.Equal(rc.Raw, issuer.Raw) {
		if !slices.Contains(rc.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
			return &ocspAnswer{bad: fmt.Sprintf("it is signed by %s, which lacks the OCSP Signing extended key usage", certName(rc))}
		}
		if c.now.Before(rc.NotBefore) || c.now.After(rc.NotAfter) {
			return &ocspAnswer{bad: fmt.Sprintf("its signing certificate %s is not valid at %s (valid %s to %s)", certName(rc), when(c.now), when(rc.NotBefore), when(rc.NotAfter))}
		}
	}
	switch {
	case r.ThisUpdate.After(c.now.Add(ocspSkew)):
		return &ocspAnswer{bad: fmt.Sprintf("the response is dated %s, after %s (check the responder's clock)", when(r.ThisUpdate), when(c.now))}
	case !r.NextUpdate.IsZero() && r.NextUpdate.Before(c.now):
		return &ocspAnswer{bad: fmt.Sprintf("the response is stale: its nextUpdate %s has passed (the responder's CRLs are not current)", when(r.NextUpdate))}
	case r.Status == ocsp.Unknown:
		return &ocspAnswer{bad: "the responder answered \"unknown\": it does not serve this CA's certificates"}
	}
	return &ocspAnswer{resp: r}
}

func ocspSize(a *ocspAnswer) int64 {
	switch {
	case a == nil:
		return 0
	case a.resp == nil:
		return int64(len(a.bad)) + 64
	}
	return 2*int64(len(a.resp.Raw)) + 256
}

// reasonName names a CRLReason (RFC 5280 5.3.1).
func reasonName(code int) string {
	names := map[int]string{
		0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged",
		4: "superseded", 5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL",
		9: "privilegeWithdrawn", 10: "aACompromise",
	}
	if n, ok := names[code]; ok {
		return n
	}
	return fmt.Sprintf("reason %d", code)
}

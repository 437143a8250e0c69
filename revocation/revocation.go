// Package revocation checks the revocation of the certificates of a built
// path as a Windows client does: per certificate from the leaf up, the
// anchor excluded, OCSP first, then the CRLs of its CRL distribution points
// (the base CRL, then the delta CRL its Freshest CRL names), each CRL
// verified against the issuer (signature, thisUpdate and nextUpdate at the
// judged instant, issuing distribution point, delta CRL indicator). ldap://
// distribution points are recognised and never fetched.
//
// It records each certificate's status on the path ([chain.Link.Revocation])
// and returns the findings; the scanner appends them to the target's result
// after judging. HTTP goes through [network.Fetcher] (bounded per fetch);
// each CRL and OCSP answer is fetched once per run and shared by every
// target, a CRL until its nextUpdate; the work of one path is bounded by
// [ChainBudget].
//
// It may import network, chain, finding and internal helpers; chain must
// not import it, and it formats no report.
package revocation

import (
	"context"
	"crypto/x509"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/network"
)

// Mode says whether a failure to check revocation is fatal, as it is for
// some Windows applications and not for others.
type Mode string

// The modes.
const (
	// Soft: a failure to check is a warning, like the Lync 2013 desktop
	// client and Outlook, which go on without an answer.
	Soft Mode = "soft"
	// Hard: a failure to check is an error, like the Lync Windows Store
	// app, Office Web Apps sharing for non-domain clients, ADFS and Lync
	// Server, which require an answer.
	Hard Mode = "hard"
	// Off: no revocation check and no revocation traffic.
	Off Mode = "off"
)

// ParseMode parses a --revocation value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Soft, Hard, Off:
		return m, nil
	}
	return "", fmt.Errorf("revocation: unknown mode %q (want soft, hard or off)", s)
}

// Limits of the revocation work.
const (
	// ChainBudget bounds the revocation work of one path, as Windows
	// bounds a chain's revocation retrieval to about 20 s. Each fetch is
	// also bounded by network.OCSPLimits or network.CRLLimits.
	ChainBudget = 20 * time.Second
	// maxURLs bounds the OCSP, CRL and delta CRL URLs fetched per
	// certificate, each.
	maxURLs = 4
	// maxURLLen is the longest URL fetched.
	maxURLLen = 2048
	// ExpiringSoon is how close to its nextUpdate a CRL gets crl-expiring.
	ExpiringSoon = 48 * time.Hour
	// ocspSkew is the clock skew allowed on an OCSP response's thisUpdate.
	ocspSkew = 5 * time.Minute
)

// Checker checks the revocation of built paths. One Checker serves a whole
// run: its caches are shared by every target, and Check may be called from
// many goroutines at once.
type Checker struct {
	fetcher *network.Fetcher
	mode    Mode
	now     time.Time
	// Clock is the wall clock that ages cached CRLs (a CRL is reused until
	// its nextUpdate passes); nil means time.Now. Judging uses the
	// instant given to New, never Clock.
	Clock func() time.Time

	// budget bounds one path's work, and the limits each fetch (tests
	// shorten them).
	budget               time.Duration
	crlLimits, ocspLimit network.Limits

	mu        sync.Mutex
	cached    int64 // bytes held by crls and ocsp
	maxCached int64 // maxCacheBytes (tests lower it)
	crls      map[string]*flight[*crlInfo]
	ocsp      map[string]*flight[*ocspAnswer]
	sigs      map[sigKey]error
}

// New returns a checker that fetches through f and judges at now. mode is
// Soft or Hard (Off means: do not make a Checker).
func New(f *network.Fetcher, mode Mode, now time.Time) *Checker {
	if mode != Hard {
		mode = Soft
	}
	return &Checker{fetcher: f, mode: mode, now: now, budget: ChainBudget, maxCached: maxCacheBytes, crlLimits: network.CRLLimits, ocspLimit: network.OCSPLimits,
		crls: map[string]*flight[*crlInfo]{}, ocsp: map[string]*flight[*ocspAnswer]{}, sigs: map[sigKey]error{}}
}

// Mode returns the checker's mode.
func (c *Checker) Mode() Mode { return c.mode }

func (c *Checker) clock() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

// Check checks every certificate of p but the last (the anchor, or a
// certificate whose issuer was not found), leaf first, within ChainBudget.
// It sets each link's Revocation and returns the findings.
func (c *Checker) Check(ctx context.Context, p *chain.Path) []finding.Finding {
	if p == nil || len(p.Links) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.budget)
	defer cancel()
	var fs []finding.Finding
	for i := range p.Links {
		l := &p.Links[i]
		if i == len(p.Links)-1 {
			l.Revocation = &chain.Revocation{Status: chain.RevocationNotChecked}
			continue
		}
		issuer := p.Links[i+1].Cert
		o := c.checkCert(ctx, l.Cert, issuer)
		l.Revocation = &o.rev
		fs = append(fs, c.findings(l.Cert, issuer, o)...)
	}
	return fs
}

// class is the kind of failure of one attempt.
type class int

// classOK is no failure at all.
const classOK class = -1

// The failure classes.
const (
	failFetch      class = iota // no usable answer: network, HTTP, size, parse, scope
	failLDAP                    // an ldap:// URL, not fetched
	failNotFetched              // another scheme or a bad URL, not fetched
	failBudget                  // the chain's budget was spent
	failExpired                 // a CRL past its nextUpdate
	failBadSig                  // a CRL not signed by the issuer, or of another CA
	failBadOCSP                 // an OCSP response that is malformed, badly signed, stale or not an answer
)

// attempt is one URL tried (or not) and what happened.
type attempt struct {
	kind   string // "OCSP responder", "CRL", "delta CRL"
	url    string
	class  class
	detail string
}

// outcome is everything learned about one certificate.
type outcome struct {
	rev      chain.Revocation
	attempts []attempt
	cdps     []string
	ocsps    []string
	// answeredBy describes the answer ("the CRL at ...") for messages.
	answeredBy string
	// deltaOf is set when a usable base CRL named a delta CRL that could
	// not be had: it introduces the delta CRL failures in messages.
	deltaOf string
}

func (o *outcome) fail(kind, url string, cl class, format string, args ...any) {
	o.attempts = append(o.attempts, attempt{kind: kind, url: url, class: cl, detail: clean(fmt.Sprintf(format, args...))})
}

func (c *Checker) checkCert(ctx context.Context, cert, issuer *x509.Certificate) *outcome {
	o := &outcome{cdps: cert.CRLDistributionPoints, ocsps: cert.OCSPServer}
	o.rev = chain.Revocation{Status: chain.RevocationNotChecked}
	if len(o.cdps) == 0 && len(o.ocsps) == 0 {
		return o
	}
	o.rev = chain.Revocation{Status: chain.RevocationUnknown, CheckedAt: c.now}
	if c.checkOCSP(ctx, o, cert, issuer) {
		return o
	}
	c.checkCRLs(ctx, o, cert, issuer)
	return o
}

// fetchable says whether u is fetched, and records why not otherwise. It
// also records a spent budget.
func (c *Checker) fetchable(ctx context.Context, o *outcome, kind, u string) bool {
	lu := strings.ToLower(u)
	switch {
	case strings.HasPrefix(lu, "ldap:") || strings.HasPrefix(lu, "ldaps:"):
		o.fail(kind, u, failLDAP, "not fetched: an ldap URL, which only domain members can reach")
		return false
	case len(u) > maxURLLen:
		o.fail(kind, u, failNotFetched, "not fetched: the URL is longer than %d bytes", maxURLLen)
		return false
	case !strings.HasPrefix(lu, "http://") && !strings.HasPrefix(lu, "https://"):
		o.fail(kind, u, failNotFetched, "not fetched: not an http URL")
		return false
	case ctx.Err() != nil:
		o.fail(kind, u, failBudget, "not tried: the chain's %s revocation budget was spent", c.budget)
		return false
	}
	return true
}

func certName(c *x509.Certificate) string {
	return fmt.Sprintf("%q (SHA-1 %s)", certutil.Name(c), certutil.Thumbprint(c))
}

func when(t time.Time) string { return t.UTC().Format(time.RFC3339) }

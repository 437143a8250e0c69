package report

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/trustgap/trustgap/chain"
)

// Revocation is a certificate's revocation status as reports show it.
type Revocation struct {
	// Status is good, revoked, unknown (tried, no usable answer) or
	// not-checked (nothing tried: --revocation off, the anchor, no CDP and
	// no OCSP).
	Status string `json:"status"`
	// Source is crl, delta-crl or ocsp: what answered (good or revoked).
	Source string `json:"source,omitempty"`
	// URL is the URL that answered.
	URL string `json:"url,omitempty"`
	// CheckedAt is the instant the answer was judged at (--now), RFC 3339.
	CheckedAt string `json:"checked_at,omitempty"`
	// NextUpdate is the answer's nextUpdate, when it has one.
	NextUpdate string `json:"next_update,omitempty"`
	// RevokedAt and Reason say when and why, for a revoked certificate.
	RevokedAt string `json:"revoked_at,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// NewRevocation describes r; nil (no check ran) is not-checked.
func NewRevocation(r *chain.Revocation) *Revocation {
	if r == nil {
		return &Revocation{Status: string(chain.RevocationNotChecked)}
	}
	out := &Revocation{Status: string(r.Status), Source: string(r.Source), URL: r.URL, NextUpdate: rfc3339(r.NextUpdate),
		RevokedAt: rfc3339(r.RevokedAt), Reason: r.Reason}
	if r.Status != chain.RevocationNotChecked {
		out.CheckedAt = rfc3339(r.CheckedAt)
	}
	return out
}

// StaleCRL is a CRL to republish: expired, or expiring within 48 hours.
type StaleCRL struct {
	URL        string `json:"url"`
	Issuer     string `json:"issuer"` // the CA that signs it
	NextUpdate string `json:"next_update"`
	Expired    bool   `json:"expired"`
}

// addStale records the stale CRLs met on r's path and its addresses'.
func (s *Summary) addStale(r *chain.Result) {
	for _, a := range r.Addresses {
		if a != r {
			s.addStale(a)
		}
	}
	if r.Path == nil {
		return
	}
	for _, l := range r.Path.Links {
		if l.Revocation == nil {
			continue
		}
		for _, c := range l.Revocation.Stale {
			if s.stale == nil {
				s.stale = map[string]StaleCRL{}
			}
			s.stale[c.URL] = StaleCRL{URL: c.URL, Issuer: c.Issuer, NextUpdate: rfc3339(c.NextUpdate), Expired: c.Expired}
		}
	}
}

// finishStale sorts the CRLs to republish by URL.
func (s *Summary) finishStale() {
	s.Republish = nil
	for _, c := range s.stale {
		s.Republish = append(s.Republish, c)
	}
	sort.Slice(s.Republish, func(i, j int) bool { return s.Republish[i].URL < s.Republish[j].URL })
}

// carry takes over what a saved report's summary holds that its targets
// do not: whether the run was interrupted and how many targets it left
// out, and the CRLs to republish (by URL, with those already recorded).
func (s *Summary) carry(from *Summary) {
	if from == nil {
		return
	}
	if from.Interrupted {
		s.Interrupted = true
		s.NotScanned += from.NotScanned
	}
	for _, c := range from.Republish {
		if s.stale == nil {
			s.stale = map[string]StaleCRL{}
		}
		s.stale[c.URL] = c
	}
}

// revocationLine is the compact text line of a target's revocation, leaf
// first like the chain line; "" when no check ran.
func revocationLine(tr *Target) string {
	if !tr.RevocationChecked {
		return ""
	}
	rs := make([]*Revocation, len(tr.Chain))
	for i := range tr.Chain {
		rs[i] = tr.Chain[i].Revocation
	}
	return revocationParts(rs)
}

// addressRevocation is revocationLine for the chain of one address (SHA-1s,
// leaf first): each certificate's status as the target's chain or
// other_certs has it (a report of an older trustgap, whose other_certs
// carry none, says not checked).
func addressRevocation(tr *Target, chainSHA1s []string) string {
	if !tr.RevocationChecked || len(chainSHA1s) == 0 {
		return ""
	}
	rs := make([]*Revocation, len(chainSHA1s))
	for i, h := range chainSHA1s {
		if c := tr.Cert(h); c != nil {
			rs[i] = c.Revocation
		}
	}
	return revocationParts(rs)
}

// revocationParts joins the statuses of a chain: "good (crl)", "revoked
// (ocsp)", "unknown" or "not checked" (also for nil).
func revocationParts(rs []*Revocation) string {
	var parts []string
	for _, r := range rs {
		switch {
		case r == nil || r.Status == string(chain.RevocationNotChecked):
			parts = append(parts, "not checked")
		case r.Status == string(chain.RevocationGood) || r.Status == string(chain.RevocationRevoked):
			parts = append(parts, fmt.Sprintf("%s (%s)", safe(r.Status), safe(r.Source)))
		default:
			parts = append(parts, safe(r.Status))
		}
	}
	return strings.Join(parts, " <- ")
}

// revocationDetail is the -v line of one certificate's revocation.
func revocationDetail(r *Revocation) string {
	if r == nil || r.Status == string(chain.RevocationNotChecked) {
		return "not checked"
	}
	s := safe(r.Status)
	if r.Source != "" {
		s += fmt.Sprintf(", from the %s %s", safe(r.Source), strconv.QuoteToASCII(r.URL))
	}
	if r.Status == string(chain.RevocationRevoked) {
		s += fmt.Sprintf(", revoked on %s (%s)", safe(r.RevokedAt), safe(r.Reason))
	}
	s += ", checked at " + safe(r.CheckedAt)
	if r.NextUpdate != "" {
		s += ", next update " + safe(r.NextUpdate)
	}
	return s
}

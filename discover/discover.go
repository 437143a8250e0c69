// Package discover follows the lookups Lync, Skype for Business and Outlook
// clients make to find Exchange Autodiscover (and, given a SIP domain, Lync
// sign-in), in their order, and reports every step: the DNS answer, the TCP
// connection, the certificate and whether its names cover the host asked for,
// and the HTTP answer.
//
// # Autodiscover order
//
//  1. https://DOMAIN/autodiscover/autodiscover.xml
//  2. https://autodiscover.DOMAIN/autodiscover/autodiscover.xml
//  3. http://autodiscover.DOMAIN/autodiscover/autodiscover.xml, expecting a
//     302 to an https URL, which is followed once
//  4. SRV _autodiscover._tcp.DOMAIN, then https://TARGET:PORT/autodiscover/autodiscover.xml
//
// (MS-OXDISCO; domain.md §1.)
//
// Every connection goes through package network; the report package renders
// a [Report]. It must not import chain, scanner, report, remediate or cmd.
package discover

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/network"
	"github.com/trustgap/trustgap/target"
)

// AutodiscoverPath is the path clients request.
const AutodiscoverPath = "/autodiscover/autodiscover.xml"

// maxSRV bounds how many SRV targets are tried per record set.
const maxSRV = 4

// Options shape a discovery.
type Options struct {
	Domain    string // the primary SMTP domain
	SIPDomain string // empty: no Lync sign-in discovery
	Dialer    *network.Dialer
	Resolver  network.Resolver
	Timeout   time.Duration // per connection; zero means network.DefaultTimeout
}

// Step is one lookup of the clients' order.
type Step struct {
	N    int    `json:"step"`
	What string `json:"what"` // the URL or record asked for
	// SRV holds the records of an SRV step.
	SRV    []network.SRV `json:"srv,omitempty"`
	Probes []*Probe      `json:"probes"`
	// Redirect is the https URL a step 3 answer points to, probed in Probes
	// after the http probe.
	Redirect string `json:"redirect,omitempty"`
	OK       bool   `json:"ok"`
	Outcome  string `json:"outcome"`
}

// Report is the result of a discovery.
type Report struct {
	Domain       string            `json:"domain"`
	SIPDomain    string            `json:"sip_domain,omitempty"`
	Autodiscover []*Step           `json:"autodiscover"`
	Lync         []*Step           `json:"lync,omitempty"`
	Verdict      string            `json:"verdict"`
	LyncVerdict  string            `json:"lync_verdict,omitempty"`
	Findings     []finding.Finding `json:"findings"`
}

// Failed reports whether any finding has error severity.
func (r *Report) Failed() bool { return finding.HasError(r.Findings) }

func (r *Report) add(code string, sev finding.Severity, fix, format string, args ...any) {
	r.Findings = append(r.Findings, finding.New(code, sev, fix, format, args...))
}

// Run performs the discovery.
func Run(ctx context.Context, o Options) *Report {
	if o.Timeout <= 0 {
		o.Timeout = network.DefaultTimeout
	}
	pr := &prober{d: o.Dialer, timeout: o.Timeout}
	d := strings.ToLower(strings.TrimSuffix(o.Domain, "."))
	r := &Report{Domain: d, SIPDomain: strings.ToLower(o.SIPDomain), Findings: []finding.Finding{}}

	answered := autodiscoverAnswers
	httpsStep := func(n int, host string, port int) *Step {
		p := pr.probe(ctx, "https", host, port, AutodiscoverPath)
		s := &Step{N: n, What: p.URL(), Probes: []*Probe{p}}
		s.OK, s.Outcome = answered(p), outcome(p)
		return s
	}
	r.Autodiscover = append(r.Autodiscover, httpsStep(1, d, 443), httpsStep(2, "autodiscover."+d, 443))

	// Step 3: the HTTP redirect.
	hp := pr.probe(ctx, "http", "autodiscover."+d, 80, AutodiscoverPath)
	s3 := &Step{N: 3, What: hp.URL(), Probes: []*Probe{hp}, Outcome: outcome(hp)}
	if hp.HTTP != nil && (hp.HTTP.Status == 301 || hp.HTTP.Status == 302 || hp.HTTP.Status == 307 || hp.HTTP.Status == 308) {
		loc, err := url.Parse(hp.HTTP.Location)
		switch {
		case err != nil || loc.Host == "":
			s3.Outcome = fmt.Sprintf("redirect to an unusable Location %q", hp.HTTP.Location)
		case !strings.EqualFold(loc.Scheme, "https"):
			s3.Outcome = fmt.Sprintf("redirect to %s, not an https URL: clients do not follow it", hp.HTTP.Location)
		default:
			s3.Redirect = loc.String()
			port := 443
			if ps := loc.Port(); ps != "" {
				port, _ = strconv.Atoi(ps)
			}
			path := loc.EscapedPath()
			if path == "" {
				path = "/"
			}
			tp := pr.probe(ctx, "https", loc.Hostname(), port, path)
			s3.Probes = append(s3.Probes, tp)
			s3.OK = answered(tp)
			s3.Outcome = fmt.Sprintf("redirect to %s: %s", loc, outcome(tp))
		}
	}
	r.Autodiscover = append(r.Autodiscover, s3)

	// Step 4: SRV.
	srvName := "_autodiscover._tcp." + d
	s4 := &Step{N: 4, What: "SRV " + srvName}
	recs, err := o.Resolver.LookupSRV(ctx, srvName)
	if err != nil {
		s4.Outcome = finding.Text(err)
	} else {
		s4.SRV = recs
		for i, rec := range recs {
			if i == maxSRV {
				break
			}
			p := pr.probe(ctx, "https", rec.Target, rec.Port, AutodiscoverPath)
			s4.Probes = append(s4.Probes, p)
			s4.Outcome = fmt.Sprintf("%s: %s", p.URL(), outcome(p))
			if answered(p) {
				s4.OK = true
				break
			}
			if mismatched(p) {
				break // clients stop at a certificate error
			}
		}
	}
	r.Autodiscover = append(r.Autodiscover, s4)
	r.judgeAutodiscover()
	if r.SIPDomain != "" {
		r.lync(ctx, pr, o.Resolver)
	}
	return r
}

// autodiscoverAnswers reports whether an Autodiscover probe answers as
// clients need: a certificate that covers the host, and an Autodiscover
// endpoint (HTTP 401 to an anonymous client, or an Autodiscover answer).
func autodiscoverAnswers(p *Probe) bool {
	return p.TLS != nil && p.TLS.NamesCover && p.HTTP != nil && (p.HTTP.Status == 401 || p.HTTP.Status == 200 && p.HTTP.Autodiscover)
}

// autodiscoverStep returns the Autodiscover step clients find it at (the
// first that works, before any certificate error stops them), or nil.
func (r *Report) autodiscoverStep() *Step {
	for _, s := range r.Autodiscover {
		if s.OK {
			return s
		}
		if stopAt(s) != nil {
			return nil
		}
	}
	return nil
}

// certNames are the names p's certificate covers, for messages.
func certNames(p *Probe) string {
	if len(p.TLS.Names) == 0 {
		return "no name"
	}
	return strings.Join(p.TLS.Names, ", ")
}

// mismatched reports whether p presented a certificate that does not cover
// its host: clients stop there with a certificate error.
func mismatched(p *Probe) bool { return p.TLS != nil && !p.TLS.NamesCover }

// stopAt returns the first probe of s whose certificate does not cover its
// host, or nil.
func stopAt(s *Step) *Probe {
	for _, p := range s.Probes {
		if mismatched(p) {
			return p
		}
	}
	return nil
}

// outcome is a one-line account of an Autodiscover probe.
func outcome(p *Probe) string { return describeProbe(p, autodiscoverHTTP) }

// lyncOutcome is a one-line account of a Lync sign-in probe: what counts
// there is a Lync discovery document, not Autodiscover.
func lyncOutcome(p *Probe) string { return describeProbe(p, lyncHTTP) }

func lyncHTTP(h *HTTPInfo) string {
	switch s := h.Status; {
	case s == 200 && h.LyncDiscover:
		return "HTTP 200 with a Lync discovery document"
	case s == 200:
		return "HTTP 200 but not a Lync discovery document"
	case s == 404:
		return "HTTP 404: no Lync discovery here"
	case s >= 300 && s < 400:
		return fmt.Sprintf("HTTP %d redirect to %s", s, h.Location)
	}
	return fmt.Sprintf("HTTP %d", h.Status)
}

func autodiscoverHTTP(h *HTTPInfo) string {
	switch s := h.Status; {
	case s == 401:
		return "HTTP 401: an Autodiscover endpoint answered"
	case s == 200 && h.Autodiscover:
		return "HTTP 200 with an Autodiscover answer"
	case s == 200:
		return "HTTP 200 but not Autodiscover (a web site?)"
	case s == 404:
		return "HTTP 404: no Autodiscover here"
	case s >= 300 && s < 400:
		return fmt.Sprintf("HTTP %d redirect to %s", s, h.Location)
	}
	return fmt.Sprintf("HTTP %d", h.Status)
}

// describeProbe is a one-line account of a probe, its HTTP answer said by
// httpText.
func describeProbe(p *Probe, httpText func(*HTTPInfo) string) string {
	switch {
	case p.DNS != "ok":
		return "DNS: " + p.Error
	case !p.Reached():
		return "connect: " + p.Error
	case p.Error != "" && p.HTTP == nil:
		return p.Error
	}
	var parts []string
	if p.TLS != nil {
		if p.TLS.NamesCover {
			parts = append(parts, "certificate covers "+p.Host)
		} else {
			parts = append(parts, fmt.Sprintf("certificate %s covers %s, not %s", p.TLS.Subject, strings.Join(p.TLS.Names, ", "), p.Host))
		}
	}
	if p.HTTP != nil {
		parts = append(parts, httpText(p.HTTP))
	}
	return strings.Join(parts, "; ")
}

func (r *Report) judgeAutodiscover() {
	d := r.Domain
	// Clients stop at the first step that works, or at the first
	// certificate that does not cover its host (a certificate error).
	first, stop := 0, 0
	var bad *Probe
	for _, s := range r.Autodiscover {
		if s.OK {
			first = s.N
			break
		}
		if bad = stopAt(s); bad != nil {
			stop = s.N
			break
		}
	}
	for _, s := range r.Autodiscover {
		if first != 0 && s.N > first || stop != 0 && s.N > stop {
			break
		}
		if s.N == stop {
			later := ""
			for _, t := range r.Autodiscover[stop:] {
				if t.OK {
					later = fmt.Sprintf("; step %d (%s) answers, but clients do not get there", t.N, t.What)
					break
				}
			}
			r.add(finding.CodeADNameMismatch, finding.SevError,
				fmt.Sprintf("make %s answer with a certificate naming it (a Subject Alternative Name), or stop it answering HTTPS so that clients go on to the next step", bad.Host),
				"step %d: %s presents a certificate for %s, not %s: clients stop here with a certificate error%s", s.N, bad.URL(), certNames(bad), bad.Host, later)
		}
		if s.N == 1 {
			continue // the bare domain is often just a web site
		}
		for i, p := range s.Probes {
			if p.Scheme == "http" || p.DNS != "ok" || p.Reached() && p.TLS != nil {
				continue
			}
			// autodiscover.DOMAIN without HTTPS only delays clients (it may
			// serve step 3's redirect); a redirect or SRV target that fails
			// is a broken endpoint.
			sev := finding.SevError
			if s.N == 2 || s.N == 3 && i == 0 {
				sev = finding.SevWarning
			}
			r.add(finding.CodeEndpointFailed, sev,
				fmt.Sprintf("check that %s answers HTTPS on port %d from the clients' network, or remove its DNS record", p.Host, p.Port),
				"step %d: %s is in DNS but %s", s.N, p.URL(), outcome(p))
		}
	}
	if stop != 0 {
		r.Verdict = fmt.Sprintf("clients stop at step %d with a certificate error: %s presents a certificate for %s, not %s", stop, bad.URL(), certNames(bad), bad.Host)
		return
	}
	if first == 0 {
		r.Verdict = "no Autodiscover step answers"
		r.add(finding.CodeNoAutodiscover, finding.SevError,
			fmt.Sprintf("create a DNS record autodiscover.%s (A or CNAME) for the Exchange server with autodiscover.%s in its certificate, or an SRV record _autodiscover._tcp.%s (0 0 443 <exchange host>)", d, d, d),
			"no Autodiscover step answers for %s: Lync shows \"EWS not deployed\"", d)
		return
	}
	s := r.Autodiscover[first-1]
	r.Verdict = fmt.Sprintf("clients find Autodiscover at step %d: %s", first, s.What)
	if first == 3 {
		r.add(finding.CodeADRedirect, finding.SevInfo,
			fmt.Sprintf("publish autodiscover.%s over HTTPS to spare the prompt", d),
			"clients find Autodiscover only through the HTTP redirect to %s, and Outlook asks the user to allow it", s.Redirect)
	}
}

// ExchangeHost is the host of the first Autodiscover step that works (the
// Exchange server clients find), or "".
func (r *Report) ExchangeHost() string { return r.exchangeHost() }

// host of the first Autodiscover step that works.
func (r *Report) exchangeHost() string {
	for _, s := range r.Autodiscover {
		if s.OK {
			return s.Probes[len(s.Probes)-1].Host
		}
	}
	return ""
}

func inDomain(host, domain string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	return host == domain || strings.HasSuffix(host, "."+domain)
}

func (r *Report) lync(ctx context.Context, pr *prober, res network.Resolver) {
	sip := r.SIPDomain
	n := 0
	step := func(what string, probes ...*Probe) *Step {
		n++
		s := &Step{N: n, What: what, Probes: probes}
		for _, p := range probes {
			s.Outcome = lyncOutcome(p)
			if lyncAnswers(p) {
				s.OK = true
				break
			}
			if mismatched(p) {
				break // clients stop at a certificate error
			}
		}
		r.Lync = append(r.Lync, s)
		return s
	}
	for _, h := range []string{"lyncdiscoverinternal." + sip, "lyncdiscover." + sip} {
		step("https://"+h+"/", pr.probe(ctx, "https", h, 443, "/"))
		// The HTTP variant is tried too.
		step("http://"+h+"/", pr.probe(ctx, "http", h, 80, "/"))
	}
	for _, srv := range []string{"_sipinternaltls._tcp." + sip, "_sip._tls." + sip} {
		recs, err := res.LookupSRV(ctx, srv)
		if err != nil {
			n++
			r.Lync = append(r.Lync, &Step{N: n, What: "SRV " + srv, Outcome: finding.Text(err)})
			continue
		}
		var probes []*Probe
		for i, rec := range recs {
			if i == maxSRV {
				break
			}
			if !inDomain(rec.Target, sip) {
				r.add(finding.CodeSRVOutsideDomain, finding.SevWarning,
					fmt.Sprintf("point %s at a host in %s, or set DisableStrictDNSNaming on the clients", srv, sip),
					"SRV %s points to %s, outside the SIP domain %s: clients with strict DNS naming refuse it", srv, rec.Target, sip)
			}
			probes = append(probes, pr.probe(ctx, "tls", rec.Target, rec.Port, ""))
		}
		s := step("SRV "+srv, probes...)
		s.SRV = recs
	}
	for _, h := range []string{"sipinternal." + sip, "sip." + sip, "sipexternal." + sip} {
		step(h+":5061 then :443", pr.probe(ctx, "tls", h, 5061, ""), pr.probe(ctx, "tls", h, 443, ""))
	}
	for _, s := range r.Lync {
		if s.OK {
			r.LyncVerdict = fmt.Sprintf("clients find Lync at step %d: %s", s.N, s.What)
			break
		}
		if bad := stopAt(s); bad != nil {
			r.LyncVerdict = fmt.Sprintf("clients stop at step %d with a certificate error: %s presents a certificate for %s, not %s", s.N, bad.URL(), certNames(bad), bad.Host)
			r.add(finding.CodeLyncNameMismatch, finding.SevError,
				fmt.Sprintf("make %s answer with a certificate naming it (a Subject Alternative Name), or remove its DNS record so that clients go on to the next step", bad.Host),
				"Lync sign-in step %d: %s presents a certificate for %s, not %s: clients stop here with a certificate error", s.N, bad.URL(), certNames(bad), bad.Host)
			break
		}
	}
	if r.LyncVerdict == "" {
		r.LyncVerdict = "no Lync sign-in step answers"
		r.add(finding.CodeNoLyncDiscover, finding.SevError,
			fmt.Sprintf("create lyncdiscoverinternal.%s / lyncdiscover.%s or the SRV record _sipinternaltls._tcp.%s for the Lync pool", sip, sip, sip),
			"no Lync sign-in lookup answers for %s", sip)
	}
	if h := r.exchangeHost(); h != "" && !inDomain(h, sip) {
		r.add(finding.CodeTrustModelData, finding.SevWarning,
			fmt.Sprintf("set the TrustModelData policy (REG_SZ, comma-separated) to %s under HKCU or HKLM\\Software\\Policies\\Microsoft\\Office\\16.0\\Lync (15.0 for Lync 2013)", parentDomain(h)),
			"Exchange (%s) is outside the SIP domain %s: Lync asks users whether to trust it, and EWS stays unavailable if they decline", h, sip)
	}
}

// lyncAnswers reports whether a Lync sign-in probe answers as clients
// need: SIP endpoints with a covering certificate, lyncdiscover with a Lync
// discovery document (over http too).
func lyncAnswers(p *Probe) bool {
	return (p.TLS != nil && p.TLS.NamesCover || p.Scheme == "http") && (p.HTTP == nil && p.Scheme == "tls" || p.HTTP != nil && p.HTTP.LyncDiscover)
}

// signInStep returns the Lync sign-in step clients sign in at (the first
// that answers, before any certificate error stops them), or nil.
func (r *Report) signInStep() *Step {
	for _, s := range r.Lync {
		if s.OK {
			return s
		}
		if stopAt(s) != nil {
			return nil
		}
	}
	return nil
}

func parentDomain(h string) string {
	if i := strings.IndexByte(h, '.'); i > 0 {
		return h[i+1:]
	}
	return h
}

// Targets returns every endpoint found in DNS that accepted a TCP
// connection, with its role, as scan targets (in discovery order, without
// duplicates), each with its [target.Discovery]: the step that found it,
// and whether clients use it. Clients use only the endpoint that answers
// at the step where they find Autodiscover, or sign in to Lync (the
// verdict step); the endpoints of earlier steps (that fail, or are web
// sites) and of later ones (never reached) are not used, and nothing is
// deployed for them. The used Lync endpoint is an asserted lync target;
// the other Lync endpoints are lync targets with
// [target.Target.RoleInferred] set, whose roots are not assumed trusted.
func (r *Report) Targets() []target.Target {
	var list target.List
	add := func(role target.Role, p *Probe, step string, used bool) {
		if !p.Reached() || p.Scheme == "http" {
			return
		}
		t, err := target.ParseTarget(string(role) + " " + p.URL())
		if err == nil {
			t.RoleInferred = role == target.RoleLync && !used
			t.Discovery = &target.Discovery{Step: step, Used: used}
			list.Add(t)
		}
	}
	found := r.autodiscoverStep()
	for _, s := range r.Autodiscover {
		for _, p := range s.Probes {
			add(target.RoleAutodiscover, p, fmt.Sprintf("Autodiscover step %d", s.N), s == found && autodiscoverAnswers(p))
		}
	}
	signIn := r.signInStep()
	for _, s := range r.Lync {
		for _, p := range s.Probes {
			add(target.RoleLync, p, fmt.Sprintf("Lync step %d", s.N), s == signIn && lyncAnswers(p))
		}
	}
	return list.Targets
}

// SignInStep returns the number of the Lync sign-in step clients sign in
// at, or 0 when none answers.
func (r *Report) SignInStep() int {
	if s := r.signInStep(); s != nil {
		return s.N
	}
	return 0
}

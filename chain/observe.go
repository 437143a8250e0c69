package chain

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// Protocol says whether a server accepts one TLS version.
type Protocol struct {
	Version  uint16 // tls.VersionTLS10 ... tls.VersionTLS13
	Accepted bool
	// Err is why the probe could not tell (no connection, a timeout);
	// Accepted is then false and means nothing.
	Err error
}

// ProbedVersions are the TLS versions scan --protocols probes, oldest
// first.
var ProbedVersions = []uint16{tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// Combine makes a target's result from the results of its addresses,
// given in the order they were resolved (sorted): the target takes the
// address, chain, error and handshake of the first address that presented
// a chain, or the error of the first address when none did (and then no
// address), and keeps every address in Addresses. [Judge.Apply] then judges each address and the target. The
// same addresses give the same result whatever order the resolver answered
// in.
func Combine(t target.Target, idx int, addrs []*Result) *Result {
	r := &Result{Target: t, Index: idx, Addresses: addrs}
	if p := primary(addrs); p != nil {
		if p.Err == nil {
			r.Addr = p.Addr // the address connected to; none when none answered
		}
		r.Path, r.Err = p.Path, p.Err
		r.Presented, r.TLSVersion, r.CipherSuite, r.Protocols = p.Presented, p.TLSVersion, p.CipherSuite, p.Protocols
		r.Unparsable = p.Unparsable
	}
	return r
}

// primary is the first address that presented a chain, else the first that
// answered (with a leaf that does not parse), else the first.
func primary(addrs []*Result) *Result {
	for _, a := range addrs {
		if a.Err == nil && a.Path != nil {
			return a
		}
	}
	for _, a := range addrs {
		if a.Err == nil {
			return a
		}
	}
	if len(addrs) > 0 {
		return addrs[0]
	}
	return nil
}

func (j *Judge) applyAddresses(r *Result) {
	for _, a := range r.Addresses {
		j.Apply(a)
	}
	r.Recombine()
}

// Recombine sets a target's judgement from its addresses' (judged
// already): the trust and findings of the one [Combine] chose, plus
// inconsistent-servers when the servers differ and addresses-not-checked.
// The scanner calls it again after adding each address's revocation
// findings. A result without addresses is left as it is.
func (r *Result) Recombine() {
	if len(r.Addresses) == 0 {
		return
	}
	p := primary(r.Addresses)
	r.InStore, r.LyncRoot, r.Trusted = p.InStore, p.LyncRoot, p.Trusted
	r.Findings = append([]finding.Finding(nil), p.Findings...)
	if f, ok := inconsistent(r); ok {
		r.Findings = append([]finding.Finding{f}, r.Findings...)
	}
	if n := len(r.NotChecked); n > 0 {
		r.add(finding.CodeAddressesNotChecked, finding.SevInfo,
			fmt.Sprintf("nothing to do if every server behind %s presents the same chain; to check the others, scan them one by one with --resolve %s:%d:ADDR", r.Target.Host, r.Target.Host, r.Target.Port),
			"%s has %d addresses: the first %d (sorted) were checked, %d were not (%s)", r.Target.Host, len(r.Addresses)+n, len(r.Addresses), n, listAddrs(r.NotChecked))
	}
}

// maxAddrsShown bounds the addresses an addresses-not-checked message
// names.
const maxAddrsShown = 8

func listAddrs(as []string) string {
	if len(as) <= maxAddrsShown {
		return strings.Join(as, ", ")
	}
	return strings.Join(as[:maxAddrsShown], ", ") + fmt.Sprintf(" and %d more", len(as)-maxAddrsShown)
}

// inconsistent compares the servers behind a name: when at least one
// answered and they do not all present the same chain with the same
// verdict, clients fail or not depending on the server they reach.
func inconsistent(r *Result) (finding.Finding, bool) {
	keys := map[string]bool{}
	answered, failing := false, false
	for _, a := range r.Addresses {
		v := a.Verdict()
		k := string(v)
		if a.Err != nil {
			k += " " + findingCode(a)
		} else {
			answered = true
			for _, c := range a.Presented {
				k += " " + certutil.SHA1Hex(c)
			}
		}
		keys[k] = true
		failing = failing || v == VerdictFail || v == VerdictUnreachable
	}
	if !answered || len(keys) < 2 {
		return finding.Finding{}, false
	}
	var servers []Server
	for _, a := range r.Addresses {
		sv := Server{Addr: a.Addr, Verdict: a.Verdict(), Findings: a.Findings}
		if a.Err != nil || a.Path == nil {
			sv.FetchCode = findingCode(a)
		} else {
			sv.Leaf = a.Path.Links[0].Cert
		}
		servers = append(servers, sv)
	}
	return Inconsistent(r.Target.Host, servers, failing), true
}

// Server is one address behind a name, as inconsistent-servers describes
// it: its verdict and findings, and its leaf, or (no chain) the code of its
// failure.
type Server struct {
	Addr      string
	Verdict   Verdict
	Leaf      *x509.Certificate // nil: no chain
	FetchCode string            // with no chain: its finding code ("no chain" when none)
	Findings  []finding.Finding
}

// Inconsistent is the inconsistent-servers finding for the servers behind
// host: an error when one of them fails (failing), else a warning.
func Inconsistent(host string, servers []Server, failing bool) finding.Finding {
	var parts []string
	for _, a := range servers {
		parts = append(parts, a.Addr+": "+serverSummary(a))
	}
	sev := finding.SevWarning
	if failing {
		sev = finding.SevError
	}
	return finding.New(finding.CodeInconsistentServers, sev,
		fmt.Sprintf("make every server behind %s present the same certificate and chain (install the good certificate, with its private key and intermediates, on the others), or take the odd ones out of DNS or the load balancer", host),
		"the %d servers behind %s differ, so clients fail or not depending on the one they reach: %s", len(servers), host, strings.Join(parts, "; "))
}

// serverSummary is one address's leaf and verdict, for inconsistent-servers.
func serverSummary(a Server) string {
	v := strings.ToUpper(string(a.Verdict))
	if a.Leaf == nil {
		return fmt.Sprintf("no chain (%s): %s", a.FetchCode, v)
	}
	leaf := a.Leaf
	s := fmt.Sprintf("%q (SHA-1 %s, expires %s): %s", certutil.Name(leaf), certutil.Thumbprint(leaf), leaf.NotAfter.UTC().Format(time.DateOnly), v)
	var codes []string
	for _, f := range a.Findings {
		if f.Severity != finding.SevInfo {
			codes = append(codes, f.Code)
		}
	}
	if len(codes) > 0 {
		s += " (" + strings.Join(codes, ", ") + ")"
	}
	return s
}

// findingCode is the code of an address's fetch failure.
func findingCode(a *Result) string {
	if len(a.Findings) > 0 {
		return a.Findings[0].Code
	}
	return "no chain"
}

// sentAt returns, for every link of the path, the position in presented of
// the certificate the server sent for it, or -1. A link matches the first
// unclaimed presented certificate with its bytes; the root also matches a
// self-signed copy with its subject and key (the server sent another issue
// of the root the client uses).
func sentAt(p *Path, presented []*x509.Certificate) (pos []int, claimed []bool) {
	pos = make([]int, len(p.Links))
	claimed = make([]bool, len(presented))
	for li, l := range p.Links {
		pos[li] = -1
		root := li == len(p.Links)-1 && p.Complete
		for pi, c := range presented {
			if claimed[pi] {
				continue
			}
			same := bytes.Equal(c.Raw, l.Cert.Raw) ||
				root && bytes.Equal(c.RawSubject, l.Cert.RawSubject) && bytes.Equal(c.RawSubjectPublicKeyInfo, l.Cert.RawSubjectPublicKeyInfo) && certutil.IsSelfSigned(c)
			if same {
				pos[li], claimed[pi] = pi, true
				break
			}
		}
	}
	return pos, claimed
}

// alternative reports whether c is another issue (same subject and key,
// another issuer or validity) of a CA of the path: a cross-certificate
// that clients with another root need, not an extra.
func alternative(p *Path, c *x509.Certificate) bool {
	for _, l := range p.Links[1:] {
		if bytes.Equal(c.RawSubject, l.Cert.RawSubject) && bytes.Equal(c.RawSubjectPublicKeyInfo, l.Cert.RawSubjectPublicKeyInfo) && !bytes.Equal(c.Raw, l.Cert.Raw) {
			return true
		}
	}
	return false
}

// Used reports, for each certificate the server presented, whether the
// built chain uses it (see [Result.Presented]).
func (r *Result) Used() []bool {
	if r.Path == nil {
		return make([]bool, len(r.Presented))
	}
	_, claimed := sentAt(r.Path, r.Presented)
	return claimed
}

// presented judges the chain as the server sent it: its order, what it
// sent for nothing, and a root sent along.
func (j *Judge) presented(r *Result) {
	p := r.Path
	if p == nil || len(r.Presented) == 0 {
		return
	}
	pos, claimed := sentAt(p, r.Presented)
	last := -1
	inOrder := true
	var built []string
	for li, pi := range pos {
		if pi < 0 {
			continue
		}
		built = append(built, certutil.Name(p.Links[li].Cert))
		if pi < last {
			inOrder = false
		}
		last = pi
	}
	if !inOrder {
		var sent []string
		for _, c := range r.Presented {
			sent = append(sent, certutil.Name(c))
		}
		r.add(finding.CodeChainOrder, finding.SevWarning,
			"configure the server (or the load balancer or reverse proxy in front of it) to send its certificate first, then each issuer in turn; strict TLS clients reject a chain out of order",
			"the server sends %s, not leaf to root (%s)", strings.Join(sent, ", "), strings.Join(built, " <- "))
	}
	// Extras: what the chain does not use, other than another issue of one
	// of its CAs (a cross-certificate kept for clients with an older root).
	type extra struct {
		c      *x509.Certificate
		copies int
		inPath bool
	}
	var extras []*extra
	total := 0
	for pi, c := range r.Presented {
		if claimed[pi] || alternative(p, c) {
			continue
		}
		total++
		found := false
		for _, e := range extras {
			if bytes.Equal(e.c.Raw, c.Raw) {
				e.copies++
				found = true
				break
			}
		}
		if !found {
			inPath := false
			for _, l := range p.Links {
				inPath = inPath || bytes.Equal(l.Cert.Raw, c.Raw)
			}
			extras = append(extras, &extra{c: c, copies: 1, inPath: inPath})
		}
	}
	if len(extras) > 0 {
		var parts []string
		for i, e := range extras {
			if i == maxNamesShown {
				parts = append(parts, fmt.Sprintf("and %d more", len(extras)-i))
				break
			}
			s := describe(e.c)
			switch {
			case e.inPath && e.copies == 1:
				s += " a second time"
			case e.inPath:
				s += fmt.Sprintf(" %d more times", e.copies)
			case e.copies > 1:
				s += fmt.Sprintf(" %d times", e.copies)
			}
			parts = append(parts, s)
		}
		r.add(finding.CodeExtraCerts, finding.SevWarning,
			"remove them from the chain the server (or its load balancer) sends: they lengthen every handshake and can lead clients to build another path",
			"the server sends %d certificate(s) its chain does not use: %s", total, strings.Join(parts, ", "))
	}
	if root := r.Root(); root != nil && len(p.Links) > 1 && pos[len(pos)-1] >= 0 {
		sent := r.Presented[pos[len(pos)-1]]
		r.add(finding.CodeRootPresented, finding.SevInfo,
			"nothing is needed; to shorten the handshake, leave the root out of the chain the server sends",
			"the server sends the root %s: clients ignore it and use the copy in their own store (or distrust it), so it only adds %d bytes to every handshake", describe(sent), len(sent.Raw))
	}
}

// protocols judges the TLS versions a server accepts, when probed.
func (j *Judge) protocols(r *Result) {
	if len(r.Protocols) == 0 {
		return
	}
	state := map[uint16]string{}
	var accepted []string
	for _, p := range r.Protocols {
		switch {
		case p.Err != nil:
			state[p.Version] = "unknown"
		case p.Accepted:
			state[p.Version] = "yes"
			accepted = append(accepted, tls.VersionName(p.Version))
		default:
			state[p.Version] = "no"
		}
	}
	if len(accepted) == 0 {
		return
	}
	switch {
	case state[tls.VersionTLS10] == "yes":
		also := ""
		if state[tls.VersionTLS11] == "yes" {
			also = " and TLS 1.1"
		}
		r.add(finding.CodeTLS10Accepted, finding.SevInfo,
			`keep it while Windows 7 / Lync 2010 era clients without TLS 1.2 for WinHTTP remain; once they have it (KB3140245, DefaultSecureProtocols), disable TLS 1.0 and 1.1 on the server (HKLM\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server, Enabled = 0)`,
			"the server still accepts TLS 1.0%s (it accepts %s)", also, strings.Join(accepted, ", "))
	case state[tls.VersionTLS10] == "no" && state[tls.VersionTLS12] == "no" && state[tls.VersionTLS11] != "yes":
		r.add(finding.CodeLegacyClients, finding.SevError,
			"enable TLS 1.2 on the server: clients on Windows 10, Windows Server 2019 and earlier cannot be given TLS 1.3",
			"the server accepts only %s: Schannel before Windows 11 and Windows Server 2022 has no TLS 1.3, so Lync, Skype for Business and Outlook on older Windows cannot connect", strings.Join(accepted, ", "))
	case state[tls.VersionTLS10] == "no":
		r.add(finding.CodeLegacyClients, finding.SevWarning,
			`on Windows 7 / Windows Server 2008 R2 clients install KB3140245 and set DefaultSecureProtocols (REG_DWORD) to 0x00000A00 (TLS 1.1 and 1.2) under HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp (and HKLM\SOFTWARE\Wow6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp on 64-bit Windows), then restart them; or keep TLS 1.0 on the server until those clients are gone`,
			"the server does not accept TLS 1.0 (it accepts %s): Windows 7 / Lync 2010 era clients, whose WinHTTP offers only TLS 1.0 unless TLS 1.2 is enabled for it, fail to connect", strings.Join(accepted, ", "))
	}
}

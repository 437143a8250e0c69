package report

import (
	"bufio"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/finding"
)

// Client is the report of a client check: the client's own part (user,
// profiles, default_profile, lync, policies, store, findings) inline, then
// the discovery and the scan ("discover" and "scan", absent offline).
type Client struct {
	*client.Report
	Discover *discover.Report `json:"discover,omitempty"`
	Scan     *ClientScan      `json:"scan,omitempty"`

	results []*chain.Result
}

// ClientScan is the scan part of a client report: the targets and summary
// of a scan report.
type ClientScan struct {
	Targets []Target `json:"targets"`
	Summary Summary  `json:"summary"`
}

// NewClient assembles a client report. disc and results are nil offline;
// public says whether a root is in a public root program (nil: unknown).
func NewClient(rep *client.Report, disc *discover.Report, results []*chain.Result, public func(*x509.Certificate) *bool) *Client {
	c := &Client{Report: rep, Discover: disc, results: results}
	if disc != nil {
		c.Scan = &ClientScan{Targets: []Target{}}
		for _, r := range results {
			c.Scan.Targets = append(c.Scan.Targets, FromResult(r, public))
			c.Scan.Summary.Add(r)
		}
		c.Scan.Summary.finish()
	}
	return c
}

// Failed reports whether any part of the check has an error-severity
// finding.
func (c *Client) Failed() bool {
	return c.Report.Failed() || c.Discover != nil && c.Discover.Failed() || c.Scan != nil && c.Scan.Summary.Failed > 0
}

// WriteClient writes a client report as "json" (one document) or "text"
// (the client's profiles, settings, policies and store, its findings, then
// the discovery and the scan as discover and scan print them).
func WriteClient(w io.Writer, c *Client, opts Options) error {
	if opts.Format == FormatJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	}
	bw := bufio.NewWriter(w)
	writeClientText(bw, c, opts)
	if err := bw.Flush(); err != nil {
		return err
	}
	if c.Discover != nil {
		io.WriteString(w, "\n")
		if err := WriteDiscoverText(w, c.Discover); err != nil {
			return err
		}
		io.WriteString(w, "\n")
		sw, err := NewWriter(w, Options{Format: FormatText, Color: opts.Color, Verbose: opts.Verbose, Public: opts.Public})
		if err != nil {
			return err
		}
		for _, r := range c.results {
			if err := sw.Write(r); err != nil {
				return err
			}
		}
		return sw.Close()
	}
	return nil
}

func writeClientText(w *bufio.Writer, c *Client, opts Options) {
	r := c.Report
	if r.User != "" {
		fmt.Fprintf(w, "Client check for %s (from %s)\n", safe(r.User), r.UserFrom)
	} else {
		w.WriteString("Client check (no SIP address: give --user)\n")
	}

	// Profiles, by Outlook version, the one in use first.
	var versions []string
	for _, p := range r.Profiles {
		if !contains(versions, p.Outlook) {
			versions = append(versions, p.Outlook)
		}
	}
	if len(versions) == 0 {
		w.WriteString("\nOutlook: no profile found\n")
	}
	for _, v := range versions {
		state := "in use"
		if v != r.Outlook {
			state = "not in use"
		}
		def := "no default profile"
		if v == r.Outlook && r.DefaultProfile != "" {
			def = `default "` + safe(r.DefaultProfile) + `"`
		}
		fmt.Fprintf(w, "\nOutlook %s profiles (%s, %s):\n", v, state, def)
		for _, p := range r.Profiles {
			if p.Outlook != v {
				continue
			}
			mark, tag := "-", ""
			if p.Default {
				mark, tag = "*", " (default)"
			}
			fmt.Fprintf(w, "  %s %s%s\n", mark, safe(p.Name), tag)
			if len(p.Accounts) == 0 {
				w.WriteString("      no account\n")
			}
			for _, a := range p.Accounts {
				w.WriteString("      " + accountLine(a) + "\n")
			}
		}
	}

	w.WriteString("\n")
	if l := r.Lync; l != nil {
		fmt.Fprintf(w, "Lync: %s (%s)\n", l.Product, safe(l.Key))
		var parts []string
		for _, kv := range [][2]string{{"ServerSipUri", l.ServerSipUri}, {"ServerUsername", l.ServerUsername}, {"ServerAddressInternal", l.ServerAddressInternal}, {"ServerAddressExternal", l.ServerAddressExternal}} {
			if kv[1] != "" {
				parts = append(parts, kv[0]+" "+safe(kv[1]))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(w, "  %s\n", strings.Join(parts, ", "))
		}
	} else {
		w.WriteString("Lync: no settings found\n")
	}

	p := r.Policies
	w.WriteString("Policies:\n")
	if len(p.TrustModelData) == 0 {
		w.WriteString("  TrustModelData: not set\n")
	}
	for _, t := range p.TrustModelData {
		fmt.Fprintf(w, "  TrustModelData (%s) on %s: %q\n", t.Version, t.Key, safe(t.Value))
	}
	flags := "not set"
	if p.ProtectedRootsFlags != nil {
		flags = fmt.Sprintf("0x%x", *p.ProtectedRootsFlags)
	}
	fmt.Fprintf(w, "  ProtectedRoots Flags: %s (user roots %s, Microsoft's root program %s)\n", flags, trusted(p.UserRoots), trusted(p.ProgramRoots))
	auto := "not set"
	if p.DisableRootAutoUpdate != nil {
		auto = fmt.Sprint(*p.DisableRootAutoUpdate)
	}
	state := "on: roots Microsoft's CTL lists are trusted, downloaded on demand"
	if !p.RootAutoUpdate {
		state = "off: only roots already on the machine count"
	}
	fmt.Fprintf(w, "  DisableRootAutoUpdate: %s (automatic root update %s)\n", auto, state)

	s := r.Store
	fmt.Fprintf(w, "Store: %d roots, %d intermediates, %d disallowed\n", s.Roots, s.Intermediates, s.Disallowed)
	for _, src := range s.Sources {
		fmt.Fprintf(w, "  %s: %d roots, %d intermediates, %d disallowed\n", safe(src.Source), src.Roots, src.Intermediates, src.Disallowed)
	}
	for _, e := range s.Excluded {
		fmt.Fprintf(w, "  left out %s: %s\n", safe(e.Source), e.Why)
	}
	if s.CTL != nil {
		fmt.Fprintf(w, "  the client's root program list: sequence %s of %s, %d entries\n", s.CTL.Sequence, s.CTL.ThisUpdate.Format("2006-01-02"), s.CTL.Entries)
	}
	if s.NoRoots != "" {
		warn := "warning:"
		if opts.Color {
			warn = ansiYellow + warn + ansiReset
		}
		fmt.Fprintf(w, "  %s %s\n", warn, s.NoRoots)
	}

	if len(r.Findings) > 0 {
		w.WriteString("\n")
	}
	for _, f := range r.Findings {
		sev := fmt.Sprintf("%-7s", f.Severity)
		if opts.Color {
			switch f.Severity {
			case finding.SevError:
				sev = ansiRed + sev + ansiReset
			case finding.SevWarning:
				sev = ansiYellow + sev + ansiReset
			}
		}
		fmt.Fprintf(w, "%s %s: %s\n        fix: %s\n", sev, f.Code, f.Message, f.Fix)
	}
}

func accountLine(a client.Account) string {
	kind := "Exchange"
	if !a.Exchange {
		kind = "not Exchange"
		if a.Service != "" {
			kind += " (" + safe(a.Service) + ")"
		}
	}
	name := a.SMTP
	if name == "" {
		name = a.AccountName
	}
	if name == "" {
		name = "(no name)"
	}
	line := kind + " " + safe(name)
	var more []string
	if a.ProxyServer != "" {
		more = append(more, "proxy "+safe(a.ProxyServer))
	}
	if a.HomeServer != "" {
		more = append(more, "home server "+safe(a.HomeServer))
	}
	if len(more) > 0 {
		line += " (" + strings.Join(more, ", ") + ")"
	}
	return line
}

func trusted(b bool) string {
	if b {
		return "trusted"
	}
	return "not trusted"
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

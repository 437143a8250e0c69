package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trustgap/trustgap/discover"
)

// WriteDiscoverText writes a discovery as readable text.
func WriteDiscoverText(w io.Writer, r *discover.Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "Autodiscover for %s\n", r.Domain)
	writeSteps(bw, r.Autodiscover)
	fmt.Fprintf(bw, "  verdict: %s\n", r.Verdict)
	if r.SIPDomain != "" {
		fmt.Fprintf(bw, "\nLync sign-in for %s\n", r.SIPDomain)
		writeSteps(bw, r.Lync)
		fmt.Fprintf(bw, "  verdict: %s\n", r.LyncVerdict)
	}
	if len(r.Findings) > 0 {
		bw.WriteString("\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(bw, "%-7s %s: %s\n        fix: %s\n", f.Severity, f.Code, f.Message, f.Fix)
	}
	return bw.Flush()
}

func writeSteps(w *bufio.Writer, steps []*discover.Step) {
	for _, s := range steps {
		mark := "--"
		if s.OK {
			mark = "OK"
		}
		fmt.Fprintf(w, "  %s %d. %s\n", mark, s.N, s.What)
		for _, rec := range s.SRV {
			fmt.Fprintf(w, "        SRV %d %d %d %s\n", rec.Priority, rec.Weight, rec.Port, terminalSafe(rec.Target))
		}
		for _, p := range s.Probes {
			line := fmt.Sprintf("dns %s", p.DNS)
			if p.Address != "" {
				line += ", connect " + p.Connect + " " + p.Address
			}
			if p.TLS != nil {
				cover := "covers"
				if !p.TLS.NamesCover {
					cover = "does not cover"
				}
				line += fmt.Sprintf(", certificate %s %s %s", p.TLS.Subject, cover, p.Host)
			}
			if p.HTTP != nil {
				line += fmt.Sprintf(", HTTP %d", p.HTTP.Status)
				if p.HTTP.Location != "" {
					line += " -> " + p.HTTP.Location
				}
			}
			fmt.Fprintf(w, "        %s: %s\n", terminalSafe(p.URL()), terminalSafe(line))
		}
		if s.Outcome != "" {
			fmt.Fprintf(w, "        => %s\n", terminalSafe(strings.TrimSpace(s.Outcome)))
		}
	}
}

// WriteDiscoverJSON writes a discovery as one JSON document.
func WriteDiscoverJSON(w io.Writer, r *discover.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteDiscoverTargets writes what a discovery found as a target file that
// "trustgap scan -f -" reads.
func WriteDiscoverTargets(w io.Writer, r *discover.Report) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "# endpoints found for %s", r.Domain)
	if r.SIPDomain != "" {
		fmt.Fprintf(bw, " and SIP domain %s", r.SIPDomain)
	}
	bw.WriteString(" by trustgap discover\n")
	for _, t := range r.Targets() {
		fmt.Fprintf(bw, "%s %s\n", t.Role, t.Raw)
	}
	return bw.Flush()
}

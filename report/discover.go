package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/trustgap/trustgap/discover"
	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/target"
)

// WriteDiscoverText writes a discovery as readable text. Every line is
// escaped as a whole: what servers answered (names, Location headers,
// errors) cannot move the terminal's cursor or start a line.
func WriteDiscoverText(w io.Writer, r *discover.Report) error {
	bw := bufio.NewWriter(w)
	sw := &safeLines{w: bw}
	fmt.Fprintf(sw, "Autodiscover for %s\n", r.Domain)
	writeSteps(sw, r.Autodiscover)
	fmt.Fprintf(sw, "  verdict: %s\n", r.Verdict)
	if r.SIPDomain != "" {
		fmt.Fprintf(sw, "\n") // a line of its own: safeLines escapes inner newlines
		fmt.Fprintf(sw, "Lync sign-in for %s\n", r.SIPDomain)
		writeSteps(sw, r.Lync)
		fmt.Fprintf(sw, "  verdict: %s\n", r.LyncVerdict)
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(sw, "\n")
	}
	for _, f := range r.Findings {
		fmt.Fprintf(sw, "%-7s %s: %s\n", f.Severity, f.Code, f.Message)
		fmt.Fprintf(sw, "        fix: %s\n", f.Fix)
	}
	return bw.Flush()
}

// safeLines writes what each Fprintf gives it with every character but a
// final newline escaped by certutil.SafeText.
type safeLines struct{ w *bufio.Writer }

func (s *safeLines) Write(p []byte) (int, error) {
	text, nl := strings.CutSuffix(string(p), "\n")
	s.w.WriteString(certutil.SafeText(text))
	if nl {
		s.w.WriteByte('\n')
	}
	return len(p), nil
}

func writeSteps(w io.Writer, steps []*discover.Step) {
	for _, s := range steps {
		mark := "--"
		if s.OK {
			mark = "OK"
		}
		fmt.Fprintf(w, "  %s %d. %s\n", mark, s.N, s.What)
		for _, rec := range s.SRV {
			fmt.Fprintf(w, "        SRV %d %d %d %s\n", rec.Priority, rec.Weight, rec.Port, rec.Target)
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
			fmt.Fprintf(w, "        %s: %s\n", p.URL(), line)
		}
		if s.Outcome != "" {
			fmt.Fprintf(w, "        => %s\n", strings.TrimSpace(s.Outcome))
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
		if t.Discovery == nil || t.Discovery.Used {
			fmt.Fprintf(bw, "%s %s\n", t.Role, t.Raw)
			continue
		}
		// An endpoint clients do not use is left commented out: piped to
		// scan --bundle it would become a target the user gave, whose
		// root is deployed. Whoever knows it is theirs uncomments it (and
		// writes "lync" before a Lync pool).
		fmt.Fprintf(bw, "# not used by clients (%s, %s): %s\n", t.Discovery.Step, usedStep(r, t.Role), t.Raw)
	}
	return bw.Flush()
}

// usedStep says where clients find the service of role instead.
func usedStep(r *discover.Report, role target.Role) string {
	if role == target.RoleLync {
		if n := r.SignInStep(); n > 0 {
			return fmt.Sprintf("clients sign in at Lync step %d", n)
		}
		return "no Lync sign-in step answers"
	}
	for _, s := range r.Autodiscover {
		if s.OK {
			return fmt.Sprintf("clients find Autodiscover at step %d", s.N)
		}
	}
	return "no Autodiscover step answers"
}

// discoverScanWriter writes discover --scan --format json: one document
// {"discovery": <the discovery>, "scan": <the scan report>}.
type discoverScanWriter struct {
	Writer
	w io.Writer
}

// NewDiscoverScanWriter returns a writer for discover --scan --format
// json: it writes the discovery, then the scan report as [NewWriter]
// writes a JSON document (opts.Format is ignored), inside one document
// {"discovery": ..., "scan": ...}. [Read] reads the targets of the scan
// back from it.
func NewDiscoverScanWriter(w io.Writer, d *discover.Report, opts Options) (Writer, error) {
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(w, "{\"discovery\":%s,\n\"scan\":", b); err != nil {
		return nil, err
	}
	opts.Format = FormatJSON
	inner, err := NewWriter(w, opts)
	if err != nil {
		return nil, err
	}
	return &discoverScanWriter{Writer: inner, w: w}, nil
}

func (d *discoverScanWriter) Close() error {
	if err := d.Writer.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(d.w, "}\n")
	return err
}

// WriteDiscoverNoScan writes discover --scan --format json when discovery
// found nothing to scan: {"discovery": ..., "scan": null}.
func WriteDiscoverNoScan(w io.Writer, d *discover.Report) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "{\"discovery\":%s,\n\"scan\":null}\n", b)
	return err
}

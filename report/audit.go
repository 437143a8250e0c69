package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/rootstore"
)

// WriteAudit writes a root store audit as "text", "json" or "jsonl" (one root per line,
// then one line with the store-wide findings when there are any, then one
// with what each source gave per store).
func WriteAudit(w io.Writer, rep *rootstore.AuditReport, format string) error {
	bw := bufio.NewWriter(w)
	switch format {
	case "json":
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return err
		}
		bw.Write(b)
		bw.WriteByte('\n')
	case "jsonl":
		enc := json.NewEncoder(bw)
		for i := range rep.Roots {
			if err := enc.Encode(&rep.Roots[i]); err != nil {
				return err
			}
		}
		if len(rep.Findings) > 0 {
			enc.Encode(map[string][]finding.Finding{"findings": rep.Findings})
		}
		enc.Encode(map[string][]rootstore.SourceCount{"sources": rep.Sources})
	default:
		writeAuditText(bw, rep)
	}
	return bw.Flush()
}

func writeAuditText(w *bufio.Writer, rep *rootstore.AuditReport) {
	var bad []rootstore.RootAudit
	for _, r := range rep.Roots {
		if len(r.Findings) > 0 {
			bad = append(bad, r)
		}
	}
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Subject < bad[j].Subject })
	for _, r := range bad {
		kind := "private"
		if r.Public {
			kind = "public"
		}
		fmt.Fprintf(w, "%s (SHA-1 %s, %s, %s)\n", safe(r.Subject), strings.ToUpper(r.SHA1), kind, safe(r.Source))
		for _, f := range r.Findings {
			fmt.Fprintf(w, "    %-7s %s: %s\n            fix: %s\n", f.Severity, f.Code, safe(f.Message), safe(f.Fix))
		}
		w.WriteByte('\n')
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "store: %-7s %s: %s\n            fix: %s\n\n", f.Severity, f.Code, f.Message, f.Fix)
	}
	for _, src := range rep.Sources {
		fmt.Fprintf(w, "read %s: %d roots (Root), %d intermediates (CA), %d disallowed (Disallowed)\n", src.Source, src.Roots, src.Intermediates, src.Disallowed)
	}
	s := rep.Summary
	fmt.Fprintf(w, "%d roots (%d public, %d private); trusted issuer list %d of %d bytes; %d errors, %d warnings\n",
		s.Roots, s.Public, s.Private, s.IssuerListBytes, rootstore.IssuerListLimit, s.Errors, s.Warnings)
}

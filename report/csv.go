package report

import (
	"bufio"
	"encoding/csv"
	"slices"
	"strconv"
	"strings"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/finding"
)

// CSVColumns are the columns of "--format csv", in order.
var CSVColumns = []string{
	"role", "target", "host", "port", "address", "verdict", "trusted",
	"root_subject", "root_sha1", "root_in_store",
	"leaf_subject", "leaf_sha1", "leaf_issuer", "leaf_not_after",
	"tls_version", "codes", "revocation",
}

// utf8BOM makes Excel read a CSV file as UTF-8.
const utf8BOM = "\xEF\xBB\xBF"

// csvWriter writes one RFC 4180 row per target, or one per address when
// the name has several, as each target is done.
type csvWriter struct {
	bw      *bufio.Writer
	w       *csv.Writer
	opts    Options
	started bool
	summary Summary
}

func newCSVWriter(bw *bufio.Writer, opts Options) *csvWriter {
	w := csv.NewWriter(bw)
	w.UseCRLF = true // RFC 4180
	return &csvWriter{bw: bw, w: w, opts: opts}
}

func (c *csvWriter) Summary() *Summary { return &c.summary }

func (c *csvWriter) Write(r *chain.Result) error {
	tr := FromResult(r, c.opts.Public)
	c.summary.addStale(r)
	return c.put(&tr, nil)
}

func (c *csvWriter) header() error {
	if c.started {
		return nil
	}
	c.started = true
	if c.opts.CSVBOM {
		c.bw.WriteString(utf8BOM)
	}
	return c.w.Write(CSVColumns)
}

func (c *csvWriter) put(tr *Target, _ map[string]string) error {
	if err := c.header(); err != nil {
		return err
	}
	c.summary.AddTarget(tr)
	for _, row := range CSVRows(tr) {
		for i := range row {
			row[i] = CSVCell(row[i])
		}
		if err := c.w.Write(row); err != nil {
			return err
		}
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	return c.bw.Flush()
}

func (c *csvWriter) Close() error {
	if err := c.header(); err != nil {
		return err
	}
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	c.summary.finish()
	return c.bw.Flush()
}

// CSVRows are tr's rows, before [CSVCell]: one for the target, or, when
// its name has several addresses, one per address (that address's
// verdict, trust, chain and findings, plus inconsistent-servers, which is
// about the name).
func CSVRows(tr *Target) [][]string {
	if len(tr.Addresses) <= 1 {
		var root *Cert
		inStore := ""
		if tr.Root != nil {
			root, inStore = &tr.Root.Cert, yesNo(tr.Root.InStore)
		}
		var leaf *Cert
		if len(tr.Chain) > 0 {
			leaf = &tr.Chain[0]
		}
		return [][]string{csvRow(tr, tr.Address, tr.Verdict, tr.Trusted, root, inStore, leaf, tr.TLSVersion, tr.Findings, revocationLine(tr))}
	}
	var rows [][]string
	for _, a := range tr.Addresses {
		var leaf, root *Cert
		inStore := ""
		if len(a.Chain) > 0 {
			leaf = tr.Cert(a.Chain[0])
			last := a.Chain[len(a.Chain)-1]
			switch {
			case tr.Root != nil && last == tr.Root.SHA1:
				root, inStore = &tr.Root.Cert, yesNo(tr.Root.InStore)
			default:
				if c := tr.Cert(last); c != nil && c.SelfSigned {
					root = c // whether the store holds it, the report does not say
				}
			}
		}
		fs := a.Findings
		for _, f := range tr.Findings {
			if f.Code == finding.CodeInconsistentServers {
				fs = append([]finding.Finding{f}, fs...)
			}
		}
		rows = append(rows, csvRow(tr, a.Address, a.Verdict, a.Trusted, root, inStore, leaf, a.TLSVersion, fs, addressRevocation(tr, a.Chain)))
	}
	return rows
}

func csvRow(tr *Target, addr string, v chain.Verdict, trusted bool, root *Cert, inStore string, leaf *Cert, tlsVersion string, fs []finding.Finding, revocation string) []string {
	var rootSubject, rootSHA1, leafSubject, leafSHA1, leafIssuer, leafNotAfter string
	if root != nil {
		rootSubject, rootSHA1 = root.Subject, root.SHA1
	}
	if leaf != nil {
		leafSubject, leafSHA1, leafIssuer, leafNotAfter = leaf.Subject, leaf.SHA1, leaf.Issuer, leaf.NotAfter
	}
	return []string{
		string(tr.Role), tr.Target, tr.Host, strconv.Itoa(tr.Port), addr, string(v), yesNo(trusted),
		rootSubject, rootSHA1, inStore,
		leafSubject, leafSHA1, leafIssuer, leafNotAfter,
		tlsVersion, strings.Join(Codes(fs), " "), revocation,
	}
}

// Codes are the distinct codes of fs, in order of first appearance.
func Codes(fs []finding.Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.Code) {
			out = append(out, f.Code)
		}
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// CSVCell makes a value a safe cell. Control and format characters are
// written as \xNN (as text reports write them), so a row is one line and
// every reader reads the same cells. A cell that a spreadsheet would take
// for a formula (one starting with = + - @, or their full-width forms) gets
// a leading apostrophe, which Excel and LibreOffice show as text. The csv
// writer quotes what RFC 4180 asks.
func CSVCell(s string) string {
	s = safe(s)
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\n':
		return "'" + s
	}
	for _, p := range []string{"\uFF1D", "\uFF0B", "\uFF0D", "\uFF20"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}

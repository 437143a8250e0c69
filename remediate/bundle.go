package remediate

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/winfmt"
	"go.mozilla.org/pkcs7"
)

// Meta is what a bundle records about its making.
type Meta struct {
	Version string    // trustgap's version
	Time    time.Time // the generation time (--now when given)
}

// File is one file of a bundle.
type File struct {
	Name string // slash-separated, relative to the bundle folder
	Data []byte
}

//go:embed templates/*.tmpl
var templateFS embed.FS

var funcs = template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"rfc3339": func(t time.Time) string {
		return t.UTC().Format(time.RFC3339)
	},
	"winpath": func(s string) string { return strings.ReplaceAll(s, "/", `\`) },
	// The escapes of certificate and report text, one per language
	// (escape.go).
	"pscomment":  psComment,
	"psquote":    psQuote,
	"cmdcomment": cmdComment,
	"md":         mdText,
	"storeName": func(s Store) string {
		if s == StoreRoot {
			return "Trusted Root Certification Authorities"
		}
		return "Intermediate Certification Authorities"
	},
	"join":   func(codes []string) string { return strings.Join(codes, ", ") },
	"name":   func(it *Item) string { return certutil.Subject(it.Cert) },
	"issuer": func(it *Item) string { return certutil.Issuer(it.Cert) },
}

var templates = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.tmpl"))

type tmplData struct {
	Plan  *Plan
	Meta  Meta
	Roots []*Item
	CAs   []*Item
	// Files are the bundle's certificate containers, for the instructions.
	HasRoots, HasCAs bool
	PolicyKey        string
	// StepRoots, StepCAs and StepClient number the GPMC steps after the
	// first, whatever the bundle holds.
	StepRoots, StepCAs, StepClient int
	// LeftOutLeaves and LeftOutNotCA split Plan.LeftOut: servers' own
	// self-signed certificates, and self-signed non-CAs atop a chain.
	LeftOutLeaves, LeftOutNotCA []*Item
}

// Render returns the files of the bundle for plan, in a fixed order. The
// same plan and meta always give the same bytes.
func Render(plan *Plan, meta Meta) ([]File, error) {
	if plan.Empty() {
		return nil, fmt.Errorf("remediate: nothing to deploy")
	}
	if err := checkScriptData(plan); err != nil {
		return nil, err
	}
	d := tmplData{Plan: plan, Meta: meta, Roots: plan.ByStore(StoreRoot), CAs: plan.ByStore(StoreCA), PolicyKey: winfmt.PolicyKey}
	d.HasRoots, d.HasCAs = len(d.Roots) > 0, len(d.CAs) > 0
	step := 1
	if d.HasRoots {
		step++
		d.StepRoots = step
	}
	if d.HasCAs {
		step++
		d.StepCAs = step
	}
	d.StepClient = step + 1
	for _, it := range plan.LeftOut {
		if it.EndEntityRoot {
			d.LeftOutNotCA = append(d.LeftOutNotCA, it)
		} else {
			d.LeftOutLeaves = append(d.LeftOutLeaves, it)
		}
	}
	var files []File
	add := func(name string, data []byte) { files = append(files, File{Name: name, Data: data}) }

	for _, group := range []struct {
		name  string
		items []*Item
	}{{"roots", d.Roots}, {"intermediates", d.CAs}} {
		if len(group.items) == 0 {
			continue
		}
		ders := sortedDER(group.items)
		p7, err := pkcs7.DegenerateCertificate(bytes.Join(ders, nil))
		if err != nil {
			return nil, fmt.Errorf("remediate: %s.p7b: %v", group.name, err)
		}
		add(group.name+".p7b", p7)
		add(group.name+".sst", winfmt.EncodeSST(ders))
	}
	for _, it := range plan.Items {
		add(it.File(), it.Cert.Raw)
	}
	pol, err := RegistryPol(plan)
	if err != nil {
		return nil, err
	}
	add("Registry.pol", pol)
	for _, t := range []struct{ file, tmpl string }{
		{"Import-Roots.ps1", "import-roots.ps1.tmpl"},
		{"Deploy-Gpo.ps1", "deploy-gpo.ps1.tmpl"},
		{"import-roots.cmd", "import-roots.cmd.tmpl"},
		{"INSTRUCTIONS.md", "instructions.md.tmpl"},
	} {
		var buf bytes.Buffer
		if err := templates.ExecuteTemplate(&buf, t.tmpl, d); err != nil {
			return nil, fmt.Errorf("remediate: %s: %v", t.file, err)
		}
		data := buf.Bytes()
		if strings.HasSuffix(t.file, ".ps1") || strings.HasSuffix(t.file, ".cmd") {
			// Windows line endings for Windows scripts.
			data = bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
		}
		add(t.file, data)
	}
	sort.SliceStable(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	m, err := manifest(files, plan, meta)
	if err != nil {
		return nil, err
	}
	add("manifest.json", m)
	return files, nil
}

// sortedDER returns the DER of items in byte order (DER SET OF order).
func sortedDER(items []*Item) [][]byte {
	out := make([][]byte, len(items))
	for i, it := range items {
		out[i] = it.Cert.Raw
	}
	sort.Slice(out, func(i, j int) bool { return bytes.Compare(out[i], out[j]) < 0 })
	return out
}

// RegistryPol returns the Registry.pol that deploys plan through Group
// Policy: per store (CA, then Root), a Blob value per certificate by
// thumbprint, then the key-only CRLs and CTLs entries the certificate
// editor writes (windows-formats.md §1-2).
func RegistryPol(plan *Plan) ([]byte, error) {
	var entries []winfmt.PolEntry
	for _, store := range []Store{StoreCA, StoreRoot} {
		items := plan.ByStore(store)
		if len(items) == 0 {
			continue
		}
		sort.Slice(items, func(i, j int) bool { return items[i].Thumbprint() < items[j].Thumbprint() })
		base := winfmt.PolicyKey + `\` + string(store)
		for _, it := range items {
			blob := winfmt.EncodeBlob(it.Cert.Raw)
			if len(blob) > winfmt.MaxBlob {
				return nil, fmt.Errorf("remediate: certificate %q is too large for Registry.pol (%d bytes)", it.Cert.Subject, len(blob))
			}
			entries = append(entries, winfmt.PolEntry{Key: base + `\Certificates\` + it.Thumbprint(), Value: "Blob", Type: winfmt.RegBinary, Data: blob})
		}
		entries = append(entries,
			winfmt.PolEntry{Key: base + `\CRLs`, Type: winfmt.RegNone},
			winfmt.PolEntry{Key: base + `\CTLs`, Type: winfmt.RegNone})
	}
	return winfmt.EncodePol(entries)
}

// Manifest is the shape of manifest.json.
type Manifest struct {
	Tool         string         `json:"tool"`
	Version      string         `json:"version"`
	Generated    string         `json:"generated"`
	Files        []ManifestFile `json:"files"`
	Certificates []ManifestCert `json:"certificates"`
}

// ManifestFile is one file and its checksum.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// ManifestCert is one certificate of the bundle.
type ManifestCert struct {
	certutil.Identity
	Store          Store    `json:"store"`
	File           string   `json:"file"`
	SelfSignedLeaf bool     `json:"self_signed_leaf"`
	Targets        []string `json:"targets"`
	// EndEntityRoot: a self-signed certificate that does not say it is a
	// CA, at the top of a chain (an addition, left out when false).
	EndEntityRoot bool `json:"end_entity_root,omitempty"`
}

func manifest(files []File, plan *Plan, meta Meta) ([]byte, error) {
	m := Manifest{Tool: "trustgap", Version: meta.Version, Generated: meta.Time.UTC().Format(time.RFC3339)}
	for _, f := range files {
		s := sha256.Sum256(f.Data)
		m.Files = append(m.Files, ManifestFile{Name: f.Name, Size: len(f.Data), SHA256: hex.EncodeToString(s[:])})
	}
	for _, it := range plan.Items {
		mc := ManifestCert{
			Identity: certutil.IdentityOf(it.Cert),
			Store:    it.Store, File: it.File(), SelfSignedLeaf: it.SelfSignedLeaf, EndEntityRoot: it.EndEntityRoot,
		}
		for _, r := range it.Reasons {
			mc.Targets = append(mc.Targets, r.Target)
		}
		m.Certificates = append(m.Certificates, mc)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

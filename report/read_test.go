package report_test

import (
	"io"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/remediate"
	"github.com/trustgap/trustgap/report"
)

func TestReadReportForms(t *testing.T) {
	obj := `{"role":"ews","target":"a.test","host":"a.test","port":443,"chain":[],"root":null,"trusted":false,"findings":[]}`
	for name, in := range map[string]string{
		"json":        `{"targets":[` + "\n" + obj + ",\n" + strings.Replace(obj, "a.test", "b.test", 1) + "\n],\n" + `"summary":{"targets":2}}`,
		"json-pretty": "{\n  \"summary\": {},\n  \"targets\": [\n" + obj + ",\n" + strings.Replace(obj, "a.test", "b.test", 1) + "]\n}",
		"jsonl":       obj + "\n" + strings.Replace(obj, "a.test", "b.test", 1) + "\n",
	} {
		var got []string
		err := report.Read(strings.NewReader(in), name, func(tr *report.Target) error {
			got = append(got, tr.Target)
			return nil
		})
		if err != nil || strings.Join(got, ",") != "a.test,b.test" {
			t.Errorf("%s: got %v, %v", name, got, err)
		}
	}
	for in, want := range map[string]string{
		"":                  "r.json: no targets",
		`{"targets":[{]}`:   "r.json: target 1",
		`{"summary":{}}`:    `no "targets" array`,
		`{"role":"ews"}`:    `target 1 has no "target" field`,
		`{"targets":[1,2]}`: "r.json: target 1",
	} {
		err := report.Read(strings.NewReader(in), "r.json", func(*report.Target) error { return nil })
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: got %v, want %q", in, err, want)
		}
	}
}

func FuzzReadReport(f *testing.F) {
	f.Add(`{"targets":[{"role":"ews","target":"a","chain":[{"der":"AAAA","sha1":"00"}],"root":null,"findings":[{"code":"incomplete-chain"}]}],"summary":{}}`)
	f.Add(`{"role":"ews","target":"a"}`)
	f.Add(`{"store":{"sources":[],"roots":0},"targets":[{"role":"ews","target":"a","verdict":"ok","addresses":[{"address":"x","chain":["00"]}]}],"summary":{}}`)
	f.Add(`{"discovery":{"domain":"d"},"scan":{"store":{},"targets":[{"role":"lync","target":"b"}],"summary":{}}}`)
	f.Add(`{"discovery":{"domain":"d"},"scan":null}`)
	f.Fuzz(func(t *testing.T, s string) {
		pl := &remediate.Planner{IncludeSelfSigned: true}
		report.Read(strings.NewReader(s), "f", pl.Add)
		pl.Plan()
	})
}

// TestReadDocuments reads a report with its store first, and the scan
// inside a discover --scan document; a document without a scan has no
// targets.
func TestReadDocuments(t *testing.T) {
	for _, tc := range []struct {
		doc   string
		want  []string
		error string
	}{
		{`{"store":{"sources":[{"source":"mozilla","roots":1}]},` + "\n" + `"targets":[{"role":"ews","target":"a"},{"role":"lync","target":"b"}],"summary":{}}`, []string{"a", "b"}, ""},
		{`{"discovery":{"domain":"d","autodiscover":[{"step":1}]},` + "\n" + `"scan":{"store":{},"targets":[{"role":"ews","target":"c"}],"summary":{}}}`, []string{"c"}, ""},
		{`{"discovery":{"domain":"d"},"scan":null}`, nil, `no "targets" array`},
		{`{"discovery":{"domain":"d"},"scan":[1]}`, nil, `"scan" is not an object`},
	} {
		var got []string
		err := report.Read(strings.NewReader(tc.doc), "r.json", func(tr *report.Target) error { got = append(got, tr.Target); return nil })
		if tc.error != "" {
			if err == nil || !strings.Contains(err.Error(), tc.error) {
				t.Errorf("%s: error %v, want %q", tc.doc, err, tc.error)
			}
			continue
		}
		if err != nil || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: read %v, %v; want %v", tc.doc, got, err, tc.want)
		}
	}
}

// TestReadBounded: an endless or huge value is an error naming the target,
// not memory exhaustion.
func TestReadBounded(t *testing.T) {
	obj := `{"role":"ews","target":"a.test","host":"a.test","port":443,"chain":[],"root":null,"trusted":false,"findings":[]}`
	huge := io.MultiReader(strings.NewReader(`{"targets":[`+obj+`,{"role":"ews","target":"`), endless{})
	n := 0
	err := report.Read(huge, "r.json", func(*report.Target) error { n++; return nil })
	if n != 1 || err == nil || err.Error() != "r.json: target 2: a value larger than 16 MiB" {
		t.Errorf("got %d targets, %v", n, err)
	}
	// Values just under the limit, one after the other, are fine.
	big := `{"role":"ews","target":"` + strings.Repeat("b", report.MaxValueSize-200) + `"}`
	in := big + "\n" + big + "\n" + obj + "\n"
	n = 0
	if err := report.Read(strings.NewReader(in), "r.jsonl", func(*report.Target) error { n++; return nil }); err != nil || n != 3 {
		t.Errorf("big values: %d, %v", n, err)
	}
}

type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

package report_test

import (
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
	f.Fuzz(func(t *testing.T, s string) {
		pl := &remediate.Planner{IncludeSelfSigned: true}
		report.Read(strings.NewReader(s), "f", pl.Add)
		pl.Plan()
	})
}

package report

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
)

var documentStart = regexp.MustCompile(`^\s*\{\s*"(run|store|targets|summary|discovery)"\s*:`)

// Read reads a saved scan report, "--format json" (one document) or
// "--format jsonl" (one target per line), and calls fn for every target as
// it is decoded, so a large report is never held in memory whole.
func Read(r io.Reader, name string, fn func(*Target) error) error {
	return read(r, name, fn, nil)
}

// read is Read, also keeping the run, store and summary of a document in
// doc when doc is not nil.
func read(r io.Reader, name string, fn func(*Target) error, doc *Document) error {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(256)
	dec := json.NewDecoder(br)
	n := 0
	one := func() error {
		var tr Target
		if err := dec.Decode(&tr); err != nil {
			return fmt.Errorf("%s: target %d: %v", name, n+1, err)
		}
		n++
		if tr.Target == "" {
			return fmt.Errorf("%s: target %d has no \"target\" field: not a trustgap scan report", name, n)
		}
		return fn(&tr)
	}
	if !documentStart.Match(head) {
		for dec.More() {
			if err := one(); err != nil {
				return err
			}
		}
		if n == 0 {
			return fmt.Errorf("%s: no targets: want a report written by trustgap scan --format json or jsonl", name)
		}
		return nil
	}
	expect := func(want json.Delim) error {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
		if d, ok := t.(json.Delim); !ok || d != want {
			return fmt.Errorf("%s: want %q, got %v", name, want, t)
		}
		return nil
	}
	sawTargets := false
	// object reads the keys of an object whose "{" was read: "targets" is
	// the array of targets, "scan" (at the top only) the scan report inside
	// a discover --scan document; anything else is skipped.
	var object func(top bool) error
	object = func(top bool) error {
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			switch key, _ := t.(string); {
			case key == "targets":
				sawTargets = true
				if err := expect('['); err != nil {
					return err
				}
				for dec.More() {
					if err := one(); err != nil {
						return err
					}
				}
				if err := expect(']'); err != nil {
					return err
				}
			case key == "scan" && top:
				v, err := dec.Token()
				if err != nil {
					return fmt.Errorf("%s: %v", name, err)
				}
				if v == nil {
					continue // "scan": null, nothing was scanned
				}
				if d, ok := v.(json.Delim); !ok || d != '{' {
					return fmt.Errorf("%s: \"scan\" is not an object", name)
				}
				if err := object(false); err != nil {
					return err
				}
			case doc != nil && (key == "run" || key == "store" || key == "summary"):
				var err error
				switch key {
				case "run":
					err = dec.Decode(&doc.Run)
				case "store":
					err = dec.Decode(&doc.Store)
				default:
					err = dec.Decode(&doc.Summary)
				}
				if err != nil {
					return fmt.Errorf("%s: %q: %v", name, key, err)
				}
				doc.Store.restore()
			default:
				var skip json.RawMessage
				if err := dec.Decode(&skip); err != nil {
					return fmt.Errorf("%s: %v", name, err)
				}
			}
		}
		return expect('}')
	}
	if err := expect('{'); err != nil {
		return err
	}
	if err := object(true); err != nil {
		return err
	}
	if !sawTargets {
		return errors.New(name + ": no \"targets\" array: not a trustgap scan report")
	}
	return nil
}

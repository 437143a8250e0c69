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

// Read limits: a report is read as a stream, so its size only bounds the
// time spent; one value (a target, the summary) is held whole, so it is
// bounded more tightly.
const (
	MaxReportSize = 1 << 30
	MaxValueSize  = 16 << 20
)

// limitedReader fails once more than total bytes were read, or more than
// val (plus slack for the read-ahead) past the mark, the start of the value
// being decoded.
type limitedReader struct {
	r          io.Reader
	n, mark    int64
	total, val int64
	err        error
}

// readAhead is how far the decoder and its bufio.Reader may have read past
// the value being decoded: a buffer as large as the largest value before,
// and the bufio.Reader's.
const readAhead = MaxValueSize + 64<<10

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	if l.n >= l.total {
		l.err = fmt.Errorf("larger than %d MiB", l.total>>20)
		return 0, l.err
	}
	if l.n-l.mark >= l.val+readAhead {
		l.err = fmt.Errorf("a value larger than %d MiB", l.val>>20)
		return 0, l.err
	}
	p = p[:min(int64(len(p)), l.total-l.n, l.val+readAhead-(l.n-l.mark))]
	k, err := l.r.Read(p)
	l.n += int64(k)
	return k, err
}

// Read reads a saved scan report, "--format json" (one document) or
// "--format jsonl" (one target per line), and calls fn for every target as
// it is decoded, so a large report is never held in memory whole. At most
// [MaxReportSize] bytes are read, and one target at most [MaxValueSize].
func Read(r io.Reader, name string, fn func(*Target) error) error {
	return read(r, name, fn, nil)
}

// read is Read, also keeping the run, store and summary of a document in
// doc when doc is not nil.
func read(r io.Reader, name string, fn func(*Target) error, doc *Document) error {
	lr := &limitedReader{r: r, total: MaxReportSize, val: MaxValueSize}
	br := bufio.NewReaderSize(lr, 64<<10)
	head, _ := br.Peek(256)
	dec := json.NewDecoder(br)
	n := 0
	mark := func() { lr.mark = dec.InputOffset() }
	one := func() error {
		var tr Target
		mark()
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
				mark()
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
				mark()
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

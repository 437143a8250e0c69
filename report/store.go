package report

import (
	"fmt"
	"strings"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/rootstore"
)

// Store is the client store a scan's verdicts rest on, as reports name it:
// what each source gave, the totals, and what was skipped or is worth
// knowing about it.
type Store struct {
	Sources       []rootstore.SourceCount `json:"sources"`
	Roots         int                     `json:"roots"`
	Intermediates int                     `json:"intermediates"`
	Disallowed    int                     `json:"disallowed"`
	// Public and Private split the roots: public ones are in Mozilla's
	// root program (by subject and key).
	Public  int `json:"public"`
	Private int `json:"private"`
	// Warnings are what loading skipped, and the warning that "system" is
	// not a Windows client's store (on any other system).
	Warnings []string `json:"warnings"`

	notWindows bool
}

// restore sets what a store read back from JSON does not carry: whether
// "system" was another system's store (its warning says so).
func (s *Store) restore() {
	if s == nil {
		return
	}
	for _, w := range s.Warnings {
		if strings.HasPrefix(w, "--roots system is this ") && strings.Contains(w, " machine's store, not a Windows client's") {
			s.notWindows = true
		}
	}
}

// maxStoreWarnings bounds the warnings a report repeats.
const maxStoreWarnings = 20

// NewStore describes s for a report made on goos (runtime.GOOS).
func NewStore(s *rootstore.Store, goos string) *Store {
	st := &Store{Sources: append([]rootstore.SourceCount{}, s.Sources...), Roots: len(s.Roots),
		Intermediates: len(s.Intermediates), Disallowed: len(s.Disallowed), Warnings: []string{}}
	for _, r := range s.Roots {
		if rootstore.IsPublic(r.Cert) {
			st.Public++
		} else {
			st.Private++
		}
	}
	if w := s.ClientWarning(goos); w != "" {
		st.Warnings = append(st.Warnings, w)
		st.notWindows = true
	}
	for i, w := range s.Warnings {
		if i == maxStoreWarnings {
			st.Warnings = append(st.Warnings, fmt.Sprintf("and %d more warnings", len(s.Warnings)-i))
			break
		}
		st.Warnings = append(st.Warnings, w)
	}
	return st
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Line is the store as one line of text: each source with what it gave,
// and the totals.
func (s *Store) Line() string {
	total := fmt.Sprintf("%s (%d public, %d private), %s, %d disallowed", plural(s.Roots, "root", "roots"), s.Public, s.Private,
		plural(s.Intermediates, "intermediate", "intermediates"), s.Disallowed)
	var line string
	if len(s.Sources) == 1 {
		line = fmt.Sprintf("client store: %s: %s", certutil.SafeText(s.Sources[0].Source), total)
	} else {
		var parts []string
		for _, sc := range s.Sources {
			parts = append(parts, fmt.Sprintf("%s (%s, %s, %d disallowed)", certutil.SafeText(sc.Source),
				plural(sc.Roots, "root", "roots"), plural(sc.Intermediates, "intermediate", "intermediates"), sc.Disallowed))
		}
		line = fmt.Sprintf("client store: %s; in all %s", strings.Join(parts, ", "), total)
	}
	if s.notWindows {
		line += "; system is this machine's store, not a Windows client's"
	}
	return line
}

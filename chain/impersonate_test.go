package chain_test

import (
	"crypto/x509"
	"sort"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"github.com/trustgap/trustgap/rootstore"
)

// TestImpersonatedOnMicrosoftsProgram measures impersonating-root on a real
// root program (434 roots from certutil -generateSSTFromWU): for each root,
// a client whose store holds every other root. Microsoft's program gives 3
// names two keys each (TWCA Root Certification Authority, Government Root
// Certification Authority (TW), and Venezuela's root): with one of a pair
// missing from the store, it is taken for an impersonation of the other,
// except TWCA's key that Mozilla's program also holds (a public root
// impersonates nothing): 5 roots of 434, each only when the client store
// lacks it. With the whole program as the client store (authroot:) none
// is, the root being in the store. Every other root is never taken.
func TestImpersonatedOnMicrosoftsProgram(t *testing.T) {
	s, err := rootstore.Load(testtool.Shared(t, "fixtures/real/generateSSTFromWU-roots.sst"))
	if err != nil {
		t.Fatal(err)
	}
	roots := s.Certificates()
	var flagged []string
	for i, c := range roots {
		others := append(append([]*x509.Certificate(nil), roots[:i]...), roots[i+1:]...)
		j := chain.NewJudge(chain.NewCertSet(others...), nil, testca.Epoch)
		j.Namesake = rootstore.PublicNamesake
		if k, where := j.Impersonated(c); k != nil {
			flagged = append(flagged, c.Subject.String()+" "+where)
		}
	}
	sort.Strings(flagged)
	if len(flagged) != 5 {
		t.Errorf("%d roots taken for impersonation, want 5 (the two-key names, less Mozilla's TWCA):\n%s", len(flagged), strings.Join(flagged, "\n"))
	}
	for _, f := range flagged {
		if !strings.Contains(f, "TWCA") && !strings.Contains(f, "O=Government Root Certification Authority,C=TW") && !strings.Contains(f, "C=VE") {
			t.Errorf("taken for an impersonation: %s", f)
		}
	}
	// A public root impersonates nothing, even beside an older namesake.
	for _, c := range roots {
		if !rootstore.IsPublic(c) {
			continue
		}
		fake := testca.New(testca.Options{RawSubject: c.RawSubject, IsCA: true}, nil)
		j := chain.NewJudge(chain.NewCertSet(fake.Cert), nil, testca.Epoch)
		j.Namesake = rootstore.PublicNamesake
		if k, _ := j.Impersonated(c); k != nil {
			t.Errorf("public root %s taken for an impersonation of a store root with its name", c.Subject)
		}
		break
	}
}

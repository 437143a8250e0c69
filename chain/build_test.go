package chain

import (
	"context"
	"crypto/x509"
	"errors"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/testca"
)

// stuckAIA answers nothing until the context ends, and counts the calls.
type stuckAIA struct{ calls atomic.Int32 }

func (s *stuckAIA) Issuers(ctx context.Context, url string) ([]*x509.Certificate, error) {
	s.calls.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}

// failAIA fails every fetch at once, and counts the calls.
type failAIA struct{ calls atomic.Int32 }

func (f *failAIA) Issuers(ctx context.Context, url string) ([]*x509.Certificate, error) {
	f.calls.Add(1)
	return nil, errors.New("not found")
}

// TestAIABudget: the AIA work of one chain is bounded in time as well as in
// count, and the path says which bound stopped it (issue 10).
func TestAIABudget(t *testing.T) {
	root := testca.Root("Budget Root")
	var leaves []*x509.Certificate
	for i := 0; i < 3; i++ {
		inter := testca.New(testca.Options{CN: "Budget Issuing " + strconv.Itoa(i), IsCA: true, IssuingURL: "http://aia.test/" + strconv.Itoa(i)}, root)
		leaves = append(leaves, testca.New(testca.Options{CN: "leaf.test", IssuingURL: "http://aia.test/leaf"}, inter).Cert)
	}
	stuck := &stuckAIA{}
	b := &Builder{Store: NewCertSet(root.Cert), AIA: stuck, AIABudget: 50 * time.Millisecond}
	p := b.Build(context.Background(), leaves[0], nil)
	var be *AIABudgetError
	if !errors.As(p.AIAErr, &be) || be.Error() != "chain: AIA stopped: AIA took more than 50ms for one chain (at http://aia.test/leaf)" {
		t.Errorf("time budget: got %v", p.AIAErr)
	}
	if p.Complete {
		t.Error("a chain whose issuer never came is complete")
	}

	// A leaf with many caIssuers URLs is fetched at most aiaMaxURLs times;
	// across a chain, at most AIAMaxFetches (here 2).
	many := testca.New(testca.Options{CN: "many.test", IssuingURL: "http://aia.test/1"}, root).Cert
	many.IssuingCertificateURL = []string{"http://aia.test/1", "http://aia.test/2", "http://aia.test/3", "http://aia.test/4", "http://aia.test/5"}
	fail := &failAIA{}
	b = &Builder{Store: NewCertSet(), AIA: fail, AIAMaxFetches: 2}
	p = b.Build(context.Background(), many, nil)
	if n := fail.calls.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	if p.AIAErr == nil || p.AIAErr.Error() != "not found" {
		t.Errorf("the first failure is kept: %v", p.AIAErr)
	}
	b = &Builder{Store: NewCertSet(), AIA: fail}
	fail.calls.Store(0)
	b.Build(context.Background(), many, nil)
	if n := fail.calls.Load(); n != aiaMaxURLs {
		t.Errorf("%d fetches, want %d (per certificate)", n, aiaMaxURLs)
	}
	// The caller's cancellation is not a budget error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p = (&Builder{Store: NewCertSet(root.Cert), AIA: stuck}).Build(ctx, leaves[1], nil)
	if errors.As(p.AIAErr, &be) {
		t.Errorf("cancelled build reports %v", p.AIAErr)
	}
}

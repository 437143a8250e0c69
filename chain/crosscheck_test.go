package chain

import (
	"crypto/x509"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/certutil"
)

// signedInTurn reports whether each certificate is signed by the next, as in
// every path trustgap builds (some PKITS paths also list a CRL signer).
func signedInTurn(certs []*x509.Certificate) bool {
	for i := 0; i+1 < len(certs); i++ {
		if certutil.CheckSignedBy(certs[i], certs[i+1]) != certutil.SigValid {
			return false
		}
	}
	return true
}

// TestSplitCrossCheckAgrees: on every NIST PKITS path (and on each of its
// sub-paths from an intermediate up, which are CA parts other paths share)
// that [splittable] lets [goVerify] verify in two halves, crypto/x509 gives
// the same answer verified in two halves as whole. PKITS has paths with and
// without name constraints, path length constraints, policies and policy
// mappings above and below the first intermediate, valid and invalid ones.
func TestSplitCrossCheckAgrees(t *testing.T) {
	dir := filepath.Join(runtime.GOROOT(), "src", "crypto", "x509", "testdata", "nist-pkits")
	b, err := os.ReadFile(filepath.Join(dir, "vectors.json"))
	if err != nil {
		t.Skipf("NIST PKITS not found in the Go source tree: %v", err)
	}
	var vectors []struct {
		Name     string
		CertPath []string
	}
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // within PKITS's validity
	split, whole, invalid := 0, 0, 0
	for _, v := range vectors {
		var path []*x509.Certificate // leaf first
		for i := len(v.CertPath) - 1; i >= 0; i-- {
			der, err := os.ReadFile(filepath.Join(dir, "certs", v.CertPath[i]))
			if err != nil {
				t.Fatal(err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				path = nil // a DSA key inheriting its parameters: not parsed
				break
			}
			path = append(path, c)
		}
		for from := 0; from+3 <= len(path); from++ {
			certs := path[from:]
			if !goCanJudge(certs) || !signedInTurn(certs) {
				continue // trustgap cross-checks built paths only
			}
			if !splittable(certs) {
				whole++
				continue
			}
			split++
			w := verify(certs, now)
			s := verify(certs[1:], now)
			if s == nil {
				s = verify(certs[:2], now)
			}
			if (w == nil) != (s == nil) {
				t.Errorf("%s (from certificate %d): whole %v, in two halves %v", v.Name, from, w, s)
			}
			if w != nil {
				invalid++
			}
		}
	}
	t.Logf("%d paths verified in two halves (%d refused), %d whole", split, invalid, whole)
	if split < 100 || invalid < 10 || whole < 20 {
		t.Errorf("%d split (%d refused), %d whole: PKITS should exercise both ways", split, invalid, whole)
	}
}

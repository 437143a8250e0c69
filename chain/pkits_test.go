package chain_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/target"
)

// pkitsDeviations lists the NIST PKITS vectors (sections run: all but
// revocation, 4.4, 4.14 and 4.15, and policy mapping, 4.10 and 4.11) where
// trustgap's verdict differs from the expected one, and why. Every entry
// must still deviate: a fixed one fails the test until it is removed.
var pkitsDeviations = map[string]string{
	// Stricter than Windows, never laxer.
	"4.1.5 Valid DSA Parameter Inheritance Test5":                     "crypto/x509 cannot parse a DSA key whose parameters are inherited from its CA, so the certificate is unparsable-certificate; Windows inherits DSS parameters (CERT_PUBKEY_ALG_PARA_PROP_ID). No Lync or Exchange server uses a DSA key.",
	"4.3.3 Valid Name Chaining Whitespace Test3":                      nameChaining,
	"4.3.4 Valid Name Chaining Whitespace Test4":                      nameChaining,
	"4.3.5 Valid Name Chaining Capitalization Test5":                  nameChaining,
	"4.3.10 Valid Rollover from PrintableString to UTF8String Test10": nameChaining,
	"4.3.11 Valid UTF8String Case Insensitive Match Test11":           nameChaining,
	"4.6.15 Valid Self-Issued pathLenConstraint Test15":               goPathLen,
	"4.6.17 Valid Self-Issued pathLenConstraint Test17":               goPathLen,
	"4.13.25 Valid RFC822 nameConstraints Test25":                     goHostConstraint,
	"4.13.36 Valid URI nameConstraints Test36":                        goHostConstraint,
	// Invalid only because of revocation, which is issue 12.
	"4.5.2 Invalid Basic Self-Issued Old With New Test2":      revoked,
	"4.5.5 Invalid Basic Self-Issued New With Old Test5":      revoked,
	"4.5.7 Invalid Basic Self-Issued CRL Signing Key Test7":   revoked,
	"4.7.4 Invalid keyUsage Critical cRLSign False Test4":     noCRLSign,
	"4.7.5 Invalid keyUsage Not Critical cRLSign False Test5": noCRLSign,
}

const (
	nameChaining     = "issuer and subject names are compared byte for byte, as crypto/x509 does and as Windows' CertCompareCertificateName does; RFC 5280 §7.1 case- and space-insensitive matching is not applied. Stricter: 'trusted' never rests on a normalised name match Windows might not make."
	goPathLen        = "crypto/x509, which cross-checks every path, counts self-issued intermediates against pathLenConstraint (RFC 5280 §6.1.4 (l) does not): invalid-chain. trustgap keeps the stricter verdict, so that 'trusted' never rests on a rule crypto/x509 refuses."
	goHostConstraint = "crypto/x509, which cross-checks every path, reads an rfc822Name or URI constraint naming a host as covering its subdomains too (RFC 5280 §4.2.1.10: that host only): invalid-chain. Stricter, as above; such constraints do not occur on TLS server chains in practice."
	revoked          = "the end-entity certificate is on its CA's CRL: revocation is not checked here (issue 12)"
	noCRLSign        = "the CA cannot sign its CRL, so revocation status cannot be known: revocation is not checked here (issue 12)"
)

type pkitsVector struct {
	Name                        string
	CertPath                    []string
	ShouldValidate              bool
	InitialPolicySet            []string
	InitialPolicyMappingInhibit bool
	InitialExplicitPolicy       bool
	InitialAnyPolicyInhibit     bool
}

// pkitsDir is the NIST PKITS copy in Go's source tree.
func pkitsDir(t *testing.T) string {
	dir := filepath.Join(runtime.GOROOT(), "src", "crypto", "x509", "testdata", "nist-pkits")
	if _, err := os.Stat(filepath.Join(dir, "vectors.json")); err != nil {
		t.Skipf("NIST PKITS not found in the Go source tree: %v", err)
	}
	return dir
}

// goPKITS reads Go's pkits_test.go with go/parser: the vectors file it
// takes the expected results from, and the names of the policy vectors it
// runs (those whose initial inputs a TLS client never sets are not
// applicable to trustgap).
func goPKITS(t *testing.T) (vectorsFile string, policy map[string]bool) {
	src := filepath.Join(runtime.GOROOT(), "src", "crypto", "x509", "pkits_test.go")
	f, err := parser.ParseFile(token.NewFileSet(), src, nil, 0)
	if err != nil {
		t.Fatalf("reading Go's PKITS test: %v", err)
	}
	policy = map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BasicLit:
			if s, err := strconv.Unquote(n.Value); err == nil && strings.HasSuffix(s, "vectors.json") {
				vectorsFile = s
			}
		case *ast.AssignStmt:
			if len(n.Lhs) != 1 || len(n.Rhs) != 1 {
				return true
			}
			if id, ok := n.Lhs[0].(*ast.Ident); !ok || id.Name != "policyTests" {
				return true
			}
			lit, ok := n.Rhs[0].(*ast.CompositeLit)
			if !ok {
				return true
			}
			for _, e := range lit.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.BasicLit); ok {
						if s, err := strconv.Unquote(k.Value); err == nil {
							policy[s] = true
						}
					}
				}
			}
		}
		return true
	})
	if vectorsFile == "" || len(policy) == 0 {
		t.Fatalf("%s: no vectors file or policy test list found (Go's test changed shape)", src)
	}
	return vectorsFile, policy
}

// pkitsSection is a vector's section, "4.6" for "4.6.12 ...".
func pkitsSection(name string) string {
	parts := strings.SplitN(strings.Fields(name)[0], ".", 3)
	return parts[0] + "." + parts[1]
}

// pkitsExplainers is the finding code (any of) that must explain each
// invalid vector of a section.
var pkitsExplainers = map[string][]string{
	"4.1":  {"bad-signature"},
	"4.2":  {"expired", "not-yet-valid"},
	"4.3":  {"incomplete-chain"},
	"4.5":  {"issuer-not-ca", "key-usage"},
	"4.6":  {"issuer-not-ca", "path-length"},
	"4.7":  {"key-usage"},
	"4.8":  {"invalid-chain"}, // certificate policies: crypto/x509's cross-check
	"4.9":  {"invalid-chain"},
	"4.12": {"invalid-chain"},
	"4.13": {"name-constraints"},
	"4.16": {"critical-extension"},
}

// TestPKITS runs the NIST PKITS path validation vectors through the real
// builder and judge: the trust anchor is the client store, the path's other
// certificates are what the server presents (leaf first), and trustgap's
// "trusted" must equal the expected result, except for the deviations
// listed above. Every invalid vector must be explained by its section's
// finding code.
func TestPKITS(t *testing.T) {
	dir := pkitsDir(t)
	vectorsFile, policy := goPKITS(t)
	b, err := os.ReadFile(filepath.Join(dir, "..", "..", filepath.FromSlash(vectorsFile)))
	if err != nil {
		t.Fatal(err)
	}
	var vectors []pkitsVector
	if err := json.Unmarshal(b, &vectors); err != nil {
		t.Fatal(err)
	}
	ran, notApplicable := 0, 0
	seenDeviation := map[string]bool{}
	for _, v := range vectors {
		switch pkitsSection(v.Name) {
		case "4.4", "4.14", "4.15", "4.10", "4.11":
			continue // revocation, policy mapping
		}
		defaults := slices.Equal(v.InitialPolicySet, []string{"anyPolicy"}) && !v.InitialPolicyMappingInhibit && !v.InitialExplicitPolicy && !v.InitialAnyPolicyInhibit
		if policy[v.Name] && !defaults {
			notApplicable++ // a user-initial-policy-set or explicit-policy input
			continue
		}
		ran++
		t.Run(v.Name, func(t *testing.T) {
			trusted, codes := pkitsJudge(t, dir, v)
			why, deviates := pkitsDeviations[v.Name]
			if deviates {
				seenDeviation[v.Name] = true
				if trusted == v.ShouldValidate {
					t.Errorf("listed as a deviation (%s) but trustgap now agrees: remove it from the table", why)
				}
				return
			}
			if trusted != v.ShouldValidate {
				t.Errorf("trusted = %v, want %v; findings: %v", trusted, v.ShouldValidate, codes)
			}
			if !v.ShouldValidate {
				want := pkitsExplainers[pkitsSection(v.Name)]
				if !slices.ContainsFunc(codes, func(c string) bool { return slices.Contains(want, c) }) {
					t.Errorf("invalid, but explained by %v rather than one of %v", codes, want)
				}
			}
		})
	}
	for name := range pkitsDeviations {
		if !seenDeviation[name] {
			t.Errorf("deviation %q names no vector that was run", name)
		}
	}
	if ran < 120 || notApplicable == 0 {
		t.Errorf("ran %d vectors (%d not applicable): the vector file changed shape?", ran, notApplicable)
	}
	t.Logf("ran %d PKITS vectors, %d deviations, %d policy vectors with initial inputs a TLS client does not set", ran, len(pkitsDeviations), notApplicable)
}

// pkitsJudge builds and judges one vector: anchor in the store, the rest
// presented by the "server" leaf first.
func pkitsJudge(t *testing.T, dir string, v pkitsVector) (trusted bool, codes []string) {
	var certs []*x509.Certificate
	for _, f := range v.CertPath {
		der, err := os.ReadFile(filepath.Join(dir, "certs", f))
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return false, []string{"unparsable-certificate"}
		}
		certs = append(certs, c)
	}
	store := chain.NewCertSet(certs[0])
	var presented []*x509.Certificate
	for i := len(certs) - 2; i >= 1; i-- {
		presented = append(presented, certs[i])
	}
	b := &chain.Builder{Store: store, Now: testca.Epoch}
	p := b.Build(context.Background(), certs[len(certs)-1], presented)
	r := &chain.Result{Target: target.Target{Host: "pkits.test", Role: target.RoleOther}, Path: &p}
	chain.NewJudge(store, nil, testca.Epoch).Apply(r)
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	return r.Trusted, codes
}

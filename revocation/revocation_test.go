package revocation

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"crypto/x509/pkix"
	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/testtool"
	"golang.org/x/crypto/ocsp"
)

const ldapCDP = "ldap:///CN=Test%20Issuing%20CA,CN=ca01,CN=CDP,CN=Public%20Key%20Services,CN=Services,CN=Configuration,DC=contoso,DC=com?certificateRevocationList?base?objectClass=cRLDistributionPoint"

// rcase is one revocation scenario on a root, issuing CA and leaf.
type rcase struct {
	name string
	mode Mode
	// leaf shapes the leaf (its CDPs, OCSP URLs, extensions).
	leaf func(*testca.Options)
	// serve publishes the CRLs and responders, given the PKI.
	serve func(r *rig, p *pki)
	// tune changes the checker (shorter limits).
	tune  func(c *Checker)
	want  string // the links' statuses, leaf first
	codes string // the findings, code/severity
	// msg must appear in one finding's message.
	msg string
	// openssl, when set, is what "openssl verify" says where it differs
	// from trustgap on purpose, and why is the reason. noOracle says why
	// openssl verify cannot judge the case at all.
	openssl, why string
	noOracle     string
}

func revokedOf(c *testca.Cert, reason int) testca.Revoked {
	return testca.Revoked{Serial: c.Cert.SerialNumber, Reason: reason}
}

// goodCRLs publishes empty CRLs for both CAs.
func goodCRLs(r *rig, p *pki) {
	r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{}))
	r.file("/root.crl", testca.CRL(p.root, testca.CRLOptions{}))
}

func withOCSP(o *testca.Options) { o.OCSPURLs = []string{base + "/ocsp"} }

func cases() []rcase {
	other := testca.New(testca.Options{CN: "Other CA", IsCA: true}, nil)
	return []rcase{
		{name: "good", serve: goodCRLs, want: "good/crl good/crl not-checked"},
		{name: "revoked by CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Revoked: []testca.Revoked{revokedOf(p.leaf, 1)}}))
		}, want: "revoked/crl good/crl not-checked", codes: "revoked/error", msg: `(reason keyCompromise), according to the CRL "http://pki.test/inter.crl"`},
		{name: "revoked intermediate", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/root.crl", testca.CRL(p.root, testca.CRLOptions{Revoked: []testca.Revoked{revokedOf(p.inter, 2)}}))
		}, want: "good/crl revoked/crl not-checked", codes: "revoked/error", msg: "reason cACompromise"},
		{name: "revoked by OCSP", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/ocsp", ocspResponder(p.inter, p.inter, ocsp.Response{Status: ocsp.Revoked, RevokedAt: testca.Epoch.AddDate(0, 0, -2), RevocationReason: ocsp.Superseded}))
		}, want: "revoked/ocsp good/crl not-checked", codes: "revoked/error", msg: `(reason superseded), according to the OCSP responder "http://pki.test/ocsp"`,
			noOracle: "openssl verify reads CRLs only; OCSP answers are checked against openssl ocsp in TestOpenSSLCA"},
		{name: "good by OCSP", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/ocsp", ocspResponder(p.inter, p.inter, ocsp.Response{Status: ocsp.Good}))
		}, want: "good/ocsp good/crl not-checked", noOracle: "openssl verify reads CRLs only"},
		{name: "delta CRL revocation", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 10, ExtraExtensions: []pkix.Extension{freshestExt(base + "/inter-delta.crl")}}))
			r.file("/inter-delta.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}, Revoked: []testca.Revoked{revokedOf(p.leaf, 1)}}))
		}, want: "revoked/delta-crl good/crl not-checked", codes: "revoked/error", msg: `according to the delta CRL "http://pki.test/inter-delta.crl"`},
		{name: "delta CRL good", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 10, ExtraExtensions: []pkix.Extension{freshestExt(base + "/inter-delta.crl")}}))
			r.file("/inter-delta.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}}))
		}, want: "good/delta-crl good/crl not-checked"},
		{name: "delta CRL named by the certificate", leaf: func(o *testca.Options) {
			o.ExtraExtensions = []pkix.Extension{freshestExt(base + "/inter-delta.crl")}
		}, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 10}))
			r.file("/inter-delta.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}, Revoked: []testca.Revoked{revokedOf(p.leaf, 4)}}))
		}, want: "revoked/delta-crl good/crl not-checked", codes: "revoked/error"},
		{name: "hold released by the delta CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 10, Revoked: []testca.Revoked{revokedOf(p.leaf, reasonCertificateHold)}, ExtraExtensions: []pkix.Extension{freshestExt(base + "/inter-delta.crl")}}))
			r.file("/inter-delta.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}, Revoked: []testca.Revoked{revokedOf(p.leaf, reasonRemoveFromCRL)}}))
		}, want: "good/delta-crl good/crl not-checked"},
		{name: "on hold", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Revoked: []testca.Revoked{revokedOf(p.leaf, reasonCertificateHold)}}))
		}, want: "revoked/crl good/crl not-checked", codes: "revoked/error", msg: "reason certificateHold"},
		{name: "delta CRL never published", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 10, ExtraExtensions: []pkix.Extension{freshestExt(base + "/missing-delta.crl")}}))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: `every URL failed: the base CRL "http://pki.test/inter.crl" needs its delta CRL, and delta CRL "http://pki.test/missing-delta.crl": HTTP status 404 Not Found`,
			openssl: "OK", why: "openssl verify does not require the delta CRL a base CRL names; Windows does (the revocation server is offline)"},
		{name: "expired CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ThisUpdate: testca.Epoch.AddDate(0, 0, -8), NextUpdate: testca.Epoch.Add(-time.Hour)}))
		}, want: "unknown good/crl not-checked", codes: "crl-expired/warning", msg: `the CRL "http://pki.test/inter.crl" of "CN=Test Issuing CA" expired on 2026-06-01T11:00:00Z`},
		{name: "expired CRL, hard", mode: Hard, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ThisUpdate: testca.Epoch.AddDate(0, 0, -8), NextUpdate: testca.Epoch.Add(-time.Hour)}))
		}, want: "unknown good/crl not-checked", codes: "crl-expired/error"},
		{name: "expired CRL listing the leaf", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ThisUpdate: testca.Epoch.AddDate(0, 0, -8), NextUpdate: testca.Epoch.Add(-time.Hour), Revoked: []testca.Revoked{revokedOf(p.leaf, 1)}}))
		}, want: "revoked/crl good/crl not-checked", codes: "revoked/error crl-expired/warning", msg: "; it still lists the certificate as revoked",
			openssl: "CRL has expired", why: "an entry signed by the CA says the certificate is revoked, whatever the CRL's age: trustgap reports it so the certificate gets replaced; openssl and Windows only refuse the expired CRL"},
		{name: "expiring CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{NextUpdate: testca.Epoch.Add(24 * time.Hour)}))
		}, want: "good/crl good/crl not-checked", codes: "crl-expiring/warning", msg: "expires on 2026-06-02T12:00:00Z, within 48 hours"},
		{name: "CRL signed by the wrong key", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{SignWith: other.Key}))
		}, want: "unknown good/crl not-checked", codes: "crl-bad-signature/warning", msg: `its signature does not verify with the key of "CN=Test Issuing CA"`},
		{name: "CRL signed by the wrong key, hard", mode: Hard, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{SignWith: other.Key}))
		}, want: "unknown good/crl not-checked", codes: "crl-bad-signature/error"},
		{name: "another CA's CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(other, testca.CRLOptions{}))
		}, want: "unknown good/crl not-checked", codes: "crl-bad-signature/warning", msg: `it is the CRL of "CN=Other CA"`,
			openssl: "unable to get certificate CRL", why: "openssl looks CRLs up by issuer name and so finds none; trustgap names the wrong file at the URL"},
		{name: "ldap-only CDP", leaf: func(o *testca.Options) { o.CRLURLs = []string{ldapCDP} }, serve: goodCRLs,
			want: "unknown good/crl not-checked", codes: "revocation-ldap-only/warning", msg: "names only ldap CRL distribution points"},
		{name: "ldap-only CDP, hard", mode: Hard, leaf: func(o *testca.Options) { o.CRLURLs = []string{ldapCDP} }, serve: goodCRLs,
			want: "unknown good/crl not-checked", codes: "revocation-ldap-only/error"},
		{name: "unreachable CDP", leaf: func(o *testca.Options) { o.CRLURLs = []string{"http://closed.test/inter.crl"} }, serve: goodCRLs,
			want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: `every URL failed: CRL "http://closed.test/inter.crl": connect to closed.test (127.0.0.1:`},
		{name: "unreachable CDP, hard", mode: Hard, leaf: func(o *testca.Options) { o.CRLURLs = []string{"http://closed.test/inter.crl"} }, serve: goodCRLs,
			want: "unknown good/crl not-checked", codes: "revocation-unreachable/error", msg: "0x80092013"},
		{name: "ldap and unreachable http CDP", leaf: func(o *testca.Options) { o.CRLURLs = []string{ldapCDP, "http://closed.test/inter.crl"} }, serve: goodCRLs,
			want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "not fetched: an ldap URL"},
		{name: "ldap then reachable http CDP", leaf: func(o *testca.Options) { o.CRLURLs = []string{ldapCDP, base + "/inter.crl"} }, serve: goodCRLs,
			want: "good/crl good/crl not-checked"},
		{name: "huge CRL cut at the limit", leaf: func(o *testca.Options) { o.CRLURLs = []string{base + "/huge.crl"} }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/huge.crl", endless(100<<20))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "answer larger than 10485760 bytes"},
		{name: "never-ending CRL", leaf: func(o *testca.Options) { o.CRLURLs = []string{base + "/endless.crl"} }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/endless.crl", endless(0))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "answer larger than 10485760 bytes"},
		{name: "slow OCSP responder, CRL good", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/ocsp", hang)
		}, tune: func(c *Checker) { c.ocspLimit.Timeout = 300 * time.Millisecond }, want: "good/crl good/crl not-checked"},
		{name: "slow OCSP responder only", leaf: func(o *testca.Options) { o.CRLURLs = nil; withOCSP(o) }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/ocsp", hang)
		}, tune: func(c *Checker) { c.ocspLimit.Timeout = 300 * time.Millisecond }, want: "unknown good/crl not-checked",
			codes: "revocation-unreachable/warning", msg: `OCSP responder "http://pki.test/ocsp": no complete answer within 300ms`, noOracle: "the leaf has no CRL"},
		{name: "redirect loop", leaf: func(o *testca.Options) { o.CRLURLs = []string{base + "/loop.crl"} }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/loop.crl", loop)
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "more than 3 redirects"},
		{name: "slow CDP", leaf: func(o *testca.Options) { o.CRLURLs = []string{base + "/slow.crl"} }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/slow.crl", hang)
		}, tune: func(c *Checker) { c.crlLimits.Timeout = 300 * time.Millisecond },
			want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "no complete answer within 300ms"},
		{name: "garbage CRL", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", []byte("<html>not found</html>"))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "not a CRL: malformed crl",
			noOracle: "openssl verify does not start on a CRL file that does not parse"},
		{name: "OCSP garbage, CRL good", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/ocsp", []byte("garbage"))
		}, want: "good/crl good/crl not-checked", codes: "ocsp-bad-response/warning", msg: `OCSP responder "http://pki.test/ocsp": the response is not a valid answer: it does not parse as an OCSP response; the status came from the CRL "http://pki.test/inter.crl" instead`},
		{name: "OCSP garbage, CRL good, hard", mode: Hard, leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/ocsp", []byte("garbage"))
		}, want: "good/crl good/crl not-checked", codes: "ocsp-bad-response/warning"},
		{name: "OCSP garbage only, hard", mode: Hard, leaf: func(o *testca.Options) { o.CRLURLs = nil; withOCSP(o) }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/ocsp", []byte("garbage"))
		}, want: "unknown good/crl not-checked", codes: "ocsp-bad-response/error", noOracle: "the leaf has no CRL for openssl verify to read"},
		{name: "OCSP unauthorized", leaf: func(o *testca.Options) { o.CRLURLs = nil; withOCSP(o) }, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/ocsp", ocsp.UnauthorizedErrorResponse)
		}, want: "unknown good/crl not-checked", codes: "ocsp-bad-response/warning", msg: "unauthorized", noOracle: "the leaf has no CRL"},
		{name: "OCSP signer without the OCSP Signing EKU", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			signer := testca.New(testca.Options{CN: "Not A Responder"}, p.inter)
			r.handle("/ocsp", ocspResponder(p.inter, signer, ocsp.Response{Status: ocsp.Good}))
		}, want: "good/crl good/crl not-checked", codes: "ocsp-bad-response/warning", msg: "lacks the OCSP Signing extended key usage"},
		{name: "delegated OCSP signer", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			signer := testca.New(testca.Options{CN: "Test OCSP Responder", EKU: []x509.ExtKeyUsage{x509.ExtKeyUsageOCSPSigning}}, p.inter)
			r.handle("/ocsp", ocspResponder(p.inter, signer, ocsp.Response{Status: ocsp.Revoked, RevokedAt: testca.Epoch.AddDate(0, 0, -1)}))
		}, want: "revoked/ocsp good/crl not-checked", codes: "revoked/error", noOracle: "openssl verify reads CRLs only"},
		{name: "OCSP stale", leaf: withOCSP, serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.handle("/ocsp", ocspResponder(p.inter, p.inter, ocsp.Response{Status: ocsp.Good, ThisUpdate: testca.Epoch.AddDate(0, 0, -9), NextUpdate: testca.Epoch.AddDate(0, 0, -2)}))
		}, want: "good/crl good/crl not-checked", codes: "ocsp-bad-response/warning", msg: "the response is stale"},
		{name: "OCSP unreachable, CRL good", leaf: func(o *testca.Options) { o.OCSPURLs = []string{"http://closed.test/ocsp"} }, serve: goodCRLs,
			want: "good/crl good/crl not-checked"},
		{name: "no CDP and no OCSP", leaf: func(o *testca.Options) { o.CRLURLs = nil }, serve: goodCRLs,
			want: "not-checked good/crl not-checked", codes: "no-revocation-info/info", msg: `"CN=mail.test"`},
		// Windows hard-fail clients refuse a certificate they cannot check
		// at all (0x80092012): an error under hard, where issue 12 said info
		// under both (Windows' behaviour wins).
		{name: "no CDP and no OCSP, hard", mode: Hard, leaf: func(o *testca.Options) { o.CRLURLs = nil }, serve: goodCRLs,
			want: "not-checked good/crl not-checked", codes: "no-revocation-info/error", msg: "0x80092012, the revocation function was unable to check revocation (CRYPT_E_NO_REVOCATION_CHECK)"},
		{name: "CRL only for CA certificates", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ExtraExtensions: []pkix.Extension{idpExt(false, true, base+"/inter.crl")}}))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "covers only CA certificates",
			openssl: "different CRL scope", why: "both refuse the CRL for this certificate"},
		{name: "CRL of another distribution point", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ExtraExtensions: []pkix.Extension{idpExt(false, false, base+"/other.crl")}}))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "none of the certificate's distribution points",
			openssl: "different CRL scope", why: "both refuse the CRL for this certificate"},
		{name: "CRL with its own distribution point", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ExtraExtensions: []pkix.Extension{idpExt(true, false, base+"/inter.crl")}}))
		}, want: "good/crl good/crl not-checked"},
		{name: "CRL with an unknown critical extension", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{ExtraExtensions: []pkix.Extension{ext([]int{1, 3, 6, 1, 4, 1, 99999, 1}, true, 1)}}))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "unsupported critical extension 1.3.6.1.4.1.99999.1",
			openssl: "unhandled critical CRL extension", why: "both refuse the CRL; openssl names the extension in its own words"},
		{name: "delta CRL at the CDP", serve: func(r *rig, p *pki) {
			goodCRLs(r, p)
			r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{Number: 11, ExtraExtensions: []pkix.Extension{deltaIndicator(10)}}))
		}, want: "unknown good/crl not-checked", codes: "revocation-unreachable/warning", msg: "it is a delta CRL, named as a base CRL",
			openssl: "OK", why: "with -use_deltas openssl takes a lone delta CRL as complete; RFC 5280 6.3.3 and Windows need the base CRL it names"},
	}
}

func TestCases(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := newRig(t)
			p := newPKI(tc.leaf)
			tc.serve(r, p)
			mode := tc.mode
			if mode == "" {
				mode = Soft
			}
			c := r.checker(mode)
			if tc.tune != nil {
				tc.tune(c)
			}
			path := p.path()
			fs := c.Check(context.Background(), path)
			var codes []string
			for _, f := range fs {
				if f.Fix == "" {
					t.Errorf("%s has no fix", f.Code)
				}
				codes = append(codes, f.Code+"/"+string(f.Severity))
			}
			got := strings.Join(codes, " ")
			if s := statuses(path); s != tc.want {
				t.Errorf("statuses %q, want %q", s, tc.want)
			}
			if got != tc.codes {
				t.Errorf("findings %q, want %q", got, tc.codes)
			}
			if tc.msg != "" {
				found := false
				for _, f := range fs {
					found = found || strings.Contains(f.Message, tc.msg)
				}
				if !found {
					t.Errorf("no finding says %q", tc.msg)
				}
			}
			if t.Failed() {
				for _, f := range fs {
					t.Logf("%s: %s\n    fix: %s", f.Code, f.Message, f.Fix)
				}
			}
			if tc.noOracle == "" {
				oracle(t, r, p, path, got, tc)
			}
		})
	}
}

// oracle runs "openssl verify -crl_check_all -use_deltas" on the same
// certificates, with the CRLs trustgap could fetch, and checks that it
// reaches the same verdict (or the documented different one).
func oracle(t *testing.T, r *rig, p *pki, path *chain.Path, codes string, tc rcase) {
	t.Helper()
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	want := tc.openssl
	if want == "" {
		want = opensslVerdict(path, codes)
	}
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	args := []string{"verify", "-attime", strconv.FormatInt(testca.Epoch.Unix(), 10), "-crl_check_all", "-use_deltas",
		"-CAfile", write("root.pem", testca.PEM(p.root.Cert)), "-untrusted", write("inter.pem", testca.PEM(p.inter.Cert))}
	r.mu.Lock()
	for name, b := range r.files {
		if strings.HasSuffix(name, ".crl") && r.hits[name] > 0 {
			args = append(args, "-CRLfile", write(strings.TrimPrefix(name, "/")+".pem", pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: b})))
		}
	}
	r.mu.Unlock()
	args = append(args, write("leaf.pem", testca.PEM(p.leaf.Cert)))
	out, err := exec.Command(openssl, args...).CombinedOutput()
	ok := err == nil && strings.Contains(string(out), ": OK")
	switch {
	case want == "OK" && !ok, want != "OK" && !strings.Contains(string(out), want):
		t.Errorf("openssl verify should say %q (%s), it says:\n%s", want, tc.why, out)
	}
}

// opensslVerdict is what openssl verify should say about a path trustgap
// judged so.
func opensslVerdict(p *chain.Path, codes string) string {
	all := true
	for _, l := range p.Links[:len(p.Links)-1] {
		switch l.Revocation.Status {
		case chain.RevocationRevoked:
			return "certificate revoked"
		case chain.RevocationGood:
		default:
			all = false
		}
	}
	switch {
	case all:
		return "OK"
	case strings.Contains(codes, "crl-expired"):
		return "CRL has expired"
	case strings.Contains(codes, "crl-bad-signature"):
		return "CRL signature failure"
	}
	return "unable to get certificate CRL"
}

// TestCachedOncePerRun checks that a CRL is fetched once for many targets
// checked at once, and an OCSP answer once per certificate.
func TestCachedOncePerRun(t *testing.T) {
	r := newRig(t)
	p := newPKI(withOCSP)
	goodCRLs(r, p)
	r.handle("/ocsp", ocspResponder(p.inter, p.inter, ocsp.Response{Status: ocsp.Good}))
	c := r.checker(Soft)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := p.path()
			if fs := c.Check(context.Background(), path); len(fs) != 0 || statuses(path) != "good/ocsp good/crl not-checked" {
				t.Errorf("got %v, %s", fs, statuses(path))
			}
		}()
	}
	wg.Wait()
	if n := r.count("/root.crl"); n != 1 {
		t.Errorf("root.crl fetched %d times, want 1", n)
	}
	if n := r.count("/ocsp"); n != 1 {
		t.Errorf("OCSP asked %d times, want 1", n)
	}
	if n := r.count("/inter.crl"); n != 0 {
		t.Errorf("inter.crl fetched %d times: OCSP answered, so it must not be", n)
	}
}

// TestCacheBound checks that past the cache's byte bound answers are still
// used, but not kept.
func TestCacheBound(t *testing.T) {
	r := newRig(t)
	p := newPKI(nil)
	goodCRLs(r, p)
	c := r.checker(Soft)
	c.maxCached = 1
	for range 3 {
		path := p.path()
		if fs := c.Check(context.Background(), path); len(fs) != 0 || statuses(path) != "good/crl good/crl not-checked" {
			t.Fatalf("%v %s", fs, statuses(path))
		}
	}
	if n := r.count("/inter.crl"); n != 3 {
		t.Errorf("fetched %d times with no room to keep it, want 3", n)
	}
	if c.cached != 0 {
		t.Errorf("%d bytes counted as cached", c.cached)
	}
}

// TestCRLRefetchedAfterNextUpdate checks that a cached CRL is used until its
// nextUpdate passes on the wall clock, then fetched once more.
func TestCRLRefetchedAfterNextUpdate(t *testing.T) {
	r := newRig(t)
	p := newPKI(nil)
	goodCRLs(r, p)
	c := r.checker(Soft)
	clock := time.Now()
	r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{NextUpdate: clock.Add(time.Hour)}))
	c.Clock = func() time.Time { return clock }
	c.Check(context.Background(), p.path())
	clock = clock.Add(30 * time.Minute)
	c.Check(context.Background(), p.path())
	if n := r.count("/inter.crl"); n != 1 {
		t.Fatalf("fetched %d times before nextUpdate, want 1", n)
	}
	clock = clock.Add(time.Hour)
	c.Check(context.Background(), p.path())
	c.Check(context.Background(), p.path())
	if n := r.count("/inter.crl"); n != 2 {
		t.Fatalf("fetched %d times after nextUpdate, want 2", n)
	}
}

// TestBudget checks that the work of one path ends within its budget, the
// rest reported as not tried.
func TestBudget(t *testing.T) {
	r := newRig(t)
	p := newPKI(func(o *testca.Options) {
		o.CRLURLs = []string{base + "/slow1.crl", base + "/slow2.crl"}
	})
	goodCRLs(r, p)
	r.handle("/slow1.crl", hang)
	r.handle("/slow2.crl", hang)
	c := r.checker(Hard)
	c.budget = 300 * time.Millisecond
	start := time.Now()
	path := p.path()
	fs := c.Check(context.Background(), path)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 300ms budget", d)
	}
	if s := statuses(path); s != "unknown unknown not-checked" {
		t.Errorf("statuses %q", s)
	}
	var msg string
	for _, f := range fs {
		if f.Code == "revocation-unreachable" {
			msg += f.Message + "\n"
		}
	}
	for _, want := range []string{`CRL "http://pki.test/slow1.crl": no answer within the chain's 300ms revocation budget`, `CRL "http://pki.test/slow2.crl": not tried: the chain's 300ms revocation budget was spent`, `CRL "http://pki.test/root.crl": not tried`} {
		if !strings.Contains(msg, want) {
			t.Errorf("no %q in\n%s", want, msg)
		}
	}
}

// TestSlowResponderAffectsNoOtherTarget checks that a target whose own
// budget ends while it fetches a shared URL does not leave its
// cancellation behind for the others: they fetch again and get the
// server's real answer.
func TestSlowResponderAffectsNoOtherTarget(t *testing.T) {
	r := newRig(t)
	p := newPKI(nil)
	goodCRLs(r, p)
	crl := testca.CRL(p.inter, testca.CRLOptions{})
	// The CRL comes after 300ms: too late for a target with 50ms left, in
	// time for one within the fetch limit.
	r.handle("/inter.crl", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
			w.Write(crl)
		case <-req.Context().Done():
		}
	}))
	c := r.checker(Soft)
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	first := p.path()
	c.Check(short, first)
	if s := statuses(first); s != "unknown unknown not-checked" {
		t.Errorf("first target: statuses %q", s)
	}
	path := p.path()
	if fs := c.Check(context.Background(), path); len(fs) != 0 {
		t.Errorf("second target: %v", fs)
	}
	if s := statuses(path); s != "good/crl good/crl not-checked" {
		t.Errorf("second target: statuses %q", s)
	}
}

// TestIncompletePath checks that the last certificate of a path that
// stops short (no issuer found) is not checked: there is no issuer to
// verify an answer with.
func TestIncompletePath(t *testing.T) {
	r := newRig(t)
	p := newPKI(nil)
	goodCRLs(r, p)
	path := &chain.Path{Links: []chain.Link{{Cert: p.leaf.Cert}, {Cert: p.inter.Cert}}}
	if fs := r.checker(Soft).Check(context.Background(), path); len(fs) != 0 {
		t.Errorf("findings %v", fs)
	}
	if s := statuses(path); s != "good/crl not-checked" {
		t.Errorf("statuses %q", s)
	}
	if r.count("/root.crl") != 0 {
		t.Error("the root's CRL was fetched for a certificate without issuer")
	}
}

// TestReportsWhatItNeeds checks the revoked status carries when and why,
// and the stale CRLs to republish.
func TestRecordedData(t *testing.T) {
	r := newRig(t)
	p := newPKI(nil)
	at := testca.Epoch.AddDate(0, 0, -3)
	r.file("/inter.crl", testca.CRL(p.inter, testca.CRLOptions{NextUpdate: testca.Epoch.Add(time.Hour), Revoked: []testca.Revoked{{Serial: p.leaf.Cert.SerialNumber, At: at, Reason: 1}}}))
	r.file("/root.crl", testca.CRL(p.root, testca.CRLOptions{ThisUpdate: testca.Epoch.AddDate(0, 0, -9), NextUpdate: testca.Epoch.AddDate(0, 0, -2)}))
	path := p.path()
	r.checker(Soft).Check(context.Background(), path)
	leaf, inter := path.Links[0].Revocation, path.Links[1].Revocation
	if leaf.Status != chain.RevocationRevoked || !leaf.RevokedAt.Equal(at) || leaf.Reason != "keyCompromise" || leaf.URL != base+"/inter.crl" ||
		!leaf.CheckedAt.Equal(testca.Epoch) || !leaf.NextUpdate.Equal(testca.Epoch.Add(time.Hour)) {
		t.Errorf("leaf: %+v", leaf)
	}
	if len(leaf.Stale) != 1 || leaf.Stale[0].Expired || leaf.Stale[0].Issuer != "CN=Test Issuing CA" {
		t.Errorf("leaf stale: %+v", leaf.Stale)
	}
	if inter.Status != chain.RevocationUnknown || len(inter.Stale) != 1 || !inter.Stale[0].Expired || inter.Stale[0].URL != base+"/root.crl" {
		t.Errorf("inter: %+v", inter)
	}
}

// TestHostileURLs checks that URLs from a certificate reach messages
// escaped and bounded, and that odd schemes are not fetched.
func TestHostileURLs(t *testing.T) {
	r := newRig(t)
	long := base + "/" + strings.Repeat("a", 3000)
	p := newPKI(func(o *testca.Options) {
		o.CRLURLs = []string{"http://pki.test/\x1b[31mred\u202e.crl", "file:///etc/passwd", long, "ftp://pki.test/x.crl"}
	})
	goodCRLs(r, p)
	fs := r.checker(Soft).Check(context.Background(), p.path())
	if len(fs) != 1 {
		t.Fatalf("findings %v", fs)
	}
	m := fs[0].Message
	for _, bad := range []string{"\x1b", "\u202e", strings.Repeat("a", 300)} {
		if strings.Contains(m, bad) {
			t.Errorf("message holds %q:\n%s", bad, m)
		}
	}
	for _, want := range []string{`\x1b[31mred\u202e.crl`, `"file:///etc/passwd": not fetched: not an http URL`, "not fetched: the URL is longer than 2048 bytes"} {
		if !strings.Contains(m, want) {
			t.Errorf("message lacks %q:\n%s", want, m)
		}
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"soft", "hard", "off"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("%s: %v %v", s, m, err)
		}
	}
	if _, err := ParseMode("Hard"); err == nil {
		t.Error("Hard accepted")
	}
}

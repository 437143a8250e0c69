package client_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/chain"
	"github.com/trustgap/trustgap/client"
	"github.com/trustgap/trustgap/finding"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/target"
)

func result(findings ...finding.Finding) *chain.Result {
	leaf := testca.Leaf(testca.Root("R"), "mail.contoso.com")
	return &chain.Result{
		Target:   target.Target{Raw: "https://mail.contoso.com/EWS/Exchange.asmx", Host: "mail.contoso.com", Port: 443},
		Path:     &chain.Path{Links: []chain.Link{{Cert: leaf.Cert, Source: chain.FromServer}}},
		Findings: findings,
	}
}

func TestCompareOS(t *testing.T) {
	untrusted := finding.New(finding.CodeUntrustedRoot, finding.SevError, "fix", "m")
	warn := finding.New(finding.CodeExpiringSoon, finding.SevWarning, "fix", "m")
	for _, tc := range []struct {
		name string
		res  *chain.Result
		os   client.OSAnswer
		want string // "" when they agree
	}{
		{"not asked", result(), client.OSAnswer{}, ""},
		{"both accept", result(warn), client.OSAnswer{Checked: true}, ""},
		{"both reject", result(untrusted), client.OSAnswer{Checked: true, Status: 0x800B0109}, ""},
		{"OS rejects", result(warn), client.OSAnswer{Checked: true, Status: 0x80092013},
			"https://mail.contoso.com/EWS/Exchange.asmx: trustgap accepts the chain, but Windows' chain engine rejects it with 0x80092013 CRYPT_E_REVOCATION_OFFLINE"},
		{"OS rejects, unknown code", result(), client.OSAnswer{Checked: true, Status: 0x800B0199, ChainErrors: 0x20},
			"rejects it with 0x800B0199 (chain error bits 0x20)"},
		{"OS accepts", result(untrusted), client.OSAnswer{Checked: true},
			"trustgap rejects the chain (untrusted-root), but Windows' chain engine accepts it"},
		{"OS failed", result(), client.OSAnswer{Checked: true, Err: errors.New("boom")}, "could not ask Windows' chain engine: boom"},
		{"unreachable", &chain.Result{Err: errors.New("refused")}, client.OSAnswer{Checked: true, Status: 1}, ""},
	} {
		f, ok := client.CompareOS(tc.res, tc.os)
		switch {
		case tc.want == "" && ok:
			t.Errorf("%s: disagreement reported: %q", tc.name, f.Message)
		case tc.want != "" && (!ok || !strings.Contains(f.Message, tc.want) || f.Code != finding.CodeOSDisagrees || f.Fix == ""):
			t.Errorf("%s: got %v %+v, want %q", tc.name, ok, f, tc.want)
		}
	}
	if got := client.OSErrorText(0x800B0109); got != "0x800B0109 CERT_E_UNTRUSTEDROOT: the chain ends in a root the client does not trust" {
		t.Errorf("OSErrorText: %q", got)
	}
}

package winfmt

import (
	"encoding/asn1"
	"encoding/hex"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/testtool"
)

// opensslEntry is one CTL entry as openssl asn1parse prints it.
type opensslEntry struct {
	id    string
	attrs map[int]string // property ID -> hex of the value
}

// opensslCTL reads the entries of authroot.stl with openssl asn1parse: an
// independent DER parser. The CTL is the content of the [0] after the
// szOID_CTL content type; -strparse parses it on its own.
func opensslCTL(t *testing.T, path string) []opensslEntry {
	openssl := testtool.Require(t, "openssl", "apt-get install openssl")
	out, err := exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	off := ""
	for i, l := range lines {
		if strings.Contains(l, ":1.3.6.1.4.1.311.10.1\n") || strings.HasSuffix(l, ":1.3.6.1.4.1.311.10.1") {
			off = strings.TrimSpace(strings.SplitN(lines[i+1], ":", 2)[0])
			break
		}
	}
	if off == "" {
		t.Fatal("openssl finds no szOID_CTL content")
	}
	out, err = exec.Command(openssl, "asn1parse", "-inform", "DER", "-in", path, "-strparse", off).Output()
	if err != nil {
		t.Fatal(err)
	}
	// Depths inside the CTL: 0 the CTL, 1 its fields, 2 a TrustedSubject,
	// 3 its identifier and attribute set, 4 an attribute, 5 its OID and
	// value set, 6 the value.
	line := regexp.MustCompile(`^\s*\d+:d=(\d+)\s+hl=\d+ l=\s*\d+ (?:prim|cons):\s*(\S+(?: \S+)?)\s*(?:(?:\[HEX DUMP\])?:(.*))?$`)
	var entries []opensslEntry
	prop := -1
	shift := 0
	if strings.Contains(strings.SplitN(string(out), "\n", 2)[0], "cont [ 0 ]") {
		shift = 1 // openssl prints the [0] EXPLICIT wrapper at depth 0
	}
	for _, l := range strings.Split(string(out), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		d, _ := strconv.Atoi(m[1])
		d -= shift
		kind, val := strings.TrimSpace(m[2]), strings.TrimPrefix(strings.TrimSpace(m[3]), "[HEX DUMP]:")
		switch {
		case d == 3 && kind == "OCTET STRING":
			entries = append(entries, opensslEntry{id: val, attrs: map[int]string{}})
		case d == 5 && kind == "OBJECT":
			prop = -1
			if p, ok := strings.CutPrefix(val, "1.3.6.1.4.1.311.10.11."); ok {
				prop, _ = strconv.Atoi(p)
			}
		case d == 6 && kind == "OCTET STRING" && prop >= 0:
			entries[len(entries)-1].attrs[prop] = val
		}
	}
	return entries
}

func upperHex(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }

func TestDecodeRealAuthrootAgainstOpenSSL(t *testing.T) {
	path := testtool.Shared(t, "fixtures/real/windows-root-program/authroot.stl")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := DecodeCTL(data)
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != "sha1" || c.Sequence == "" || c.ThisUpdate.Year() != 2026 || len(c.Usage) != 1 || c.Usage[0].String() != "1.3.6.1.4.1.311.10.3.9" {
		t.Errorf("header: algorithm %s, sequence %s, this update %s, usage %v", c.Algorithm, c.Sequence, c.ThisUpdate, c.Usage)
	}
	want := opensslCTL(t, path)
	if len(want) != len(c.Entries) || len(want) < 500 {
		t.Fatalf("openssl sees %d entries, DecodeCTL %d", len(want), len(c.Entries))
	}
	counts := map[string]int{}
	for i, w := range want {
		e := c.Entries[i]
		if e.ID != w.id {
			t.Fatalf("entry %d: thumbprint %s, openssl %s", i+1, e.ID, w.id)
		}
		eku := func(name string, prop int, got []asn1.ObjectIdentifier) {
			h, listed := w.attrs[prop]
			if !listed {
				if len(got) > 0 {
					t.Errorf("%s: %s %v, which openssl does not see", e.ID, name, got)
				}
				return
			}
			counts[name]++
			b, _ := asn1.Marshal(got)
			if upperHex(b) != h {
				t.Errorf("%s: %s %v (DER %X), openssl %s", e.ID, name, got, b, h)
			}
		}
		eku("allowed EKUs", propEKU, e.EKUs)
		eku("disallowed EKUs", propDisallowedEKU, e.DisallowedEKUs)
		eku("NotBefore EKUs", propNotBeforeEKU, e.NotBeforeEKUs)
		date := func(name string, prop int, got time.Time) {
			h, listed := w.attrs[prop]
			switch {
			case !listed && !got.IsZero():
				t.Errorf("%s: %s %s, which openssl does not see", e.ID, name, got)
			case listed && h == "" && !got.IsZero():
				t.Errorf("%s: %s %s for an empty value", e.ID, name, got)
			case listed && h != "" && upperHex(EncodeFiletime(got)) != h:
				t.Errorf("%s: %s %s, openssl %s", e.ID, name, got, h)
			case listed:
				counts[name]++
			}
		}
		date("disable date", propDisallowedTime, e.DisabledAt)
		date("NotBefore date", propNotBeforeTime, e.NotBefore)
		if h := w.attrs[propFriendlyName]; upperHex(utf16z(e.FriendlyName)) != h {
			t.Errorf("%s: friendly name %q, openssl %s", e.ID, e.FriendlyName, h)
		}
		if e.SHA256 != w.attrs[propSHA256] {
			t.Errorf("%s: SHA-256 %s, openssl %s", e.ID, e.SHA256, w.attrs[propSHA256])
		}
	}
	t.Logf("%d entries; attributes seen: %v", len(want), counts)
	for _, name := range []string{"allowed EKUs", "disallowed EKUs", "NotBefore EKUs", "disable date", "NotBefore date"} {
		if counts[name] == 0 {
			t.Errorf("no entry has %s: the cross-check would not catch a bug there", name)
		}
	}

	// A few known roots (Microsoft's own release notes list them so).
	serverAuth := OIDServerAuth
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range []struct {
		id, name, why string
	}{
		{"CABD2A79A1076A31F21D253635CB039D4329A5E8", "ISRG Root X1", ""},
		{"CDD4EEAE6000AC7F40C3802C171E30148030C072", "Microsoft Root Certificate Authority", "disabled it on 2021-08-01"},
		{"FFBDCDE782C8435E3C6F26865CCAA83A455BC30A", "TrustCor RootCert CA-1", "disabled it for server authentication on 2025-09-15"},
	} {
		e := c.Lookup(strings.ToLower(k.id))
		if e == nil || e.FriendlyName != k.name {
			t.Errorf("%s (%s) not found: %+v", k.id, k.name, e)
			continue
		}
		why := e.Restriction(serverAuth, now, issued)
		if k.why == "" && why != "" || !strings.Contains(why, k.why) {
			t.Errorf("%s: restriction %q, want %q", k.name, why, k.why)
		}
	}
}

func TestRestriction(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	codeSigning := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
	now, leaf := day("2026-06-01"), day("2026-01-01")
	for _, tc := range []struct {
		name string
		e    CTLEntry
		want string
	}{
		{"no restriction", CTLEntry{}, ""},
		{"allowed for server auth", CTLEntry{EKUs: []asn1.ObjectIdentifier{OIDServerAuth}}, ""},
		{"code signing only", CTLEntry{EKUs: []asn1.ObjectIdentifier{codeSigning}}, "trusts it only for code signing, not server authentication"},
		{"disabled later", CTLEntry{DisabledAt: day("2027-01-01")}, ""},
		{"disabled", CTLEntry{DisabledAt: day("2026-05-31")}, "disabled it on 2026-05-31"},
		{"disabled for code signing", CTLEntry{DisabledAt: day("2020-01-01"), DisallowedEKUs: []asn1.ObjectIdentifier{codeSigning}}, ""},
		{"disabled for server auth", CTLEntry{DisabledAt: day("2020-01-01"), DisallowedEKUs: []asn1.ObjectIdentifier{OIDServerAuth}}, "disabled it for server authentication on 2020-01-01"},
		{"disallowed without date", CTLEntry{DisallowedEKUs: []asn1.ObjectIdentifier{OIDServerAuth}}, "does not trust it for server authentication"},
		{"NotBefore after the leaf", CTLEntry{NotBefore: day("2026-02-01")}, ""},
		{"NotBefore on the leaf's day", CTLEntry{NotBefore: day("2026-01-01")}, "distrusts certificates it issued from 2026-01-01 on (this one is from 2026-01-01)"},
		{"NotBefore for code signing", CTLEntry{NotBefore: day("2025-01-01"), NotBeforeEKUs: []asn1.ObjectIdentifier{codeSigning}}, ""},
		{"NotBefore for server auth", CTLEntry{NotBefore: day("2025-01-01"), NotBeforeEKUs: []asn1.ObjectIdentifier{OIDServerAuth}}, "distrusts certificates it issued from 2025-01-01 on"},
	} {
		if got := tc.e.Restriction(OIDServerAuth, now, leaf); tc.want == "" && got != "" || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func sampleCTL() *CTL {
	return &CTL{
		ThisUpdate: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC),
		Entries: []CTLEntry{
			{ID: "CABD2A79A1076A31F21D253635CB039D4329A5E8", FriendlyName: "Root One", EKUs: []asn1.ObjectIdentifier{OIDServerAuth}},
			{ID: "00112233445566778899AABBCCDDEEFF00112233", DisabledAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
				DisallowedEKUs: []asn1.ObjectIdentifier{OIDServerAuth}, NotBefore: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
				NotBeforeEKUs: []asn1.ObjectIdentifier{OIDServerAuth}, SHA256: strings.Repeat("AB", 32)},
		},
	}
}

func TestEncodeDecodeCTL(t *testing.T) {
	in := sampleCTL()
	der, err := EncodeCTL(in)
	if err != nil {
		t.Fatal(err)
	}
	if !IsCTL(der) {
		t.Fatal("IsCTL(EncodeCTL(...)) is false")
	}
	out, err := DecodeCTL(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Entries) != 2 || !out.ThisUpdate.Equal(in.ThisUpdate) {
		t.Fatalf("decoded %+v", out)
	}
	for i := range in.Entries {
		a, b := in.Entries[i], out.Entries[i]
		if a.ID != b.ID || a.FriendlyName != b.FriendlyName || a.SHA256 != b.SHA256 || !a.DisabledAt.Equal(b.DisabledAt) || !a.NotBefore.Equal(b.NotBefore) ||
			len(a.EKUs) != len(b.EKUs) || len(a.DisallowedEKUs) != len(b.DisallowedEKUs) || len(a.NotBeforeEKUs) != len(b.NotBeforeEKUs) {
			t.Errorf("entry %d: %+v, want %+v", i, b, a)
		}
	}
	if IsCTL(EncodeSST(nil)) {
		t.Error("IsCTL says yes to an SST")
	}
}

func FuzzDecodeCTL(f *testing.F) {
	der, _ := EncodeCTL(sampleCTL())
	f.Add(der)
	f.Add(der[:len(der)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCTL(data)
		if err != nil {
			return
		}
		for _, e := range c.Entries {
			e.Restriction(OIDServerAuth, time.Now(), time.Now())
			if c.Lookup(e.ID) == nil {
				t.Fatalf("entry %s not found by Lookup", e.ID)
			}
		}
	})
}

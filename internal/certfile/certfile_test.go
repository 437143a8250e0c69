package certfile

import (
	"errors"
	"testing"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/winfmt"
	"go.mozilla.org/pkcs7"
)

func FuzzDecode(f *testing.F) {
	c := testca.Root("Fuzz Root").Cert
	f.Add(testca.PEM(c))
	f.Add(c.Raw)
	f.Add(winfmt.EncodeSST([][]byte{c.Raw}))
	if pol, err := winfmt.EncodePol([]winfmt.PolEntry{{Key: winfmt.PolicyKey + `\Root\Certificates\` + certutil.Thumbprint(c), Value: "Blob", Type: winfmt.RegBinary, Data: winfmt.EncodeBlob(c.Raw)}}); err == nil {
		f.Add(pol)
	}
	f.Add([]byte("-----BEGIN PKCS7-----\nMIIB\n-----END PKCS7-----\n"))
	if ctl, err := winfmt.EncodeCTL(&winfmt.CTL{ThisUpdate: testca.Epoch, Entries: []winfmt.CTLEntry{{ID: certutil.Thumbprint(c)}}}); err == nil {
		f.Add(ctl)
	}
	bad := []byte{0x30, 0x03, 0x02, 0x01, 0x05}
	f.Add(append(append(append([]byte{}, c.Raw...), bad...), c.Raw...))
	if p7, err := pkcs7.DegenerateCertificate(append(append([]byte{}, c.Raw...), bad...)); err == nil {
		f.Add(p7)
		f.Add(append(append([]byte{0x30, 0x80}, p7[4:]...), 0, 0))
	}
	if p7, err := pkcs7.DegenerateCertificate(nil); err == nil {
		f.Add(p7)
	}
	f.Add(append([]byte("Certificate:\n    Data: 00:11\n"), testca.PEM(c)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data)
		if err == nil && d == nil {
			t.Fatal("nil result without error")
		}
		if err == nil {
			for _, e := range d.Entries {
				if e.Cert == nil || e.Position < 1 {
					t.Fatalf("bad entry %+v", e)
				}
			}
		}
	})
}

func TestCTLIsRefused(t *testing.T) {
	c := testca.Root("R").Cert
	ctl, err := winfmt.EncodeCTL(&winfmt.CTL{ThisUpdate: testca.Epoch, Entries: []winfmt.CTLEntry{{ID: certutil.Thumbprint(c)}}})
	if err != nil {
		t.Fatal(err)
	}
	if k := Sniff(ctl); k != KindCTL {
		t.Errorf("Sniff = %s, want ctl", k)
	}
	if _, err := Decode(ctl); !errors.Is(err, ErrCTL) {
		t.Errorf("Decode: %v, want ErrCTL", err)
	}
}

func TestDecodePositions(t *testing.T) {
	a, b := testca.Root("Pos A").Cert, testca.Root("Pos B").Cert
	bad := []byte{0x30, 0x03, 0x02, 0x01, 0x05}
	p7, err := pkcs7.DegenerateCertificate(append(append(append([]byte{}, a.Raw...), bad...), b.Raw...))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"der":   append(append(append([]byte{}, a.Raw...), bad...), b.Raw...),
		"pkcs7": p7,
	} {
		d, err := Decode(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(d.Entries) != 2 || d.Entries[0].Position != 1 || d.Entries[1].Position != 3 || !d.Entries[1].Cert.Equal(b) {
			t.Errorf("%s: entries %+v", name, d.Entries)
		}
		if len(d.Skipped) != 1 || d.Skipped[0] != "certificate 2: x509: malformed tbs certificate" {
			t.Errorf("%s: skipped %q", name, d.Skipped)
		}
	}
	// AIA answers stay strict: one bad certificate fails the answer.
	if _, err := ParseCertificates(p7); err == nil {
		t.Error("ParseCertificates accepted a PKCS#7 with a bad certificate")
	}
}

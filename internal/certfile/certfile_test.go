package certfile

import (
	"errors"
	"testing"

	"github.com/trustgap/trustgap/internal/certutil"
	"github.com/trustgap/trustgap/internal/testca"
	"github.com/trustgap/trustgap/internal/winfmt"
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
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data)
		if err == nil && d == nil {
			t.Fatal("nil result without error")
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

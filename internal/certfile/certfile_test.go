package certfile

import (
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
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Decode(data)
		if err == nil && d == nil {
			t.Fatal("nil result without error")
		}
	})
}

package chain

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"testing"

	"github.com/trustgap/trustgap/internal/testca"
)

// FuzzNameConstraints feeds attacker-chosen name constraint and subject
// alternative name extensions to the parsers and the matcher: they must
// return a result or an error, never panic, and stay within their bounds.
func FuzzNameConstraints(f *testing.F) {
	root := testca.Root("Fuzz Root CA")
	ca := testca.New(testca.Options{CN: "Fuzz CA", IsCA: true, PermittedDNS: []string{"contoso.test"}, ExcludedDNS: []string{".secret.contoso.test"}}, root)
	leaf := testca.New(testca.Options{CN: "mail.contoso.test", DNSNames: []string{"mail.contoso.test", "*.contoso.test"}}, ca)
	f.Add(extension(ca.Cert, oidNameConstraints), extension(leaf.Cert, oidSubjectAltName), leaf.Cert.RawSubject)
	f.Add([]byte{0x30, 0x00}, []byte{0x30, 0x00}, []byte{0x30, 0x00})
	f.Add([]byte{0x30, 0x06, 0xa0, 0x04, 0x30, 0x02, 0x87, 0x00}, []byte{0x30, 0x06, 0x87, 0x04, 10, 0, 0, 1}, []byte{})
	f.Fuzz(func(t *testing.T, nc, san, subject []byte) {
		c, err := parseNameConstraints(nc)
		if err != nil {
			return
		}
		if len(c.permitted)+len(c.excluded) > maxSubtrees {
			t.Fatalf("%d subtrees, over the bound", len(c.permitted)+len(c.excluded))
		}
		cert := &x509.Certificate{RawSubject: subject}
		cert.Extensions = append(cert.Extensions, extensionOf(oidSubjectAltName, san))
		names, err := constrainedNames(cert)
		if err != nil {
			return
		}
		budget := 1000
		v, bad := c.check(names, &budget)
		if bad {
			_ = v.String()
		}
		if budget < -1 {
			t.Fatalf("budget overrun: %d", budget)
		}
	})
}

func extensionOf(id []int, value []byte) pkix.Extension { return pkix.Extension{Id: id, Value: value} }

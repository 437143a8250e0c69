package network

import (
	"bytes"
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/trustgap/trustgap/internal/lab"
	"github.com/trustgap/trustgap/internal/testca"
)

// captureTLS12 records what a real TLS 1.2 server sends in its handshake.
func captureTLS12(t testing.TB, cert tls.Certificate) []byte {
	s := lab.TLS(cert, lab.TLSOptions{})
	defer s.Close()
	conn, err := net.DialTimeout("tcp", s.Addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	rec := &recorder{Conn: conn}
	tc := tls.Client(rec, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	return rec.buf
}

// TestCertificatesFromRecords reads the chain out of a real TLS 1.2
// handshake, as Fetch does when crypto/tls refuses to parse it.
func TestCertificatesFromRecords(t *testing.T) {
	root := testca.Root("Records Root CA")
	inter := testca.Intermediate("Records Issuing CA", root)
	leaf := testca.Leaf(inter, "records.test")
	raw := captureTLS12(t, testca.TLSCert(leaf, inter.Cert, root.Cert))
	ders, err := certificatesFromRecords(raw)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{leaf.Cert.Raw, inter.Cert.Raw, root.Cert.Raw}
	if len(ders) != len(want) {
		t.Fatalf("got %d certificates, want %d", len(ders), len(want))
	}
	for i := range want {
		if !bytes.Equal(ders[i], want[i]) {
			t.Errorf("certificate %d differs", i+1)
		}
	}
	for _, cut := range []int{0, 5, len(raw) / 3} {
		if _, err := certificatesFromRecords(raw[:cut]); err == nil {
			t.Errorf("%d bytes: want an error for a handshake cut short", cut)
		}
	}
}

// FuzzCertificatesFromRecords: the record reader takes what a hostile
// server sends; it must never panic, and every certificate it returns lies
// within the input.
func FuzzCertificatesFromRecords(f *testing.F) {
	leaf := testca.Leaf(testca.Root("Fuzz Root CA"), "fuzz.test")
	f.Add(captureTLS12(f, testca.TLSCert(leaf)))
	f.Add([]byte{22, 3, 3, 0, 4, 11, 0, 0, 0})
	f.Add([]byte{22, 3, 3, 0, 10, 11, 0, 0, 6, 0, 0, 3, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		ders, err := certificatesFromRecords(data)
		if err != nil {
			return
		}
		total := 0
		for _, d := range ders {
			if len(d) == 0 {
				t.Fatal("empty certificate returned")
			}
			total += len(d)
		}
		if total > len(data) || len(ders) > maxRecordCerts {
			t.Fatalf("%d certificates, %d bytes, from %d bytes of input", len(ders), total, len(data))
		}
	})
}

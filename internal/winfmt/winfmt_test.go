package winfmt

import (
	"bytes"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	ders := [][]byte{[]byte("first certificate"), []byte("second")}
	got, err := DecodeSST(EncodeSST(ders))
	if err != nil || len(got) != 2 || !bytes.Equal(got[0], ders[0]) || !bytes.Equal(got[1], ders[1]) {
		t.Errorf("SST round trip: %q, %v", got, err)
	}
	der, err := DecodeBlob(EncodeBlob(ders[0]))
	if err != nil || !bytes.Equal(der, ders[0]) {
		t.Errorf("Blob round trip: %q, %v", der, err)
	}
	entries := []PolEntry{
		{Key: `Software\Policies\Microsoft\SystemCertificates\Root\Certificates\AB`, Value: "Blob", Type: RegBinary, Data: EncodeBlob(ders[1])},
		{Key: `Software\Policies\Microsoft\SystemCertificates\Root\CRLs`, Type: RegNone},
	}
	pol, err := EncodePol(entries)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodePol(pol)
	if err != nil || len(back) != 2 || back[0].Key != entries[0].Key || !bytes.Equal(back[0].Data, entries[0].Data) || back[1].Value != "" {
		t.Errorf("Registry.pol round trip: %+v, %v", back, err)
	}
}

// TestKeyOnlyEntryBytes pins the key-only entry layout of windows-formats.md
// §2: "[ key\0 ; 00 00 ; 00 00 00 00 ; 00 00 00 00 ; ]".
func TestKeyOnlyEntryBytes(t *testing.T) {
	pol, _ := EncodePol([]PolEntry{{Key: "K", Type: RegNone}})
	want := []byte("PReg\x01\x00\x00\x00[\x00K\x00\x00\x00;\x00\x00\x00;\x00\x00\x00\x00\x00;\x00\x00\x00\x00\x00;\x00]\x00")
	if !bytes.Equal(pol, want) {
		t.Errorf("got % x\nwant % x", pol, want)
	}
	if _, err := EncodePol([]PolEntry{{Key: "K", Data: make([]byte, MaxBlob+1)}}); err == nil {
		t.Error("a value over 65535 bytes must be refused")
	}
}

func FuzzDecodePol(f *testing.F) {
	pol, _ := EncodePol([]PolEntry{{Key: `A\B`, Value: "Blob", Type: RegBinary, Data: EncodeBlob([]byte("x"))}, {Key: `A\C`}})
	f.Add(pol)
	f.Add([]byte("PReg\x01\x00\x00\x00[\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		entries, err := DecodePol(b)
		if err != nil {
			return
		}
		again, err := EncodePol(entries)
		if err != nil {
			return // oversized values are accepted by the reader only up to 65535
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("decoded Registry.pol does not re-encode to the same bytes")
		}
	})
}

func FuzzDecodeSST(f *testing.F) {
	f.Add(EncodeSST([][]byte{[]byte("a"), []byte("bc")}))
	f.Add([]byte("\x00\x00\x00\x00CERT"))
	f.Fuzz(func(t *testing.T, b []byte) {
		DecodeSST(b)
		DecodeBlob(b)
	})
}

// TestPolLoneSurrogate: a key name that is not valid UTF-16 is an error
// naming the entry, not a silently different name.
func TestPolLoneSurrogate(t *testing.T) {
	b := []byte("PReg\x01\x00\x00\x00[\x00K\x00\x00\xd8\x00\x00;\x00\x00\x00;\x00\x00\x00\x00\x00;\x00\x00\x00\x00\x00;\x00]\x00")
	_, err := DecodePol(b)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("entry 1 at offset")) || !bytes.Contains([]byte(err.Error()), []byte("lone surrogate 0xD800 at character 2")) {
		t.Errorf("got %v", err)
	}
	// A proper pair is fine and round-trips.
	pol, _ := EncodePol([]PolEntry{{Key: "K\U0001F512"}})
	if e, err := DecodePol(pol); err != nil || e[0].Key != "K\U0001F512" {
		t.Errorf("surrogate pair: %v %v", e, err)
	}
}

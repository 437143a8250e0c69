package network

import (
	"encoding/binary"
	"errors"
)

// TLS record and handshake types (RFC 5246 §6.2.1, §7.4).
const (
	recordHandshake        = 22
	recordChangeCipherSpec = 20
	handshakeCertificate   = 11
)

// maxRecordCerts bounds the certificates read from one Certificate message.
const maxRecordCerts = 4096

// certificatesFromRecords returns the certificate_list of the first
// Certificate handshake message in data, the bytes a TLS 1.2 server sent
// (plaintext records up to its ChangeCipherSpec). It is used only when
// crypto/tls refused to parse the chain, to tell which certificate is bad.
func certificatesFromRecords(data []byte) ([][]byte, error) {
	var hs []byte
	for len(data) >= 5 {
		typ, n := data[0], int(binary.BigEndian.Uint16(data[3:5]))
		if len(data) < 5+n {
			hs = append(hs, data[5:]...) // truncated: use what there is
			break
		}
		if typ == recordChangeCipherSpec {
			break
		}
		if typ == recordHandshake {
			hs = append(hs, data[5:5+n]...)
		}
		data = data[5+n:]
	}
	for len(hs) >= 4 {
		typ, n := hs[0], int(hs[1])<<16|int(hs[2])<<8|int(hs[3])
		body := hs[4:]
		if typ != handshakeCertificate {
			if len(body) < n {
				break
			}
			hs = body[n:]
			continue
		}
		if len(body) < n {
			return nil, errors.New("truncated Certificate message")
		}
		return certificateList(body[:n])
	}
	return nil, errors.New("no Certificate message")
}

func certificateList(b []byte) ([][]byte, error) {
	if len(b) < 3 {
		return nil, errors.New("short Certificate message")
	}
	n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	b = b[3:]
	if n != len(b) {
		return nil, errors.New("bad certificate_list length")
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 3 {
			return nil, errors.New("bad certificate length")
		}
		m := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if m == 0 || len(b) < 3+m {
			return nil, errors.New("bad certificate length")
		}
		out = append(out, b[3:3+m])
		b = b[3+m:]
		if len(out) > maxRecordCerts {
			return nil, errors.New("too many certificates")
		}
	}
	return out, nil
}

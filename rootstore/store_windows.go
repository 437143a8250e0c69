package rootstore

import (
	"crypto/x509"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// winStores are the system stores listed: x509.SystemCertPool cannot list
// them on Windows, so crypt32 is asked directly.
var winStores = []struct {
	location uint32
	name     string
}{
	{windows.CERT_SYSTEM_STORE_LOCAL_MACHINE, "ROOT"},
	{windows.CERT_SYSTEM_STORE_CURRENT_USER, "ROOT"},
}

func platformRoots() ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	var firstErr error
	for _, s := range winStores {
		certs, err := enumStore(s.location, s.name)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		out = append(out, certs...)
	}
	if len(out) == 0 {
		if firstErr == nil {
			firstErr = errors.New("the ROOT stores hold no certificate")
		}
		return nil, firstErr
	}
	return out, nil
}

func enumStore(location uint32, name string) ([]*x509.Certificate, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, err
	}
	h, err := windows.CertOpenStore(windows.CERT_STORE_PROV_SYSTEM, 0, 0,
		location|windows.CERT_STORE_READONLY_FLAG|windows.CERT_STORE_OPEN_EXISTING_FLAG, uintptr(unsafe.Pointer(n)))
	if err != nil {
		return nil, fmt.Errorf("open %s store: %v", name, err)
	}
	defer windows.CertCloseStore(h, 0)
	var out []*x509.Certificate
	var ctx *windows.CertContext
	for {
		ctx, err = windows.CertEnumCertificatesInStore(h, ctx)
		if err != nil || ctx == nil {
			break
		}
		der := unsafe.Slice(ctx.EncodedCert, ctx.Length)
		c, perr := x509.ParseCertificate(append([]byte(nil), der...))
		if perr == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

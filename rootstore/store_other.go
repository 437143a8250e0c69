//go:build !linux && !darwin && !windows

package rootstore

import (
	"crypto/x509"
	"errors"
)

// certFiles are the BSDs' CA bundles (crypto/x509 root_bsd.go).
var certFiles = []string{
	"/usr/local/etc/ssl/cert.pem",            // FreeBSD
	"/etc/ssl/cert.pem",                      // OpenBSD
	"/usr/local/share/certs/ca-root-nss.crt", // DragonFly
	"/etc/openssl/certs/ca-certificates.crt", // NetBSD
}

func platformRoots() ([]*x509.Certificate, error) {
	if certs := readFiles(certFiles); len(certs) > 0 {
		return certs, nil
	}
	return nil, errors.New("no system CA bundle found (set SSL_CERT_FILE)")
}

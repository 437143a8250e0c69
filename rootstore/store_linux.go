package rootstore

import (
	"crypto/x509"
	"errors"
)

// certFiles are the distributions' CA bundles, tried in order; the first that
// exists is used (the list of crypto/x509's root_linux.go).
var certFiles = []string{
	"/etc/ssl/certs/ca-certificates.crt",                // Debian/Ubuntu/Gentoo etc.
	"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora/RHEL 6
	"/etc/ssl/ca-bundle.pem",                            // OpenSUSE
	"/etc/pki/tls/cacert.pem",                           // OpenELEC
	"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS/RHEL 7
	"/etc/ssl/cert.pem",                                 // Alpine Linux
}

// certDirs are read when no bundle file exists.
var certDirs = []string{
	"/etc/ssl/certs",     // SLES10/SLES11
	"/etc/pki/tls/certs", // Fedora/RHEL
}

func platformRoots() ([]*x509.Certificate, error) {
	for _, f := range certFiles {
		if certs := readFiles([]string{f}); len(certs) > 0 {
			return certs, nil
		}
	}
	if certs := readDirs(certDirs); len(certs) > 0 {
		return certs, nil
	}
	return nil, errors.New("no system CA bundle found (install ca-certificates, or set SSL_CERT_FILE)")
}

package rootstore

import (
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
)

// systemRoots returns the machine's roots. SSL_CERT_FILE and SSL_CERT_DIR
// (colon-separated) win over the platform's own store, as in crypto/x509.
func systemRoots() ([]*x509.Certificate, error) {
	file, dir := os.Getenv("SSL_CERT_FILE"), os.Getenv("SSL_CERT_DIR")
	if file != "" || dir != "" {
		var certs []*x509.Certificate
		if file != "" {
			certs = readFiles([]string{file})
		}
		if dir != "" {
			certs = append(certs, readDirs(filepath.SplitList(dir))...)
		}
		if len(certs) == 0 {
			return nil, errors.New("SSL_CERT_FILE/SSL_CERT_DIR name no readable certificate")
		}
		return certs, nil
	}
	return platformRoots()
}

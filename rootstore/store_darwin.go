package rootstore

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/trustgap/trustgap/internal/certfile"
)

// keychains are the system keychains whose certificates are exported.
var keychains = []string{
	"/System/Library/Keychains/SystemRootCertificates.keychain",
	"/Library/Keychains/System.keychain",
}

func platformRoots() ([]*x509.Certificate, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	args := append([]string{"find-certificate", "-a", "-p"}, keychains...)
	out, err := exec.CommandContext(ctx, "/usr/bin/security", args...).Output()
	if err != nil {
		return nil, fmt.Errorf("security find-certificate: %v", err)
	}
	d, err := certfile.Decode(out)
	if err != nil || len(d.Entries) == 0 {
		return nil, errors.New("the system keychains hold no certificate")
	}
	certs := make([]*x509.Certificate, 0, len(d.Entries))
	for _, e := range d.Entries {
		certs = append(certs, e.Cert)
	}
	return certs, nil
}

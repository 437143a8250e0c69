// Command trustgap finds why Lync and Skype for Business clients do not trust
// Exchange (and other servers), and writes the Group Policy bundle that fixes
// it. See the README for usage.

// Negative serial numbers are common in real roots and leaves, and Windows
// accepts them; crypto/x509 refuses them unless told otherwise. RSA keys
// below 1024 bits are read and their signatures checked (crypto/rsa refuses
// them by default), so that such a chain is reported as weak-key, not as a
// bad signature.
//
//go:debug x509negativeserial=1
//go:debug rsa1024min=0
package main

import (
	"os"

	"github.com/trustgap/trustgap/cmd"
)

func main() { os.Exit(cmd.Main()) }

// Command trustgap finds why Lync and Skype for Business clients do not trust
// Exchange (and other servers), and writes the Group Policy bundle that fixes
// it. See the README for usage.
package main

import (
	"os"

	"github.com/trustgap/trustgap/cmd"
)

func main() { os.Exit(cmd.Main()) }

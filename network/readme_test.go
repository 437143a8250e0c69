package network_test

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/trustgap/trustgap/network"
)

// TestREADMEAddressLimit keeps the README's limits table and MaxAddrs the
// same.
func TestREADMEAddressLimit(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := "| addresses checked per name (scan, client) | "
	i := strings.Index(string(b), row)
	if i < 0 {
		t.Fatalf("README's limits table has no %q row", row)
	}
	if got := strings.TrimSpace(strings.SplitN(string(b)[i+len(row):], ",", 2)[0]); got != strconv.Itoa(network.MaxAddrs) {
		t.Errorf("README says %s addresses per name, MaxAddrs is %d", got, network.MaxAddrs)
	}
}

//go:build !windows

package cmdutil

import "os"

// enableVT reports whether a terminal can show colour: always, off Windows.
func enableVT(*os.File) bool { return true }

//go:build unix

package network

import (
	"math"
	"syscall"
)

// FileLimit returns the process's file-descriptor limit (the soft
// RLIMIT_NOFILE, which Go raises to the hard limit at start-up), or 0
// when it cannot be read.
func FileLimit() int {
	var r syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &r); err != nil {
		return 0
	}
	if r.Cur > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(r.Cur)
}

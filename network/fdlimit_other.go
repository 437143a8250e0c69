//go:build !unix

package network

// FileLimit returns 0: Windows has no per-process descriptor limit for
// sockets (they are bounded by memory).
func FileLimit() int { return 0 }

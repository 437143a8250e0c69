//go:build !linux

package lab

// BlackHole drops SYNs only on Linux: ok is false here.
func BlackHole(addr string) (s *Server, ok bool, err error) { return nil, false, nil }

package lab

import (
	"net"
	"strconv"
	"syscall"
)

// BlackHole starts a TCP listener on addr ("127.0.0.2:0" for any port)
// that drops every SYN: its accept queue (backlog 0) is filled by one
// connection it never accepts, so Linux drops the SYNs that follow and a
// connect to it hangs until the client gives up, as with a firewalled
// host. ok is false where this cannot be done (off Linux).
func BlackHole(addr string) (s *Server, ok bool, err error) {
	ta, err := net.ResolveTCPAddr("tcp4", addr)
	if err != nil {
		return nil, true, err
	}
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, true, err
	}
	sa := &syscall.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	if err := syscall.Bind(fd, sa); err != nil {
		syscall.Close(fd)
		return nil, true, err
	}
	if err := syscall.Listen(fd, 0); err != nil {
		syscall.Close(fd)
		return nil, true, err
	}
	got, err := syscall.Getsockname(fd)
	if err != nil {
		syscall.Close(fd)
		return nil, true, err
	}
	port := got.(*syscall.SockaddrInet4).Port
	bound := net.JoinHostPort(ta.IP.String(), strconv.Itoa(port))
	filler, err := net.Dial("tcp", bound) // fills the queue
	if err != nil {
		syscall.Close(fd)
		return nil, true, err
	}
	return newServer(bound, func() {
		filler.Close()
		syscall.Close(fd)
	}), true, nil
}

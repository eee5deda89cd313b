//go:build unix

package sock

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// DialTCP connects to addr. It gives up after timeout, or when ctx is
// done, with ctx's error. The connection has no deadline.
func DialTCP(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (*os.File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := startConnect(addr)
	if err == nil {
		err = waitConnected(ctx, f, timeout)
		if err == nil && selfConnected(f) {
			err = errSelf
		}
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return f, nil
}

// errSelf says a connect reached its own socket.
var errSelf = errors.New("connected to itself: nothing listens there")

// selfConnected reports whether f is connected to itself. A connect to
// a port of the ephemeral range that nothing listens on may be given
// that same port as its local one, and TCP's simultaneous open then
// connects the socket to itself: a connection with no program behind
// it, which would pass the readiness check. Package net checks the same.
func selfConnected(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	self := false
	rc.Control(func(fd uintptr) {
		local, err1 := unix.Getsockname(int(fd))
		peer, err2 := unix.Getpeername(int(fd))
		self = err1 == nil && err2 == nil && sameAddr(local, peer)
	})
	return self
}

func sameAddr(a, b unix.Sockaddr) bool {
	switch a := a.(type) {
	case *unix.SockaddrInet4:
		b, ok := b.(*unix.SockaddrInet4)
		return ok && a.Addr == b.Addr && a.Port == b.Port
	case *unix.SockaddrInet6:
		b, ok := b.(*unix.SockaddrInet6)
		return ok && a.Addr == b.Addr && a.Port == b.Port
	}
	return false
}

// startConnect makes the socket and starts the connect, which on a
// non-blocking socket usually returns before it is done (EINPROGRESS; an
// interrupted connect goes on in the background too).
func startConnect(addr netip.AddrPort) (*os.File, error) {
	domain, sa := sockaddr(addr)
	fd, err := socket(domain, unix.SOCK_STREAM)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	err = unix.Connect(fd, sa)
	if err != nil && err != unix.EINPROGRESS && err != unix.EINTR {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	return os.NewFile(uintptr(fd), "tcp:"+addr.String()), nil
}

func sockaddr(addr netip.AddrPort) (int, unix.Sockaddr) {
	ip, port := addr.Addr().Unmap(), int(addr.Port())
	if ip.Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Addr: ip.As4(), Port: port}
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Addr: ip.As16(), Port: port}
}

// errConnecting says a connect has not finished yet.
var errConnecting = errors.New("connecting")

// waitConnected waits until f's connect has finished, and returns its
// error. The poller wakes the callback when the socket turns writable,
// which is when the connect finished either way; SO_ERROR then holds its
// error. SO_ERROR is 0 as well while the connect is still under way
// (the callback runs once before any wait, and the poller may wake it
// early), so success is confirmed by the socket having a peer.
//
// The wait ends at the write deadline: the timeout, or ctx's deadline
// if sooner, or a deadline in the past set when ctx is cancelled.
func waitConnected(ctx context.Context, f *os.File, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := f.SetWriteDeadline(deadline); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { f.SetWriteDeadline(time.Unix(1, 0)) })
	rc, err := f.SyscallConn()
	if err != nil {
		stop()
		return err
	}
	var connErr error
	err = rc.Write(func(fd uintptr) bool {
		connErr = connectResult(int(fd))
		return connErr != errConnecting
	})
	if !stop() {
		return ctx.Err() // cancelled: the deadline may be in the past now
	}
	if err != nil {
		return err // os.ErrDeadlineExceeded: the timeout
	}
	if connErr != nil {
		return os.NewSyscallError("connect", connErr)
	}
	return f.SetWriteDeadline(time.Time{})
}

func connectResult(fd int) error {
	n, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ERROR)
	if err != nil {
		return err
	}
	switch e := unix.Errno(n); e {
	case 0, unix.EISCONN:
		if _, err := unix.Getpeername(fd); err != nil {
			return errConnecting
		}
		return nil
	case unix.EINPROGRESS, unix.EALREADY, unix.EINTR:
		return errConnecting
	default:
		return e
	}
}

package proxy

import (
	"errors"
	"syscall"
)

// Winsock's codes: syscall's ECONNRESET and its kind are invented
// numbers on Windows that no socket call returns.
const (
	wsaeaddrinuse   syscall.Errno = 10048
	wsaeconnaborted syscall.Errno = 10053
	wsaeconnreset   syscall.Errno = 10054
	wsaeconnrefused syscall.Errno = 10061
)

// refusedOrReset reports a connection the program refused, or reset or
// aborted under a request, as a stopping program does.
func refusedOrReset(err error) bool {
	return errors.Is(err, wsaeconnrefused) || errors.Is(err, wsaeconnreset) || errors.Is(err, wsaeconnaborted)
}

// addrInUse reports a listen on an address another process holds.
func addrInUse(err error) bool { return errors.Is(err, wsaeaddrinuse) }

//go:build unix

package proxy

import (
	"errors"
	"syscall"
)

// refusedOrReset reports a connection the program refused, or reset or
// closed under a request, as a stopping program does.
func refusedOrReset(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// addrInUse reports a listen on an address another process holds.
func addrInUse(err error) bool { return errors.Is(err, syscall.EADDRINUSE) }

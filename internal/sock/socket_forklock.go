//go:build unix && !(linux || freebsd || dragonfly)

package sock

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// socket makes a non-blocking socket that a started program does not
// inherit. These systems cannot ask for close-on-exec when making the
// socket, so it is set right after, under syscall.ForkLock: os/exec forks
// while holding the lock for writing, so no program golive starts in
// between inherits the socket.
func socket(domain, typ int) (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(domain, typ, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	return nonblocking(fd, err)
}

// accept takes one connection from a listening socket, made like socket's.
func accept(fd int) (int, error) {
	syscall.ForkLock.RLock()
	nfd, _, err := unix.Accept(fd)
	if err == nil {
		unix.CloseOnExec(nfd)
	}
	syscall.ForkLock.RUnlock()
	return nonblocking(nfd, err)
}

func nonblocking(fd int, err error) (int, error) {
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}

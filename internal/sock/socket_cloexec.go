//go:build linux || freebsd || dragonfly

package sock

import "golang.org/x/sys/unix"

// socket makes a non-blocking socket that a started program does not
// inherit, in one call, so no fork can come in between.
func socket(domain, typ int) (int, error) {
	return unix.Socket(domain, typ|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}

// accept takes one connection from a listening socket, made like socket's.
func accept(fd int) (int, error) {
	nfd, _, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	return nfd, err
}

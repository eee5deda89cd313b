//go:build unix

package sock

import (
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Listener is a listening Unix socket.
type Listener struct {
	f    *os.File
	rc   syscall.RawConn
	path string
}

// ListenUnix makes a socket at path and listens on it. Like package net,
// Close removes the socket file.
func ListenUnix(path string) (*Listener, error) {
	fd, err := socket(unix.AF_UNIX, unix.SOCK_STREAM)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "bind", Path: path, Err: err}
	}
	if err := unix.Listen(fd, unix.SOMAXCONN); err != nil {
		unix.Close(fd)
		os.Remove(path)
		return nil, &os.PathError{Op: "listen", Path: path, Err: err}
	}
	f := os.NewFile(uintptr(fd), "unix:"+path)
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return &Listener{f: f, rc: rc, path: path}, nil
}

// Accept waits for a connection and returns it, non-blocking and with
// no deadline. Once Close is called it returns an error, and a waiting
// Accept wakes up to return it.
func (l *Listener) Accept() (*os.File, error) {
	var nfd int
	var acceptErr error
	err := l.rc.Read(func(fd uintptr) bool {
		nfd, acceptErr = acceptOne(int(fd))
		return acceptErr != unix.EAGAIN // EAGAIN: none queued, wait
	})
	if err != nil {
		return nil, &os.PathError{Op: "accept", Path: l.path, Err: err}
	}
	if acceptErr != nil {
		return nil, &os.PathError{Op: "accept", Path: l.path, Err: acceptErr}
	}
	return os.NewFile(uintptr(nfd), "unix:"+l.path), nil
}

// acceptOne retries where nothing is wrong with the listener: a signal
// interrupted the call, or the client gave up before it was accepted.
func acceptOne(fd int) (int, error) {
	for {
		nfd, err := accept(fd)
		if err != unix.EINTR && err != unix.ECONNABORTED {
			return nfd, err
		}
	}
}

// Close stops listening and removes the socket file.
func (l *Listener) Close() error {
	err := l.f.Close()
	os.Remove(l.path)
	return err
}

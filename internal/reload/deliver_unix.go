//go:build unix

package reload

import "github.com/golive-dev/golive/internal/sock"

// listenUnix listens without package net, whose cgo resolver would make
// golive a dynamically linked binary (internal/sock).
func listenUnix(path string) (listener, error) {
	ln, err := sock.ListenUnix(path)
	if err != nil {
		return nil, err
	}
	return unixListener{ln}, nil
}

type unixListener struct{ *sock.Listener }

func (l unixListener) Accept() (conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return c, nil
}

//go:build !unix

package reload

import "net"

// listenUnix listens with package net, which needs no cgo off Unix.
// Plugins do not work there (Supported says so), so golive never calls
// it; it keeps the package building.
func listenUnix(path string) (listener, error) {
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	return netListener{ln}, nil
}

type netListener struct{ net.Listener }

func (l netListener) Accept() (conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return c, nil
}

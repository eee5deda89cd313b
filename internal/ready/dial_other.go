//go:build !unix

package ready

import (
	"context"
	"net"
	"net/netip"
	"time"
)

// dialTCP connects with package net, which needs no cgo off Unix.
func dialTCP(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (conn, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return c, nil
}

//go:build unix

package ready

import (
	"context"
	"net/netip"
	"time"

	"github.com/golive-dev/golive/internal/sock"
)

// dialTCP connects without package net, whose cgo resolver would make
// golive a dynamically linked binary (internal/sock).
func dialTCP(ctx context.Context, addr netip.AddrPort, timeout time.Duration) (conn, error) {
	f, err := sock.DialTCP(ctx, addr, timeout)
	if err != nil {
		return nil, err // not a nil *os.File in a non-nil conn
	}
	return f, nil
}

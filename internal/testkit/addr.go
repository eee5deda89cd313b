package testkit

import (
	"net"
	"testing"
)

// FreeAddr returns a loopback address that nothing listens on, for a
// program a test starts later.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

//go:build unix

package ready

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestReadinessRefused: nothing listens, so the connect is refused, the
// program is not ready and the port counts as free.
func TestReadinessRefused(t *testing.T) {
	t.Parallel()
	addr := refusingPort(t)
	for _, url := range []string{"tcp://" + addr, "http://" + addr + "/health"} {
		r, err := Parse(url)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.connect(context.Background(), time.Minute); !errors.Is(err, unix.ECONNREFUSED) {
			t.Errorf("%s: connect = %v, want ECONNREFUSED", url, err)
		}
		if r.check(context.Background()) {
			t.Errorf("%s: ready with nothing listening", url)
		}
		if !r.WaitPortFree(time.Minute) {
			t.Errorf("%s: port not free with nothing listening", url)
		}
	}
}

// TestReadinessWaitCancelled: a cancelled context ends Wait, which would
// otherwise poll a port nobody listens on for a minute.
func TestReadinessWaitCancelled(t *testing.T) {
	t.Parallel()
	r, err := Parse("tcp://" + refusingPort(t))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Wait(ctx) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Wait = %v, want context.Canceled", err)
		}
	case <-time.After(readyGiveUp / 2):
		t.Fatal("Wait did not return after its context was cancelled")
	}
}

// refusingPort returns 127.0.0.1:PORT where connections are refused:
// a socket holds the port but does not listen. A port closed after
// listening could be taken again by another test meanwhile.
func refusingPort(t *testing.T) string {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.CloseOnExec(fd) // the test's helper programs need not hold it
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port)).String()
}

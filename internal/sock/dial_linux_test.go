package sock

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pendingAddr returns the address of a listener whose accept queue is
// full: Linux drops the SYN of a further connect, which then waits.
func pendingAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	// Fill the queue: connect until a connect no longer completes.
	for range 16 {
		f, err := DialTCP(context.Background(), addr, 100*time.Millisecond)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return addr
		}
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
	}
	t.Skip("the accept queue did not fill up")
	return addr
}

func TestDialTCPTimeout(t *testing.T) {
	t.Parallel()
	addr := pendingAddr(t)
	if _, err := DialTCP(context.Background(), addr, 10*time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("DialTCP = %v, want os.ErrDeadlineExceeded", err)
	}
}

// TestDialTCPCancelled: cancelling ctx ends a connect that waits. The
// delay before the cancel only makes it likely that the connect waits
// already; cancelled before it starts, DialTCP must fail the same way.
func TestDialTCPCancelled(t *testing.T) {
	t.Parallel()
	addr := pendingAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	done := make(chan error, 1)
	go func() {
		_, err := DialTCP(ctx, addr, time.Hour)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("DialTCP = %v, want context.Canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("DialTCP still waits after its context was cancelled")
	}
}

// TestSelfConnected makes a socket connect to itself, as a connect to an
// unused port may by chance, and checks that it is seen.
func TestSelfConnected(t *testing.T) {
	t.Parallel()
	fd, err := socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), "self")
	defer f.Close()
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Connect(fd, sa); err != nil && err != unix.EINPROGRESS {
		t.Fatal(err)
	}
	if err := waitConnected(context.Background(), f, time.Minute); err != nil {
		t.Fatal(err)
	}
	if !selfConnected(f) {
		t.Error("a socket connected to itself is not seen as such")
	}
}

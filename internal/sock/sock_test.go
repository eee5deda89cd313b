//go:build unix

package sock

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func TestDialTCP(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		line, _ := bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "got "+line)
	}()
	f, err := DialTCP(context.Background(), netip.MustParseAddrPort(ln.Addr().String()), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkFlags(t, f)
	f.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(f, "hello\n"); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(f); err != nil || string(b) != "got hello\n" {
		t.Fatalf("read %q, %v", b, err)
	}
}

func TestDialTCPIPv6(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	defer ln.Close()
	f, err := DialTCP(context.Background(), netip.MustParseAddrPort(ln.Addr().String()), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
}

func TestDialTCPRefused(t *testing.T) {
	t.Parallel()
	// A socket holds the port without listening: a port closed after
	// listening could be taken again by another test meanwhile.
	fd, err := socket(unix.AF_INET, unix.SOCK_STREAM)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), uint16(sa.(*unix.SockaddrInet4).Port))
	_, err = DialTCP(context.Background(), addr, 10*time.Second)
	if !errors.Is(err, unix.ECONNREFUSED) {
		t.Fatalf("DialTCP = %v, want ECONNREFUSED", err)
	}
}

func TestDialTCPCancelledBefore(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := DialTCP(ctx, netip.MustParseAddrPort("127.0.0.1:1"), time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("DialTCP = %v, want context.Canceled", err)
	}
}

func TestListenUnix(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.sock")
	ln, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := ListenUnix(path); !errors.Is(err, unix.EADDRINUSE) {
		t.Errorf("a second ListenUnix = %v, want EADDRINUSE", err)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	checkFlags(t, f)

	// Both ways, then a read deadline with nothing to read.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	f.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(f, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v", buf, err)
	}
	f.Write([]byte("pong"))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("read %q, %v", buf, err)
	}
	f.SetReadDeadline(time.Now().Add(time.Millisecond))
	if _, err := f.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read past the deadline: %v", err)
	}
	c.Close()
	f.SetReadDeadline(time.Time{})
	if _, err := f.Read(buf); err != io.EOF {
		t.Errorf("read after the peer closed: %v, want EOF", err)
	}

	if err := ln.Close(); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the socket file is still there after Close: %v", err)
	}
}

// TestCloseWakesAccept: Close ends an Accept that waits for a connection.
func TestCloseWakesAccept(t *testing.T) {
	t.Parallel()
	ln, err := ListenUnix(filepath.Join(t.TempDir(), "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		f, err := ln.Accept()
		if err == nil {
			f.Close()
		}
		done <- err
	}()
	ln.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Accept returned a connection after Close")
		}
	case <-time.After(time.Minute):
		t.Fatal("Accept still waits after Close")
	}
	if _, err := ln.Accept(); err == nil {
		t.Error("Accept after Close returned a connection")
	}
}

// checkFlags checks that a program golive starts cannot inherit f, and
// that f was left non-blocking for the poller.
func checkFlags(t *testing.T, f *os.File) {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	rc.Control(func(fd uintptr) {
		if fl, err := unix.FcntlInt(fd, unix.F_GETFD, 0); err != nil || fl&unix.FD_CLOEXEC == 0 {
			t.Errorf("close-on-exec not set: flags %#x, %v", fl, err)
		}
		if fl, err := unix.FcntlInt(fd, unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK == 0 {
			t.Errorf("not non-blocking: flags %#x, %v", fl, err)
		}
	})
}

//go:build unix

package runner

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/log"
)

// handover runs the loop with real programs of mode, started directly,
// a fake builder and run.ready on addr.
func handover(t *testing.T, mode, addr string, out *lineWaiter) (*harness, RunOptions) {
	t.Helper()
	ready, err := ParseReadiness("tcp://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	opts := helperOptions(t, mode, out, true)
	opts.Env = append(opts.Env, "GOLIVE_ADDR="+addr, "GOLIVE_ONCE="+filepath.Join(t.TempDir(), "once"))
	h := startRunnerWith(t, func(o *Options) {
		o.Starter = &ProcessStarter{Opts: opts}
		o.Ready = ready
	})
	return h, opts
}

// rebuild saves, and has the build in flight hand the loop the test
// binary again.
func (h *harness) rebuild(t *testing.T) {
	t.Helper()
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: os.Args[0]}
	h.events.next(t, log.BuildOK)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// The old program's port is held a moment after the program is gone, by
// a grandchild outside its group that a direct stop does not reach (as
// on macOS): the new program starts only once the port is free, and
// binds it.
func TestHandoverWaitsForThePort(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	h, opts := handover(t, "handover", freeAddr(t), out)
	h.buildAndStart(t, os.Args[0])
	out.wait(t, "ready")
	h.events.next(t, log.Ready)
	holder := readPid(t, pidfileOf(opts))
	h.rebuild(t)
	h.events.next(t, log.Stop)
	h.events.next(t, log.Start) // no warning: the port came free in time
	if procRunning(holder) {
		t.Fatalf("the new program started while pid %d still held the port", holder)
	}
	syscall.Wait4(holder, nil, 0, nil) // re-parented to this test process
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l := <-out.ch:
			if strings.HasPrefix(l, "listen:") {
				t.Fatalf("the new program could not bind the port: %s", l)
			}
			if strings.HasPrefix(l, "ready") {
				h.events.next(t, log.Ready)
				return
			}
		case <-timeout:
			t.Fatal("the new program did not start listening")
		}
	}
}

// A port that another process holds for good is waited for 2s, no
// longer, with a warning; then the program starts anyway.
func TestHandoverWaitIsBounded(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	out := newLineWaiter()
	h, _ := handover(t, "plain", ln.Addr().String(), out)
	h.events.next(t, log.BuildStart)
	h.build(t).finish <- BuildResult{Binary: os.Args[0]}
	built := h.events.next(t, log.BuildOK)
	warn := h.events.next(t, log.Warn)
	if !strings.Contains(warn.Message, "still answers after the old program stopped; another process holds the port") {
		t.Fatalf("warning %q", warn.Message)
	}
	start := h.events.next(t, log.Start)
	if waited := start.Time.Sub(built.Time); waited < 2*time.Second || waited > 4*time.Second {
		t.Fatalf("the program started %s after the build, want a wait of 2s", waited)
	}
	out.wait(t, "ready")
}

//go:build unix

package supervise

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

func TestStopGraceful(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, direct bool) {
		out := testkit.NewLineWaiter()
		opts := helperOptions(t, "serve", out, direct)
		opts.Env = append(opts.Env, "GOLIVE_ADDR=127.0.0.1:0")
		p, err := Start(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		out.Wait(t, "ready")
		res := p.Stop(nil)
		if res.Killed {
			t.Fatalf("a program that exits on SIGTERM was killed: %+v", res)
		}
		if code, sig := p.Exit(); code != 0 || sig != "" {
			t.Fatalf("exit = %d %q, want 0", code, sig)
		}
	})
}

func TestStopStubbornIsKilledAfterTimeout(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, direct bool) {
		out := testkit.NewLineWaiter()
		opts := helperOptions(t, "stubborn", out, direct)
		opts.StopTimeout = 300 * time.Millisecond
		p, err := Start(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		out.Wait(t, "ready")
		res := p.Stop(nil)
		if !res.Killed || !strings.Contains(res.Reason, "did not stop within 300ms") {
			t.Fatalf("stop = %+v, want killed after the timeout", res)
		}
		if _, sig := p.Exit(); sig != "SIGKILL" {
			t.Fatalf("exit signal = %q, want SIGKILL", sig)
		}
	})
}

func TestStopForceKillsAtOnce(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, direct bool) {
		out := testkit.NewLineWaiter()
		opts := helperOptions(t, "stubborn", out, direct)
		opts.StopTimeout = time.Hour
		p, err := Start(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		out.Wait(t, "ready")
		force := make(chan struct{})
		close(force)
		if res := p.Stop(force); !res.Killed {
			t.Fatalf("stop = %+v, want killed", res)
		}
	})
}

// A grandchild that ignores SIGTERM and holds the listening port must be
// gone when Stop returns, so the next program can bind the port.
func TestStopKillsGrandchildAndFreesPort(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, direct bool) {
		restartRounds(t, rounds{mode: "spawn", direct: direct, n: 3, stopTimeout: 200 * time.Millisecond})
	})
}

// rounds says what restartRounds runs.
type rounds struct {
	mode        string // "spawn", or "spawn-setsid" for a grandchild that escapes with the socket
	direct      bool
	n           int
	stopTimeout time.Duration
	tree        func(runner.Program) []int // more pids of a program's tree (its keeper)
}

// restartRounds starts and stops, r.n times, a program that listens on
// one port and leaves a grandchild that ignores SIGTERM: every program
// must bind the port, nothing of a round's tree may run after its Stop,
// and after the last one no process that inherited the rounds' marker
// environment is left.
func restartRounds(t *testing.T, r rounds) {
	t.Helper()
	addr := testkit.FreeAddr(t)
	marker := "GOLIVE_ROUNDS=" + t.TempDir()
	var all []int
	for i := range r.n {
		out := testkit.NewLineWaiter()
		opts := helperOptions(t, r.mode, out, r.direct)
		opts.StopTimeout = r.stopTimeout
		opts.Env = append(opts.Env, "GOLIVE_ADDR="+addr, marker)
		p, err := Start(os.Args[0], opts)
		if err != nil {
			t.Fatal(err)
		}
		waitBound(t, out, i, addr) // the program's, then the grandchild's
		gc := testkit.ReadPid(t, pidfileOf(opts))
		tree := []int{p.PID(), gc}
		if r.tree != nil {
			tree = append(tree, r.tree(p)...)
		}
		all = append(all, tree...)
		p.Stop(nil)
		for _, pid := range tree {
			if testkit.Running(pid) {
				t.Fatalf("round %d: pid %d of the tree %v is alive after Stop", i, pid, tree)
			}
		}
	}
	for _, pid := range all {
		if testkit.Running(pid) {
			t.Errorf("pid %d alive after the last stop", pid)
		}
	}
	if left := withEnv(marker); len(left) > 0 {
		t.Errorf("after the last stop, processes %v of the rounds' trees are left", left)
	}
}

// waitBound waits for the two ready lines of a round: the program's,
// once it listens on addr, and its grandchild's. A program that could not
// bind the port fails the test at once.
func waitBound(t *testing.T, out *testkit.LineWaiter, round int, addr string) {
	t.Helper()
	for n := 0; n < 2; {
		l := out.Next(t)
		if strings.HasPrefix(l, "listen:") {
			t.Fatalf("round %d: the program could not bind %s: %s", round, addr, l)
		}
		if strings.Contains(l, "ready") {
			n++
		}
	}
}

// withEnv returns the live processes whose environment holds kv.
func withEnv(kv string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !testkit.Running(pid) {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && slices.Contains(strings.Split(string(env), "\x00"), kv) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestExitCodeReported(t *testing.T) {
	t.Parallel()
	bothModes(t, func(t *testing.T, direct bool) {
		out := testkit.NewLineWaiter()
		p, err := Start(os.Args[0], helperOptions(t, "exit3", out, direct))
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-p.Done():
		case <-time.After(20 * time.Second):
			t.Fatal("program did not exit")
		}
		if code, sig := p.Exit(); code != 3 || sig != "" {
			t.Fatalf("exit = %d %q, want 3", code, sig)
		}
	})
}

// bothModes runs fn with the program started through a keeper (where
// there is one) and directly.
func bothModes(t *testing.T, fn func(t *testing.T, direct bool)) {
	t.Run("kept", func(t *testing.T) { t.Parallel(); fn(t, false) })
	t.Run("direct", func(t *testing.T) { t.Parallel(); fn(t, true) })
}

// A restart reads the program's environment once: Check reads it before
// the old program stops, and the Start that follows uses that.
func TestStarterReadsEnvOnce(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "exit3", out, true)
	reads := 0
	st := &Starter{Opts: opts, Env: func() ([]string, error) { reads++; return opts.Env, nil }}
	if err := st.Check(); err != nil {
		t.Fatal(err)
	}
	p, err := st.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	<-p.Done()
	if reads != 1 {
		t.Fatalf("environment read %d times for one restart, want 1", reads)
	}
	if p, err = st.Start(os.Args[0]); err != nil { // no Check: reads it itself
		t.Fatal(err)
	}
	<-p.Done()
	if reads != 2 {
		t.Fatalf("reads = %d after a Start without Check, want 2", reads)
	}
}

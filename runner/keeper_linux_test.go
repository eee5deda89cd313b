package runner

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	st, ok := readStat(pid)
	return ok && st.state != 'Z'
}

// A grandchild that left the group with setsid, and whose parent exited,
// is still found and stopped.
func TestKeeperStopsSetsidEscaper(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	opts := helperOptions(t, "escape", out, false)
	opts.StopTimeout = 200 * time.Millisecond
	pidfile := pidfileOf(opts)
	p, err := StartProcess(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.wait(t, "ready")
	out.wait(t, "ready") // the escaper's, once it ignores SIGTERM
	escaper := readPid(t, pidfile)
	if st, _ := readStat(escaper); st.pgid == p.PID() {
		t.Fatalf("the escaper is still in the program's group")
	}
	res := p.Stop(nil)
	if !res.Killed {
		t.Errorf("an escaper that ignores SIGTERM must need a kill: %+v", res)
	}
	if alive(escaper) {
		t.Fatalf("setsid escaper %d survived the stop", escaper)
	}
}

// If golive itself is SIGKILLed, the program and every descendant die.
func TestKeeperKillsTreeWhenGoliveDies(t *testing.T) {
	t.Parallel()
	pidfile := filepath.Join(t.TempDir(), "pid")
	g := exec.Command(os.Args[0])
	g.Env = append(os.Environ(), "GOLIVE_HELPER=golive", "GOLIVE_PIDFILE="+pidfile)
	stdout, err := g.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(stdout)
	program := 0
	for program == 0 && sc.Scan() {
		if pid, ok := strings.CutPrefix(sc.Text(), "program "); ok {
			program, _ = strconv.Atoi(pid)
		}
	}
	escaper := readPid(t, pidfile)
	g.Process.Kill()
	g.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for alive(program) || alive(escaper) {
		if time.Now().After(deadline) {
			t.Fatalf("after golive was killed: program alive=%v, setsid escaper alive=%v", alive(program), alive(escaper))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// 100 restarts of a program that listens on a port and leaves a
// grandchild that escapes with setsid, inherits the listening socket and
// ignores SIGTERM (the case where other tools leave the port busy):
// every new program binds the port, and no process of any tree, keepers
// included, is left.
func TestKeeperHundredRestarts(t *testing.T) {
	t.Parallel()
	n := 100
	if testing.Short() {
		n = 10
	}
	restartRounds(t, rounds{mode: "spawn-setsid", n: n, stopTimeout: 50 * time.Millisecond, tree: func(p Program) []int {
		return []int{p.(*keptProcess).keeper.Process.Pid}
	}})
}

// The program inherits no pipe of the keeper's: a lifeline it held would
// outlive the keeper, and golive would wait for the report pipe's end
// forever. (Pipes this test process itself inherited pass through.)
func TestKeeperPassesNoPipes(t *testing.T) {
	t.Parallel()
	ours := map[string]bool{}
	entries, _ := os.ReadDir("/proc/self/fd")
	for _, e := range entries {
		target, _ := os.Readlink("/proc/self/fd/" + e.Name())
		ours[target] = true
	}
	out := newLineWaiter()
	p, err := StartProcess(os.Args[0], helperOptions(t, "fds", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l := <-out.ch:
			fds, ok := strings.CutPrefix(l, "fds [")
			if !ok {
				continue
			}
			for _, fd := range strings.Fields(strings.TrimSuffix(fds, "]")) {
				_, target, _ := strings.Cut(fd, "->")
				if strings.HasPrefix(target, "pipe:") && !ours[target] {
					t.Fatalf("the program inherited the keeper's %s", fd)
				}
			}
			return
		case <-timeout:
			t.Fatal("no fds line")
		}
	}
}

// The keeper catches SIGINT and SIGHUP for itself, but the program keeps
// the default actions: a program with no handlers stops on SIGINT.
func TestKeeperLeavesProgramSignalsDefault(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	opts := helperOptions(t, "plain", out, false)
	opts.StopSignal = syscall.SIGINT
	p, err := StartProcess(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.wait(t, "ready")
	if res := p.Stop(nil); res.Killed {
		t.Fatalf("a program without handlers ignored SIGINT: %+v", res)
	}
	if _, sig := p.Exit(); sig != "SIGINT" {
		t.Fatalf("exit signal %q, want SIGINT", sig)
	}
}

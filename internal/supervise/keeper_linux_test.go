package supervise

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/runner"
)

// A grandchild that left the group with setsid, and whose parent exited,
// is still found and stopped.
func TestKeeperStopsSetsidEscaper(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "escape", out, false)
	opts.StopTimeout = 200 * time.Millisecond
	pidfile := pidfileOf(opts)
	p, err := Start(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	out.Wait(t, "ready") // the escaper's, once it ignores SIGTERM
	escaper := testkit.ReadPid(t, pidfile)
	if pgid, _ := syscall.Getpgid(escaper); pgid == p.PID() {
		t.Fatalf("the escaper is still in the program's group")
	}
	res := p.Stop(nil)
	if !res.Killed {
		t.Errorf("an escaper that ignores SIGTERM must need a kill: %+v", res)
	}
	if testkit.Running(escaper) {
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
	escaper := testkit.ReadPid(t, pidfile)
	g.Process.Kill()
	g.Wait()
	testkit.Until(t, 0, "the program and the setsid escaper gone after golive was killed", func() bool {
		return !testkit.Running(program) && !testkit.Running(escaper)
	})
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
	restartRounds(t, rounds{mode: "spawn-setsid", n: n, stopTimeout: 50 * time.Millisecond, tree: func(p runner.Program) []int {
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
	out := testkit.NewLineWaiter()
	p, err := Start(os.Args[0], helperOptions(t, "fds", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	fds, _ := strings.CutPrefix(out.Wait(t, "fds ["), "fds [")
	for _, fd := range strings.Fields(strings.TrimSuffix(fds, "]")) {
		_, target, _ := strings.Cut(fd, "->")
		if strings.HasPrefix(target, "pipe:") && !ours[target] {
			t.Fatalf("the program inherited the keeper's %s", fd)
		}
	}
}

// The keeper catches SIGINT and SIGHUP for itself, but the program keeps
// the default actions: a program with no handlers stops on SIGINT.
func TestKeeperLeavesProgramSignalsDefault(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "plain", out, false)
	opts.StopSignal = syscall.SIGINT
	p, err := Start(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	if res := p.Stop(nil); res.Killed {
		t.Fatalf("a program without handlers ignored SIGINT: %+v", res)
	}
	if _, sig := p.Exit(); sig != "SIGINT" {
		t.Fatalf("exit signal %q, want SIGINT", sig)
	}
}

// ps, top and pgrep golive name the keeper after golive's own binary, not
// "exe" as a start through /proc/self/exe would, and ps's args column
// says which golive it is.
func TestKeeperShowsAsGolive(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	p, err := Start(os.Args[0], helperOptions(t, "plain", out, false))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	out.Wait(t, "ready")
	keeper := p.(*keptProcess).keeper.Process.Pid
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	comm, err := os.ReadFile("/proc/" + strconv.Itoa(keeper) + "/comm")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Base(exe)
	want = want[:min(len(want), 15)] // the kernel keeps 15 bytes of a name
	if got := strings.TrimSpace(string(comm)); got != want {
		t.Errorf("the keeper's name is %q, want %q", got, want)
	}
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(keeper) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if args := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00"); len(args) != 2 || args[0] != os.Args[0] || args[1] != "keeper" {
		t.Errorf("the keeper's args are %q, want [%s keeper]", args, os.Args[0])
	}
}

// A Starter's Prepare starts the next keeper ahead: the start hands the
// program to that keeper, which goes on as a keeper does (stops its
// program and exits), and a keeper prepared for nothing leaves with
// Close, quietly.
func TestStarterPreparesTheKeeper(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	s := &Starter{Opts: helperOptions(t, "plain", out, false)}
	s.Prepare()
	if s.spare == nil {
		t.Fatal("Prepare made no keeper")
	}
	keeper := s.spare.cmd.Process.Pid
	if err := s.Check(); err != nil {
		t.Fatal(err)
	}
	if s.spare.cmd.Process.Pid != keeper {
		t.Fatal("Check made a second keeper beside the prepared one")
	}
	p, err := s.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := p.(*keptProcess).keeper.Process.Pid; got != keeper {
		t.Errorf("the program's keeper is %d, want the prepared %d", got, keeper)
	}
	if s.spare != nil {
		t.Error("the start left its keeper as the next one's")
	}
	if res := p.Stop(nil); res.Killed {
		t.Errorf("stop: %+v, want a plain stop", res)
	}
	if syscall.Kill(keeper, 0) == nil {
		t.Errorf("keeper %d outlived its stopped program", keeper)
	}

	s.Prepare()
	spare := s.spare.cmd
	s.Close()
	if s.spare != nil || spare.ProcessState == nil || !spare.ProcessState.Success() {
		t.Errorf("Close left the unused keeper %v (%v)", spare.Process.Pid, spare.ProcessState)
	}
}

// A prepared keeper that died before its start (killed from outside) is
// replaced: the start makes a keeper of its own.
func TestStarterReplacesADeadSpare(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	s := &Starter{Opts: helperOptions(t, "plain", out, false)}
	s.Prepare()
	dead := s.spare.cmd.Process.Pid
	syscall.Kill(dead, syscall.SIGKILL)
	<-s.spare.done
	p, err := s.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	if got := p.(*keptProcess).keeper.Process.Pid; got == dead {
		t.Errorf("the program was handed to the dead keeper %d", dead)
	}
	if syscall.Kill(p.PID(), 0) != nil {
		t.Errorf("program %d not running", p.PID())
	}
}

// A process the program starts once it has the stop signal, out of its
// group (setsid), gets the stop signal too, from a later walk of the
// tree: the stop ends with no kill, well before the stop timeout.
func TestKeeperSignalsWhatForksWhileItStops(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	opts := helperOptions(t, "escape-on-term", out, false)
	p, err := Start(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	if res := p.Stop(nil); res.Killed {
		t.Errorf("stop: %+v, want the escaper stopped by the stop signal", res)
	}
}

// A stop asked for twice, by SIGTERM to the keeper (pkill golive reaches
// it: it shows as golive) and by golive's stop line, signals the program
// once: a second SIGTERM often means "now" to a program.
func TestStopSignalsTheProgramOnce(t *testing.T) {
	t.Parallel()
	out := testkit.NewLineWaiter()
	p, err := Start(os.Args[0], helperOptions(t, "count-terms", out, false))
	if err != nil {
		t.Fatal(err)
	}
	out.Wait(t, "ready")
	p.(*keptProcess).keeper.Process.Signal(syscall.SIGTERM)
	out.Wait(t, "first SIGTERM") // the keeper has signalled: golive's stop comes second
	if res := p.Stop(nil); res.Killed {
		t.Fatalf("stop: %+v, want a plain stop", res)
	}
	if got := out.Wait(t, "terms "); got != "terms 1" {
		t.Errorf("the program said %q, want one SIGTERM", got)
	}
}

// A program whose output goes straight to files (golive's terminal) is
// stopped once its keeper says the tree is gone, without waiting for the
// keeper's own exit; the Starter's Close waits for that.
func TestStopWithOutputToFilesLeavesTheKeeperToClose(t *testing.T) {
	t.Parallel()
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := helperOptions(t, "plain", nil, false)
	opts.Stdout, opts.Stderr = f, f
	s := &Starter{Opts: opts}
	p, err := s.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	kp := p.(*keptProcess)
	if res := p.Stop(nil); res.Killed {
		t.Errorf("stop: %+v, want a plain stop", res)
	}
	if syscall.Kill(p.PID(), 0) == nil {
		t.Errorf("program %d outlived its stop", p.PID())
	}
	s.Close()
	select {
	case <-kp.keeperDone:
	default:
		t.Errorf("keeper %d still running after Close", kp.keeper.Process.Pid)
	}
}

// A keeper waiting for its spec exits on SIGTERM: it catches the signal
// from its start, for the program's stop, and must not ignore it before.
func TestSpareExitsOnSigtermBeforeItsSpec(t *testing.T) {
	t.Parallel()
	sp, err := newSpare(helperOptions(t, "plain", testkit.NewLineWaiter(), false))
	if err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	pid := sp.cmd.Process.Pid
	// It reads the lifeline for its spec once its handlers are set: only
	// then does SIGTERM test what the keeper does with it.
	for !readsFD(pid, 3) {
		select {
		case <-sp.done:
			t.Fatal("the keeper exited before it read its lifeline")
		case <-time.After(time.Millisecond):
		}
	}
	sp.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sp.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("keeper %d still waits for its spec after SIGTERM", pid)
	}
	if !sp.cmd.ProcessState.Success() {
		t.Errorf("keeper exited with %v, want 0: nothing was started", sp.cmd.ProcessState)
	}
}

// readsFD reports whether a thread of process pid is blocked in read(2)
// of fd (/proc/PID/task/TID/syscall: number 0, first argument fd).
func readsFD(pid, fd int) bool {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	for _, task := range tasks {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/syscall", pid, task.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(data)); len(f) > 1 && f[0] == "0" && f[1] == fmt.Sprintf("0x%x", fd) {
			return true
		}
	}
	return false
}

// reachedByGroup counts a group member as signalled by the group only if
// it started in a tick before the signal's: a child, once a tick has
// passed since its start, has been; one started after the tick was read
// has not; nothing has when the tick is unknown.
func TestReachedByGroupOnlyBeforeTheSignal(t *testing.T) {
	t.Parallel()
	group := syscall.Getpgrp()
	child := func() int {
		cmd := exec.Command("sleep", "10")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd.Process.Pid
	}
	older := child()
	_, started, ok := procgroup.GroupAndStart(older)
	if !ok {
		t.Fatal("no start time for the child")
	}
	for procgroup.Tick() <= started {
		time.Sleep(time.Millisecond)
	}
	at := procgroup.Tick()
	if !reachedByGroup(older, group, at) {
		t.Error("a child started ticks before the signal counts as not reached by it")
	}
	if reachedByGroup(child(), group, at) {
		t.Error("a child started after the signal's tick counts as reached by it")
	}
	if reachedByGroup(older, group, 0) {
		t.Error("with the signal's tick unknown, a group member counts as reached")
	}
}

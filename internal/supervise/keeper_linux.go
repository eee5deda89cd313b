package supervise

// The keeper. A parent-death signal reaches only the direct child, and
// fires when the thread that forked it exits (go.dev/issue/27505), so it
// cannot promise that a SIGKILLed golive takes the program's whole tree
// with it. The keeper can: golive starts it (a re-exec of golive's own
// binary) and the keeper starts the program. The keeper is a child
// subreaper, so every process of the tree, a grandchild that called
// setsid or double-forked included, stays its descendant; it holds the
// read end of a pipe whose write end only golive holds. When golive dies,
// the kernel closes that end, the keeper reads EOF, kills every
// descendant and exits. The same structure answers "is anything of the
// tree left?": once the keeper's wait4 says ECHILD, nothing is, because a
// subreaper with no children has no descendants.
//
// Protocol: fd 3 is the lifeline (golive → keeper: one JSON line of
// keeperSpec, then a "stop" line or nothing until EOF); fd 4 is the
// report (keeper → golive: "pid N", "exit CODE SIGNAL", "stopped KILLED
// REASON", "error MESSAGE" lines). The "stop" line, or SIGTERM to the
// keeper, asks for a stop: the stop signal to the tree, SIGKILL after
// the stop timeout. Closing the lifeline asks for an immediate kill.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/resident"
	"github.com/golive-dev/golive/internal/signals"
	"github.com/golive-dev/golive/runner"

	"golang.org/x/sys/unix"
)

const keeperAvailable = true

// keptProcess is golive's handle on a program run by a keeper.
type keptProcess struct {
	keeper   *exec.Cmd
	lifeline *os.File
	pid      int
	opts     Options

	done       chan struct{} // the program exited
	treeGone   chan struct{} // the keeper said "stopped": nothing of the tree is left
	reportDone chan struct{} // the keeper closed its report pipe
	keeperDone chan struct{} // the keeper exited and was reaped

	mu      sync.Mutex
	code    int
	signal  string
	stopped string // the keeper's "stopped" line
}

func startKept(bin string, opts Options) (runner.Program, error) {
	sp, err := newSpare(opts)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	return sp.start(bin, opts)
}

// spare is a keeper started ahead of its program. Go's start-up in a
// fresh process (the runtime, the page faults of golive's binary) takes
// about 10 ms; a spare takes them while the old program still runs, and
// the start only hands it the spec.
type spare struct {
	cmd      *exec.Cmd
	lifeline *os.File      // golive's end: the spec, then nothing until EOF
	report   *os.File      // golive's end of the keeper's report
	done     chan struct{} // the keeper exited and was reaped
}

// newSpare starts a keeper that waits for its spec. opts gives it the
// program's stdin, stdout and stderr, which the program inherits.
func newSpare(opts Options) (*spare, error) {
	lifeR, lifeW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("keeper: %w", err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		lifeR.Close()
		lifeW.Close()
		return nil, fmt.Errorf("keeper: %w", err)
	}
	k := exec.Command(keeperPath())
	// golive's own name first, as ps's args column shows it; the word
	// after it says which golive this is.
	k.Args = []string{os.Args[0], "keeper"}
	k.Env = append(os.Environ(), KeeperEnv+"=1")
	k.Stdin, k.Stdout, k.Stderr = opts.Stdin, opts.Stdout, opts.Stderr
	k.ExtraFiles = []*os.File{lifeR, repW}
	// Its own group, so the terminal's Ctrl-C reaches golive only; no
	// parent-death signal, since it must outlive golive to clean up.
	k.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	k.WaitDelay = time.Second
	err = k.Start()
	lifeR.Close()
	repW.Close()
	if err != nil {
		lifeW.Close()
		repR.Close()
		return nil, fmt.Errorf("keeper: %w", err)
	}
	sp := &spare{cmd: k, lifeline: lifeW, report: repR, done: make(chan struct{})}
	go func() {
		k.Wait()
		close(sp.done)
	}()
	return sp, nil
}

// alive reports whether the keeper still waits for its spec.
func (sp *spare) alive() bool {
	select {
	case <-sp.done:
		return false
	default:
		return true
	}
}

// close ends a spare that will start nothing: at EOF before a spec, the
// keeper exits.
func (sp *spare) close() {
	sp.lifeline.Close()
	sp.report.Close()
	<-sp.done
}

// start hands the spare its program.
func (sp *spare) start(bin string, opts Options) (runner.Program, error) {
	p := &keptProcess{keeper: sp.cmd, lifeline: sp.lifeline, opts: opts, code: -1,
		done: make(chan struct{}), treeGone: make(chan struct{}), reportDone: make(chan struct{}), keeperDone: sp.done}
	if err := p.handshake(bin, opts, sp.report); err != nil {
		sp.lifeline.Close() // the keeper kills whatever it started
		<-sp.done
		return nil, err
	}
	return p, nil
}

// keeperPath is the running binary, by golive's own path, so that ps, top
// and pgrep golive show the keeper as golive: the kernel names a process
// after the file it executes, and /proc/self/exe would make it "exe".
// Where that path no longer holds the running binary (golive was
// reinstalled or removed since it started), /proc/self/exe still does,
// and the keeper must be the same golive as the one that talks to it.
func keeperPath() string {
	const self = "/proc/self/exe"
	exe, err := os.Executable()
	if err != nil {
		return self
	}
	a, errA := os.Stat(exe)
	b, errB := os.Stat(self)
	if errA != nil || errB != nil || !os.SameFile(a, b) {
		return self
	}
	return exe
}

// handshake sends the spec and reads the program's pid, then leaves a
// goroutine reading the rest of the report until the keeper closes it.
func (p *keptProcess) handshake(bin string, opts Options, report *os.File) error {
	sig, _ := opts.StopSignal.(syscall.Signal)
	spec := keeperSpec{Bin: bin, Args: opts.Args, Dir: opts.Dir, Env: programEnv(opts.Env),
		StopSignal: int(sig), StopTimeout: int64(opts.StopTimeout)}
	line, _ := json.Marshal(spec)
	if _, err := p.lifeline.Write(append(line, '\n')); err != nil {
		report.Close()
		return fmt.Errorf("start %s: %w: %w", bin, errKeeperGone, err)
	}
	r := bufio.NewReader(report)
	first, err := r.ReadString('\n')
	if pid, ok := strings.CutPrefix(strings.TrimSpace(first), "pid "); ok && err == nil {
		p.pid, _ = strconv.Atoi(pid)
		go p.readReport(r, report)
		return nil
	}
	report.Close()
	if msg, ok := strings.CutPrefix(strings.TrimSpace(first), "error "); ok {
		return fmt.Errorf("start %s: %s", bin, msg)
	}
	return fmt.Errorf("start %s: %w", bin, errKeeperGone)
}

// programEnv is env as os/exec would pass it (the last of duplicate keys
// wins; the keeper's raw fork/exec would let the first win), without the
// keeper's own marker, so a program that is itself golive runs as golive.
func programEnv(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	seen := map[string]bool{}
	out := make([]string, 0, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		k, _, _ := strings.Cut(env[i], "=")
		if seen[k] || k == KeeperEnv {
			continue
		}
		seen[k] = true
		out = append(out, env[i])
	}
	slices.Reverse(out)
	return out
}

func (p *keptProcess) readReport(r *bufio.Reader, f *os.File) {
	defer close(p.reportDone)
	defer f.Close()
	exited := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		kind, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		p.mu.Lock()
		switch kind {
		case "exit":
			code, sig, _ := strings.Cut(rest, " ")
			p.code, _ = strconv.Atoi(code)
			p.signal = sig
		case "stopped":
			p.stopped = rest
		}
		p.mu.Unlock()
		if kind == "exit" && !exited {
			exited = true
			close(p.done)
		}
		if kind == "stopped" {
			close(p.treeGone)
		}
	}
	if !exited { // the keeper died without a word; the program with it
		close(p.done)
	}
}

func (p *keptProcess) PID() int              { return p.pid }
func (p *keptProcess) Done() <-chan struct{} { return p.done }

func (p *keptProcess) Exit() (int, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.signal != "" {
		return -1, p.signal
	}
	return p.code, ""
}

// Stop asks the keeper to stop the tree (its stop line) and waits until
// the keeper says the tree is gone. Where the program's output goes
// through golive (a writer, not a file), it also waits for the keeper to
// exit: only then has the program's last output been copied, ahead of
// the stop's own line. A close of force, or a keeper that overstays the
// stop timeout by far, gets the lifeline closed: kill at once.
func (p *keptProcess) Stop(force <-chan struct{}) runner.StopResult {
	start := time.Now()
	if _, err := p.lifeline.Write([]byte("stop\n")); err != nil {
		p.keeper.Process.Signal(syscall.SIGTERM) // it is gone, or going
	}
	grace := time.NewTimer(p.opts.StopTimeout + 5*time.Second)
	defer grace.Stop()
	var treeGone <-chan struct{}
	if p.opts.outputToFiles() {
		// The keeper only exits after its word: about a millisecond that
		// the next start need not wait for (Starter.Close does).
		treeGone = p.treeGone
	}
	select {
	case <-treeGone:
		p.lifeline.Close()
		return p.stopResult(start)
	case <-p.keeperDone:
	case <-force:
	case <-grace.C:
	}
	p.lifeline.Close()
	<-p.keeperDone
	<-p.reportDone
	if p.stopped == "" {
		// The keeper died without stopping the tree (it was killed): the
		// program, re-parented to golive, still has its group.
		syscall.Kill(-p.keeper.Process.Pid, syscall.SIGKILL)
		syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	return p.stopResult(start)
}

// keeperExited is closed once the keeper exited and was reaped.
func (p *keptProcess) keeperExited() <-chan struct{} { return p.keeperDone }

// outputToFiles reports whether the program writes its output straight
// to files (golive's terminal, /dev/null), with no copy through golive.
func (o Options) outputToFiles() bool {
	for _, w := range []io.Writer{o.Stdout, o.Stderr} {
		if _, ok := w.(*os.File); !ok && w != nil {
			return false
		}
	}
	return true
}

// stopResult is what the keeper's "stopped" line says, or a kill when it
// said nothing.
func (p *keptProcess) stopResult(start time.Time) runner.StopResult {
	res := runner.StopResult{Duration: time.Since(start)}
	p.mu.Lock()
	stopped := p.stopped
	p.mu.Unlock()
	killed, reason, _ := strings.Cut(stopped, " ")
	if killed == "true" || stopped == "" {
		res.Killed = true
		res.Reason = reason
		if reason == "" {
			res.Reason = "stopped at once on request"
		}
	}
	return res
}

// RunKeeper is the keeper's main: start the program, report its pid and
// exit, reap every orphan of its tree, and stop the tree when asked or
// when golive is gone. It returns the keeper's exit status.
func RunKeeper() int {
	lifeline := os.NewFile(3, "lifeline")
	report := os.NewFile(4, "report")
	if lifeline == nil || report == nil {
		fmt.Fprintln(os.Stderr, "golive keeper: started without its pipes")
		return 2
	}
	// The program must not inherit the pipes: the lifeline would outlive
	// the keeper in it, and golive would wait for the report's EOF.
	syscall.CloseOnExec(3)
	syscall.CloseOnExec(4)
	k := &keeper{report: report}
	// Everything that needs no spec is done while the keeper waits for
	// one: it would otherwise sit between the old program's stop and the
	// new start (Go's first signal.Notify starts a thread: 1–2 ms).
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		k.say("error keeper: become a subreaper: %v", err)
		return 2
	}
	k.term = make(chan os.Signal, 1)
	signal.Notify(k.term, syscall.SIGTERM)
	// Caught, not ignored: an ignored signal stays ignored across exec, and
	// the program must keep the default actions (a stop_signal of SIGINT
	// or SIGHUP has to work on a program without handlers).
	signal.Notify(make(chan os.Signal, 1), syscall.SIGINT, syscall.SIGHUP, syscall.SIGTTIN, syscall.SIGTTOU)
	line, err := k.readSpec(lifeline)
	if len(line) == 0 && (errors.Is(err, io.EOF) || errors.Is(err, errStoppedUnused)) {
		return 0 // a spare that golive closed, or stopped, unused
	}
	var spec keeperSpec
	if err == nil {
		err = json.Unmarshal(line, &spec)
	}
	if err != nil {
		k.say("error keeper: bad spec: %v", err)
		return 2
	}
	return k.run(spec, lifeline)
}

// errStoppedUnused is a spare's SIGTERM before its spec.
var errStoppedUnused = errors.New("stopped before a spec came")

// readSpec reads the spec line. A keeper started ahead may wait for it
// for hours: if it has not come within specWait, what the keeper's
// start-up read goes back to the page cache meanwhile. One started for a
// program at once, or beside a build (which most often ends within
// specWait), gets it sooner and skips that: its start then needs no page
// back, and the drop takes no CPU from the build.
func (k *keeper) readSpec(lifeline *os.File) ([]byte, error) {
	type result struct {
		line []byte
		err  error
	}
	got := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(lifeline).ReadBytes('\n')
		got <- result{line, err}
	}()
	select {
	case r := <-got:
		return r.line, r.err
	case <-k.term:
		return nil, errStoppedUnused
	case <-time.After(specWait):
		resident.DropCode()
	}
	select {
	case r := <-got:
		return r.line, r.err
	case <-k.term:
		return nil, errStoppedUnused
	}
}

// specWait is how long a keeper waits for its spec before it hands its
// start-up pages back.
const specWait = 2 * time.Second

type keeper struct {
	report    *os.File
	term      chan os.Signal // SIGTERM: stop the tree
	pid       int            // the program
	signalled map[int]bool   // given the stop signal (signalTree); nil before
	// signalledAt is the clock tick the group's stop signal was sent in
	// (procgroup.Tick).
	signalledAt uint64
}

func (k *keeper) say(format string, args ...any) {
	fmt.Fprintf(k.report, format+"\n", args...)
}

func (k *keeper) run(spec keeperSpec, lifeline *os.File) int {
	pid, err := syscall.ForkExec(spec.Bin, append([]string{spec.Bin}, spec.Args...), &syscall.ProcAttr{
		Dir: spec.Dir, Env: spec.Env, Files: []uintptr{0, 1, 2},
		Sys: &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		k.say("error %v", err)
		return 1
	}
	k.pid = pid
	k.say("pid %d", pid)
	// What the keeper's start-up ran goes back once the program's own
	// start has had the cores: reading smaps and dropping takes a few
	// milliseconds of CPU, and the keeper then waits, for hours.
	drop := time.After(dropAfter)

	gone := make(chan struct{}) // golive closed the lifeline, or died
	go func() {
		buf := make([]byte, 64)
		for {
			if _, err := lifeline.Read(buf); err != nil {
				close(gone)
				return
			}
			// The stop line: a pipe wakes the keeper sooner than a
			// signal, which goes through Go's signal goroutine.
			select {
			case k.term <- syscall.SIGTERM:
			default:
			}
		}
	}()
	reaped := make(chan struct{}) // closed on ECHILD: no descendant left
	go k.reap(reaped)

	stopSig := syscall.Signal(spec.StopSignal)
	if stopSig == 0 {
		stopSig = syscall.SIGTERM
	}
	var deadline, again <-chan time.Time
	resignal := time.NewTicker(resignalEvery)
	resignal.Stop()
	defer resignal.Stop()
	stopping, killed, reason := false, false, ""
	for {
		select {
		case <-drop:
			drop = nil
			resident.DropCode()
		case <-k.term:
			drop = nil // the keeper exits soon: no CPU taken from the stop
			// With nothing left (reaped closed), the program's group id
			// may already name someone else's group: signal no one.
			if !stopping && reaped != nil {
				k.signalTree(stopSig)
				deadline = time.After(time.Duration(spec.StopTimeout))
				resignal.Reset(resignalEvery)
				again = resignal.C
			}
			stopping = true
		case <-again:
			if !killed && reaped != nil {
				k.signalTree(stopSig)
			}
		case <-deadline:
			killed, reason = true, "did not stop within "+time.Duration(spec.StopTimeout).String()
			k.killTree()
		case <-gone:
			gone, drop = nil, nil
			stopping = true
			if reaped != nil {
				if !killed {
					killed, reason = true, "stopped at once on request"
				}
				k.killTree()
			}
		case <-reaped:
			reaped = nil
			if !stopping {
				// The program and all it started have ended by
				// themselves; wait for golive to ask, or to go.
				continue
			}
		}
		if stopping && reaped == nil {
			k.say("stopped %t %s", killed, reason)
			return 0
		}
	}
}

// dropAfter is how long after the program's start the keeper hands back
// its start-up pages: with runner.PrepareAfter, so that the work after a
// start is done in one quiet moment, before a save is likely.
const dropAfter = 300 * time.Millisecond

// resignalEvery is how often a stopping tree is walked again for a
// descendant that has not had the stop signal.
const resignalEvery = 50 * time.Millisecond

// reap waits for every child, the program and the orphans re-parented to
// the keeper, and reports the program's exit. The keeper starts no other
// process, so wait4(-1) steals no one's status here.
func (k *keeper) reap(done chan<- struct{}) {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil { // ECHILD: nothing left
			close(done)
			return
		}
		if pid == k.pid {
			if ws.Signaled() {
				k.say("exit -1 %s", signals.Name(ws.Signal()))
			} else {
				k.say("exit %d ", ws.ExitStatus())
			}
		}
	}
}

// signalTree sends sig to the program's group and to every descendant
// outside it (a setsid escaper is in a group of its own) that it has not
// signalled yet: called again while the tree stops, it reaches one that
// was forked since, or that a walk missed. It avoids signalling one twice
// (a second SIGINT or SIGTERM often means "now" to a program), with one
// exception, below.
//
// A process the first walk finds in the group was reached by the group's
// signal only if it was there before it: one the program forks as the
// signal arrives (a handler that starts a helper) may be walked before
// it leaves the group, or stay in it, and would otherwise never get the
// signal. So a group member counts as signalled only if it started in a
// clock tick (10 ms) before the signal's; one forked in the same tick
// gets a signal of its own, which is a second one if it was forked just
// before the group's: the lesser harm against a stop that waits out its
// timeout and kills.
func (k *keeper) signalTree(sig syscall.Signal) {
	if k.signalled == nil {
		k.signalledAt = procgroup.Tick()
		syscall.Kill(-k.pid, sig)
		k.signalled = map[int]bool{}
	}
	for _, pid := range procgroup.Descendants(os.Getpid()) {
		if k.signalled[pid] {
			continue
		}
		k.signalled[pid] = true
		if reachedByGroup(pid, k.pid, k.signalledAt) {
			continue // on any walk: one the first missed had it too
		}
		syscall.Kill(pid, sig)
	}
}

// reachedByGroup reports whether pid had the signal sent to group at tick
// at: it is in the group and started before that tick.
func reachedByGroup(pid, group int, at uint64) bool {
	pgid, start, ok := procgroup.GroupAndStart(pid)
	return ok && pgid == group && at > 0 && start < at
}

// killTree SIGKILLs the tree. A process may fork between the walk and
// the kill, so it walks again until a walk finds nothing alive, and
// confirms that with a scan of /proc, which a reap beside it cannot
// make skip a process (Descendants).
func (k *keeper) killTree() {
	for range 50 {
		syscall.Kill(-k.pid, syscall.SIGKILL)
		alive := procgroup.Descendants(os.Getpid())
		if len(alive) == 0 {
			if alive = procgroup.DescendantsByScan(os.Getpid()); len(alive) == 0 {
				return
			}
		}
		for _, pid := range alive {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

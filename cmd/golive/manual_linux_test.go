package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golive-dev/golive/internal/testkit"
)

// ttyLeaderEnv makes the test binary the session leader of
// TestManualRebuildTerminal: a stand-in for the user's shell, which alone
// can move the terminal's foreground between its jobs.
const ttyLeaderEnv = "GOLIVE_TEST_TTY_LEADER"

func init() {
	// Before TestMain: the leader is neither a test run nor a command of
	// testscript.Main.
	if os.Getenv(ttyLeaderEnv) == "1" {
		os.Exit(ttyLeader(os.Args[1:]))
	}
}

// TestManualRebuildTerminal runs golive with a pseudo-terminal as its
// stdin and controlling terminal, as a job of a shell-like session leader:
// "r" and Enter typed while golive is the foreground job rebuilds and
// restarts the program; typed while it is a background job (Ctrl-Z, then
// bg), it neither rebuilds nor stops golive, and the line waits for golive
// to be brought back (fg); the same when another job takes the terminal
// while golive runs. Ctrl-C then stops golive and all it started.
func TestManualRebuildTerminal(t *testing.T) {
	t.Parallel()
	ptm, pts := openPTY(t)
	dir := t.TempDir()
	writeEditorFiles(t, dir, manualFixture)
	golive, err := exec.LookPath("golive")
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(t.TempDir(), "golive.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer cmdW.Close()

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	leader := exec.Command(exe, golive, "-C", dir, "--events", filepath.Join(dir, "events.jsonl"))
	leader.Env = append(manualEnv(t), ttyLeaderEnv+"=1")
	leader.Stdin = pts
	leader.Stderr = out
	leader.ExtraFiles = []*os.File{cmdR}
	replies, err := leader.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	leader.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := leader.Start(); err != nil {
		t.Fatal(err)
	}
	cmdR.Close()
	pts.Close() // the session leader holds it now
	leaderDone := make(chan error, 1)
	go func() { leaderDone <- leader.Wait() }()
	t.Cleanup(func() {
		leader.Process.Kill()
		<-leaderDone
	})
	rd := bufio.NewReader(replies)
	reply := func() string {
		t.Helper()
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("session leader: %v; golive's output:\n%s", err, readFile(t, out.Name()))
		}
		return strings.TrimSpace(line)
	}
	tell := func(command string) {
		t.Helper()
		if _, err := fmt.Fprintln(cmdW, command); err != nil {
			t.Fatal(err)
		}
		if got := reply(); got != "ok" {
			t.Fatalf("%s: session leader answered %q", command, got)
		}
	}
	pid, err := strconv.Atoi(reply())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if fg, err := unix.IoctlGetInt(int(ptm.Fd()), unix.TIOCGPGRP); err != nil || fg != pid {
		t.Fatalf("terminal's foreground group = %d (%v), want golive's, %d", fg, err, pid)
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		if !testkit.Within(scriptTimeout, ok) {
			t.Fatalf("no %s after %s; golive's output:\n%s", what, scriptTimeout, readFile(t, out.Name()))
		}
	}
	requests := func() int { return strings.Count(readFile(t, out.Name()), "rebuild requested") }
	pids := []string{}
	waitStart := func(n int) {
		t.Helper()
		waitFor(fmt.Sprintf("start %d", n), func() bool {
			return countEvents(filepath.Join(dir, "events.jsonl"), "start") >= n
		})
		waitFor(fmt.Sprintf("pid file of program %d", n), func() bool {
			p := strings.TrimSpace(readFile(t, filepath.Join(dir, "pid")))
			return p != "" && (len(pids) == 0 || p != pids[len(pids)-1])
		})
		pids = append(pids, strings.TrimSpace(readFile(t, filepath.Join(dir, "pid"))))
	}
	typeLine := func(s string) {
		t.Helper()
		if _, err := ptm.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	waitStart(1)

	// In the foreground: "r" and Enter rebuilds and restarts.
	typeLine("r\n")
	waitFor("rebuild requested", func() bool { return requests() == 1 })
	waitStart(2)
	if n := countEvents(filepath.Join(dir, "events.jsonl"), "build_start"); n != 2 {
		t.Fatalf("%d builds after r, want 2", n)
	}

	// In the background, whether stopped and continued there by the shell
	// (Ctrl-Z, then bg) or left running while another job of the session
	// takes the terminal, a read fails: golive keeps running and leaves
	// the line to the foreground job. Nothing marks the moment golive has
	// looked at the terminal, so it is watched for a second, two of its
	// polls; a failure shows at once. Back in the foreground (fg), golive
	// reads the line typed meanwhile.
	for i, away := range []string{"bg", "take"} {
		tell(away)
		typeLine("r\n")
		// Watched for a second: Within ends early only if a check fails.
		testkit.Within(time.Second, func() bool {
			if s := procState(t, pid); s == 'T' {
				t.Fatalf("%s: golive is stopped in the background; output:\n%s", away, readFile(t, out.Name()))
			}
			if n := requests(); n != 1+i {
				t.Fatalf("%s: %d rebuild requests with golive in the background, want %d; output:\n%s", away, n, 1+i, readFile(t, out.Name()))
			}
			return false
		})
		tell("fg")
		waitFor("rebuild requested after fg", func() bool { return requests() == 2+i })
		waitStart(3 + i)
	}

	// Ctrl-C reaches golive's group only; golive stops the program and
	// exits 0, and nothing of the session is left but its leader.
	typeLine("\x03")
	if got := reply(); got != "exit 0" {
		t.Fatalf("golive: %s, want exit 0; output:\n%s", got, readFile(t, out.Name()))
	}
	for _, p := range pids {
		n, _ := strconv.Atoi(p)
		waitFor(fmt.Sprintf("end of program %d", n), func() bool { return !processLives(n) })
	}
	waitFor("empty session", func() bool {
		left := sessionMembers(t, leader.Process.Pid)
		return len(left) == 1 && left[0] == leader.Process.Pid
	})
	if n := requests(); n != 3 {
		t.Fatalf("%d rebuild requests, want 3", n)
	}
}

// The program records its pid and waits to be stopped.
var manualFixture = map[string]string{
	"go.mod": "module example.com/app\n\ngo 1.22\n",
	"main.go": `package main

import (
	"context"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	os.WriteFile("pid.tmp", []byte(strconv.Itoa(os.Getpid())), 0o644)
	os.Rename("pid.tmp", "pid")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
}
`,
}

// manualEnv is the environment setupScript gives scripts, for a golive
// started by hand: warm, offline builds and no colour.
func manualEnv(t *testing.T) []string {
	t.Helper()
	env := os.Environ()
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, k+"="+strings.TrimSpace(string(out)))
	}
	return append(env, "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local", "NO_COLOR=1")
}

// ttyLeader is the session leader: it starts golive (args) as its
// foreground job on the terminal on stdin and prints golive's pid. It then
// obeys commands read from fd 3, answering "ok": "bg" is Ctrl-Z then bg,
// "take" gives the terminal to the leader without stopping golive, and
// "fg" gives it back. It prints "exit CODE" when golive exits.
func ttyLeader(args []string) int {
	os.Unsetenv(ttyLeaderEnv)
	// Moving the foreground away from golive is done from the background.
	signal.Ignore(syscall.SIGTTOU)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stderr, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Foreground: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "tty leader:", err)
		return 1
	}
	pid := cmd.Process.Pid
	fmt.Println(pid)
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		fmt.Println("exit", cmd.ProcessState.ExitCode())
		close(done)
	}()
	commands := bufio.NewScanner(os.NewFile(3, "commands"))
	for commands.Scan() {
		var err error
		switch commands.Text() {
		case "bg":
			err = syscall.Kill(-pid, syscall.SIGTSTP)
			for err == nil && procStateOf(pid) != 'T' {
				time.Sleep(5 * time.Millisecond)
			}
			if err == nil {
				err = unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, unix.Getpgrp())
			}
			if err == nil {
				err = syscall.Kill(-pid, syscall.SIGCONT)
			}
		case "take":
			err = unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, unix.Getpgrp())
		case "fg":
			err = unix.IoctlSetPointerInt(0, unix.TIOCSPGRP, pid)
			if err == nil {
				err = syscall.Kill(-pid, syscall.SIGCONT)
			}
		default:
			err = fmt.Errorf("unknown command %q", commands.Text())
		}
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println("ok")
	}
	<-done
	return 0
}

// openPTY opens a pseudo-terminal, neither end of which becomes this
// process's controlling terminal.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	ptm, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { ptm.Close() })
	fd := int(ptm.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatalf("pty number: %v", err)
	}
	pts, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { pts.Close() })
	return ptm, pts
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}

// procStateOf is the state letter of /proc/PID/stat (R, S, T, Z...), or 0.
func procStateOf(pid int) byte {
	fields := procStat(pid)
	if len(fields) < 1 {
		return 0
	}
	return fields[0][0]
}

func procState(t *testing.T, pid int) byte {
	t.Helper()
	s := procStateOf(pid)
	if s == 0 {
		t.Fatalf("golive (pid %d) is gone", pid)
	}
	return s
}

// procStat is /proc/PID/stat from the state field on.
func procStat(pid int) []string {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(data[i+1:]))
}

// sessionMembers lists the live processes of session sid.
func sessionMembers(t *testing.T, sid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		// state ppid pgrp session ...
		f := procStat(pid)
		if len(f) > 3 && f[0] != "Z" && f[3] == strconv.Itoa(sid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

package runner

import (
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the programs the supervisor tests run: with
// GOLIVE_HELPER set it becomes that program instead of running tests.
func TestMain(m *testing.M) {
	if IsKeeper() {
		os.Exit(RunKeeper())
	}
	if mode := os.Getenv("GOLIVE_HELPER"); mode != "" {
		helper(mode)
		return
	}
	// Race-enabled binaries sleep a second at exit to catch late races;
	// the keepers and helper programs these tests start are such binaries.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	BecomeSubreaper()
	os.Exit(m.Run())
}

func helper(mode string) {
	switch mode {
	case "serve": // graceful: exits 0 on SIGTERM
		ln := listen()
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
		fmt.Println("ready")
		<-sigs
		ln.Close()
		os.Exit(0)
	case "stubborn": // ignores SIGTERM and SIGINT
		signal.Ignore(syscall.SIGTERM, os.Interrupt)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "spawn": // listens and leaves a grandchild behind that ignores SIGTERM
		ln := listen()
		defer ln.Close()
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		child.Stdout = os.Stdout
		if err := child.Start(); err != nil {
			panic(err)
		}
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "spawn-setsid": // listens and leaves a grandchild that calls setsid, holds the listening socket and ignores SIGTERM
		ln := listen()
		defer ln.Close()
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			panic(err)
		}
		child := exec.Command(os.Args[0])
		child.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		child.Stdout = os.Stdout
		child.ExtraFiles = []*os.File{f}
		child.SysProcAttr = newSessionAttr()
		if err := child.Start(); err != nil {
			panic(err)
		}
		f.Close()
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(child.Process.Pid)), 0o644)
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "handover": // listens; the first one also leaves a setsid grandchild that holds the port a while after it died
		ln := listen()
		if f, err := os.OpenFile(os.Getenv("GOLIVE_ONCE"), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
			f.Close()
			lnf, err := ln.(*net.TCPListener).File()
			if err != nil {
				panic(err)
			}
			r, w, err := os.Pipe() // EOF on r: this process is gone
			if err != nil {
				panic(err)
			}
			gc := exec.Command(os.Args[0])
			gc.Env = append(os.Environ(), "GOLIVE_HELPER=linger")
			gc.ExtraFiles = []*os.File{lnf, r}
			gc.SysProcAttr = newSessionAttr()
			if err := gc.Start(); err != nil {
				panic(err)
			}
			lnf.Close()
			r.Close()
			defer w.Close()
		}
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGTERM)
		fmt.Println("ready", os.Getpid())
		<-sigs
		os.Exit(0)
	case "linger": // fd 3 a listening socket, fd 4 a pipe: holds the socket until 300ms after the pipe's EOF
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(os.Getpid())), 0o644)
		io.Copy(io.Discard, os.NewFile(4, "parent"))
		time.Sleep(300 * time.Millisecond)
		os.Exit(0)
	case "escape": // a middle process starts a setsid grandchild and exits
		mid := exec.Command(os.Args[0])
		mid.Env = append(os.Environ(), "GOLIVE_HELPER=setsid-and-exit")
		mid.Stdout = os.Stdout
		if err := mid.Run(); err != nil {
			panic(err)
		}
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "setsid-and-exit":
		gc := exec.Command(os.Args[0])
		gc.Env = append(os.Environ(), "GOLIVE_HELPER=stubborn")
		gc.Stdout = os.Stdout
		gc.SysProcAttr = newSessionAttr()
		if err := gc.Start(); err != nil {
			panic(err)
		}
		os.WriteFile(os.Getenv("GOLIVE_PIDFILE"), []byte(fmt.Sprint(gc.Process.Pid)), 0o644)
		os.Exit(0)
	case "golive": // a stand-in for golive: runs an escaping program, then waits to be killed
		p, err := StartProcess(os.Args[0], RunOptions{
			Env:    append(os.Environ(), "GOLIVE_HELPER=escape"),
			Stdout: os.Stdout, Stderr: os.Stderr,
			StopSignal: syscall.SIGTERM, StopTimeout: time.Second,
		})
		if err != nil {
			panic(err)
		}
		fmt.Println("program", p.PID())
		time.Sleep(time.Hour)
	case "fds": // lists the descriptors it inherited beyond stdio
		entries, _ := os.ReadDir("/proc/self/fd")
		var fds []string
		for _, e := range entries {
			if n, err := strconv.Atoi(e.Name()); err == nil && n > 2 {
				if target, _ := os.Readlink("/proc/self/fd/" + e.Name()); !strings.HasPrefix(target, "/proc/") {
					fds = append(fds, e.Name()+"->"+target)
				}
			}
		}
		fmt.Printf("fds [%s]\n", strings.Join(fds, " "))
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "plain": // no signal handling: default actions apply
		fmt.Println("ready")
		time.Sleep(time.Hour)
	case "exit3":
		fmt.Println("ready")
		os.Exit(3)
	}
}

func listen() net.Listener {
	ln, err := net.Listen("tcp", os.Getenv("GOLIVE_ADDR"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "listen:", err)
		os.Exit(4)
	}
	return ln
}

// lineWaiter is an io.Writer that signals every write, so tests wait on
// output with a timeout instead of sleeping.
type lineWaiter struct {
	ch chan string
}

func newLineWaiter() *lineWaiter { return &lineWaiter{ch: make(chan string, 100)} }

func (w *lineWaiter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.ch <- l
	}
	return len(p), nil
}

func (w *lineWaiter) wait(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l := <-w.ch:
			if strings.Contains(l, want) {
				return
			}
		case <-timeout:
			t.Fatalf("no line with %q within 20s", want)
		}
	}
}

// helperOptions returns RunOptions that run the test binary as helper mode.
func helperOptions(t *testing.T, mode string, out *lineWaiter, direct bool) RunOptions {
	return RunOptions{
		Direct:      direct,
		Dir:         t.TempDir(),
		Env:         append(os.Environ(), "GOLIVE_HELPER="+mode, "GOLIVE_PIDFILE="+filepath.Join(t.TempDir(), "pid")),
		Stdout:      out,
		Stderr:      out,
		StopSignal:  syscall.SIGTERM,
		StopTimeout: 5 * time.Second,
	}
}

// pidfileOf returns the GOLIVE_PIDFILE that helperOptions chose.
func pidfileOf(opts RunOptions) string {
	for _, kv := range opts.Env {
		if f, ok := strings.CutPrefix(kv, "GOLIVE_PIDFILE="); ok {
			return f
		}
	}
	return ""
}

// readPid waits up to 20s for a helper to write a pid into path.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if pid, perr := strconv.Atoi(string(data)); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

package debug

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
)

func TestMain(m *testing.M) {
	if supervise.IsKeeper() {
		os.Exit(supervise.RunKeeper())
	}
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	os.Exit(m.Run())
}

// app is a server whose / handler (line 12) answers answer(); /health
// does not stop at the breakpoint.
const app = `package main

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"strings"
)

func main() {
	http.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, answer())
	})
	http.HandleFunc("/exit", func(w http.ResponseWriter, r *http.Request) { os.Exit(3) })
	line := make(chan string, 1)
	go func() { s, _ := bufio.NewReader(os.Stdin).ReadString('\n'); line <- s }()
	http.HandleFunc("/input", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s|%s|%s", strings.Join(os.Args[1:], " "), os.Getenv("GREETING"), strings.TrimSpace(<-line))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

const handlerLine = 14

func answer(v string, extra int) string {
	s := "package main\n\nfunc answer() string {\n"
	for i := range extra {
		s += fmt.Sprintf("\tif n := %d; n < 0 {\n\t\tpanic(n)\n\t}\n", i)
	}
	return s + "\treturn \"" + v + "\"\n}\n"
}

// dlvOrSkip finds delve, or skips with the reason.
func dlvOrSkip(t *testing.T) string {
	home, _ := os.UserHomeDir()
	dlv, err := Find(filepath.Join(home, "go", "bin"))
	if err != nil {
		t.Skipf("%v (.ci/run installs it)", err)
	}
	return dlv
}

// build builds dir's program as golive does under --debug: beside the
// binary, then renamed onto it.
func build(t *testing.T, dir, bin string) {
	t.Helper()
	tmp := bin + ".new"
	cmd := exec.Command("go", "build", "-gcflags=all=-N -l", "-o", tmp, ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
}

// debugged is the program started under delve by the package's Starter,
// and a second client, as an editor would be.
type debugged struct {
	starter *Starter
	prog    *Program
	editor  *client
	port    string
	events  *testkit.Events
}

func startDebugged(t *testing.T) (*debugged, string, string) {
	t.Helper()
	dlv := dlvOrSkip(t)
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod": "module example.com/app\n\ngo 1.22\n", "main.go": app, "answer.go": answer("v1", 3),
	})
	bin := filepath.Join(t.TempDir(), "app")
	build(t, dir, bin)
	port := strings.TrimPrefix(testkit.FreeAddr(t), "127.0.0.1:")
	listen := testkit.FreeAddr(t)
	evs := testkit.NewEvents()
	sup := &supervise.Starter{Opts: supervise.Options{
		Dir: dir, Env: append(os.Environ(), "PORT="+port, "GREETING=hello"), Stdout: io.Discard, Stderr: io.Discard,
		Args: []string{"-name", "two words"}, Stdin: strings.NewReader("typed\n"),
		StopSignal: syscall.SIGTERM, StopTimeout: 5 * time.Second,
	}}
	st := &Starter{Starter: sup, Dlv: dlv, Listen: listen, Log: events.New(evs, events.Options{JSON: true})}
	sup.Under = st.Under
	p, err := st.Start(bin)
	if err != nil {
		t.Fatal(err)
	}
	prog := p.(*Program)
	t.Cleanup(func() {
		defer st.Close()
		res := prog.Stop(nil)
		if testkit.Running(prog.PID()) {
			t.Errorf("delve, pid %d, outlived its stop (%+v)", prog.PID(), res)
		}
	})
	if ev := evs.Next(t, events.DebugReady); ev.Address != listen {
		t.Errorf("debug_ready %+v, want address %s", ev, listen)
	}
	editor, err := dial(listen, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { editor.Close() })
	d := &debugged{starter: st, prog: prog, editor: editor, port: port, events: evs}
	d.get(t, "/health")
	return d, dir, bin
}

func (d *debugged) get(t *testing.T, path string) string {
	t.Helper()
	var body string
	var err error
	if !testkit.Within(testkit.Timeout, func() bool {
		var resp *http.Response
		resp, err = http.Get("http://127.0.0.1:" + d.port + path)
		if err != nil {
			return false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		return true
	}) {
		t.Fatalf("GET %s: %v", path, err)
	}
	return body
}

// getLater GETs path in the background (fetch), for a handler that
// stops at a breakpoint.
func (d *debugged) getLater(path string) <-chan string {
	answered := make(chan string, 1)
	go func() { answered <- d.fetch(path) }()
	return answered
}

// createBreakpoint sets a breakpoint as an editor does: delve takes one
// only from a stopped target, so halt, set, continue.
func (c *client) createBreakpoint(t *testing.T, file string, line int) {
	t.Helper()
	if err := c.halt(); err != nil {
		t.Fatal(err)
	}
	defer c.goOn()
	var out map[string]any
	in := map[string]any{"Breakpoint": map[string]any{"file": file, "line": line}}
	if err := c.rpc.Call("RPCServer.CreateBreakpoint", in, &out); err != nil {
		t.Fatalf("CreateBreakpoint %s:%d: %v", file, line, err)
	}
}

// TestRestartInPlace: an editor's client sets a breakpoint in a handler;
// a new binary is restarted in place; the same client, still connected,
// sees the breakpoint hit in the new binary, and the handler then
// answers with the new code.
func TestRestartInPlace(t *testing.T) {
	d, dir, bin := startDebugged(t)
	d.editor.createBreakpoint(t, filepath.Join(dir, "main.go"), handlerLine)
	d.get(t, "/health")

	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v2", 3))
	build(t, dir, bin)
	pid := d.prog.PID()
	res := d.prog.Replace(bin)
	if res.Err != nil {
		t.Fatalf("Replace: %v", res.Err)
	}
	if len(res.Discarded) != 0 || d.prog.PID() != pid {
		t.Errorf("Replace: %+v, pid %d (was %d); want no breakpoint discarded, the same delve", res, d.prog.PID(), pid)
	}
	d.get(t, "/health")

	answered := d.getLater("/")
	var st *debuggerState
	testkit.Until(t, testkit.Timeout, "the breakpoint hit in the new binary", func() bool {
		var err error
		st, err = d.editor.state()
		return err == nil && !st.Running && st.CurrentThread != nil && st.CurrentThread.Breakpoint != nil
	})
	if st.CurrentThread.Line != handlerLine || filepath.Base(st.CurrentThread.File) != "main.go" {
		t.Errorf("stopped at %s:%d, want main.go:%d", st.CurrentThread.File, st.CurrentThread.Line, handlerLine)
	}
	d.editor.goOn()
	if got := d.answer(t, answered); got != "v2" {
		t.Errorf("the handler answered %q, want the new code's v2", got)
	}

	// Stopped at a breakpoint when the next binary comes: restarted all
	// the same, and said so.
	go http.Get("http://127.0.0.1:" + d.port + "/")
	testkit.Until(t, testkit.Timeout, "the breakpoint hit again", func() bool {
		st, err := d.editor.state()
		return err == nil && !st.Running && st.CurrentThread != nil && st.CurrentThread.Breakpoint != nil
	})
	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v3", 3))
	build(t, dir, bin)
	if res := d.prog.Replace(bin); res.Err != nil || !strings.Contains(res.Note, "stopped at a breakpoint") {
		t.Errorf("Replace while stopped: %+v", res)
	}
}

// TestDiscardedBreakpoint: a breakpoint on a line the new code no longer
// has is reported as discarded.
func TestDiscardedBreakpoint(t *testing.T) {
	d, dir, bin := startDebugged(t)
	answerFile := filepath.Join(dir, "answer.go")
	d.editor.createBreakpoint(t, answerFile, 10) // the third "if n := i" line
	testkit.WriteFile(t, answerFile, answer("v2", 0))
	build(t, dir, bin)
	res := d.prog.Replace(bin)
	if res.Err != nil {
		t.Fatalf("Replace: %v", res.Err)
	}
	if len(res.Discarded) != 1 || filepath.Base(res.Discarded[0].File) != "answer.go" || res.Discarded[0].Line != 10 || res.Discarded[0].Reason == "" {
		t.Fatalf("discarded %+v, want answer.go:10 with a reason", res.Discarded)
	}
	if got := d.get(t, "/"); got != "v2" {
		t.Errorf("answer %q, want v2", got)
	}
}

// TestReplaceFails: with golive's connection to delve gone, Replace
// reports an error (the loop then stops and starts delve again) rather
// than hanging or panicking.
func TestReplaceFails(t *testing.T) {
	d, _, bin := startDebugged(t)
	d.prog.client.Close()
	if res := d.prog.Replace(bin); res.Err == nil {
		t.Fatalf("Replace with no connection: %+v, want an error", res)
	}
}

// TestFallbackKeepsTheAddress: when the in-place restart fails, the
// loop stops delve and starts a new one (runner's replace, then start);
// the new delve serves the same editor address, an editor that attaches
// again sets a breakpoint that the new binary hits, and the handler
// answers with the new code.
func TestFallbackKeepsTheAddress(t *testing.T) {
	d, dir, bin := startDebugged(t)
	listen := d.prog.listen
	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v2", 3))
	build(t, dir, bin)
	d.prog.client.Close() // the in-place restart cannot reach delve
	if res := d.prog.Replace(bin); res.Err == nil {
		t.Fatalf("Replace with no connection: %+v, want an error", res)
	}
	old := d.prog.PID()
	d.prog.Stop(nil)
	if testkit.Running(old) {
		t.Fatalf("the first delve, pid %d, outlived its stop", old)
	}
	p, err := d.starter.Start(bin)
	if err != nil {
		t.Fatalf("a new delve after the failed restart: %v", err)
	}
	t.Cleanup(func() { p.Stop(nil) }) // before startDebugged's Close
	if ev := d.events.Next(t, events.DebugReady); ev.Address != listen || ev.PID == old {
		t.Errorf("debug_ready %+v, want address %s and a new delve (not pid %d)", ev, listen, old)
	}
	editor, err := dial(listen, time.Second)
	if err != nil {
		t.Fatalf("the editor attaches again to %s: %v", listen, err)
	}
	defer editor.Close()
	d.get(t, "/health") // the new program listens
	editor.createBreakpoint(t, filepath.Join(dir, "main.go"), handlerLine)
	answered := d.getLater("/")
	testkit.Until(t, testkit.Timeout, "the breakpoint hit in the new delve", func() bool {
		st, err := editor.state()
		return err == nil && !st.Running && st.CurrentThread != nil && st.CurrentThread.Breakpoint != nil
	})
	editor.goOn()
	if got := d.answer(t, answered); got != "v2" {
		t.Errorf("the handler answered %q, want the new code's v2", got)
	}
}

func TestFindNamesTheInstall(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Find(t.TempDir())
	if err == nil || err.Error() != "--debug needs delve: install it with go install github.com/go-delve/delve/cmd/dlv@"+Version {
		t.Errorf("Find with no dlv: %v", err)
	}
}

// TestInputReachesTheProgram: run.args, the environment and stdin pass
// through delve to the program.
func TestInputReachesTheProgram(t *testing.T) {
	d, _, _ := startDebugged(t)
	if got := d.get(t, "/input"); got != "-name two words|hello|typed" {
		t.Errorf("the program got %q, want -name two words|hello|typed", got)
	}
}

// TestRestartAfterCrash: delve outlives a target that exited; the next
// binary is restarted in place all the same.
func TestRestartAfterCrash(t *testing.T) {
	d, dir, bin := startDebugged(t)
	http.Get("http://127.0.0.1:" + d.port + "/exit")
	select {
	case <-d.prog.Done():
	case <-time.After(testkit.Timeout):
		t.Fatal("Done did not close when the target exited")
	}
	if code, sig := d.prog.Exit(); code != 3 || sig != "" {
		t.Errorf("Exit() = %d %q, want the target's 3", code, sig)
	}
	if !testkit.Running(d.prog.PID()) {
		t.Fatal("delve ended with its target")
	}
	testkit.WriteFile(t, filepath.Join(dir, "answer.go"), answer("v2", 3))
	build(t, dir, bin)
	if res := d.prog.Replace(bin); res.Err != nil {
		t.Fatalf("Replace after the target exited: %v", res.Err)
	}
	if got := d.get(t, "/"); got != "v2" {
		t.Errorf("answer %q, want v2", got)
	}
	select {
	case <-d.prog.Done():
		t.Error("Done is still closed for the new target")
	default:
	}
}

// TestCloseWithIdleEditor: a connection to the editor's address that
// never says anything does not hold golive's exit.
func TestCloseWithIdleEditor(t *testing.T) {
	d, _, _ := startDebugged(t)
	idle, err := net.Dial("tcp", d.prog.listen)
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	time.Sleep(100 * time.Millisecond) // accepted, waiting for its first byte
	d.prog.Stop(nil)
	closed := make(chan struct{})
	go func() { d.starter.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(testkit.Timeout):
		t.Fatal("Close hung on an idle connection")
	}
}

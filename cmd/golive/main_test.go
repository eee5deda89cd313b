package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/internal/testkit"
)

// TestMain makes this test binary the golive command inside scripts.
func TestMain(m *testing.M) {
	if supervise.IsKeeper() {
		os.Exit(supervise.RunKeeper())
	}
	// Race-enabled binaries sleep a second at exit to catch late races;
	// the keepers and helper programs these tests start are such binaries.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	testscript.Main(m, map[string]func(){
		"golive":    func() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		"stdinfrom": stdinFrom,
	})
}

// TestScripts runs golive end to end, as a user would, on the small
// modules in testdata/script. Besides testscript's own commands and the
// golive binary, a script has these, each documented where it is
// defined; every one that waits polls through testkit.Within, for at
// most scriptTimeout:
//
//	checkevents FILE    FILE's events (or stderr's) follow docs/events.md
//	eventpid FILE TYPE OUT  the pid of FILE's first TYPE event written to OUT
//	events FILE TYPE N  FILE holds exactly N events of TYPE
//	exitcode N CMD...   CMD exits with status N
//	expandenv FILE...   $VAR in FILE becomes the script's value
//	feed NAME TEXT...   a line typed into the named pipe NAME
//	fixture NAME        testdata/NAME's files copied in (the shared server)
//	freeport NAME       $NAME set to a free loopback port
//	gone FILE...        the processes whose pids FILE holds are gone
//	httpget URL WANT    URL answers a body holding WANT
//	mkfifo NAME         a named pipe, held open for feed
//	signal NAME SIG     SIG sent to the background command NAME
//	waitevent FILE TYPE [N]  FILE holds N events of TYPE
//	waitfile FILE       FILE exists
func TestScripts(t *testing.T) {
	t.Parallel()
	fixtures, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:   "testdata/script",
		Setup: setupScript,
		Condition: func(cond string) (bool, error) {
			if cond != "userns" {
				return false, fmt.Errorf("unknown condition %q", cond)
			}
			return userNamespaceLimit(), nil
		},
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"checkevents": cmdCheckEvents,
			"eventpid":    cmdEventPid,
			"events":      cmdEvents,
			"exitcode":    cmdExitCode,
			"expandenv":   cmdExpandEnv,
			"feed":        cmdFeed,
			"fixture":     fixtureCmd(fixtures),
			"freeport":    cmdFreePort,
			"gone":        cmdGone,
			"httpget":     cmdHTTPGet,
			"mkfifo":      cmdMkfifo,
			"recipe":      cmdRecipe,
			"signal":      cmdSignal,
			"waitevent":   cmdWaitEvent,
			"waitmessage": cmdWaitMessage,
			"waitfile":    cmdWaitFile,
		},
	})
}

// userNamespaceLimit reports whether a user namespace of our own can be
// made here with its own inotify watch limit (unshare -U -r; Linux 5.11
// or later): the userns condition of the scripts.
var userNamespaceLimit = sync.OnceValue(func() bool {
	if _, err := exec.LookPath("unshare"); err != nil {
		return false
	}
	return exec.Command("unshare", "-U", "-r", "sh", "-c", "echo 2 > /proc/sys/user/max_inotify_watches").Run() == nil
})

// fixture NAME copies the files of testdata/NAME (under dir) into the
// script's directory, leaving alone those the script brings itself: the
// program many scripts run is written once, in testdata/server.
func fixtureCmd(dir string) func(*testscript.TestScript, bool, []string) {
	return func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: fixture NAME")
		}
		entries, err := os.ReadDir(filepath.Join(dir, args[0]))
		ts.Check(err)
		for _, e := range entries {
			if _, err := os.Stat(ts.MkAbs(e.Name())); err == nil {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, args[0], e.Name()))
			ts.Check(err)
			ts.Check(os.WriteFile(ts.MkAbs(e.Name()), data, 0o644))
		}
	}
}

// setupScript passes go's caches through, so builds in scripts are warm
// and offline, and gives each script a free port in $PORT.
func setupScript(env *testscript.Env) error {
	for _, k := range []string{"GOCACHE", "GOMODCACHE"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			return err
		}
		env.Setenv(k, strings.TrimSpace(string(out)))
	}
	env.Setenv("GOFLAGS", "-mod=mod")
	env.Setenv("GOPROXY", "off")
	env.Setenv("GOTOOLCHAIN", "local")
	env.Setenv("NO_COLOR", "1")
	hot, err := filepath.Abs("../../hot")
	if err != nil {
		return err
	}
	env.Setenv("HOT", hot) // for fixtures that replace the hot module with this tree's
	env.Setenv("NODLV_PATH", withoutDlv(env.Getenv("PATH")))
	port, err := freePort()
	if err != nil {
		return err
	}
	env.Setenv("PORT", port)
	fifos := map[string]*os.File{}
	env.Values[fifosKey{}] = fifos
	env.Defer(func() {
		for _, f := range fifos {
			f.Close()
		}
	})
	return nil
}

// withoutDlv is path less the directories that hold a dlv, for a script
// that runs --debug as on a machine without delve.
func withoutDlv(path string) string {
	var keep []string
	for _, dir := range filepath.SplitList(path) {
		if _, err := exec.LookPath(filepath.Join(dir, "dlv")); err != nil {
			keep = append(keep, dir)
		}
	}
	return strings.Join(keep, string(filepath.ListSeparator))
}

// fifosKey holds a script's named pipes: the write ends that mkfifo
// opened, by name.
type fifosKey struct{}

// mkfifo NAME makes a named pipe and holds it open for feed, so that a
// program reading it (see stdinfrom) sees a terminal-like stdin that
// stays open while the script types into it.
func cmdMkfifo(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: mkfifo NAME")
	}
	f, err := makeFIFO(ts.MkAbs(args[0]))
	ts.Check(err)
	ts.Value(fifosKey{}).(map[string]*os.File)[args[0]] = f
}

// feed NAME TEXT... writes the words of TEXT and a newline into the
// named pipe NAME, as a line typed at a terminal.
func cmdFeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: feed NAME TEXT...")
	}
	f := ts.Value(fifosKey{}).(map[string]*os.File)[args[0]]
	if f == nil {
		ts.Fatalf("no named pipe %s; make it with mkfifo", args[0])
	}
	_, err := io.WriteString(f, strings.Join(args[1:], " ")+"\n")
	ts.Check(err)
}

const scriptTimeout = 60 * time.Second

// waitevent FILE TYPE [N] waits until the JSON events file holds N events
// of TYPE (default 1).
func cmdWaitEvent(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: waitevent FILE TYPE [N]")
	}
	n := 1
	if len(args) == 3 {
		n, _ = strconv.Atoi(args[2])
	}
	got := 0
	if !testkit.Within(scriptTimeout, func() bool {
		got = countEvents(ts.MkAbs(args[0]), args[1])
		return got >= n
	}) {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		ts.Fatalf("%d %s events after %s, want %d; events:\n%s", got, args[1], scriptTimeout, n, data)
	}
}

// waitmessage FILE TEXT waits until an event of the events file FILE
// has a message that holds TEXT.
func cmdWaitMessage(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitmessage FILE TEXT")
	}
	has := func() bool {
		data, _ := os.ReadFile(ts.MkAbs(args[0]))
		for _, line := range strings.Split(string(data), "\n") {
			var ev struct{ Message string }
			if json.Unmarshal([]byte(line), &ev) == nil && strings.Contains(ev.Message, args[1]) {
				return true
			}
		}
		return false
	}
	if !testkit.Within(scriptTimeout, has) {
		ts.Fatalf("no event with a message holding %q after %s", args[1], scriptTimeout)
	}
}

// events FILE TYPE N checks that the events file holds exactly N events
// of TYPE.
func cmdEvents(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: events FILE TYPE N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	if got := countEvents(ts.MkAbs(args[0]), args[1]); (got == n) == neg {
		ts.Fatalf("%d %s events, want %d", got, args[1], n)
	}
}

// eventpid FILE TYPE OUT writes the pid of FILE's first TYPE event to
// OUT, for gone: delve's pid is in debug_ready, not in a pid file.
func cmdEventPid(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: eventpid FILE TYPE OUT")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	for _, l := range strings.Split(string(data), "\n") {
		var ev struct {
			Type string
			PID  int
		}
		if json.Unmarshal([]byte(l), &ev) == nil && ev.Type == args[1] && ev.PID > 0 {
			ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(strconv.Itoa(ev.PID)), 0o644))
			return
		}
	}
	ts.Fatalf("no %s event with a pid in %s", args[1], args[0])
}

func countEvents(path, typ string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ev struct{ Type string }
		if json.Unmarshal(sc.Bytes(), &ev) == nil && ev.Type == typ {
			n++
		}
	}
	return n
}

// httpget URL WANT polls URL until its body contains WANT; with !, it
// checks once that it does not.
func cmdHTTPGet(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: httpget URL WANT")
	}
	client := http.Client{Timeout: 2 * time.Second}
	last := ""
	has := func() bool {
		resp, err := client.Get(args[0])
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = string(body)
		} else {
			last = err.Error()
		}
		return strings.Contains(last, args[1])
	}
	if neg {
		if has() {
			ts.Fatalf("%s answered %q", args[0], last)
		}
		return
	}
	if !testkit.Within(scriptTimeout, has) {
		ts.Fatalf("%s never answered %q; last: %q", args[0], args[1], last)
	}
}

// exitcode N CMD [ARGS...] runs CMD like exec and checks that it exits
// with status N; exec and ! exec tell only zero from non-zero. Its output
// is then stdout and stderr, as after exec.
func cmdExitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N CMD [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	ts.Check(err)
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			ts.Fatalf("%s: %v", args[1], err)
		}
		got = exit.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with status %d, want %d", args[1], got, want)
	}
}

// expandenv FILE replaces $VAR and ${VAR} in FILE with the script's
// environment (config files that need the script's port).
func cmdExpandEnv(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		data := ts.ReadFile(f)
		ts.Check(os.WriteFile(ts.MkAbs(f), []byte(os.Expand(data, ts.Getenv)), 0o644))
	}
}

// waitfile FILE waits until FILE exists.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if !testkit.Within(scriptTimeout, func() bool {
		_, err := os.Stat(ts.MkAbs(args[0]))
		return err == nil
	}) {
		ts.Fatalf("%s did not appear within %s", args[0], scriptTimeout)
	}
}

// freeport NAME sets $NAME to a free loopback port.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	port, err := freePort()
	ts.Check(err)
	ts.Setenv(args[0], port)
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// gone FILE... waits until no process whose pid is in FILE is alive;
// with !, it checks once that they all are.
func cmdGone(ts *testscript.TestScript, neg bool, args []string) {
	for _, f := range args {
		data, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		ts.Check(err)
		if neg {
			if !processLives(pid) {
				ts.Fatalf("process %d from %s is gone", pid, f)
			}
			continue
		}
		if !testkit.Within(scriptTimeout, func() bool { return !processLives(pid) }) {
			ts.Fatalf("process %d from %s still alive after %s", pid, f, scriptTimeout)
		}
	}
}

// signal NAME SIG sends SIG (TERM, INT, USR1, KILL) to the background
// command NAME, which testscript's kill cannot do for TERM and USR1.
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: signal NAME SIG")
	}
	sig, err := parseTestSignal(args[1])
	ts.Check(err)
	for _, bg := range ts.BackgroundCmds() {
		if filepath.Base(bg.Path) == args[0] {
			ts.Check(bg.Process.Signal(sig))
			return
		}
	}
	ts.Fatalf("no background command %s", args[0])
}

// recipe NAME FILE writes the block of docs/recipes.md's section "## NAME"
// whose info string is "toml FILE" into FILE: the recipes are tested as
// the docs print them.
func cmdRecipe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: recipe NAME FILE")
	}
	data, err := os.ReadFile("../../docs/recipes.md")
	ts.Check(err)
	block, ok := recipeBlock(string(data), args[0], "toml "+args[1])
	if !ok {
		ts.Fatalf("docs/recipes.md has no %q block in the section %q", "toml "+args[1], args[0])
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[1]), []byte(block), 0o644))
}

// recipeBlock returns the fenced block with the info string info in the
// section "## name" of a Markdown document.
func recipeBlock(doc, name, info string) (string, bool) {
	_, section, ok := strings.Cut(doc, "\n## "+name+"\n")
	if !ok {
		return "", false
	}
	section, _, _ = strings.Cut(section, "\n## ")
	_, rest, ok := strings.Cut(section, "```"+info+"\n")
	if !ok {
		return "", false
	}
	block, _, ok := strings.Cut(rest, "```")
	return block, ok
}

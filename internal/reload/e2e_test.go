package reload

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/builder"
)

// The fixture is a host program in a module of its own: a counter that
// lives in the host, and a greeting from the plugin package greeter
// (which has a subpackage, and uses the module's shared package).
var fixture = map[string]string{
	"go.mod": `module example.com/app

go 1.26

require github.com/golive-dev/golive/hot v0.0.0

replace github.com/golive-dev/golive/hot => HOT
`,
	"main.go": `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	"example.com/app/greeter"
	"github.com/golive-dev/golive/hot"
)

var greet = hot.Func("example.com/app/greeter", "Greet", greeter.Greet)

func main() {
	var count atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println("listening", ln.Addr())
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s count=%d pid=%d\n", greet.Load()("you"), count.Add(1), os.Getpid())
	}))
}
`,
	"greeter/greeter.go": `package greeter

import (
	"example.com/app/greeter/punct"
	"example.com/app/shared"
)

// Greet greets.
func Greet(name string) string {
	return shared.Hello() + " " + name + " v0" + punct.Mark()
}
`,
	"greeter/punct/punct.go": `package punct

func Mark() string { return "!" }
`,
	"shared/shared.go": `package shared

func Hello() string { return "hello" }
`,
}

// e2e is one fixture module with its host program running.
type e2e struct {
	t       *testing.T
	dir     string
	builder *Builder
	server  *Server
	opts    builder.Options
	cmd     *exec.Cmd
	url     string
	pid     int
	count   int    // requests the host has answered
	version int    // the greeting's version the host runs
	mark    string // and its punctuation
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func hotDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "hot"))
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildOptions are the flags both the host and its plugins are built with.
func buildOptions(dir string) builder.Options {
	opts := builder.Options{Dir: dir, Package: ".", Tags: []string{BuildTag}, Env: append(os.Environ(), "GOPROXY=off")}
	if raceEnabled {
		opts.Flags = []string{"-race"}
	}
	return opts
}

// startHost writes the fixture, builds the host and starts it with the
// delivery channel's environment.
func startHost(t *testing.T) *e2e { return startHostWith(t, nil, buildOptions) }

// startHostWith starts a host from the fixture with some files replaced,
// built with the options opts returns for its directory.
func startHostWith(t *testing.T, replace map[string]string, opts func(dir string) builder.Options) *e2e {
	t.Helper()
	if err := Supported(context.Background(), ".", os.Environ()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	for k, v := range fixture {
		files[k] = strings.ReplaceAll(v, "HOT", hotDir(t))
	}
	for k, v := range replace {
		files[k] = v
	}
	writeFiles(t, dir, files)
	e := &e2e{t: t, dir: dir, opts: opts(dir)}
	bin := filepath.Join(t.TempDir(), "host")
	build := exec.Command("go", builder.Args(e.opts, bin)...)
	build.Dir, build.Env = dir, e.opts.Env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build host: %v\n%s", err, out)
	}
	var err error
	if e.server, err = Listen(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.server.Close() })
	e.builder, err = NewBuilder(Options{Build: e.opts, Packages: []string{"./greeter"}, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}

	e.cmd = exec.Command(bin)
	e.cmd.Dir = dir
	e.cmd.Env = append(os.Environ(), e.server.Env()...)
	e.cmd.Stderr = os.Stderr
	stdout, _ := e.cmd.StdoutPipe()
	if err := e.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.cmd.Process.Kill(); e.cmd.Wait() })
	e.pid = e.cmd.Process.Pid
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
	if err != nil || !ok {
		t.Fatalf("host said %q: %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	e.url = "http://" + addr + "/"
	return e
}

// get returns the host's answer.
func (e *e2e) get() string {
	e.t.Helper()
	resp, err := http.Get(e.url)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

// answers checks the host's answer: the greeting of version v of the
// plugin, with the host's counter one up and the same pid.
func (e *e2e) answers(v int, mark string) {
	e.t.Helper()
	e.count++
	want := "hello you v" + strconv.Itoa(v) + mark + " count=" + strconv.Itoa(e.count) + " pid=" + strconv.Itoa(e.pid)
	if got := e.get(); got != want {
		e.t.Fatalf("host answers %q, want %q", got, want)
	}
	e.version, e.mark = v, mark
}

// unchanged checks that the host still runs the last version loaded.
func (e *e2e) unchanged() {
	e.t.Helper()
	e.answers(e.version, e.mark)
}

// bump edits the version in the greeting to v.
func (e *e2e) bump(v int) {
	e.t.Helper()
	e.edit("greeter/greeter.go", " v"+strconv.Itoa(e.version)+`"`, " v"+strconv.Itoa(v)+`"`)
}

func (e *e2e) write(name, body string) {
	e.t.Helper()
	writeFiles(e.t, e.dir, map[string]string{name: body})
}

func (e *e2e) edit(name, old, new string) {
	e.t.Helper()
	p := filepath.Join(e.dir, name)
	b, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(b), old) {
		e.t.Fatalf("edit %s: %q not there (%v)", name, old, err)
	}
	e.write(name, strings.Replace(string(b), old, new, 1))
}

// build builds the greeter tree as a plugin.
func (e *e2e) build() Result {
	e.t.Helper()
	tree, _ := e.builder.Tree("./greeter")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := e.builder.Build(ctx, tree)
	if res.Err != nil {
		e.t.Fatal(res.Err)
	}
	return res
}

// reload builds and delivers, and returns the host's error.
func (e *e2e) reload() error {
	e.t.Helper()
	res := e.build()
	if res.Failed {
		e.t.Fatalf("plugin build failed: %v\n%s", res.Diagnostics, res.Output)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	loaded, err := e.server.Deliver(ctx, res.Plugin)
	if err == nil && (loaded.PID != e.pid || loaded.Symbols != 1) {
		e.t.Fatalf("loaded %+v, want pid %d, 1 symbol", loaded, e.pid)
	}
	return err
}

// wantLoadError checks that the host refused a build with a message that
// starts with prefix.
func (e *e2e) wantLoadError(err error, prefix string) {
	e.t.Helper()
	var le *LoadError
	if !errors.As(err, &le) || !strings.HasPrefix(le.Message, prefix) {
		e.t.Fatalf("load error %v\nwant one starting %q", err, prefix)
	}
	e.t.Logf("refused: %v", err)
}

// TestReloadInProcess runs one host program through a series of reloads;
// its subtests run in order, on the state the earlier ones left.
func TestReloadInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a host program and a dozen plugins")
	}
	t.Parallel()
	e := startHost(t)
	e.answers(0, "!")

	t.Run("edit", func(t *testing.T) {
		e.t = t
		e.bump(1)
		if err := e.reload(); err != nil {
			t.Fatal(err)
		}
		e.answers(1, "!")
	})
	t.Run("ten in a row", func(t *testing.T) {
		e.t = t
		for range 10 {
			v := e.version + 1
			e.bump(v)
			if err := e.reload(); err != nil {
				t.Fatalf("reload to v%d: %v", v, err)
			}
			e.answers(v, e.mark)
		}
	})
	t.Run("subpackage", func(t *testing.T) {
		e.t = t
		e.edit("greeter/punct/punct.go", `"!"`, `"?"`)
		if err := e.reload(); err != nil {
			t.Fatal(err)
		}
		e.answers(e.version, "?")
	})
	t.Run("wrong type", func(t *testing.T) {
		e.t = t
		e.edit("greeter/greeter.go", "func Greet(name string) string", "func Greet(name []byte) string")
		e.edit("greeter/greeter.go", `" " + name`, `" " + string(name)`)
		e.wantLoadError(e.reload(), "hot: example.com/app/greeter.Greet has type func([]uint8) string in the new build, want func(string) string")
		e.unchanged()
		e.edit("greeter/greeter.go", "func Greet(name []byte) string", "func Greet(name string) string")
		e.edit("greeter/greeter.go", `" " + string(name)`, `" " + name`)
	})
	t.Run("missing symbol", func(t *testing.T) {
		e.t = t
		e.edit("greeter/greeter.go", "func Greet(", "func Welcome(")
		e.wantLoadError(e.reload(), "hot: example.com/app/greeter.Greet: not in the new build: plugin: symbol Greet not found in plugin example.com/app/greeter")
		e.unchanged()
		e.edit("greeter/greeter.go", "func Welcome(", "func Greet(")
	})
	t.Run("panic in init", func(t *testing.T) {
		e.t = t
		e.write("greeter/boom.go", "package greeter\n\nfunc init() {\n\tpanic(\"boom\")\n}\n")
		e.wantLoadError(e.reload(), "hot: panic in init of example.com/app/greeter: boom at greeter/boom.go:4")
		e.unchanged()
		os.Remove(filepath.Join(e.dir, "greeter/boom.go"))
	})
	t.Run("compile error", func(t *testing.T) {
		e.t = t
		e.edit("greeter/greeter.go", "punct.Mark()", "punct.Mark() + nope")
		res := e.build()
		if !res.Failed || len(res.Diagnostics) != 1 {
			t.Fatalf("build: failed %v, diagnostics %v, output %q", res.Failed, res.Diagnostics, res.Output)
		}
		src, _ := os.ReadFile(filepath.Join(e.dir, "greeter/greeter.go"))
		line := strings.Split(string(src), "\n")[9]
		want := "greeter/greeter.go:10:" + strconv.Itoa(strings.Index(line, "nope")+1) + ": undefined: nope"
		if got := res.Diagnostics[0].String(); got != want {
			t.Errorf("diagnostic %s, want %s", got, want)
		}
		e.unchanged()
		e.edit("greeter/greeter.go", "punct.Mark() + nope", "punct.Mark()")
	})
	t.Run("shared package changed", func(t *testing.T) {
		e.t = t
		if Covers([]string{"./greeter"}, []string{"shared/shared.go"}) {
			t.Fatal("a change outside the tree is covered")
		}
		// Built anyway, the plugin is refused by the runtime.
		e.edit("shared/shared.go", `"hello"`, `"hi"`)
		e.wantLoadError(e.reload(), "plugin.Open(")
		e.unchanged()
		e.edit("shared/shared.go", `"hi"`, `"hello"`)
	})
	t.Run("good build after failures", func(t *testing.T) {
		e.t = t
		e.bump(e.version + 1)
		if err := e.reload(); err != nil {
			t.Fatal(err)
		}
		e.answers(e.version+1, e.mark)
	})
	t.Run("exit in init", func(t *testing.T) { // last: the host is gone after it
		e.t = t
		e.write("greeter/exit.go", "package greeter\n\nimport \"os\"\n\nfunc init() { os.Exit(3) }\n")
		err := e.reload()
		if err == nil || !strings.Contains(err.Error(), "went away while loading example.com/app/greeter") {
			t.Fatalf("reload: %v", err)
		}
		t.Logf("refused: %v", err)
	})
}

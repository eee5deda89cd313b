package reload

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/builder"
)

// TestExample runs examples/plugin as golive would, from a copy: edit the
// greeting, and the page shows the new text with the same pid and a
// counter that kept counting.
func TestExample(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the example and a plugin")
	}
	t.Parallel()
	if err := Supported(context.Background(), ".", os.Environ()); err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	files := map[string]string{}
	for _, name := range []string{"go.mod", ".reload.toml", "main.go", "greeter/greeter.go"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "plugin", filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		files[name] = strings.ReplaceAll(string(b), "=> ../../hot", "=> "+hotDir(t))
	}
	if !strings.Contains(files[".reload.toml"], `packages = ["./greeter"]`) {
		t.Errorf(".reload.toml does not list ./greeter:\n%s", files[".reload.toml"])
	}
	writeFiles(t, dir, files)

	opts := buildOptions(dir)
	bin := filepath.Join(t.TempDir(), "example")
	build := exec.Command("go", builder.Args(opts, bin)...)
	build.Dir, build.Env = dir, opts.Env
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build example: %v\n%s", err, out)
	}
	server, err := Listen(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "PORT="+port), server.Env()...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line, _ := bufio.NewReader(stderr).ReadString('\n')
	if !strings.Contains(line, "serving on http://127.0.0.1:"+port) {
		t.Fatalf("example said %q", line)
	}
	go io.Copy(io.Discard, stderr)
	get := func() string {
		resp, err := http.Get("http://127.0.0.1:" + port + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.TrimSpace(string(b))
	}
	pid := cmd.Process.Pid
	if got, want := get(), fmt.Sprintf("Hello from a plugin! count=1 pid=%d", pid); got != want {
		t.Fatalf("GET / = %q, want %q", got, want)
	}

	g := filepath.Join(dir, "greeter", "greeter.go")
	src, _ := os.ReadFile(g)
	os.WriteFile(g, []byte(strings.Replace(string(src), "Hello from a plugin!", "Hello again!", 1)), 0o644)
	b, err := NewBuilder(Options{Build: opts, Packages: []string{"./greeter"}, Out: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := b.Build(ctx, b.Trees()[0])
	if res.Err != nil || res.Failed {
		t.Fatalf("plugin build: %v %v\n%s", res.Err, res.Diagnostics, res.Output)
	}
	if _, err := server.Deliver(ctx, res.Plugin); err != nil {
		t.Fatal(err)
	}
	if got, want := get(), fmt.Sprintf("Hello again! count=2 pid=%d", pid); got != want {
		t.Fatalf("after the reload GET / = %q, want %q", got, want)
	}
}

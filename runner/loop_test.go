package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/log"
)

// gatedBuilder runs real builds; from the second on, it returns only
// once the test opens the gate, so the test decides what happens while
// a build runs.
type gatedBuilder struct {
	b     Builder
	gate  chan struct{}
	first chan struct{} // closed after the first build
}

func (g *gatedBuilder) Build(ctx context.Context) BuildResult {
	res := g.b.Build(ctx)
	select {
	case <-g.first:
	default:
		close(g.first)
		return res
	}
	select {
	case <-g.gate:
		return res
	case <-ctx.Done():
		return BuildResult{Err: ctx.Err()}
	}
}

// quitter is a program that prints its version and exits with code 3
// once the file $QUIT exists.
const quitter = `package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	fmt.Println("VERSION running")
	for {
		if _, err := os.Stat(os.Getenv("QUIT")); err == nil {
			os.Exit(3)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
`

// A real program that exits by itself while a real build runs is
// reported with its code, and the build's binary then starts, with no
// stop of the program that is gone.
func TestLoopProgramExitsDuringBuild(t *testing.T) {
	dir := fixture(t, quitterSource("v1"))
	b, _ := newTestBuilder(t, dir)
	quit := filepath.Join(t.TempDir(), "quit")
	out := newLineWaiter()
	g := &gatedBuilder{b: b, gate: make(chan struct{}), first: make(chan struct{})}
	h := startRunnerWith(t, func(o *Options) {
		o.Builder = g
		o.Starter = &ProcessStarter{Opts: RunOptions{
			Dir: dir, Env: append(os.Environ(), "QUIT="+quit), Stdout: out, Stderr: out,
			StopSignal: syscall.SIGTERM, StopTimeout: 5 * time.Second,
		}}
	})
	h.events.next(t, log.BuildStart)
	h.events.next(t, log.BuildOK)
	first := h.events.next(t, log.Start)
	out.wait(t, "v1 running")

	write(t, filepath.Join(dir, "main.go"), quitterSource("v2"))
	h.save("main.go")
	h.events.next(t, log.Change)
	h.events.next(t, log.BuildStart)
	write(t, quit, "")
	if ev := h.events.next(t, log.Exit); ev.PID != first.PID || ev.Code == nil || *ev.Code != 3 {
		t.Fatalf("exit %+v, want pid %d with code 3", ev, first.PID)
	}
	if err := os.Remove(quit); err != nil { // or v2 would quit at once
		t.Fatal(err)
	}
	close(g.gate)
	h.events.next(t, log.BuildOK)
	if ev := h.events.next(t, log.Start); ev.PID == first.PID {
		t.Fatalf("start %+v: the old pid", ev)
	}
	out.wait(t, "v2 running")
	if processAlive(first.PID) {
		t.Fatalf("the program that exited, pid %d, is alive", first.PID)
	}
}

func quitterSource(version string) string {
	return strings.Replace(quitter, "VERSION", version, 1)
}

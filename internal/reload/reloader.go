package reload

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-dev/golive/runner"
)

// Reloader applies changes to plugin trees inside the running program
// (runner.Reloader): this package builds and delivers, the loop decides
// when.
type Reloader struct {
	dirs    []string // plugin packages as configured ("./greeter")
	builder *Builder
	server  *Server
}

// NewReloader returns a Reloader that builds with b and delivers through
// srv, for the plugin packages dirs as configured.
func NewReloader(dirs []string, b *Builder, srv *Server) *Reloader {
	return &Reloader{dirs: dirs, builder: b, server: srv}
}

// Covers reports whether every path lies in a plugin tree.
func (r *Reloader) Covers(changed []string) bool { return Covers(r.dirs, changed) }

// Reload builds each touched tree and has the program load it. Trees are
// loaded one after the other; a failure stops there, and the runner
// restarts the program, so no mix of versions outlives the batch.
func (r *Reloader) Reload(ctx context.Context, changed []string, pid int) runner.ReloadResult {
	var out runner.ReloadResult
	for _, dir := range Touched(r.dirs, changed) {
		t, _ := r.builder.Tree(dir)
		res := r.builder.Build(ctx, t)
		total := out.Build.Duration + res.Duration
		out.Build, out.Package = res.BuildResult, t.ImportPath
		out.Build.Duration = total
		if res.Err != nil || res.Failed {
			return out
		}
		loaded, err := r.deliver(ctx, res.Plugin, pid)
		out.Open += loaded.Open
		out.Swap += loaded.Swap
		out.Load += loaded.Open + loaded.Swap
		if err != nil {
			out.Err = err
			return out
		}
	}
	return out
}

// deliver hands p to the program with pid. A program that is connected
// gets ten seconds to load it (its init functions run then); one that is
// not gets a second to connect, so a program that does not import hot
// costs little before golive falls back to a restart.
func (r *Reloader) deliver(ctx context.Context, p *Plugin, pid int) (Loaded, error) {
	wait := 10 * time.Second
	if r.server.PID() != pid {
		wait = time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	loaded, err := r.server.Deliver(ctx, p)
	if err == nil && loaded.PID != pid {
		err = fmt.Errorf("pid %d loaded the plugin, not the running program (pid %d)", loaded.PID, pid)
	}
	return loaded, err
}

// Close stops the delivery server.
func (r *Reloader) Close() { r.server.Close() }

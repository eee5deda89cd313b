package main

import (
	"context"
	"fmt"
	"time"

	"github.com/golive-dev/golive/plugin"
	"github.com/golive-dev/golive/runner"
)

// reloader applies changes to plugin trees inside the running program:
// the plugin package builds and delivers, the runner decides when.
type reloader struct {
	dirs    []string // plugin packages as configured ("./greeter")
	builder *plugin.Builder
	server  *plugin.Server
}

// setUpPlugins prepares in-process reload when plugins are configured
// and can work here. It adds the hot library's build tag to the
// program's build and the delivery socket to its environment. Where
// plugins cannot work it says why, once, and golive restarts instead.
func (s *session) setUpPlugins(ctx context.Context, work *runner.WorkDir) (*reloader, error) {
	pkgs := s.cfg.Plugins.Packages
	if len(pkgs) == 0 {
		return nil, nil
	}
	if s.cfg.Plugins.MaxReloads == 0 {
		s.log.Infof("plugins.max_reloads is 0: in-process reload is off; every change rebuilds and restarts")
		return nil, nil
	}
	opts := s.buildOptions(work)
	if err := plugin.Supported(ctx, s.startDir, opts.Env); err != nil {
		s.log.Warnf("in-process reload is off (%v); every change rebuilds and restarts", err)
		return nil, nil
	}
	s.cfg.Build.Tags = append(s.cfg.Build.Tags, plugin.BuildTag)
	opts = s.buildOptions(work)
	b, err := plugin.NewBuilder(plugin.Options{Build: opts, Packages: pkgs})
	if err != nil {
		return nil, fmt.Errorf("plugins.packages: %w", err)
	}
	srv, err := plugin.Listen(work.Dir())
	if err != nil {
		return nil, fmt.Errorf("plugins: %w", err)
	}
	s.extraEnv = append(s.extraEnv, srv.Env()...)
	return &reloader{dirs: pkgs, builder: b, server: srv}, nil
}

func (r *reloader) Covers(changed []string) bool { return plugin.Covers(r.dirs, changed) }

// Reload builds each touched tree and has the program load it. Trees are
// loaded one after the other; a failure stops there, and the runner
// restarts the program, so no mix of versions outlives the batch.
func (r *reloader) Reload(ctx context.Context, changed []string, pid int) runner.ReloadResult {
	var out runner.ReloadResult
	for _, dir := range plugin.Touched(r.dirs, changed) {
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
func (r *reloader) deliver(ctx context.Context, p *plugin.Plugin, pid int) (plugin.Loaded, error) {
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

func (r *reloader) close() { r.server.Close() }

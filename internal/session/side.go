package session

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/ready"
	"github.com/golive-dev/golive/internal/side"
	"github.com/golive-dev/golive/internal/signals"
	"github.com/golive-dev/golive/internal/supervise"
	"github.com/golive-dev/golive/runner"
	"github.com/golive-dev/golive/watcher"
)

// watchedProcess is a side process with watch globs: a change of one of
// their files restarts it.
type watchedProcess struct {
	name  string
	match func(rel string) bool
}

// sideProcesses turns the [[process]] blocks into the side set's specs
// and the watch globs that restart them. Their output goes through the
// log: each line with the process's name before it, or as an output
// event carrying it.
func (s *Session) sideProcesses() ([]side.Spec, []watchedProcess, error) {
	var specs []side.Spec
	var watched []watchedProcess
	for i, p := range s.cfg.Processes {
		key := fmt.Sprintf("process[%d]", i)
		sig, err := signals.Parse(p.StopSignal)
		if err != nil {
			return nil, nil, fmt.Errorf("%s.stop_signal: %w", key, err)
		}
		sp := side.Spec{Name: p.Name, Argv: p.Argv(), Restart: runner.RestartPolicy(p.Restart), Opts: supervise.Options{
			Dir:         filepath.Join(s.opts.Dir, p.Dir),
			Env:         withEnv(os.Environ(), p.Env),
			Stdout:      events.NewServiceWriter(s.opts.Log, "stdout", p.Name),
			Stderr:      events.NewServiceWriter(s.opts.Log, "stderr", p.Name),
			StopSignal:  sig,
			StopTimeout: time.Duration(p.StopTimeout),
		}}
		if p.Ready != "" {
			check, err := ready.Parse(p.Ready)
			if err != nil {
				return nil, nil, fmt.Errorf("%s.ready %q: %w", key, p.Ready, err)
			}
			sp.Ready = check
		}
		specs = append(specs, sp)
		if len(p.Watch) > 0 {
			match, err := watcher.Globs(p.Watch)
			if err != nil {
				return nil, nil, fmt.Errorf("%s.watch: %w", key, err)
			}
			watched = append(watched, watchedProcess{name: p.Name, match: match})
		}
	}
	return specs, watched, nil
}

// processGlobs are the watch globs of every [[process]].
func processGlobs(cfg []config.Process) []string {
	var globs []string
	for _, p := range cfg {
		globs = append(globs, p.Watch...)
	}
	return globs
}

// restartWatchers restarts the side processes whose watch globs match one
// of paths, and returns the paths left for the rules and the build: those
// no process watches, and those the build reads or a rule takes all the
// same.
func restartWatchers(watched []watchedProcess, set *side.Set, paths []string, keep func(rel string) bool) []string {
	if len(watched) == 0 {
		return paths
	}
	var left []string
	for _, p := range paths {
		taken := false
		for _, w := range watched {
			if w.match(p) {
				set.Restart(w.name)
				taken = true
			}
		}
		if !taken || keep(p) {
			left = append(left, p)
		}
	}
	return left
}

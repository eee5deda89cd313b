package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golive-dev/golive/internal/builder"
	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
)

// Several main packages in one golive ([[service]], -p repeated) run as
// one session each, side by side: each walks and watches what its own
// build reads, builds, swaps and restarts on its own, so an edit rebuilds
// exactly the services whose build reads the file, and a failed build of
// one leaves every program running. They share the log (each event
// stamped with its service), golive's stdin (r rebuilds all, r NAME one)
// and SIGUSR1. The service the proxy fronts (proxy.service, default the
// first) also runs the rules and the side processes. A
// service with after waits, before each start, until those services
// serve: not building, and ready since their last start.

// serviceConfig is the session config of service i: build.package and
// run.* from its block; the rules, the side processes and the proxy in
// the service the proxy fronts (proxy.service, else the first), where a
// rule's browser reload and a rule's failure reach the pages.
func serviceConfig(c config.Config, i int) config.Config {
	sv := c.Services[i]
	out := c
	out.Services = nil
	out.Build.Package = sv.Package
	out.Run.Args = sv.Args
	out.Run.Env = maps.Clone(c.Run.Env)
	if out.Run.Env == nil {
		out.Run.Env = map[string]string{}
	}
	maps.Copy(out.Run.Env, sv.Env)
	if sv.EnvFile != "" {
		out.Run.EnvFile = sv.EnvFile
	}
	out.Run.Ready = sv.Ready
	out.Run.StopSignal, out.Run.StopTimeout, out.Run.Restart = sv.StopSignal, sv.StopTimeout, sv.Restart
	if fronted, _ := proxyDeps(c); sv.Name != fronted {
		out.Rules, out.Processes = nil, nil
		out.Proxy.Target = "off"
	}
	return out
}

// runServices runs a session per service until ctx is done, and returns
// the first error one of them returned.
func (s *Session) runServices(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	states := newServiceStates(s.cfg.Services)
	rebuild := map[string]chan struct{}{}
	fronted, deps := proxyDeps(s.cfg)
	var proxyObserve atomic.Pointer[func(events.Event)]
	toProxy := func(e events.Event) {
		if obs := proxyObserve.Load(); obs != nil {
			(*obs)(e)
		}
	}
	var sessions []*Session
	builds := builder.NewGroup(len(s.cfg.Services))
	for i, sv := range s.cfg.Services {
		rebuild[sv.Name] = make(chan struct{}, 1)
		opts := s.opts
		opts.Config = serviceConfig(s.cfg, i)
		opts.Service = sv.Name
		opts.Log = s.opts.Log.WithService(sv.Name).Tap(states.observe(sv.Name))
		if _, dep := deps[sv.Name]; dep {
			opts.Log = opts.Log.Tap(toProxy) // the fronted service's pages reload for it too
		}
		if sv.Name == fronted {
			opts.ProxyDeps = deps
			opts.OnProxy = func(observe func(events.Event)) { proxyObserve.Store(&observe) }
		}
		opts.Stdin = nil // read here, for all of them
		opts.Builds = builds
		opts.Rebuild = rebuild[sv.Name]
		if len(sv.After) > 0 {
			after := sv.After
			opts.Gate = func(ctx context.Context) error { return states.wait(ctx, sv.Name, after, opts.Log) }
		}
		sessions = append(sessions, New(opts))
	}
	ask := func(name string) {
		select {
		case rebuild[name] <- struct{}{}:
		default:
		}
	}
	go forwardAll(ctx, s.opts.Rebuild, func() {
		for name := range rebuild {
			ask(name)
		}
	})
	s.serviceCommands(ctx, func(name string) {
		if name == "" {
			for n := range rebuild {
				ask(n)
			}
			return
		}
		if _, ok := rebuild[name]; !ok {
			s.opts.Log.Warnf("r %s: no such service (%s)", name, strings.Join(serviceNames(s.cfg.Services), ", "))
			return
		}
		ask(name)
	})
	errs := make([]error, len(sessions))
	var wg sync.WaitGroup
	for i, sess := range sessions {
		wg.Go(func() {
			if errs[i] = sess.Run(ctx); errs[i] != nil {
				cancel() // one that cannot run stops golive, as one program does
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil && !errors.Is(err, ErrReported) {
			return fmt.Errorf("service %s: %w", s.cfg.Services[i].Name, err)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// proxyDeps names the service the proxy fronts and the services it waits
// for, directly or through others, each with whether it has a readiness
// check.
func proxyDeps(c config.Config) (string, map[string]bool) {
	fronted := c.Proxy.Service
	if fronted == "" {
		fronted = c.Services[0].Name
	}
	byName := map[string]config.Service{}
	for _, sv := range c.Services {
		byName[sv.Name] = sv
	}
	deps := map[string]bool{}
	var add func(name string)
	add = func(name string) {
		for _, a := range byName[name].After {
			if _, seen := deps[a]; !seen {
				deps[a] = byName[a].Ready != ""
				add(a)
			}
		}
	}
	add(fronted)
	return fronted, deps
}

func serviceNames(svs []config.Service) []string {
	var names []string
	for _, sv := range svs {
		names = append(names, sv.Name)
	}
	return names
}

// forwardAll calls fn for each outside rebuild request (SIGUSR1) until
// ctx is done.
func forwardAll(ctx context.Context, in <-chan struct{}, fn func()) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-in:
			fn()
		}
	}
}

// serviceStates follows each service from its events: whether it builds,
// and whether its program serves since its last start (ready, or started
// when it has no readiness check). A good build ends the serving: its
// program is about to be replaced.
type serviceStates struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every change
	state   map[string]*serviceState
}

type serviceState struct {
	building bool
	serving  bool
	check    bool // it has a readiness check: only its ready event says it serves
	// replacing: a good build's program is to replace the one that
	// served (which did, when set); an error before the old one stops
	// (run.before_start failed, an env file that does not parse) keeps it.
	replacing, servedBefore bool
}

func newServiceStates(svs []config.Service) *serviceStates {
	st := &serviceStates{changed: make(chan struct{}), state: map[string]*serviceState{}}
	for _, sv := range svs {
		st.state[sv.Name] = &serviceState{check: sv.Ready != ""}
	}
	return st
}

// observe returns the tap of service name's log.
func (st *serviceStates) observe(name string) func(events.Event) {
	return func(e events.Event) {
		if e.Service != name {
			return // its side processes'
		}
		st.mu.Lock()
		defer st.mu.Unlock()
		s := st.state[name]
		switch e.Type {
		case events.BuildStart:
			s.building = true
		case events.BuildOK:
			// A new program is about to replace the one that serves.
			s.replacing, s.servedBefore = true, s.serving
			s.building, s.serving = false, false
		case events.BuildFailed:
			s.building = false // the old program serves on
		case events.Error:
			if !s.replacing {
				return
			}
			// The start failed before the old program was stopped: it
			// serves on, as before the build.
			s.replacing, s.serving = false, s.servedBefore
		case events.Start, events.DebugRestart:
			s.serving, s.replacing = !s.check, false
		case events.Ready, events.Reload: // ready, or new plugin code in the same program
			s.serving, s.replacing = true, false
		case events.Stop, events.Exit:
			s.serving, s.replacing = false, false
		default:
			return
		}
		close(st.changed)
		st.changed = make(chan struct{})
	}
}

// afterWait bounds the wait for the services a start waits for: one that
// never serves (it crashed and waits for an edit) must not hold the others
// for ever.
const afterWait = time.Minute

// wait returns once every service of after serves, or afterWait passed
// (then it says so and returns nil: the start goes ahead), or ctx ended.
func (st *serviceStates) wait(ctx context.Context, name string, after []string, log *events.Logger) error {
	deadline := time.NewTimer(afterWait)
	defer deadline.Stop()
	for {
		st.mu.Lock()
		var waiting []string
		for _, a := range after {
			if s := st.state[a]; s.building || !s.serving {
				waiting = append(waiting, a)
			}
		}
		changed := st.changed
		st.mu.Unlock()
		if len(waiting) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			log.Warnf("%s starts although %s does not serve after %s", name, strings.Join(waiting, ", "), afterWait)
			return nil
		}
	}
}

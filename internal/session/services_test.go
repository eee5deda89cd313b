package session

import (
	"context"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
)

// TestRebuildCommand: r rebuilds every service, r NAME one; anything
// else is no command.
func TestRebuildCommand(t *testing.T) {
	t.Parallel()
	for line, want := range map[string]struct {
		name string
		ok   bool
	}{"r": {"", true}, " r \n": {"", true}, "r api": {"api", true}, "r  api ": {"api", true}, "rr": {"", false}, "run": {"", false}, "x": {"", false}} {
		if name, ok := rebuildCommand(line); name != want.name || ok != want.ok {
			t.Errorf("rebuildCommand(%q) = %q, %v; want %q, %v", line, name, ok, want.name, want.ok)
		}
	}
}

// TestServiceConfig: a service's session takes its package and run keys
// from its block, and run.env under its own env; the service the proxy
// fronts runs the rules and the side processes and has the proxy, the
// others none of them. (Validate fills a block's empty keys from run.)
func TestServiceConfig(t *testing.T) {
	t.Parallel()
	c := config.Default()
	c.Run.Env = map[string]string{"A": "run", "B": "run"}
	c.Rules = []config.Rule{{Match: []string{"*.templ"}}}
	c.Processes = []config.Process{{Name: "css"}}
	c.Proxy.Target = "http://127.0.0.1:8080"
	c.Proxy.Service = "web"
	c.Services = []config.Service{
		{Name: "auth", Package: "./cmd/auth", Env: map[string]string{"B": "auth"}, StopSignal: "SIGINT", Restart: "always"},
		{Name: "web", Package: "./cmd/web", Args: []string{"-v"}, Ready: "tcp://127.0.0.1:8080", After: []string{"auth"}},
	}
	auth, web := serviceConfig(c, 0), serviceConfig(c, 1)
	if auth.Build.Package != "./cmd/auth" || auth.Run.Env["A"] != "run" || auth.Run.Env["B"] != "auth" || auth.Run.StopSignal != "SIGINT" || auth.Run.Restart != "always" {
		t.Errorf("auth's config: %+v %+v", auth.Build, auth.Run)
	}
	if len(auth.Rules) != 0 || len(auth.Processes) != 0 || auth.Proxy.Target != "off" || auth.Services != nil {
		t.Errorf("auth, not fronted: rules %v, processes %v, proxy target %q", auth.Rules, auth.Processes, auth.Proxy.Target)
	}
	if web.Run.Args[0] != "-v" || web.Run.Ready != "tcp://127.0.0.1:8080" || len(web.Rules) != 1 || len(web.Processes) != 1 || web.Proxy.Target != "http://127.0.0.1:8080" {
		t.Errorf("web, fronted: %+v %+v %+v %+v", web.Run, web.Rules, web.Processes, web.Proxy)
	}
	if c.Run.Env["B"] != "run" {
		t.Error("a service's env changed run.env")
	}
	fronted, deps := proxyDeps(c)
	if fronted != "web" || len(deps) != 1 || deps["auth"] {
		t.Errorf("proxyDeps = %q, %v; want web, auth without a check", fronted, deps)
	}
}

// TestServiceWait: a start that waits for a service goes ahead while
// that one serves, and not while it builds, is about to restart or has
// started without being ready yet.
func TestServiceWait(t *testing.T) {
	t.Parallel()
	st := newServiceStates([]config.Service{{Name: "auth", Ready: "tcp://127.0.0.1:1"}, {Name: "web", After: []string{"auth"}}})
	auth := st.observe("auth")
	log := events.New(testkit.NewEvents(), events.Options{JSON: true})
	wait := func() chan error {
		waited := make(chan error, 1)
		go func() { waited <- st.wait(context.Background(), "web", []string{"auth"}, log) }()
		return waited
	}
	ended := func(waited chan error) bool {
		select {
		case err := <-waited:
			if err != nil {
				t.Fatal(err)
			}
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	}
	auth(events.Event{Type: events.Start, Service: "auth"})
	auth(events.Event{Type: events.Ready, Service: "auth"})
	if !ended(wait()) {
		t.Fatal("the wait went on while auth served")
	}
	auth(events.Event{Type: events.BuildStart, Service: "auth"})
	waited := wait()
	for _, typ := range []string{events.BuildStart, events.BuildOK, events.Start} {
		if typ != events.BuildStart {
			auth(events.Event{Type: typ, Service: "auth"})
		}
		if ended(waited) {
			t.Fatalf("the wait ended after auth's %s", typ)
		}
	}
	auth(events.Event{Type: events.Ready, Service: "auth"})
	select {
	case err := <-waited:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(testkit.Timeout):
		t.Fatal("the wait did not end once auth was ready")
	}
}

// TestServiceWaitAfterFailedStart: a service whose next start failed
// before its old program stopped (run.before_start) serves on, and a
// start that waits for it goes ahead.
func TestServiceWaitAfterFailedStart(t *testing.T) {
	t.Parallel()
	st := newServiceStates([]config.Service{{Name: "auth"}, {Name: "web", After: []string{"auth"}}})
	auth := st.observe("auth")
	for _, typ := range []string{events.Start, events.BuildStart, events.BuildOK, events.Error} {
		auth(events.Event{Type: typ, Service: "auth", Message: "run.before_start[0] (x) failed: exit status 1; the old program keeps running"})
	}
	log := events.New(testkit.NewEvents(), events.Options{JSON: true})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := st.wait(ctx, "web", []string{"auth"}, log); err != nil {
		t.Fatalf("wait: %v; want auth serving on", err)
	}
}

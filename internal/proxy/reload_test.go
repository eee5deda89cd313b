package proxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
)

// TestReloadOnceTheProgramListens: without run.ready, the pages reload
// when the new program accepts a connection, not when it is spawned. The
// program here listens 2 s after its start.
func TestReloadOnceTheProgramListens(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	h := startProxy(t, "http://"+addr, nil)
	b, _ := h.connect(t)

	h.px.Observe(events.Event{Type: events.BuildOK})
	h.px.Observe(events.Event{Type: events.Start, PID: 1})
	var listening atomic.Bool
	go func() {
		time.Sleep(2 * time.Second)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		listening.Store(true)
		t.Cleanup(func() { ln.Close() })
		go http.Serve(ln, http.NotFoundHandler())
	}()
	m := b.next(t)
	if m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
	if !listening.Load() {
		t.Fatal("the pages were told to reload before the program listened")
	}
	b.none(t, 300*time.Millisecond) // once per start
	if ev := h.events.Next(t, events.BrowserReload); ev.Tabs == nil || *ev.Tabs != 1 {
		t.Errorf("browser_reload %+v, want 1 tab", ev)
	}
}

// TestReloadWaitsForReadiness: with run.ready the ready event decides,
// even though the program accepts connections at once.
func TestReloadWaitsForReadiness(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), func(o *Options) { o.ReadyCheck = true })
	b, _ := h.connect(t)
	h.px.Observe(events.Event{Type: events.Start, PID: 1})
	b.none(t, 300*time.Millisecond)
	h.px.Observe(events.Event{Type: events.Ready, PID: 1})
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
	h.px.Observe(events.Event{Type: events.Ready, PID: 1}) // no second reload for one start
	b.none(t, 200*time.Millisecond)
}

// TestReloadWhenTheCheckGivesUp: a run.ready check that never passes
// does not leave the pages waiting for ever: past the check's time, the
// proxy's own connection to the program decides.
func TestReloadWhenTheCheckGivesUp(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), func(o *Options) {
		o.ReadyCheck, o.GiveUp = true, 300*time.Millisecond
	})
	b, _ := h.connect(t)
	h.px.Observe(events.Event{Type: events.Start, PID: 1})
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
}

// TestPluginReloadReloads: new code loaded in process serves at once.
func TestPluginReloadReloads(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), func(o *Options) { o.ReadyCheck = true })
	b, _ := h.connect(t)
	h.px.Observe(events.Event{Type: events.Reload, Package: "example.com/greet"})
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
}

func TestFailedBuildOverlay(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), func(o *Options) { o.ReadyCheck = true })
	b, _ := h.connect(t)
	diag := sampleDiag
	h.px.Observe(events.Event{Type: events.BuildFailed, Diagnostics: []events.Diagnostic{diag}, Output: "# example.com/app"})
	m := b.next(t)
	if m.Type != "errors" || len(m.Diagnostics) != 1 || m.Output != "# example.com/app" {
		t.Fatalf("message %+v, want the errors", m)
	}
	d := m.Diagnostics[0]
	if d.File != "main.go" || d.Line != 12 || d.Message != diag.Message {
		t.Errorf("diagnostic %+v, want %+v", d, diag)
	}
	if d.Href != "vscode://file/src/app/main.go:12:5" {
		t.Errorf("href %q, want vscode://file/src/app/main.go:12:5", d.Href)
	}

	// A file outside the start directory (a replace target) is linked as
	// it is.
	h.px.Observe(events.Event{Type: events.BuildFailed, Diagnostics: []events.Diagnostic{{File: "/src/lib/lib.go", Line: 3, Message: "x"}}})
	if m := b.next(t); m.Diagnostics[0].Href != "vscode://file/src/lib/lib.go:3:1" {
		t.Errorf("href %q, want vscode://file/src/lib/lib.go:3:1", m.Diagnostics[0].Href)
	}
	h.px.Observe(events.Event{Type: events.BuildFailed, Diagnostics: []events.Diagnostic{diag}, Output: "# example.com/app"})
	b.next(t)

	// A tab opened now shows the errors at once.
	_, hello := h.connect(t)
	if hello.Errors == nil || len(hello.Errors.Diagnostics) != 1 {
		t.Errorf("hello %+v, want the errors", hello)
	}

	// The good build clears them; its program's readiness reloads.
	h.px.Observe(events.Event{Type: events.BuildStart})
	h.px.Observe(events.Event{Type: events.BuildOK})
	if m := b.next(t); m.Type != "clear" {
		t.Fatalf("message %+v, want clear", m)
	}
	h.px.Observe(events.Event{Type: events.Start, PID: 2})
	h.px.Observe(events.Event{Type: events.Ready, PID: 2})
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
	if _, hello := h.connect(t); hello.Errors != nil || !hello.Ready || hello.Gen != 1 {
		t.Errorf("hello after the fix %+v, want ready with no errors, one reload sent", hello)
	}
}

func TestAssets(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), nil)
	b, _ := h.connect(t)
	h.px.Assets([]string{"static/site.css", "static/print.css"})
	if m := b.next(t); m.Type != "css" {
		t.Errorf("message %+v, want css", m)
	}
	if ev := h.events.Next(t, events.BrowserReload); !ev.CSS {
		t.Errorf("browser_reload %+v, want css", ev)
	}
	h.px.Assets([]string{"static/site.css", "static/app.js"})
	if m := b.next(t); m.Type != "reload" {
		t.Errorf("message %+v, want reload", m)
	}
}

// TestTabsCounted: the leading tab says how many tabs its connection
// serves, and browser_reload counts them all.
func TestTabsCounted(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), nil)
	b1, hello := h.connect(t)
	b2, _ := h.connect(t)
	resp, _ := h.do(t, mustRequest(t, "POST", fmt.Sprintf("%s/__golive/tabs?conn=%d&tabs=3", h.url, hello.Conn)))
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("tabs: status %d", resp.StatusCode)
	}
	if _, body := h.get(t, "/__golive/tabs"); string(body) != "{\"browsers\":2,\"tabs\":4}\n" {
		t.Errorf("GET /__golive/tabs: %s, want 2 browsers and 4 tabs", body)
	}
	h.px.Assets([]string{"a.js"})
	b1.next(t)
	b2.next(t)
	if ev := h.events.Next(t, events.BrowserReload); ev.Tabs == nil || *ev.Tabs != 4 {
		t.Errorf("browser_reload %+v, want 4 tabs", ev)
	}
	if resp, _ := h.do(t, mustRequest(t, "POST", h.url+"/__golive/tabs?conn=999&tabs=1")); resp.StatusCode != http.StatusNotFound {
		t.Errorf("tabs of an unknown connection: status %d, want 404", resp.StatusCode)
	}
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// TestManyBrowsers: browsers come and go while messages go out; run with
// -race, the hub's set of connections must hold.
func TestManyBrowsers(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), nil)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // the browser_reload events
		for {
			select {
			case <-stop:
				return
			case <-h.events.C():
			}
		}
	})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				h.px.Assets([]string{"x.css"})
				h.px.Observe(events.Event{Type: events.BuildFailed})
				h.px.Observe(events.Event{Type: events.BuildOK})
			}
		}
	})
	for range 50 {
		wg.Go(func() {
			for range 4 {
				ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
				req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/__golive/events", nil)
				resp, err := h.client.Do(req)
				if err == nil {
					io.ReadFull(resp.Body, make([]byte, 64))
					resp.Body.Close()
				}
				cancel()
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	testkit.Until(t, testkit.Timeout, "every browser gone from the hub", func() bool {
		h.px.hub.mu.Lock()
		defer h.px.hub.mu.Unlock()
		return len(h.px.hub.clients) == 0
	})
}

// TestRequestWaitsForRestart: a request that comes while nothing listens
// waits for the program, and its body arrives whole once it does.
func TestRequestWaitsForRestart(t *testing.T) {
	t.Parallel()
	addr := testkit.FreeAddr(t)
	h := startProxy(t, "http://"+addr, nil)
	go func() {
		time.Sleep(300 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(func() { ln.Close() })
		go http.Serve(ln, http.HandlerFunc(echo))
	}()
	body := strings.Repeat("payload ", 1000)
	req, _ := http.NewRequest("POST", h.url+"/save?id=7", strings.NewReader(body))
	resp, out := h.do(t, req)
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"Len":8000`)) || !bytes.Contains(out, []byte(`"Query":"id=7"`)) {
		t.Errorf("status %d, %s; want the body and query through", resp.StatusCode, out)
	}
}

// TestResetByStoppingProgramRetried: a program that accepts and then
// drops the connection unanswered, as one does while it stops, counts as
// not ready; the next program answers, with the body sent again.
func TestResetByStoppingProgramRetried(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		c.Read(make([]byte, 100)) // part of the request
		c.Close()
		ln.Close()
		ln2, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		t.Cleanup(func() { ln2.Close() })
		http.Serve(ln2, http.HandlerFunc(echo))
	}()
	h := startProxy(t, "http://"+addr, nil)
	req, _ := http.NewRequest("POST", h.url+"/", strings.NewReader(strings.Repeat("x", 5000)))
	resp, out := h.do(t, req)
	if resp.StatusCode != 200 || !bytes.Contains(out, []byte(`"Len":5000`)) {
		t.Errorf("status %d, %s; want the whole body answered by the next program", resp.StatusCode, out)
	}
}

// TestDownPage: past the wait, a clear 502 page that retries by itself
// and carries the script.
func TestDownPage(t *testing.T) {
	t.Parallel()
	h := startProxy(t, "http://"+testkit.FreeAddr(t), func(o *Options) { o.Wait = 200 * time.Millisecond })
	resp, body := h.get(t, "/", "Accept", "text/html")
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("status %d, want 502", resp.StatusCode)
	}
	for _, want := range []string{"The program is not answering", `http-equiv="refresh"`, `<script src="/__golive/reload.js" data-golive-down>`, "connection refused"} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("the 502 page lacks %q:\n%s", want, body)
		}
	}
	// A request that is not for a page gets a line, not a page.
	resp, body = h.get(t, "/api", "Accept", "application/json")
	if resp.StatusCode != http.StatusBadGateway || !bytes.HasPrefix(body, []byte("golive proxy: the program at http://")) {
		t.Errorf("API request: status %d, %q", resp.StatusCode, body)
	}
}

func TestTargetIsNotListen(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		listen, target string
		same           bool
	}{
		{"127.0.0.1:8090", "http://127.0.0.1:8090", true},
		{"127.0.0.1:8080", "http://localhost:8080", true},
		{":8080", "http://127.0.0.1:8080", true},
		{"127.0.0.1:8090", "http://127.0.0.1:8080", false},
		{"127.0.0.1:0", "http://127.0.0.1:0", false},
	} {
		_, err := New(Options{Listen: tt.listen, Target: tt.target})
		if same := err != nil; same != tt.same {
			t.Errorf("listen %s, target %s: New = %v", tt.listen, tt.target, err)
		}
	}
}

// TestNoWaitAfterFailedBuild: when the build failed and no program runs,
// nothing will answer before an edit, so the 502 page with the errors
// comes at once. The wait here is longer than the test's own timeout.
func TestNoWaitAfterFailedBuild(t *testing.T) {
	t.Parallel()
	h := startProxy(t, "http://"+testkit.FreeAddr(t), func(o *Options) { o.Wait = time.Hour })
	h.px.Observe(events.Event{Type: events.BuildFailed, Diagnostics: []events.Diagnostic{sampleDiag}})
	ctx, cancel := context.WithTimeout(context.Background(), testkit.Timeout)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/", nil)
	resp, body := h.do(t, req)
	if resp.StatusCode != http.StatusBadGateway || bytes.Contains(body, []byte(`http-equiv="refresh"`)) {
		t.Errorf("status %d, page:\n%s\nwant a 502 that waits for the script's reload", resp.StatusCode, body)
	}
}

// TestStopFreesThePort: Run ends the browsers' streams and returns with
// the port free.
func TestStopFreesThePort(t *testing.T) {
	t.Parallel()
	evs := testkit.NewEvents()
	px, err := New(Options{Listen: "127.0.0.1:0", Target: "http://" + testkit.FreeAddr(t), Wait: time.Second, Log: events.New(evs, events.Options{JSON: true})})
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Listen(); err != nil {
		t.Fatal(err)
	}
	addr := px.ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- px.Run(ctx) }()
	resp, err := http.Get("http://" + addr + "/__golive/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(testkit.Timeout):
		t.Fatal("Run did not return with a browser connected")
	}
	if _, err := io.ReadAll(resp.Body); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Logf("stream ended with %v", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("the port is still taken: %v", err)
	}
	ln.Close()
}

// TestTakenPort: a port the user chose is an error that says what to do;
// golive's default moves to a free one and says so.
func TestTakenPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	evs := testkit.NewEvents()
	opts := Options{Listen: ln.Addr().String(), Target: "http://127.0.0.1:1", Log: events.New(evs, events.Options{JSON: true})}
	px, _ := New(opts)
	err = px.Listen()
	if err == nil || !strings.Contains(err.Error(), "proxy.listen "+ln.Addr().String()) || !strings.Contains(err.Error(), "choose another") {
		t.Errorf("Listen on a taken port: %v", err)
	}
	opts.Anywhere = true
	px, _ = New(opts)
	if err := px.Listen(); err != nil {
		t.Fatalf("Listen with Anywhere: %v", err)
	}
	defer px.Close()
	if w := evs.Next(t, events.Warn); !strings.Contains(w.Message, "is in use; listening on") {
		t.Errorf("warning %q", w.Message)
	}
	evs.Next(t, events.ProxyReady)
}

func TestNonLoopbackWarns(t *testing.T) {
	t.Parallel()
	evs := testkit.NewEvents()
	px, _ := New(Options{Listen: ":0", Target: "http://127.0.0.1:1", Log: events.New(evs, events.Options{JSON: true})})
	if err := px.Listen(); err != nil {
		t.Fatal(err)
	}
	defer px.Close()
	if w := evs.Next(t, events.Warn); !strings.Contains(w.Message, "other machines can reach") {
		t.Errorf("warning %q", w.Message)
	}
	if ev := evs.Next(t, events.ProxyReady); !strings.HasPrefix(ev.URL, "http://localhost:") {
		t.Errorf("proxy_ready url %q, want localhost for every interface", ev.URL)
	}
}

func TestScriptServed(t *testing.T) {
	t.Parallel()
	h := startProxy(t, "http://"+testkit.FreeAddr(t), nil)
	resp, body := h.get(t, scriptPath)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") || !bytes.Equal(body, script) {
		t.Errorf("script: %s, %d bytes", ct, len(body))
	}
}

var sampleDiag = events.Diagnostic{File: "main.go", Line: 12, Column: 5, Message: `undefined: <b>handler</b> & "x"`}

// TestEditorLinks: proxy.editor's pattern makes each diagnostic's link;
// a path in a query is escaped as a query value; no pattern, no link.
func TestEditorLinks(t *testing.T) {
	d := events.Diagnostic{File: "web/a&b.go", Line: 3, Column: 7}
	for _, c := range []struct{ pattern, want string }{
		{"vscode://file{path}:{line}:{col}", "vscode://file/src/my%20app/web/a&b.go:3:7"},
		{"goland://open?file={path}&line={line}", "goland://open?file=%2Fsrc%2Fmy+app%2Fweb%2Fa%26b.go&line=3"},
		{"subl://open?url=file://{path}&line={line}&column={col}", "subl://open?url=file://%2Fsrc%2Fmy+app%2Fweb%2Fa%26b.go&line=3&column=7"},
		{"", ""},
	} {
		h := newHub("s", c.pattern, "/src/my app")
		if got := h.link(d); got != c.want {
			t.Errorf("pattern %q: link %q, want %q", c.pattern, got, c.want)
		}
	}
}

// TestDependencyRestart: the fronted service's pages reload when a
// service it waits for restarted alone and is ready again; when the
// fronted one is building or about to restart too, only its own ready
// reloads them, once both are ready.
func TestDependencyRestart(t *testing.T) {
	t.Parallel()
	h := startProxy(t, program(t, http.NotFoundHandler()), func(o *Options) {
		o.ReadyCheck, o.Service, o.Deps = true, "web", map[string]bool{"auth": true}
	})
	b, _ := h.connect(t)
	web := func(typ string) { h.px.Observe(events.Event{Type: typ, PID: 1, Service: "web"}) }
	auth := func(typ string) { h.px.Observe(events.Event{Type: typ, PID: 2, Service: "auth"}) }
	web(events.BuildOK)
	web(events.Start)
	web(events.Ready)
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("message %+v, want reload", m)
	}
	// auth alone: a reload once it is ready.
	auth(events.Start)
	b.none(t, 200*time.Millisecond)
	auth(events.Ready)
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("after auth's restart: %+v, want reload", m)
	}
	// Both, web's build done first: nothing until web's own ready.
	web(events.BuildStart)
	web(events.BuildOK)
	auth(events.Start)
	auth(events.Ready)
	b.none(t, 200*time.Millisecond)
	web(events.Stop)
	web(events.Start)
	web(events.Ready)
	if m := b.next(t); m.Type != "reload" {
		t.Fatalf("after both restarted: %+v, want reload", m)
	}
	b.none(t, 200*time.Millisecond)
	// Another service's or a side process's events move nothing.
	h.px.Observe(events.Event{Type: events.Start, PID: 3, Service: "css"})
	h.px.Observe(events.Event{Type: events.Ready, PID: 3, Service: "css"})
	b.none(t, 200*time.Millisecond)
}

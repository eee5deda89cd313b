package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
)

// harness is a proxy on loopback in front of a real server, with golive's
// events (what the proxy emits) read back as JSON.
type harness struct {
	px     *Server
	url    string // the proxy's, without the trailing slash
	events *testkit.Events
	client *http.Client // no compression of its own, no redirects
	stop   func() error // Ctrl-C: ends Run and returns its error, once
}

// program starts h as the program on loopback and returns its URL.
func program(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func startProxy(t *testing.T, target string, tweak func(*Options)) *harness {
	t.Helper()
	evs := testkit.NewEvents()
	opts := Options{
		Listen: "127.0.0.1:0", Target: target, Dir: "/src/app", Editor: "vscode://file{path}:{line}:{col}",
		Wait: 10 * time.Second, Log: events.New(evs, events.Options{JSON: true}),
	}
	if tweak != nil {
		tweak(&opts)
	}
	px, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := px.Listen(); err != nil {
		t.Fatal(err)
	}
	ready := evs.Next(t, events.ProxyReady)
	if ready.URL != px.URL() || ready.Target == "" {
		t.Fatalf("proxy_ready %+v, want url %s and the target", ready, px.URL())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- px.Run(ctx) }()
	stop := sync.OnceValue(func() error { cancel(); return <-done })
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return &harness{
		px: px, url: strings.TrimSuffix(px.URL(), "/"), events: evs, stop: stop,
		client: &http.Client{
			Transport:     &http.Transport{DisableCompression: true},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

func (h *harness) do(t *testing.T, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	return resp, body
}

func (h *harness) get(t *testing.T, path string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", h.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(t, req)
}

// browser is one connection to /__golive/events, read message by message.
type browser struct {
	msgs  chan message
	close func()
}

func (h *harness) connect(t *testing.T) (*browser, message) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", h.url+"/__golive/events", nil)
	resp, err := h.client.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	b := &browser{msgs: make(chan message, 64)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(b.msgs)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var m message
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Errorf("message %q: %v", data, err)
				return
			}
			b.msgs <- m
		}
	}()
	b.close = func() { cancel(); resp.Body.Close(); <-done }
	t.Cleanup(b.close)
	hello := b.next(t)
	if hello.Type != "hello" || hello.Session == "" || hello.Conn == 0 {
		t.Fatalf("first message %+v, want a hello", hello)
	}
	return b, hello
}

func (b *browser) next(t *testing.T) message {
	t.Helper()
	select {
	case m, ok := <-b.msgs:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return m
	case <-time.After(testkit.Timeout):
		t.Fatalf("no message within %s", testkit.Timeout)
	}
	return message{}
}

// none checks that no message arrives within d.
func (b *browser) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-b.msgs:
		t.Fatalf("unexpected message %+v", m)
	case <-time.After(d):
	}
}

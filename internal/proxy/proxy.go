// Package proxy is golive's browser proxy: a reverse proxy in front of
// the program that adds one script tag to its HTML pages, tells the pages
// to reload once a new program is ready, swaps their stylesheets in
// place, and shows a failed build over them. It learns what happened from
// golive's events (Observe); it passes everything else through as it is.
package proxy

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golive-dev/golive/internal/events"
)

//go:embed reload.js
var script []byte

// Options configure a Server.
type Options struct {
	Listen string // host:port the browser connects to
	// Anywhere, when set, lets a taken Listen fall back to a free port: the
	// address is golive's default, not one the user chose.
	Anywhere bool
	Target   string // the program's URL, http://host:port
	Dir      string // the start directory, which diagnostics are relative to
	Editor   string // the link pattern of a diagnostic ({path}, {line}, {col})
	Wait     time.Duration
	// ReadyCheck says run.ready is set: its ready event tells that a new
	// program serves. Without one the proxy connects to the program itself.
	ReadyCheck bool
	// GiveUp is how long the run.ready check tries (internal/ready's
	// minute when zero): past it, the proxy's own connection decides.
	GiveUp time.Duration
	// Restarts says run.restart starts a program that exited by itself
	// again: a request then waits for it rather than failing at once.
	Restarts bool
	Log      *events.Logger // where browser_reload goes; not tapped
	// Service is the service the proxy fronts, of several ([[service]]):
	// only its events move the pages. Empty: the one program.
	Service string
	// Deps are the services Service waits for (after), each with whether
	// it has a readiness check: one that restarts alone reloads the pages
	// once it is ready (Observe its events too).
	Deps map[string]bool
}

// Server is the proxy. Listen, then Run; Observe and Assets may be called
// from any goroutine.
type Server struct {
	opts   Options
	target *url.URL
	hub    *hub
	tr     *http.Transport
	ln     net.Listener
	srv    *http.Server
	base   context.Context // every request's: cancelled first on stop
	cancel context.CancelFunc
	kick   chan struct{} // a program started: connect to it
}

// New checks opts and returns a Server that does not listen yet.
func New(opts Options) (*Server, error) {
	u, err := url.Parse(opts.Target)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("proxy target %q: want http://host:port", opts.Target)
	}
	if u.Port() == "" {
		u.Host += ":80"
	}
	if sameAddress(opts.Listen, u.Host) {
		return nil, fmt.Errorf("proxy.listen %s is the program's own address (proxy.target %s): the proxy would take the program's port; choose another", opts.Listen, opts.Target)
	}
	s := &Server{opts: opts, target: u, kick: make(chan struct{}, 1)}
	s.hub = newHub(sessionID(), opts.Editor, opts.Dir)
	s.hub.service, s.hub.deps, s.hub.depDue = opts.Service, opts.Deps, map[string]bool{}
	s.hub.restarts = opts.Restarts
	s.tr = &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 2 * time.Second}).DialContext,
		MaxIdleConnsPerHost: 64,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true, // the bytes pass as the program sent them
	}
	s.base, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

// Listen binds the proxy's address and says where it is, once.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.opts.Listen)
	if err != nil && s.opts.Anywhere && addrInUse(err) {
		host, _, _ := net.SplitHostPort(s.opts.Listen)
		ln, err = net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err == nil {
			s.opts.Log.Warnf("proxy: %s is in use; listening on %s instead (proxy.listen chooses)", s.opts.Listen, ln.Addr())
		}
	}
	if err != nil && addrInUse(err) {
		return fmt.Errorf("proxy.listen %s: %w; free the port or choose another (proxy.listen, --proxy)", s.opts.Listen, errors.Unwrap(err))
	}
	if err != nil {
		return fmt.Errorf("proxy.listen %s: %w; choose an address of this machine (proxy.listen, --proxy)", s.opts.Listen, errors.Unwrap(err))
	}
	s.ln = ln
	if !loopback(s.opts.Listen) {
		s.opts.Log.Warnf("proxy: listening on %s, which other machines can reach; they see the program and its build errors", ln.Addr())
	}
	s.srv = &http.Server{
		Handler:           s.mux(),
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0), // a browser that went away is not news
	}
	s.opts.Log.Emit(events.Event{Type: events.ProxyReady, URL: s.URL(), Target: s.target.String()})
	return nil
}

// Close frees the port of a proxy that never ran.
func (s *Server) Close() {
	if s.ln != nil {
		s.ln.Close()
	}
}

// URL is where the browser goes.
func (s *Server) URL() string {
	host, port, _ := net.SplitHostPort(s.ln.Addr().String())
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// sameAddress reports whether a listen address and the target's host:port
// are one port of this machine.
func sameAddress(listen, target string) bool {
	lh, lp, err1 := net.SplitHostPort(listen)
	th, tp, err2 := net.SplitHostPort(target)
	if err1 != nil || err2 != nil || lp != tp || lp == "0" {
		return false
	}
	local := func(h string) bool {
		ip := net.ParseIP(h)
		return h == "" || h == "localhost" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified()))
	}
	return lh == th || (local(lh) && local(th))
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run serves until ctx is done, then ends every connection, the browsers'
// event streams and upgraded ones too, and frees the port before it
// returns.
func (s *Server) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	served := make(chan error, 1)
	wg.Go(func() { served <- s.srv.Serve(s.ln) })
	dctx, stopDial := context.WithCancel(ctx)
	wg.Go(func() { s.dialLoop(dctx) })
	var err error
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("proxy: %w", err)
	}
	stopDial()
	s.cancel()
	shut, done := context.WithTimeout(context.Background(), time.Second)
	defer done()
	if s.srv.Shutdown(shut) != nil {
		s.srv.Close()
	}
	s.tr.CloseIdleConnections()
	wg.Wait()
	return err
}

func (s *Server) mux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET "+scriptPath, s.serveScript)
	m.HandleFunc("GET /__golive/events", s.serveEvents)
	m.HandleFunc("POST /__golive/tabs", s.serveTabs)
	m.HandleFunc("GET /__golive/tabs", s.serveCount)
	m.Handle("/", s.reverseProxy())
	return m
}

func (s *Server) reverseProxy() http.Handler {
	return &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(s.target)
			r.Out.Host = r.In.Host // the program sees the address the browser used
			r.SetXForwarded()
			if wantsPage(r.In) {
				keepDecodable(r.Out.Header)
			}
		},
		Transport:     &waiting{base: s.tr, wait: s.opts.Wait, hopeless: s.hub.hopeless},
		FlushInterval: -1, // streams, SSE among them, pass as they come
		ModifyResponse: func(resp *http.Response) error {
			if !injectable(resp) {
				return nil
			}
			return inject(resp)
		},
		ErrorHandler: s.serveDown,
		ErrorLog:     log.New(io.Discard, "", 0),
	}
}

// wantsPage reports a request whose answer may be a page the script goes
// into: a navigation, not a fragment.
func wantsPage(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") &&
		r.Header.Get("HX-Request") == "" && r.Header.Get("Datastar-Request") == ""
}

// keepDecodable drops the encodings the proxy cannot decode (zstd, say)
// from a page request's Accept-Encoding, so that the page can carry the
// script; the program then answers in one it can.
func keepDecodable(h http.Header) {
	ae := h.Get("Accept-Encoding")
	if ae == "" {
		return
	}
	var keep []string
	for _, part := range strings.Split(ae, ",") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if _, ok := codecs[strings.ToLower(strings.TrimSpace(name))]; ok {
			keep = append(keep, strings.TrimSpace(part))
		}
	}
	if len(keep) == 0 {
		h.Del("Accept-Encoding")
		return
	}
	h.Set("Accept-Encoding", strings.Join(keep, ", "))
}

func (s *Server) serveScript(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(script)
}

// serveEvents is one browser's stream of messages, until the browser
// goes, the hub drops it, or golive stops.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) {
	flush := http.NewResponseController(w).Flush
	c, hello := s.hub.join()
	defer s.hub.leave(c)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	if _, err := fmt.Fprintf(w, "retry: 1000\n\ndata: %s\n\n", hello); err != nil || flush() != nil {
		return
	}
	ping := time.NewTicker(15 * time.Second) // finds a browser that vanished
	defer ping.Stop()
	for {
		var err error
		select {
		case <-r.Context().Done():
			return
		case <-c.gone:
			return
		case b := <-c.ch:
			_, err = fmt.Fprintf(w, "data: %s\n\n", b)
		case <-ping.C:
			_, err = io.WriteString(w, ": ping\n\n")
		}
		if err != nil || flush() != nil {
			return
		}
	}
}

func (s *Server) serveTabs(w http.ResponseWriter, r *http.Request) {
	conn, err1 := strconv.Atoi(r.URL.Query().Get("conn"))
	tabs, err2 := strconv.Atoi(r.URL.Query().Get("tabs"))
	if err1 != nil || err2 != nil || !s.hub.setTabs(conn, tabs) {
		http.Error(w, "unknown connection", http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// serveCount says what the proxy knows of the browsers, as JSON: what
// browser_reload would count now.
func (s *Server) serveCount(w http.ResponseWriter, r *http.Request) {
	browsers, tabs := s.hub.count()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "{\"browsers\":%d,\"tabs\":%d}\n", browsers, tabs)
}

// Observe follows golive's events; the session taps its logger with it.
func (s *Server) Observe(e events.Event) {
	if e.Type == events.Start || e.Type == events.DebugRestart {
		s.tr.CloseIdleConnections() // they were to the old program
	}
	tell, dial := s.hub.observe(e)
	if dial {
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}
	if tell != nil {
		s.tell(*tell)
	}
}

// Assets tells the pages that files they load changed, with no build:
// stylesheets alone are swapped in place, anything else reloads.
func (s *Server) Assets(paths []string) {
	for _, p := range paths {
		if path.Ext(p) != ".css" {
			s.tell(*s.hub.assets())
			return
		}
	}
	s.tell(message{Type: "css"})
}

func (s *Server) tell(m message) {
	tabs, browsers := s.hub.send(m)
	if (m.Type == "reload" || m.Type == "css") && browsers > 0 {
		s.opts.Log.Emit(events.Event{Type: events.BrowserReload, Tabs: events.Int(tabs), Browsers: browsers, CSS: m.Type == "css"})
	}
}

// dialLoop is the readiness check when there is no run.ready: after each
// start it connects to the program until it accepts, and then the pages
// reload. With run.ready its ready event decides; should that check give
// up (a path that never answers), the pages reload once the program has
// accepted a connection and the check's minute is over, rather than
// never.
func (s *Server) dialLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.kick:
		}
		s.dialUntil(ctx)
	}
}

// dialUntil connects to the new program until it accepts, or is gone,
// and says once when that takes longer than a request's wait: the
// target may be wrong.
func (s *Server) dialUntil(ctx context.Context) {
	started, start := time.Now(), s.hub.started()
	pause, warned := 20*time.Millisecond, false
	for !s.dialOnce(ctx, start) {
		if !warned && time.Since(started) > s.opts.Wait {
			warned = true
			s.opts.Log.Warnf("proxy: nothing accepts connections at %s %s after the program's start; is proxy.target its address?", s.target, s.opts.Wait)
		}
		if sleep(ctx, pause) != nil || !s.hub.running() {
			return
		}
		if time.Since(started) > time.Second {
			pause = 250 * time.Millisecond
		}
	}
}

func (s *Server) dialOnce(ctx context.Context, start int) bool {
	d := net.Dialer{Timeout: time.Second}
	conn, err := d.DialContext(ctx, "tcp", s.target.Host)
	if err != nil {
		return false
	}
	conn.Close()
	if s.opts.ReadyCheck && !s.outwait(ctx, start) {
		return true // the ready event came, or another start
	}
	if m := s.hub.dialed(); m != nil {
		s.tell(*m)
	}
	return true
}

// readyGiveUp is how long the run.ready check tries before it gives up
// (internal/ready), and a little more.
const readyGiveUp = time.Minute + time.Second

// outwait waits, with run.ready, until the check's time is over, and
// reports whether the pages still wait for start number start then.
func (s *Server) outwait(ctx context.Context, start int) bool {
	limit := s.opts.GiveUp
	if limit == 0 {
		limit = readyGiveUp
	}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !s.hub.pending(start) {
			return false
		}
		if sleep(ctx, 100*time.Millisecond) != nil {
			return false
		}
	}
	return s.hub.pending(start)
}

func sessionID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

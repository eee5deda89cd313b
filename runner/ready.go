package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/golive-dev/golive/internal/readyaddr"
)

// Readiness is the check that says a freshly started program serves:
// "tcp://host:port" (a connection is accepted) or "http://..." (a GET is
// answered with a status below 500).
//
// The GET is a few lines of HTTP/1.1 over a plain connection rather than
// net/http: that package and crypto/tls, which it brings along, made up
// about 4 MB of golive's binary and 2 MB of its resident memory, for one
// request line and one status line. There is no https: a development
// server's certificate would not verify anyway; tcp:// checks its port.
//
// The host is an IP address or localhost (internal/readyaddr says why),
// and the connections are made without package net (dial_unix.go).
type Readiness struct {
	URL   string
	addr  string           // host:port as written, for messages
	addrs []netip.AddrPort // what to connect to, in order: localhost is two
	host  string           // the Host header; http only
	path  string           // the request target; empty for tcp
}

// ParseReadiness checks a run.ready value. An empty value means no check.
func ParseReadiness(s string) (*Readiness, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "tcp" && u.Scheme != "http") {
		return nil, fmt.Errorf("run.ready %q: want tcp://host:port or http://host:port/path", s)
	}
	var defaultPort uint16 // tcp:// needs one
	if u.Scheme == "http" {
		defaultPort = 80
	}
	addrs, err := readyaddr.Resolve(u, defaultPort)
	if err != nil {
		return nil, fmt.Errorf("run.ready %q: %w", s, err)
	}
	r := &Readiness{URL: s, addr: u.Host, addrs: addrs}
	if u.Port() == "" {
		r.addr += ":80"
	}
	if u.Scheme == "http" {
		r.host, r.path = u.Host, u.RequestURI()
	}
	return r, nil
}

// pollEvery is how often readiness and port release are checked: small
// next to a build, and the check itself is one loopback connection.
const pollEvery = 2 * time.Millisecond

// readyGiveUp bounds the readiness check: a program that never passes it
// (a wrong port, a health check that fails) is not polled for its life.
const readyGiveUp = time.Minute

// errNeverReady says the program did not pass its check within readyGiveUp.
var errNeverReady = fmt.Errorf("not ready after %s", readyGiveUp)

// Wait polls until the program is ready, ctx is done, or readyGiveUp
// passes. It polls every 2ms for the first quarter second, when a fresh
// program is most likely to come up, then backs off to 250ms.
func (r *Readiness) Wait(ctx context.Context) error {
	giveUp := time.NewTimer(readyGiveUp)
	defer giveUp.Stop()
	wait := pollEvery
	start := time.Now()
	for {
		if r.check(ctx) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-giveUp.C:
			return errNeverReady
		case <-time.After(wait):
		}
		if time.Since(start) > 250*time.Millisecond {
			wait = min(wait*2, 250*time.Millisecond)
		}
	}
}

func (r *Readiness) check(ctx context.Context) bool {
	if r.path == "" {
		return r.dial(ctx)
	}
	status, err := r.get(ctx)
	return err == nil && status < 500
}

// get sends one GET and returns the status code of the answer.
func (r *Readiness) get(ctx context.Context) (int, error) {
	c, err := r.connect(ctx, time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: golive\r\nConnection: close\r\n\r\n", r.path, r.host); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, err
	}
	// "HTTP/1.1 200 OK"
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	status, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/") || err != nil || status < 100 {
		return 0, fmt.Errorf("not an HTTP status line: %q", line)
	}
	return status, nil
}

func (r *Readiness) dial(ctx context.Context) bool {
	c, err := r.connect(ctx, 100*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// conn is a TCP connection: an *os.File on Unix, a net.Conn on Windows.
type conn interface {
	io.ReadWriteCloser
	SetDeadline(time.Time) error
}

// connect returns a connection to the first of r's addresses that
// accepts one, each given timeout, or the last address's error.
func (r *Readiness) connect(ctx context.Context, timeout time.Duration) (conn, error) {
	var err error
	for _, a := range r.addrs {
		var c conn
		if c, err = dialTCP(ctx, a, timeout); err == nil {
			return c, nil
		}
	}
	return nil, err
}

// WaitPortFree waits, up to limit, until nothing accepts connections on
// the readiness address any more, so the next program can bind it. It
// reports whether the port came free.
func (r *Readiness) WaitPortFree(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for r.dial(context.Background()) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollEvery)
	}
	return true
}

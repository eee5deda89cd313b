// Package ready is run.ready: the one rule for what an address may be
// (Parse, which the config's validation applies too), and the check that
// a freshly started program serves on it, and that an old one has let go
// of it.
package ready

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Check is the check that says a freshly started program serves:
// "tcp://host:port" (a connection is accepted) or "http://..." (a GET is
// answered with a status below 500).
//
// The GET is a few lines of HTTP/1.1 over a plain connection rather than
// net/http, which golive linked only later, for the browser proxy: one
// request line and one status line need no more, and the check stays
// free of the proxy's package. There is no https: a development server's
// certificate would not verify anyway; tcp:// checks its port.
//
// The host is an IP address or localhost (addr.go says why), and the
// connections are made without package net (dial_unix.go).
type Check struct {
	URL   string
	addr  string           // host:port as written, for messages
	addrs []netip.AddrPort // what to connect to, in order: localhost is two
	host  string           // the Host header; http only
	path  string           // the request target; empty for tcp
}

// ErrShape says a run.ready value is not an address golive checks.
var ErrShape = errors.New(`want "tcp://host:port" or "http://host:port/path"`)

// Parse checks a run.ready value. An empty value means no check (nil).
// An error is ErrShape, or says what is wrong with a value of the right
// shape; neither names the key or the value, which callers add.
func Parse(s string) (*Check, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, ErrShape
	}
	var defaultPort uint16 // tcp:// needs one
	switch u.Scheme {
	case "tcp":
		if u.Port() == "" || u.Path != "" || u.RawQuery != "" {
			return nil, ErrShape
		}
	case "http":
		defaultPort = 80
	case "https":
		// A development server's certificate would not verify anyway.
		return nil, errors.New(`https is not checked; use "tcp://host:port" for a TLS server's port`)
	default:
		return nil, ErrShape
	}
	addrs, err := resolve(u, defaultPort)
	if err != nil {
		return nil, err
	}
	c := &Check{URL: s, addr: u.Host, addrs: addrs}
	if u.Port() == "" {
		c.addr += ":80"
	}
	if u.Scheme == "http" {
		c.host, c.path = u.Host, u.RequestURI()
	}
	return c, nil
}

// String is the address checked, host:port as written.
func (r *Check) String() string { return r.addr }

// pollEvery is how often readiness and port release are checked: small
// next to a build, and the check itself is one loopback connection.
const pollEvery = 2 * time.Millisecond

// readyGiveUp bounds the readiness check: a program that never passes it
// (a wrong port, a health check that fails) is not polled for its life.
const readyGiveUp = time.Minute

// Wait polls until the program is ready (nil), ctx is done (ctx's error),
// or readyGiveUp passes (an error that says so). It polls every 2ms for the first quarter second, when a fresh
// program is most likely to come up, then backs off to 250ms.
func (r *Check) Wait(ctx context.Context) error {
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
			return fmt.Errorf("%s did not answer within %s", r.URL, readyGiveUp)
		case <-time.After(wait):
		}
		if time.Since(start) > 250*time.Millisecond {
			wait = min(wait*2, 250*time.Millisecond)
		}
	}
}

func (r *Check) check(ctx context.Context) bool {
	if r.path == "" {
		return r.dial(ctx)
	}
	status, err := r.get(ctx)
	return err == nil && status < 500
}

// get sends one GET and returns the status code of the answer.
func (r *Check) get(ctx context.Context) (int, error) {
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

func (r *Check) dial(ctx context.Context) bool {
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
func (r *Check) connect(ctx context.Context, timeout time.Duration) (conn, error) {
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
func (r *Check) WaitPortFree(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for r.dial(context.Background()) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(pollEvery)
	}
	return true
}

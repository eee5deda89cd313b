//go:build linux

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// pollEvery is how often the benchmark asks a server for its answer.
const pollEvery = 2 * time.Millisecond

// client asks the fixture's server on one loopback port. Every request is
// a new connection: a kept-alive one could outlive a restart and mislead.
type client struct {
	base string
	http *http.Client
}

func newClient(port int) *client {
	tr := &http.Transport{
		DisableKeepAlives: true,
		DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
	}
	return &client{
		base: "http://127.0.0.1:" + strconv.Itoa(port),
		http: &http.Client{Transport: tr, Timeout: 2 * time.Second},
	}
}

// get returns the body of path, or ok false when nothing answered.
func (c *client) get(path string) (string, bool) {
	resp, err := c.http.Get(c.base + path)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return "", false
	}
	return string(b), true
}

// waitFor polls path every 2 ms until it answers want (any answer when
// want is ""), and returns when it did. seen gets every other answer.
func (c *client) waitFor(ctx context.Context, path, want string, timeout time.Duration, seen func(string)) (time.Time, error) {
	return c.waitMatch(ctx, path, short(want), timeout, func(body string) bool {
		if want == "" || body == want {
			return true
		}
		if seen != nil {
			seen(body)
		}
		return false
	})
}

// waitMatch polls path every 2 ms until an answer satisfies match, and
// returns when it did; what names the answer awaited in the error.
func (c *client) waitMatch(ctx context.Context, path, what string, timeout time.Duration, match func(string) bool) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		body, ok := c.get(path)
		now := time.Now()
		if ok && match(body) {
			return now, nil
		}
		if now.After(deadline) {
			return time.Time{}, fmt.Errorf("%s did not answer %s within %v", c.base+path, what, timeout)
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-tick.C:
		}
	}
}

// freePort returns a loopback port nothing listens on now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// portFree reports whether nothing listens on port.
func portFree(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 200*time.Millisecond)
	if err != nil {
		return true
	}
	c.Close()
	return false
}

func short(s string) string {
	if len(s) > 40 {
		return fmt.Sprintf("%q… (%d bytes)", s[:40], len(s))
	}
	return strconv.Quote(s)
}

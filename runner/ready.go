package runner

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"
)

// Readiness is the check that says a freshly started program serves:
// "tcp://host:port" (a connection is accepted) or "http://..." (a GET is
// answered with a status below 500).
type Readiness struct {
	URL  string
	addr string // host:port, for both kinds
}

// ParseReadiness checks a run.ready value. An empty value means no check.
func ParseReadiness(s string) (*Readiness, error) {
	if s == "" {
		return nil, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("run.ready %q: want tcp://host:port or http://host:port/path", s)
	}
	addr := u.Host
	if u.Port() == "" {
		port := map[string]string{"http": "80", "https": "443"}[u.Scheme]
		if port == "" {
			return nil, fmt.Errorf("run.ready %q: no port", s)
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	return &Readiness{URL: s, addr: addr}, nil
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
	client := &http.Client{Timeout: time.Second}
	giveUp := time.NewTimer(readyGiveUp)
	defer giveUp.Stop()
	wait := pollEvery
	start := time.Now()
	for {
		if r.check(ctx, client) {
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

func (r *Readiness) check(ctx context.Context, client *http.Client) bool {
	if len(r.URL) >= 4 && r.URL[:4] == "tcp:" {
		return r.dial(ctx)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 500
}

func (r *Readiness) dial(ctx context.Context) bool {
	d := net.Dialer{Timeout: 100 * time.Millisecond}
	c, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return false
	}
	c.Close()
	return true
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

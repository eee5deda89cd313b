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

// Wait polls until the program is ready or ctx is done.
func (r *Readiness) Wait(ctx context.Context) error {
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for {
		if r.check(ctx, client) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
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

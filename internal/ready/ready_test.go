package ready

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, err string }{
		{"tcp://127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/health?deep=1", ""},
		{"http://localhost/health", ""},
		{"https://127.0.0.1:8443/", "https is not checked"},
		{"tcp://127.0.0.1", `want "tcp://`}, // a port is the check
		{"127.0.0.1:8080", `want "tcp://`},
		{"tcp://127.0.0.1:80/x", `want "tcp://`},
		{"udp://127.0.0.1:53", `want "tcp://`},
		{"tcp://[::1]:8080", ""},
		{"http://[::1]/health", ""},
		{"tcp://:8080", ""},
		{"tcp://LOCALHOST:8080", ""},
		{"tcp://::1:8080", "must be in brackets"},
		{"tcp://127.0.0.1:99999", `bad port "99999"`},
		{"tcp://[fe80::1%25eth0]:80", `zone "eth0" is not supported`},
		{"tcp://db:5432", `host must be an IP address or localhost (golive checks the program on this machine)`},
		{"http://app.internal/health", "host must be an IP address or localhost"},
	} {
		_, err := Parse(tt.in)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// TestReadinessGet runs the HTTP check against a real net/http server:
// the status decides, the path and query reach the handler.
func TestReadinessGet(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.RequestURI() {
		case "/ok?x=1":
			w.WriteHeader(http.StatusNoContent)
		case "/missing":
			http.NotFound(w, r)
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	base := "http://" + ln.Addr().String()
	for _, tt := range []struct {
		path  string
		ready bool
	}{{"/ok?x=1", true}, {"/missing", true}, {"/starting", false}} {
		r, err := Parse(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.check(context.Background()); got != tt.ready {
			t.Errorf("%s: ready = %v, want %v", tt.path, got, tt.ready)
		}
	}
	r, _ := Parse("http://" + ln.Addr().String() + "/ok?x=1")
	srv.Close()
	if r.check(context.Background()) {
		t.Error("ready with the server gone")
	}
}

// TestReadinessAddresses runs the tcp check against real listeners: an
// IPv6 literal, and localhost, which is 127.0.0.1 or else ::1.
func TestReadinessAddresses(t *testing.T) {
	t.Parallel()
	v4 := listenTCP(t, "127.0.0.1:0")
	tests := []struct{ name, url string }{
		{"ipv4", "tcp://" + v4.Addr().String()},
		{"localhost ipv4", "tcp://localhost:" + port(v4)},
		{"no host", "tcp://:" + port(v4)},
	}
	if v6, err := net.Listen("tcp", "[::1]:0"); err == nil {
		t.Cleanup(func() { v6.Close() })
		tests = append(tests,
			struct{ name, url string }{"ipv6", "tcp://" + v6.Addr().String()},
			struct{ name, url string }{"localhost ipv6", "tcp://localhost:" + port(v6)})
	} else {
		t.Logf("no IPv6 loopback, its cases skipped: %v", err)
	}
	for _, tt := range tests {
		r, err := Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if !r.check(context.Background()) {
			t.Errorf("%s: %s not ready", tt.name, tt.url)
		}
	}
}

func listenTCP(t *testing.T, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

func port(ln net.Listener) string {
	_, p, _ := net.SplitHostPort(ln.Addr().String())
	return p
}

package runner

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestParseReadiness(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, err string }{
		{"tcp://127.0.0.1:8080", ""},
		{"http://127.0.0.1:8080/health?deep=1", ""},
		{"http://localhost/health", ""},
		{"https://127.0.0.1:8443/", "want tcp://host:port or http://host:port/path"},
		{"tcp://127.0.0.1", "no port"},
		{"127.0.0.1:8080", "want tcp://"},
	} {
		_, err := ParseReadiness(tt.in)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseReadiness(%q) = %v, want %q", tt.in, err, tt.err)
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
		r, err := ParseReadiness(base + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.check(context.Background()); got != tt.ready {
			t.Errorf("%s: ready = %v, want %v", tt.path, got, tt.ready)
		}
	}
	r, _ := ParseReadiness("http://" + ln.Addr().String() + "/ok?x=1")
	srv.Close()
	if r.check(context.Background()) {
		t.Error("ready with the server gone")
	}
}

// Command plugin is an HTTP server on 127.0.0.1:$PORT (default 8080) whose
// greeting golive reloads in process: the request counter lives here, in
// the host, and survives every edit of package greeter. Run it with
// `go run ./cmd/golive -C examples/plugin` from the repository's root,
// then edit greeter/greeter.go and save.
package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golive-dev/golive/examples/plugin/greeter"
	"github.com/golive-dev/golive/hot"
)

// greeting is greeter.Greeting as golive last loaded it; without golive,
// the linked greeter.Greeting.
var greeting = hot.Func("github.com/golive-dev/golive/examples/plugin/greeter", "Greeting", greeter.Greeting)

func main() {
	addr := "127.0.0.1:" + envOr("PORT", "8080")
	var count atomic.Int64 // state that reloads keep
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s count=%d pid=%d\n", greeting.Load()(), count.Add(1), os.Getpid())
	})
	srv := &http.Server{Addr: addr, Handler: mux}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Serve returns as soon as Shutdown begins; main waits for Shutdown
	// to finish, so requests in flight get their answers.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()

	// Listen before saying so: whoever waits for this line (golive's users,
	// tests) may connect the moment it appears.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatalf("plugin: %v", err)
	}
	log.Printf("plugin: serving on http://%s", addr)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("plugin: %v", err)
	}
	<-drained
	log.Printf("plugin: stopped")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// Command hello is the smallest program worth live-reloading: an HTTP
// server on 127.0.0.1:$PORT (default 8080) that shuts down gracefully.
// Run it with `go run ./cmd/golive -C examples/hello`, then edit the
// greeting below and save.
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
	"syscall"
	"time"
)

const greeting = "Hello from golive!"

func main() {
	addr := "127.0.0.1:" + envOr("PORT", "8080")
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, greeting)
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
		log.Fatalf("hello: %v", err)
	}
	log.Printf("hello: serving on http://%s", addr)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("hello: %v", err)
	}
	<-drained
	log.Printf("hello: stopped")
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

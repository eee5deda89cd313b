// The server most test scripts run (the fixture command copies it in):
// it writes its pid to ./pid, starts a `sleep 300` child when SPAWN is
// set (its pid in ./child.pid), answers every request with its version
// (version.go, which a script brings to edit), pid and $GREETING, and
// stops cleanly on SIGINT and SIGTERM.
package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	writePID("pid", os.Getpid())
	if os.Getenv("SPAWN") != "" {
		child := exec.Command("sleep", "300")
		child.Start()
		writePID("child.pid", child.Process.Pid)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "version=%s pid=%d greeting=%s\n", version(), os.Getpid(), os.Getenv("GREETING"))
	})
	srv := &http.Server{Addr: "127.0.0.1:" + os.Getenv("PORT")}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// writePID writes aside, then renames: a script that sees the file sees
// the pid, even when a signal ends the server between the two.
func writePID(name string, pid int) {
	os.WriteFile(name+".tmp", []byte(strconv.Itoa(pid)), 0o644)
	os.Rename(name+".tmp", name)
}

package session

import (
	"strings"
	"testing"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
	"github.com/golive-dev/golive/watcher"
)

// TestReloadOnlyLeavesEmbeddedFiles: a proxy.reload_only file that the
// program embeds is built in, so a batch of it goes to the build.
func TestReloadOnlyLeavesEmbeddedFiles(t *testing.T) {
	t.Parallel()
	asset, err := reloadOnly([]string{"static/**"}, func(rel string) bool { return rel == "static/embedded.css" })
	if err != nil {
		t.Fatal(err)
	}
	batch := func(paths ...string) watcher.Batch {
		var b watcher.Batch
		for _, p := range paths {
			b.Changes = append(b.Changes, watcher.Change{Path: p})
		}
		return b
	}
	tests := []struct {
		batch watcher.Batch
		only  bool
	}{
		{batch("static/site.css", "static/app.js"), true},
		{batch("static/site.css", "static/embedded.css"), false},
		{batch("static/site.css", "main.go"), false},
		{batch(), false},
	}
	for _, tt := range tests {
		if _, only := assetsOnly(tt.batch, asset); only != tt.only {
			t.Errorf("assetsOnly(%v) = %v, want %v", tt.batch.Changes, only, tt.only)
		}
	}
}

// TestProxyOffSaysWhy: proxy settings without a target turn nothing on,
// and golive says so rather than ignoring them.
func TestProxyOffSaysWhy(t *testing.T) {
	t.Parallel()
	evs := testkit.NewEvents()
	cfg := config.Default()
	cfg.Proxy.Listen = "127.0.0.1:9999"
	s := New(Options{Config: cfg, Dir: t.TempDir(), Log: events.New(evs, events.Options{JSON: true})})
	px, err := s.listenProxy(false)
	if px != nil || err != nil {
		t.Fatalf("listenProxy = %v, %v; want no proxy", px, err)
	}
	if w := evs.Next(t, events.Warn); !strings.Contains(w.Message, "the browser proxy is off: it has no target") {
		t.Errorf("warning %q", w.Message)
	}
}

//go:build !plan9

package session

import (
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/golive-dev/golive/internal/config"
	"github.com/golive-dev/golive/internal/events"
	"github.com/golive-dev/golive/internal/testkit"
)

// webApp is a program that serves a page with its message and the
// stylesheet from static/, on $PORT.
const webApp = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir("static"))))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><link rel=\"stylesheet\" href=\"/static/site.css\"></head><body><h1 id=\"msg\">%s</h1><input id=\"field\"></body></html>", message)
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func message(v string) string { return "package main\n\nconst message = \"" + v + "\"\n" }

// chromium finds the browser, or skips with the reason.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no chromium on PATH (.ci/run installs Debian's chromium)")
	return ""
}

// TestBrowser drives a real Chromium through golive's proxy: two tabs
// show a save's new content with no reload by the test, a compile error
// shows as an overlay (which the page's own styles neither hide nor
// reach into) and the fix clears it, a stylesheet changes with no page
// load, another proxy.reload_only file loads the pages with no build, the tab holding the one connection closes and the other
// takes over, and a page outlives golive's own restart. Each state's screenshot is in the test's temp dir,
// or in $GOLIVE_SCREENSHOTS to keep them.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	testkit.OwnCache(t)
	dir := testkit.WriteModule(t, map[string]string{
		"go.mod":          "module example.com/web\n\ngo 1.22\n",
		"main.go":         webApp,
		"message.go":      message("one"),
		"static/site.css": "h1 { color: rgb(0, 0, 255); }\ngolive-overlay { display: none; background: red; }\n",
	})
	port := strings.TrimPrefix(testkit.FreeAddr(t), "127.0.0.1:")
	cfg := config.Default()
	cfg.Build.Package = "."
	cfg.Run.Env = map[string]string{"PORT": port}
	cfg.Run.Ready = "http://127.0.0.1:" + port + "/"
	cfg.Proxy.Listen = "127.0.0.1:0"
	cfg.Proxy.ReloadOnly = []string{"static/**"}
	r := runSession(t, dir, cfg)
	url := r.events.Next(t, events.ProxyReady).URL
	shots := t.TempDir()
	if dir := os.Getenv("GOLIVE_SCREENSHOTS"); dir != "" {
		shots = dir // kept after the test, to look at
	}

	alloc, cancel := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	)...)
	defer cancel()
	// The first run on a context opens its tab (on a context with a
	// timeout, the tab would close with it). The browser's own tab stays
	// blank, so the page's tabs can be closed one by one.
	browser, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("chromium: %v", err)
	}
	first, closeFirst := chromedp.NewContext(browser)
	defer closeFirst()
	second, cancel := chromedp.NewContext(browser)
	defer cancel()
	for _, tab := range []context.Context{first, second} {
		if err := chromedp.Do(tab); err != nil {
			t.Fatalf("chromium: %v", err)
		}
	}
	tabs := []context.Context{first, second}
	for _, tab := range tabs {
		do(t, tab, chromedp.Navigate(url))
		waitJS(t, tab, `document.getElementById("msg")?.textContent === "one"`)
	}
	nextOf(t, r.events, events.Ready)
	screenshot(t, first, shots, "1-first")

	// A save: both tabs show the new program's page.
	for _, tab := range tabs {
		eval[any](t, tab, `window.marker = "before the save"`)
	}
	testkit.WriteFile(t, filepath.Join(dir, "message.go"), message("two"))
	for _, tab := range tabs {
		waitJS(t, tab, `document.getElementById("msg")?.textContent === "two"`)
	}
	if ev := nextOf(t, r.events, events.BrowserReload); ev.Tabs == nil || *ev.Tabs != 2 || ev.Browsers != 1 {
		t.Errorf("browser_reload %+v, want 2 tabs told over one connection", ev)
	}
	screenshot(t, second, shots, "2-after-save")

	// A compile error: the overlay, escaped, with a link to the editor.
	testkit.WriteFile(t, filepath.Join(dir, "message.go"), "package main\n\nconst message = \"three\"\n\nvar broken int = \"<b>bold</b>\"\n")
	const overlay = `document.querySelector("golive-overlay")?.shadowRoot`
	for _, tab := range tabs {
		waitJS(t, tab, overlay+`?.textContent.includes('cannot use "<b>bold</b>"')`)
		if eval[bool](t, tab, overlay+`.querySelector("b") !== null`) {
			t.Error("the compiler's text became markup in the overlay")
		}
		// Page rules against the overlay's element lose; its own h1 rule
		// stays inside.
		if got := eval[string](t, tab, `(s => s.display + " " + s.backgroundColor)(getComputedStyle(document.querySelector("golive-overlay")))`); got != "block rgba(20, 20, 20, 0.92)" {
			t.Errorf("the overlay's element is %q: the page's stylesheet hid or restyled it", got)
		}
		if got := eval[string](t, tab, `getComputedStyle(document.getElementById("msg")).color`); got != "rgb(0, 0, 255)" {
			t.Errorf("the page's h1 is %s under the overlay, want its own rgb(0, 0, 255)", got)
		}
		if got := eval[string](t, tab, `getComputedStyle(`+overlay+`.querySelector("h1")).color`); got != "rgb(255, 107, 107)" {
			t.Errorf("the overlay's h1 is %s, want its own rgb(255, 107, 107)", got)
		}
		href := eval[string](t, tab, overlay+`.querySelector("a").href`)
		if want := "vscode://file" + filepath.ToSlash(dir) + "/message.go:5:"; !strings.HasPrefix(href, want) {
			t.Errorf("the error's link is %q, want it to start %q", href, want)
		}
	}
	screenshot(t, first, shots, "3-compile-error")

	// The fix: the overlay goes and the new page shows.
	testkit.WriteFile(t, filepath.Join(dir, "message.go"), message("three"))
	for _, tab := range tabs {
		waitJS(t, tab, `document.getElementById("msg")?.textContent === "three" && !document.querySelector("golive-overlay")`)
	}
	nextOf(t, r.events, events.BrowserReload)
	screenshot(t, first, shots, "4-fixed")

	// A stylesheet: swapped in place, no page load, typed text kept.
	for _, tab := range tabs {
		eval[any](t, tab, `window.marker = "kept"; document.getElementById("field").value = "typed"`)
	}
	testkit.WriteFile(t, filepath.Join(dir, "static/site.css"), "h1 { color: rgb(255, 0, 0); }\n")
	for _, tab := range tabs {
		waitJS(t, tab, `getComputedStyle(document.getElementById("msg")).color === "rgb(255, 0, 0)"`)
		if !eval[bool](t, tab, `window.marker === "kept" && document.getElementById("field").value === "typed"`) {
			t.Error("the stylesheet change loaded the page again")
		}
	}
	if ev := nextOf(t, r.events, events.BrowserReload); !ev.CSS {
		t.Errorf("browser_reload %+v, want a stylesheet swap", ev)
	}
	screenshot(t, first, shots, "5-stylesheet")

	// Another file under proxy.reload_only: the pages load again, with no
	// build and no restart.
	testkit.WriteFile(t, filepath.Join(dir, "static/app.js"), "console.log(2)\n")
	for _, tab := range tabs {
		waitJS(t, tab, `window.marker === undefined && document.getElementById("msg")?.textContent === "three"`)
	}
	if ev := nextOf(t, r.events, events.BrowserReload, events.BuildStart, events.Stop); ev.CSS {
		t.Errorf("browser_reload %+v, want a page load", ev)
	}

	// The tab that holds the connection closes: the other takes over.
	closeFirst()
	// The closed tab's connection ends, and the new leader's count arrives.
	waitJS(t, second, `window.__golive.conn > 0 && window.__golive.tabs === 1`)
	testkit.Until(t, testkit.Timeout, "the proxy to count one browser with one tab", func() bool {
		resp, err := http.Get(url + "__golive/tabs")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b) == "{\"browsers\":1,\"tabs\":1}\n"
	})
	testkit.WriteFile(t, filepath.Join(dir, "message.go"), message("four"))
	waitJS(t, second, `document.getElementById("msg")?.textContent === "four"`)
	if ev := nextOf(t, r.events, events.BrowserReload); ev.Tabs == nil || *ev.Tabs != 1 || ev.Browsers != 1 {
		t.Errorf("browser_reload: %v tabs in %d browsers, want the one tab left", tabsOf(ev), ev.Browsers)
	}

	// golive itself restarts on the same address: the page reconnects and
	// reloads once the new golive's program is ready.
	eval[any](t, second, `window.marker = "before golive's restart"`)
	if err := r.stop(t); err != nil {
		t.Fatal(err)
	}
	cfg.Proxy.Listen = strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
	r = runSession(t, dir, cfg)
	nextOf(t, r.events, events.Ready)
	waitJS(t, second, `window.marker === undefined && document.getElementById("msg")?.textContent === "four"`)
	screenshot(t, second, shots, "6-after-golive-restart")
	t.Logf("screenshots in %s", shots)
}

func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, testkit.Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("chromium: %v", err)
	}
}

// eval returns the value of expr in the tab.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, testkit.Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("chromium: %s: %v", expr, err)
	}
	return v
}

// waitJS waits until expr is true in the tab.
func waitJS(t *testing.T, ctx context.Context, expr string) {
	t.Helper()
	var err error
	ok := testkit.Within(testkit.Timeout, func() bool {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		// A page that is loading answers with an error: not yet.
		var v bool
		v, err = chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		return err == nil && v
	})
	if !ok {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		html, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
		t.Fatalf("never true in the page: %s (last error: %v)\npage: %.500s", expr, err, html)
	}
}

func screenshot(t *testing.T, ctx context.Context, dir, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, testkit.Timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func tabsOf(ev events.Event) any {
	if ev.Tabs == nil {
		return nil
	}
	return *ev.Tabs
}

// nextOf returns the next event of type typ, passing over the others.
func nextOf(t *testing.T, evs *testkit.Events, typ string, never ...string) events.Event {
	t.Helper()
	deadline := time.After(testkit.Timeout)
	for {
		select {
		case ev := <-evs.C():
			if ev.Type == typ {
				return ev
			}
			if slices.Contains(never, ev.Type) {
				t.Fatalf("a %s event (%+v) before the %s", ev.Type, ev, typ)
			}
		case <-deadline:
			t.Fatalf("no %s event within %s", typ, testkit.Timeout)
		}
	}
}

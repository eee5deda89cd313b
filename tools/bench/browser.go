//go:build linux

package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/chromedp"
)

// browserResult is the browser scenario: a page open in Chromium through
// golive's proxy, and the proxy's cost on a large page.
type browserResult struct {
	skipped string
	painted []time.Duration // save → the new content painted in the tab
	serving []time.Duration // save → the program answers the new version, polled directly, same edit
	direct  map[string][]time.Duration
	proxied map[string][]time.Duration
	pages   []string // the latency pages, in report order
}

// browserApp is the scenario's program: / shows the version and records,
// in the page, when its first frame after the load was painted; /big is a
// 100 kB page, plain or gzip.
const browserApp = `package main

import (
	"compress/gzip"
	"fmt"
	"net/http"
	"os"
	"strings"
)

var big = "<!doctype html><html><body>" + strings.Repeat("<p>row of the large page, to be copied by the proxy</p>\n", 1800) + "</body></html>"

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><body><h1 id=v>%s</h1><script>window.version = %q; requestAnimationFrame(() => requestAnimationFrame(() => { window.painted = performance.timeOrigin + performance.now(); }));</script></body></html>", version, version)
	})
	http.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, version) })
	http.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if r.URL.Query().Get("gz") != "" {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzip.NewWriter(w)
			gz.Write([]byte(big))
			gz.Close()
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(big)))
		w.Write([]byte(big))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func browserVersion(v string) string { return "package main\n\nconst version = \"" + v + "\"\n" }

// proxyRequests is how many requests each latency page gets, direct and
// through the proxy, taken in turns.
const proxyRequests = 300

func (b *bench) browserScenario() error {
	res := &browserResult{direct: map[string][]time.Duration{}, proxied: map[string][]time.Duration{}}
	b.res.browser = res
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		res.skipped = "no chromium on PATH (apt-get install chromium)"
		b.logf("browser: skipped: %s", res.skipped)
		return nil
	}
	dir := filepath.Join(b.work, "fx-browser")
	port, err := freePort()
	if err != nil {
		return err
	}
	proxyPort, err := freePort()
	if err != nil {
		return err
	}
	files := map[string]string{
		"go.mod":     "module example.com/browser\n\ngo 1.22\n",
		"main.go":    browserApp,
		"version.go": browserVersion("v0"),
		".reload.toml": fmt.Sprintf("[run]\nenv = { PORT = \"%d\" }\nready = \"http://127.0.0.1:%d/version\"\n\n[proxy]\nlisten = \"127.0.0.1:%d\"\n",
			port, port, proxyPort),
	}
	for name, data := range files {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			return err
		}
	}
	events := &eventLog{path: filepath.Join(b.work, "events-golive-browser.jsonl")}
	cmd := exec.Command(b.golives[0].path, "-C", dir, "--events", events.path)
	cmd.Env = childEnv(b.keepGOFLAGS)
	logw, err := logFile(b.work, "golive-browser.log")
	if err != nil {
		return err
	}
	defer logw.Close()
	cmd.Stdout, cmd.Stderr = logw, logw
	b.logf("browser: starting golive with its proxy on :%d", proxyPort)
	p, err := startProc(cmd)
	if err != nil {
		return err
	}
	defer p.stop(syscall.SIGINT, 5*time.Second)
	if _, err := newClient(port).waitFor(b.ctx, "/version", "v0", 2*time.Minute, nil); err != nil {
		return fmt.Errorf("browser: %w", err)
	}
	if err := b.browserPaint(res, chrome, dir, port, proxyPort); err != nil {
		return err
	}
	return b.proxyLatency(res, port, proxyPort)
}

// browserPaint runs the paint rounds: each saves a new version and times
// the tab painting it (no reload by the benchmark: the proxy's script
// does it) and the program answering it directly.
func (b *bench) browserPaint(res *browserResult, chrome, dir string, port, proxyPort int) error {
	alloc, cancel := chromedp.NewExecAllocator(b.ctx, append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(filepath.Join(b.work, "chromium")),
	)...)
	defer cancel()
	tab, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(tab, chromedp.Navigate(fmt.Sprintf("http://127.0.0.1:%d/", proxyPort))); err != nil {
		return fmt.Errorf("browser: open the page: %w", err)
	}
	direct := newClient(port)
	for r := -1; r < b.opts.rounds; r++ { // one warm-up round
		tok := fmt.Sprintf("b%02d-%06d", r+1, time.Now().UnixNano()%1e6)
		if err := os.WriteFile(filepath.Join(dir, "version.go"), []byte(browserVersion(tok)), 0o644); err != nil {
			return err
		}
		saved := time.Now()
		served, err := direct.waitFor(b.ctx, "/version", tok, b.opts.roundTimeout, nil)
		if err != nil {
			return fmt.Errorf("browser: %w", err)
		}
		painted, err := paintedAt(b.ctx, tab, tok, b.opts.roundTimeout)
		if err != nil {
			return fmt.Errorf("browser: round %d: %w", r+1, err)
		}
		if r >= 0 {
			res.serving = append(res.serving, served.Sub(saved))
			res.painted = append(res.painted, painted.Sub(saved))
		}
		time.Sleep(b.settle())
	}
	return nil
}

// paintedAt waits for the tab to show version tok and returns when the
// page recorded its first frame after that load.
func paintedAt(ctx context.Context, tab context.Context, tok string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return time.Time{}, ctx.Err()
		}
		c, cancel := context.WithTimeout(tab, 2*time.Second)
		ms, err := chromedp.Run(c, chromedp.Evaluate[float64](fmt.Sprintf("window.version === %q && window.painted ? window.painted : 0", tok)))
		cancel()
		if err == nil && ms > 0 {
			return time.UnixMicro(int64(ms * 1000)), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Time{}, fmt.Errorf("the tab never showed %s", tok)
}

// proxyLatency times GET of the 100 kB page, direct and through the
// proxy, in turns, on kept-alive connections, reading the whole body.
func (b *bench) proxyLatency(res *browserResult, port, proxyPort int) error {
	res.pages = []string{"/big", "/big?gz=1"}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 4}}
	get := func(url string) (time.Duration, error) {
		req, _ := http.NewRequestWithContext(b.ctx, "GET", url, nil)
		req.Header.Set("Accept", "text/html")
		req.Header.Set("Accept-Encoding", "gzip")
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		var body io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				return 0, err
			}
			body = zr
		}
		n, err := io.Copy(io.Discard, body)
		resp.Body.Close()
		if err != nil || n < 100_000 {
			return 0, fmt.Errorf("GET %s: %d bytes, %v", url, n, err)
		}
		return time.Since(start), nil
	}
	b.logf("browser: proxy latency, %d requests per page each way", proxyRequests)
	for _, page := range res.pages {
		for i := -20; i < proxyRequests; i++ { // 20 to warm up
			d1, err := get(fmt.Sprintf("http://127.0.0.1:%d%s", port, page))
			if err != nil {
				return err
			}
			d2, err := get(fmt.Sprintf("http://127.0.0.1:%d%s", proxyPort, page))
			if err != nil {
				return err
			}
			if i >= 0 {
				res.direct[page] = append(res.direct[page], d1)
				res.proxied[page] = append(res.proxied[page], d2)
			}
		}
	}
	return nil
}

// quantile is the q-th quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func reportBrowser(w io.Writer, res *browserResult) {
	if res == nil {
		return
	}
	fmt.Fprintf(w, "\n### Browser: a page open through golive's proxy\n\n")
	if res.skipped != "" {
		fmt.Fprintf(w, "Skipped: %s.\n", res.skipped)
		return
	}
	fmt.Fprintf(w, "One Chromium tab (headless) on the page through the proxy; each round saves a new version and the page reloads by itself. Painted: the page's second animation frame after its load.\n\n")
	fmt.Fprintf(w, "| what | median, ms | min | max |\n|---|---|---|---|\n")
	paint, serve := statsOf(res.painted, len(res.painted)), statsOf(res.serving, len(res.serving))
	fmt.Fprintf(w, "| save → new content painted in the tab | %s | %s | %s |\n", ms(paint.med), ms(paint.min), ms(paint.max))
	fmt.Fprintf(w, "| save → serving (the program answers it, polled directly) | %s | %s | %s |\n", ms(serve.med), ms(serve.min), ms(serve.max))
	diffs := make([]time.Duration, len(res.painted))
	for i := range res.painted {
		diffs[i] = res.painted[i] - res.serving[i]
	}
	d := statsOf(diffs, len(diffs))
	fmt.Fprintf(w, "| painted − serving, per round | %s | %s | %s |\n", signedMS(d.med), signedMS(d.min), signedMS(d.max))
	fmt.Fprintf(w, "\nA 100 kB HTML page, %d GETs each way in turns, kept-alive connections, whole body read (the proxy decodes, injects and re-encodes):\n\n", proxyRequests)
	fmt.Fprintf(w, "| page | direct median, ms | direct p99 | proxy median | proxy p99 | added median |\n|---|---|---|---|---|---|\n")
	for _, page := range res.pages {
		dm, dp := quantile(res.direct[page], 0.5), quantile(res.direct[page], 0.99)
		pm, pp := quantile(res.proxied[page], 0.5), quantile(res.proxied[page], 0.99)
		name := "plain"
		if strings.Contains(page, "gz") {
			name = "gzip"
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %+.3f |\n", name, msFine(dm), msFine(dp), msFine(pm), msFine(pp), float64(pm-dm)/float64(time.Millisecond))
	}
	fmt.Fprintln(w)
}

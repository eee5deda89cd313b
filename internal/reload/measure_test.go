package reload

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/builder"
)

// TestMeasure prints the figures in docs/plugins.md: plugin build time
// by link flags and by what the plugin imports, beside the program's own
// edit-build; load time; and the program's memory over 30 reloads. Run
// it alone on a quiet machine:
//
//	GOLIVE_MEASURE=1 go test -run TestMeasure -v ./plugin
//	GOLIVE_MEASURE=1 go test -race -run TestMeasure -v ./plugin
func TestMeasure(t *testing.T) {
	if os.Getenv("GOLIVE_MEASURE") == "" {
		t.Skip("set GOLIVE_MEASURE=1 to measure")
	}
	for _, imp := range []string{"strings", "net/http"} {
		t.Run(imp, func(t *testing.T) { measure(t, imp) })
	}
}

// greeterImporting is the fixture's greeter, importing imp too.
func greeterImporting(imp string) string {
	use := map[string]string{"strings": "strings.ToLower", "net/http": "http.CanonicalHeaderKey"}[imp]
	return `package greeter

import (
	"` + imp + `"

	"example.com/app/greeter/punct"
	"example.com/app/shared"
)

// Greet greets.
func Greet(name string) string {
	return shared.Hello() + " " + ` + use + `(name) + " v0" + punct.Mark()
}
`
}

func measure(t *testing.T, imp string) {
	e := startHostWith(t, map[string]string{"greeter/greeter.go": greeterImporting(imp)}, buildOptions)
	e.get()

	// Memory first, on a fresh program: RSS after each of 30 reloads.
	if _, err := os.Stat("/proc/self/status"); err == nil {
		rss := []int{vmRSS(t, e.pid)}
		for range 30 {
			e.bump(e.version + 1)
			e.version++
			if err := e.reload(); err != nil {
				t.Fatal(err)
			}
			e.get()
			rss = append(rss, vmRSS(t, e.pid))
		}
		var row []string
		for _, i := range []int{0, 1, 10, 20, 30} {
			row = append(row, fmt.Sprintf("%d: %.1f MB", i, float64(rss[i])/1024))
		}
		t.Logf("RSS after reloads (%s): %s; %.2f MB per reload (1→30)", imp, strings.Join(row, ", "), float64(rss[30]-rss[1])/1024/29)
	}

	// Build time, the variants taken in turns so that the machine's
	// other work weighs on all of them alike.
	variants := []struct {
		name string
		set  func(*builder.Options)
		b    *Builder
		ds   []time.Duration
		open []time.Duration
		size int64
	}{
		{name: "plugin, -ldflags=-w (golive's default)", set: func(*builder.Options) {}},
		{name: "plugin, -ldflags='-s -w'", set: func(o *builder.Options) { o.LDFlags = "-s" }},
		{name: "plugin, no -w (build.debug)", set: func(o *builder.Options) { o.Debug = true }},
		{name: "plugin, -ldflags='-w -extldflags=-fuse-ld=gold'", set: func(o *builder.Options) { o.LDFlags = "-extldflags=-fuse-ld=gold" }},
	}
	for i := range variants {
		opts := e.opts
		variants[i].set(&opts)
		b, err := NewBuilder(Options{Build: opts, Packages: []string{"./greeter"}, Out: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		variants[i].b = b
	}
	hosts := []struct {
		tags []string
		ds   []time.Duration
		size int64
	}{{tags: []string{BuildTag}}, {tags: nil}}
	for range 7 {
		for i := range variants {
			v := &variants[i]
			e.builder = v.b
			e.bump(e.version + 1)
			e.version++
			start := time.Now()
			res := e.build()
			v.ds = append(v.ds, time.Since(start))
			if res.Failed {
				t.Fatal(res.Diagnostics)
			}
			st, _ := os.Stat(res.Plugin.File)
			v.size = st.Size()
			l, err := e.server.Deliver(context.Background(), res.Plugin)
			if err != nil {
				t.Fatal(err)
			}
			v.open = append(v.open, l.Open+l.Swap)
		}
		// The restart path's build: the program itself after the same
		// edit, with the loader (tag golive) and without it.
		for i := range hosts {
			h := &hosts[i]
			opts := e.opts
			opts.Tags = h.tags
			e.bump(e.version + 1)
			e.version++
			bin := filepath.Join(t.TempDir(), "host")
			start := time.Now()
			cmd := exec.Command("go", builder.Args(opts, bin)...)
			cmd.Dir, cmd.Env = e.dir, opts.Env
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			h.ds = append(h.ds, time.Since(start))
			st, _ := os.Stat(bin)
			h.size = st.Size()
		}
	}
	t.Logf("| %s, race %v | build: median (min) | file | load |", imp, raceEnabled)
	for _, v := range variants {
		t.Logf("| %s | %v (%v) | %.1f MB | %v |", v.name, median(v.ds), slices.Min(v.ds).Round(time.Millisecond), float64(v.size)/1e6, median(v.open))
	}
	for _, h := range hosts {
		t.Logf("| program, tags %q | %v (%v) | %.1f MB | |", h.tags, median(h.ds), slices.Min(h.ds).Round(time.Millisecond), float64(h.size)/1e6)
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond)
}

// vmRSS returns a process's resident set in KiB.
func vmRSS(t *testing.T, pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

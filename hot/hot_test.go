package hot

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// build is a fake plugin build: its symbols by name.
type build map[string]any

func (b build) lookup(name string) (any, error) {
	if v, ok := b[name]; ok {
		return v, nil
	}
	return nil, fmt.Errorf("plugin: symbol %s not found in plugin fake", name)
}

// Each test registers under its own package path: the registry is the
// process's, as it is in a program.

func TestLinkedUntilLoad(t *testing.T) {
	t.Parallel()
	greet := Func("t.test/linked", "Greet", func(n string) string { return "linked " + n })
	if got := greet.Load()("x"); got != "linked x" {
		t.Fatalf("Load() = %q, want the linked code", got)
	}
	if got := greet.String(); got != "t.test/linked.Greet" {
		t.Errorf("String() = %q", got)
	}
}

func TestLoadSwapsEverySymbolOfThePackage(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/swap")
	greet := Func(pkg, "Greet", func(string) string { return "old" })
	bye := Func(pkg, "Bye", func() string { return "old" })
	other := Func("t.test/swap/other", "Greet", func(string) string { return "other" })
	v, n, err := load(pkg, build{
		"Greet": func(string) string { return "new" },
		"Bye":   func() string { return "new" },
	}.lookup)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("swapped %d symbols, want 2", n)
	}
	if greet.Load()("") != "new" || bye.Load()() != "new" {
		t.Errorf("after load: %q, %q; want new, new", greet.Load()(""), bye.Load()())
	}
	if greet.In(v)("") != "new" {
		t.Errorf("In(returned version) is not the new code")
	}
	if other.Load()("") != "other" {
		t.Errorf("a symbol of another package was swapped")
	}
}

func TestLoadSwapsNoneOnError(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		build build
		want  string
	}{
		{"missing symbol", build{"A": func() int { return 1 }},
			"hot: PKG.B: not in the new build: plugin: symbol B not found in plugin fake"},
		{"wrong type", build{"A": func() int { return 1 }, "B": func(int) string { return "" }},
			"hot: PKG.B has type func(int) string in the new build, want func() string"},
		{"function where a variable was registered", build{"A": func() int { return 1 }, "B": func() string { return "" }, "C": 3},
			"hot: PKG.C has type int in the new build, want *int"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pkg := uniq("t.test/none/" + strings.ReplaceAll(tt.name, " ", "-"))
			a := Func(pkg, "A", func() int { return 0 })
			Func(pkg, "B", func() string { return "" })
			if tt.build["C"] != nil {
				c := 0
				Var(pkg, "C", &c)
			}
			before := Current()
			_, _, err := load(pkg, tt.build.lookup)
			want := strings.ReplaceAll(tt.want, "PKG", pkg)
			if err == nil || err.Error() != want {
				t.Fatalf("load: %v\nwant %s", err, want)
			}
			if a.Load()() != 0 {
				t.Errorf("A was swapped although the build was refused")
			}
			if Current().Gen() != before.Gen() {
				t.Errorf("a refused build published a new version")
			}
		})
	}
}

func TestLoadOfUnregisteredPackage(t *testing.T) {
	t.Parallel()
	Func("t.test/registered", "F", func() {})
	_, _, err := load("t.test/typo", build{}.lookup)
	if err == nil || !strings.HasPrefix(err.Error(), "hot: no symbol of t.test/typo is registered (registered: ") ||
		!strings.Contains(err.Error(), "t.test/registered") {
		t.Fatalf("load: %v", err)
	}
}

type inTreeType struct{ n int }

func TestTypeFromInsideTheTreeIsReported(t *testing.T) {
	t.Parallel()
	// This test package's own path stands for the plugin's tree.
	const pkg = "github.com/golive-dev/golive/hot"
	f := Func(pkg, "F", func(map[string][]*inTreeType) {})
	_, _, err := load(pkg, build{"F": func(map[string][]*inTreeType) {}}.lookup)
	want := "hot: github.com/golive-dev/golive/hot.F: its type func(map[string][]*hot.inTreeType) uses hot.inTreeType, " +
		"which is defined inside the plugin's tree"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("load: %v\nwant %s…", err, want)
	}
	if f.Load() == nil {
		t.Fatal("the linked code is gone")
	}
	// A parent directory's tree holds the package too; a sibling does not.
	if defect(f.e.typ, "github.com/golive-dev/golive") == "" {
		t.Errorf("a type of a subpackage of the tree was not reported")
	}
	if d := defect(f.e.typ, "github.com/golive-dev/golive/ho"); d != "" {
		t.Errorf("a type of a sibling package was reported: %s", d)
	}
}

func TestVar(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/var")
	linked := "linked"
	v := Var(pkg, "Greeting", &linked)
	if *v.Load() != "linked" {
		t.Fatalf("Load() = %q", *v.Load())
	}
	loaded := "loaded"
	if _, _, err := load(pkg, build{"Greeting": &loaded}.lookup); err != nil {
		t.Fatal(err)
	}
	if *v.Load() != "loaded" {
		t.Fatalf("after load: %q", *v.Load())
	}
}

func TestFuncOfNonFunctionPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "int is not a function type") {
			t.Errorf("recovered %v", r)
		}
	}()
	Func("t.test/panic", "N", 3)
}

func TestRegisterAfterLoadStartsOnTheLoadedBuild(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/late")
	Func(pkg, "A", func() string { return "linked" })
	b := build{"A": func() string { return "loaded" }, "B": func() string { return "loaded" }}
	old := Current()
	if _, _, err := load(pkg, b.lookup); err != nil {
		t.Fatal(err)
	}
	late := Func(pkg, "B", func() string { return "linked" })
	if got := late.Load()(); got != "loaded" {
		t.Errorf("late symbol: %q, want the loaded build's", got)
	}
	if got := late.In(old)(); got != "loaded" {
		t.Errorf("late symbol in an older snapshot: %q, want its first value", got)
	}
}

// TestSnapshotIsOneBuild swaps builds while readers call two symbols
// through snapshots: under -race this also proves the switch race-free.
func TestSnapshotIsOneBuild(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/snapshot")
	a := Func(pkg, "A", func() int { return 0 })
	b := Func(pkg, "B", func() int { return 0 })
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				v := Current()
				if x, y := a.In(v)(), b.In(v)(); x != y {
					errs <- fmt.Errorf("one snapshot saw builds %d and %d", x, y)
					return
				}
			}
		}()
	}
	for i := 1; i <= 500; i++ {
		n := i
		f := func() int { return n }
		if _, _, err := load(pkg, build{"A": f, "B": f}.lookup); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if a.Load()() != 500 {
		t.Errorf("after 500 loads: build %d", a.Load()())
	}
}

// TestInFlightCallFinishesOnOldCode swaps a build in while a call of the
// old one is running.
func TestInFlightCallFinishesOnOldCode(t *testing.T) {
	t.Parallel()
	pkg := uniq("t.test/inflight")
	entered, release := make(chan struct{}), make(chan struct{})
	f := Func(pkg, "F", func() string {
		close(entered)
		<-release
		return "old"
	})
	got := make(chan string)
	go func() { got <- f.Load()() }()
	<-entered
	if _, _, err := load(pkg, build{"F": func() string { return "new" }}.lookup); err != nil {
		t.Fatal(err)
	}
	if f.Load()() != "new" {
		t.Error("new calls do not run the new build")
	}
	close(release)
	if s := <-got; s != "old" {
		t.Errorf("the call in flight returned %q", s)
	}
}

var errOpen = errors.New("plugin.Open(\"x.so\"): plugin was built with a different version of package example.com/app/shared")

// runs numbers the test functions' runs, so that -count=N registers new
// packages each time: the registry is global and lives as long as the
// test binary.
var runs atomic.Int64

// uniq returns a package path no earlier run has registered.
func uniq(pkg string) string { return fmt.Sprintf("%s/run%d", pkg, runs.Add(1)) }

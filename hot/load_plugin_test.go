//go:build golive && cgo && (linux || darwin || freebsd)

package hot

import (
	"runtime"
	"strconv"
	"strings"
	"testing"
)

func TestPanicSite(t *testing.T) {
	t.Parallel()
	var site string
	_, file, line, _ := runtime.Caller(0)
	func() {
		defer func() {
			if recover() != nil {
				site = panicSite()
			}
		}()
		var m map[string]int
		m["x"] = 1 // a runtime error: its frames start in the runtime
	}()
	if want := " at " + file + ":" + strconv.Itoa(line+8); site != want {
		t.Errorf("panicSite() = %q, want %q", site, want)
	}
}

func TestOpenBuildReportsTheError(t *testing.T) {
	t.Parallel()
	_, err := openBuild("example.com/app/greeter", "/nonexistent.so")
	if err == nil || !strings.HasPrefix(err.Error(), `plugin.Open("/nonexistent`) {
		t.Fatalf("openBuild: %v", err)
	}
}

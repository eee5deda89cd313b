package supervise

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golive-dev/golive/internal/procgroup"
	"github.com/golive-dev/golive/internal/testkit"
)

// The test binary doubles as the programs these tests run, and as the
// keeper that starts them, as golive's own binary does.
func TestMain(m *testing.M) {
	if IsKeeper() {
		os.Exit(RunKeeper())
	}
	if os.Getenv(testkit.HelperEnv) == "golive" {
		standInForGolive()
	}
	testkit.RunHelper()
	// Race-enabled binaries sleep a second at exit to catch late races;
	// the keepers and helper programs these tests start are such binaries.
	os.Setenv("GORACE", "atexit_sleep_ms=0")
	procgroup.BecomeSubreaper()
	os.Exit(m.Run())
}

// standInForGolive runs an escaping program, as golive would, then waits
// to be killed.
func standInForGolive() {
	p, err := Start(os.Args[0], Options{
		Env:    append(os.Environ(), testkit.HelperEnv+"=escape"),
		Stdout: os.Stdout, Stderr: os.Stderr,
		StopSignal: syscall.SIGTERM, StopTimeout: time.Second,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("program", p.PID())
	time.Sleep(time.Hour)
	os.Exit(0)
}

// helperOptions returns Options that run the test binary as helper mode.
func helperOptions(t *testing.T, mode string, out *testkit.LineWaiter, direct bool) Options {
	return Options{
		Direct:      direct,
		Dir:         t.TempDir(),
		Env:         append(os.Environ(), testkit.HelperEnv+"="+mode, "GOLIVE_PIDFILE="+filepath.Join(t.TempDir(), "pid")),
		Stdout:      out,
		Stderr:      out,
		StopSignal:  syscall.SIGTERM,
		StopTimeout: 5 * time.Second,
	}
}

// pidfileOf returns the GOLIVE_PIDFILE that helperOptions chose.
func pidfileOf(opts Options) string {
	for _, kv := range opts.Env {
		if f, ok := strings.CutPrefix(kv, "GOLIVE_PIDFILE="); ok {
			return f
		}
	}
	return ""
}

package hot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"time"
)

// EnvVar names the environment variable through which golive tells the
// program where to receive builds: the path of a Unix socket that golive
// listens on. The package reads it once, at init, and unsets it, so that
// programs the program starts do not connect too.
const EnvVar = "GOLIVE_HOT"

// message is one line of the protocol, a JSON object per line in both
// directions (docs/plugins.md has the whole of it):
//
//	program → golive, once, on connect:  {"type":"hello","pid":…,"go":"go1.26.1"[,"reason":"…"]}
//	golive → program:                    {"type":"load","id":1,"package":"example.com/app/greeter","path":"/…/greeter-1.so"}
//	program → golive, per load:          {"type":"loaded","id":1,"gen":1,"symbols":2,"open_ns":…,"swap_ns":…}
//	                                  or {"type":"failed","id":1,"error":"…"}
//
// A hello with a reason says the program cannot load plugins at all.
type message struct {
	Type    string `json:"type"`
	ID      int    `json:"id,omitempty"`
	PID     int    `json:"pid,omitempty"`
	Go      string `json:"go,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Package string `json:"package,omitempty"`
	Path    string `json:"path,omitempty"`
	Gen     int    `json:"gen,omitempty"`
	Symbols int    `json:"symbols,omitempty"`
	OpenNS  int64  `json:"open_ns,omitempty"`
	SwapNS  int64  `json:"swap_ns,omitempty"`
	Error   string `json:"error,omitempty"`
}

func init() {
	addr := os.Getenv(EnvVar)
	if addr == "" {
		return // not run by golive: the linked code is all there is
	}
	os.Unsetenv(EnvVar)
	c, err := net.Dial("unix", addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hot: cannot reach golive: %v\n", err)
		return
	}
	// Connect before the program's own init code runs (this is the
	// init of a dependency), so golive can tell a program that never
	// imported hot from one that has not connected yet; serve in the
	// background.
	go serve(c, loader{unsupported: unsupported, open: openBuild})
}

// loader is how this build loads plugins, a seam for tests.
type loader struct {
	unsupported string // why it cannot, or ""
	open        func(pkg, path string) (lookupFunc, error)
}

// serve answers golive's load requests on c until golive closes it. Loads
// run one at a time, on this goroutine.
func serve(c net.Conn, ld loader) {
	defer c.Close()
	enc := json.NewEncoder(c)
	hello := message{Type: "hello", PID: os.Getpid(), Go: runtime.Version(), Reason: ld.unsupported}
	if enc.Encode(hello) != nil {
		return
	}
	r := bufio.NewReader(c)
	dec := json.NewDecoder(r)
	for {
		var req message
		if err := dec.Decode(&req); err != nil {
			return // golive went away
		}
		if req.Type != "load" {
			continue // a newer golive's request: ignore what is not understood
		}
		if enc.Encode(handle(req, ld)) != nil {
			return
		}
	}
}

// handle loads one build and swaps it in.
func handle(req message, ld loader) message {
	fail := func(err error) message { return message{Type: "failed", ID: req.ID, Error: err.Error()} }
	if ld.unsupported != "" {
		return fail(fmt.Errorf("hot: %s", ld.unsupported))
	}
	start := time.Now()
	lookup, err := ld.open(req.Package, req.Path)
	if err != nil {
		return fail(err)
	}
	opened := time.Now()
	v, n, err := load(req.Package, lookup)
	if err != nil {
		return fail(err)
	}
	return message{Type: "loaded", ID: req.ID, Gen: v.Gen(), Symbols: n,
		OpenNS: int64(opened.Sub(start)), SwapNS: int64(time.Since(opened))}
}

package supervise

import (
	"errors"
	"os"
)

// errKeeperGone is a keeper that ended before it started the program:
// a keeper started ahead may have been killed meanwhile, and a new one
// then takes its place (Starter.Start).
var errKeeperGone = errors.New("keeper ended before starting it")

// KeeperEnv marks a golive process started as a keeper. cmd/golive's main
// (and any test binary that starts programs) calls RunKeeper first thing
// when IsKeeper says so.
const KeeperEnv = "GOLIVE_KEEPER"

// IsKeeper reports whether this process was started as a keeper.
func IsKeeper() bool { return os.Getenv(KeeperEnv) == "1" }

// keeperSpec is what golive tells a keeper about the program, as the
// first line written to the lifeline pipe.
type keeperSpec struct {
	Bin         string   `json:"bin"`
	Args        []string `json:"args"`
	Dir         string   `json:"dir"`
	Env         []string `json:"env"`
	StopSignal  int      `json:"stop_signal"`
	StopTimeout int64    `json:"stop_timeout_ns"`
}

package runner

import (
	"os"
	"slices"
	"testing"
	"time"
)

// groupTree, fed a real process table, finds a grandchild that called
// setsid as an escaper of the program's tree (Linux stands in for the
// macOS table here).
func TestGroupTreeFindsRealEscaper(t *testing.T) {
	t.Parallel()
	out := newLineWaiter()
	opts := helperOptions(t, "spawn-setsid", out, false)
	opts.Env = append(opts.Env, "GOLIVE_ADDR=127.0.0.1:0")
	opts.StopTimeout = 100 * time.Millisecond // the escaper ignores SIGTERM
	p, err := StartProcess(os.Args[0], opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(nil)
	out.wait(t, "ready")
	out.wait(t, "ready") // the grandchild's
	gc := readPid(t, pidfileOf(opts))
	var procs []procInfo
	eachProc(func(st procStat) {
		procs = append(procs, procInfo{pid: st.pid, ppid: st.ppid, pgid: st.pgid, zombie: st.state == 'Z'})
	})
	members, outside := groupTree(procs, p.PID())
	has := func(ps []procInfo, pid int) bool {
		return slices.ContainsFunc(ps, func(p procInfo) bool { return p.pid == pid })
	}
	if !has(members, p.PID()) || has(members, gc) {
		t.Errorf("members %v: want the program %d, not the escaper %d", members, p.PID(), gc)
	}
	if !has(outside, gc) || len(outside) != 1 {
		t.Errorf("outside %v, want only the escaper %d", outside, gc)
	}
}

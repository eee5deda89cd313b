package procgroup

import (
	"slices"
	"testing"
)

func TestGroupTree(t *testing.T) {
	t.Parallel()
	procs := []procInfo{
		{pid: 0, ppid: 0, pgid: 0},   // a self-parented kernel task
		{pid: 1, ppid: 0, pgid: 1},   // init
		{pid: 50, ppid: 1, pgid: 50}, // golive
		{pid: 100, ppid: 50, pgid: 100},
		{pid: 101, ppid: 100, pgid: 100},
		{pid: 102, ppid: 100, pgid: 100, zombie: true},
		{pid: 103, ppid: 101, pgid: 103},               // setsid from a member
		{pid: 104, ppid: 103, pgid: 104},               // and its own escaper
		{pid: 105, ppid: 103, pgid: 105, zombie: true}, // gone already
		{pid: 106, ppid: 103, pgid: 100},               // back in the group
		{pid: 200, ppid: 1, pgid: 100},                 // a member re-parented to init
		{pid: 201, ppid: 200, pgid: 201},               // its escaper
		{pid: 300, ppid: 1, pgid: 300},                 // an escaper whose parent died: lost
		{pid: 400, ppid: 50, pgid: 400},                // unrelated
	}
	pids := func(ps []procInfo) []int {
		var out []int
		for _, p := range ps {
			out = append(out, p.pid)
		}
		slices.Sort(out)
		return out
	}
	members, outside := groupTree(procs, 100)
	if got, want := pids(members), []int{100, 101, 106, 200}; !slices.Equal(got, want) {
		t.Errorf("members %v, want %v", got, want)
	}
	if got, want := pids(outside), []int{103, 104, 201}; !slices.Equal(got, want) {
		t.Errorf("outside %v, want %v", got, want)
	}
	// The leader gone and reaped: its group and what that started remain.
	reaped := slices.DeleteFunc(slices.Clone(procs), func(p procInfo) bool { return p.pid == 100 })
	members, outside = groupTree(reaped, 100)
	if got, want := pids(members), []int{101, 106, 200}; !slices.Equal(got, want) {
		t.Errorf("without the leader: members %v, want %v", got, want)
	}
	if got, want := pids(outside), []int{103, 104, 201}; !slices.Equal(got, want) {
		t.Errorf("without the leader: outside %v, want %v", got, want)
	}
	if m, o := groupTree(procs, 999); m != nil || o != nil {
		t.Errorf("an empty group: %v %v", m, o)
	}
}

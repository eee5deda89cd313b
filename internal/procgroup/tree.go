package procgroup

// procInfo is one process of a scan of the process table, on systems
// where golive reads the table itself (macOS).
type procInfo struct {
	pid, ppid, pgid int
	zombie          bool  // exited, not yet reaped: holds no port and no file
	start           int64 // when it started: tells a reused pid apart
}

// groupTree finds, in one scan of the process table, what is left of the
// program whose group is pgid: members are the live processes of the
// group; outside are the live descendants of the group's processes (and
// of its leader, pgid itself) that moved to a group of their own
// (setsid, setpgid). The tree is followed by parent pid, so an escaper is
// found only while the process that started it lives: once that one is
// gone, the escaper's parent is init. Zombies count as gone.
func groupTree(procs []procInfo, pgid int) (members, outside []procInfo) {
	children := map[int][]int{}
	byPid := make(map[int]procInfo, len(procs))
	var queue []int
	for _, p := range procs {
		byPid[p.pid] = p
		if p.pid != p.ppid {
			children[p.ppid] = append(children[p.ppid], p.pid)
		}
		if p.pgid == pgid {
			queue = append(queue, p.pid)
			if !p.zombie {
				members = append(members, p)
			}
		}
	}
	queue = append(queue, pgid)
	seen := map[int]bool{}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		for _, c := range children[pid] {
			p := byPid[c]
			if p.pgid != pgid && !p.zombie && !seen[c] {
				outside = append(outside, p)
			}
			queue = append(queue, c)
		}
	}
	return members, outside
}

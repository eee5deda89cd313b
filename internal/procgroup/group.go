// Package procgroup starts a command as the leader of a process group of
// its own and answers for the whole group: one signal reaches everything
// it started, a kill ends all of it, and Gone says when nothing of it is
// left. golive runs go build and (where no keeper stands between them)
// the program this way.
//
// Each system has one complete file, as fsnotify has one backend per
// system: group_linux.go, group_darwin.go, group_freebsd.go,
// group_windows.go, group_unix.go for the other Unix systems, and
// group_other.go for the rest. A file defines the state one group needs
// (osGroup) and how to prepare, signal, count and release it; nothing is
// kept in globals, so two groups never share anything. unix.go holds the
// few lines every Unix file shares (setpgid, a signal to the group).
package procgroup

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"time"
)

// Group is a started command's process group.
type Group struct {
	p    *os.Process
	os   osGroup
	once sync.Once
}

// Start starts cmd (not yet started) as the leader of a new group. When
// Start fails after cmd has started, cmd has been killed and waited for.
// The caller waits for cmd as usual and calls Release once it no longer
// signals or counts the group.
func Start(cmd *exec.Cmd) (*Group, error) {
	prepare(cmd)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &Group{p: cmd.Process}
	if err := g.os.init(g.p); err != nil {
		g.p.Kill()
		cmd.Wait()
		return nil, err
	}
	return g, nil
}

// Pid is the leader's process id, which is also the group's id.
func (g *Group) Pid() int { return g.p.Pid }

// Signal sends sig to the whole group. A group with nothing left is no
// error.
func (g *Group) Signal(sig os.Signal) error { return g.os.signal(g.p, sig) }

// Kill ends every process of the group at once.
func (g *Group) Kill() error { return g.os.signal(g.p, os.Kill) }

// Gone reports whether no live process of the group is left.
func (g *Group) Gone() bool { return g.os.gone(g.p) }

// WaitGone polls until the group is gone or d passes, and reports
// whether it is gone. Polling is fine: it runs only while a stop is in
// progress.
func (g *Group) WaitGone(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for !g.Gone() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// Release lets go of what the group holds (on Windows, the Job Object,
// whose closing kills what is left). It may be called more than once.
func (g *Group) Release() { g.once.Do(g.os.release) }

// Run starts cmd in a group of its own and waits for it, killing the
// whole group when ctx is cancelled. It then waits up to a second for the
// group to be gone; on Linux that wait also reaps, by pid, the group's
// processes that were re-parented to golive (a child subreaper) when the
// go command died before its compile and link children.
func Run(ctx context.Context, cmd *exec.Cmd) error {
	g, err := Start(cmd)
	if err != nil {
		return err
	}
	done := make(chan struct{})
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		select {
		case <-ctx.Done():
			g.Kill()
		case <-done:
		}
	}()
	err = cmd.Wait()
	close(done)
	<-killed // release only after the last use of the group
	if ctx.Err() != nil {
		// The children die with the group; wait for them so that the next
		// build starts on a quiet machine.
		g.WaitGone(time.Second)
	}
	g.Release()
	return err
}

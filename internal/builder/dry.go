package builder

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/golive-dev/golive/internal/builder/replay"
	"github.com/golive-dev/golive/internal/procgroup"
)

// dryRuns runs the go command's dry run beside the program when the
// recipe lacks the compile of a package it links (replay.Missing), one
// at a time, so that the first edit of that package replays too.
type dryRuns struct {
	gen    int // the recipe generation last asked for; -1: none
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// learnMissing starts a dry run for the recipe if it lacks compiles and
// none was asked for it yet. It returns at once.
func (b *Builder) learnMissing() {
	gen, missing := b.replay.Missing()
	if !missing || gen == b.dry.gen {
		return
	}
	b.stopDry() // one for an older recipe is of no use
	b.dry.gen = gen
	ctx, cancel := context.WithCancel(context.Background())
	b.dry.cancel = cancel
	args := replay.DryArgs(Args(b.opts, filepath.Join(b.opts.Work.Dir(), "dry-run")))
	b.replay.DryStarted(gen)
	b.dry.wg.Add(1)
	go func() {
		defer b.dry.wg.Done()
		defer b.replay.DryEnded(gen) // after Dry: a build that waits takes its answer
		cmd := exec.Command("go", args...)
		if nice, err := exec.LookPath("nice"); err == nil {
			// Background work: the program starting beside it comes first.
			cmd = exec.Command(nice, append([]string{"-n", "10", "go"}, args...)...)
		}
		cmd.Dir = b.opts.Dir
		cmd.Env = append(slices.Clip(b.opts.Env), "GOTMPDIR="+b.opts.Work.GoTmp()) // Clip: a build may append to it meanwhile
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := procgroup.Run(ctx, cmd); err != nil {
			if ctx.Err() == nil {
				b.say("the go command's dry run failed: " + firstLine(out.String()))
			}
			return
		}
		b.replay.Dry(gen, out.String())
		b.say("the go command's dry run gave the compiles the recipe lacked: the next edit of those packages can replay")
	}()
}

// stopDry kills the dry run that may run and waits for it.
func (b *Builder) stopDry() {
	if b.dry.cancel != nil {
		b.dry.cancel()
		b.dry.wg.Wait()
		b.dry.cancel = nil
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

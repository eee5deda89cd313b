//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// debugResult is the debugger scenario: the same edit with golive
// --debug (delve restarts the program in place) and without.
type debugResult struct {
	skipped        string
	debug, plain   []time.Duration
	inPlace, total int // rounds of --debug that delve restarted in place
}

// debugScenario runs two golives on two copies of the latency fixture,
// one with --debug, and times save → new answer on each, in turns.
func (b *bench) debugScenario() error {
	res := &debugResult{}
	b.res.debug = res
	// golive finds dlv the same way: on PATH, or where go install puts it.
	if _, err := exec.LookPath("dlv"); err != nil {
		home, _ := os.UserHomeDir()
		if _, err := os.Stat(filepath.Join(home, "go", "bin", "dlv")); err != nil {
			res.skipped = "no dlv on PATH or in ~/go/bin (go install github.com/go-delve/delve/cmd/dlv@v1.27.2)"
			b.logf("debug: skipped: %s", res.skipped)
			return nil
		}
	}
	var tools []*watcherTool
	for _, setting := range []string{"debug", "debug off"} {
		t, err := b.newWatcher("golive", setting, []string{b.golives[0].path})
		if err != nil {
			return err
		}
		t.events = &eventLog{path: filepath.Join(b.work, "events-golive-"+sanitize(setting)+".jsonl")}
		t.argv = append(t.argv, "-C", t.fx.dir, "--events", t.events.path)
		if setting == "debug" {
			listen, err := freePort()
			if err != nil {
				return err
			}
			if err := t.fx.write(".reload.toml", fmt.Sprintf("[run]\ndebug = true\ndebug_listen = \"127.0.0.1:%d\"\n", listen)); err != nil {
				return err
			}
		}
		b.logf("debug: starting %s", t.label())
		if _, _, err := t.launch(b.ctx, b, 5*time.Minute); err != nil {
			return err
		}
		defer t.shutdown()
		tools = append(tools, t)
	}
	for r := -1; r < b.opts.rounds; r++ {
		for i, t := range tools {
			tok := fmt.Sprintf("d%02d-%d-%06d", r+1, i, time.Now().UnixNano()%1e6)
			if err := t.fx.setVersion(tok); err != nil {
				return err
			}
			saved := time.Now()
			at, err := t.c.waitFor(b.ctx, "/version", tok, b.opts.roundTimeout, nil)
			if err != nil {
				return fmt.Errorf("debug: %s: %w", t.label(), err)
			}
			time.Sleep(b.settle())
			if r < 0 {
				continue
			}
			if i == 0 {
				res.debug = append(res.debug, at.Sub(saved))
				res.total++
				if _, err := t.events.waitFor(b.ctx, "debug_restart", saved, time.Second); err == nil {
					res.inPlace++
				}
			} else {
				res.plain = append(res.plain, at.Sub(saved))
			}
		}
	}
	return nil
}

func reportDebug(w io.Writer, res *debugResult) {
	if res == nil {
		return
	}
	fmt.Fprintf(w, "\n### Debugger: save → new answer with --debug and without\n\n")
	if res.skipped != "" {
		fmt.Fprintf(w, "Skipped: %s.\n", res.skipped)
		return
	}
	d, p := statsOf(res.debug, len(res.debug)), statsOf(res.plain, len(res.plain))
	fmt.Fprintf(w, "Two golives on two copies of the latency fixture, the same edit in turns; with --debug the build adds `-gcflags=all=-N -l` and keeps DWARF, and delve restarts the program in place.\n\n")
	fmt.Fprintf(w, "| golive | median, ms | min | max | × without |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| --debug (%d of %d restarted in place) | %s | %s | %s | %s |\n", res.inPlace, res.total, ms(d.med), ms(d.min), ms(d.max), ratio(d.med, p.med))
	fmt.Fprintf(w, "| without | %s | %s | %s | 1.00× |\n\n", ms(p.med), ms(p.min), ms(p.max))
}

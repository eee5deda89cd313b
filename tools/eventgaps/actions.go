package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// action is one way of saving that is measured.
type action struct {
	name  string
	desc  string
	setup func(dir string) error        // before watching starts
	pre   func(dir string, i int) error // before run i, outside the recording; may be nil
	run   func(dir string, i int) error // the action itself, recorded
	skip  func() string                 // reason it cannot run here; may be nil
}

func actions() []action {
	return []action{
		{
			name: "vim",
			desc: "real vim, `vim -u NONE -N -i NONE -Es -c 'set writebackup nobackup backupcopy=auto backupskip=' -c 'normal Gox' -c wq main.go`: vim's defaults (swap file, 4913 probe, rename to main.go~, write, remove the backup) except 'backupskip', whose default skips the backup under /tmp, where the tree is",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error {
				return command(dir, "vim", "-u", "NONE", "-N", "-i", "NONE", "-Es",
					"-c", "set writebackup nobackup backupcopy=auto backupskip=", "-c", "normal Gox", "-c", "wq", "main.go")
			},
			skip: needs("vim"),
		},
		{
			name: "vim-sim",
			desc: "vim's writebackup save in Go: create/chown/remove `4913`, rename main.go → main.go~, create and write main.go, fsync, chmod, remove main.go~",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return vimSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "atomic",
			desc: "atomic save (VS Code-style safe write): write and fsync a temp file next to main.go, rename it over main.go",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return atomicSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "goland",
			desc: "GoLand safe write: write main.go___jb_tmp___, rename main.go → main.go___jb_old___, rename the tmp to main.go, remove the old",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "main.go"), goSource(0), 0o644)
			},
			run: func(dir string, i int) error { return golandSave(dir, "main.go", goSource(i+1)) },
		},
		{
			name: "write50k",
			desc: "plain truncate-and-write: `os.WriteFile` of a 50 KB big.go",
			setup: func(dir string) error {
				return os.WriteFile(filepath.Join(dir, "big.go"), sized(0, 50<<10), 0o644)
			},
			run: func(dir string, i int) error {
				return os.WriteFile(filepath.Join(dir, "big.go"), sized(i+1, 50<<10), 0o644)
			},
		},
		{
			name: "gofmt",
			desc: "real `gofmt -w strings.go` (a copy of GOROOT's src/strings/strings.go with its indentation stripped before each run; gofmt rewrites in place, keeping a `strings.go.<random>` backup while it writes)",
			setup: func(dir string) error {
				_, err := realGoFile()
				return err
			},
			pre: func(dir string, i int) error {
				src, err := realGoFile()
				if err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "strings.go"), unindent(src), 0o644)
			},
			run: func(dir string, i int) error {
				return command(dir, filepath.Join(goroot(), "bin", "gofmt"), "-w", "strings.go")
			},
			skip: func() string {
				if _, err := os.Stat(filepath.Join(goroot(), "bin", "gofmt")); err != nil {
					return "no gofmt in GOROOT"
				}
				if _, err := realGoFile(); err != nil {
					return err.Error()
				}
				return ""
			},
		},
		{
			name:  "git-checkout",
			desc:  "real `git checkout` between two branches differing in 2,000 files (500 .go + 1,500 others in 20 directories), alternating",
			setup: gitSetup,
			run: func(dir string, i int) error {
				br := "b"
				if i%2 == 1 {
					br = "a"
				}
				return command(dir, "git", "checkout", "-q", br)
			},
			skip: needs("git"),
		},
		{
			name: "mod-tidy",
			desc: "`go mod tidy`-like rewrite: truncate-and-write go.mod, then go.sum, back to back",
			setup: func(dir string) error {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod(0), 0o644); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "go.sum"), goSum(0), 0o644)
			},
			run: func(dir string, i int) error {
				if err := os.WriteFile(filepath.Join(dir, "go.mod"), goMod(i+1), 0o644); err != nil {
					return err
				}
				return os.WriteFile(filepath.Join(dir, "go.sum"), goSum(i+1), 0o644)
			},
		},
	}
}

func needs(bin string) func() string {
	return func() string {
		if _, err := exec.LookPath(bin); err != nil {
			return bin + " not installed"
		}
		return ""
	}
}

// home is the HOME of the commands run, outside every watched tree.
var home string

func command(dir, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	// A HOME outside the watched tree: no user config, and nothing a tool
	// writes there (gofmt's telemetry, ~/.config) lands in the burst.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"), "TERM=dumb")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// vimSave does what vim 9 does on :w with 'writebackup' and
// 'backupcopy=auto' (bufwrite.c), minus the swap file.
func vimSave(dir, name string, data []byte) error {
	p := filepath.Join(dir, name)
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	probe := filepath.Join(dir, "4913")
	f, err := os.OpenFile(probe, os.O_CREATE|os.O_WRONLY|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	_ = f.Chown(os.Getuid(), os.Getgid())
	f.Close()
	if err := os.Remove(probe); err != nil {
		return err
	}
	bak := p + "~"
	if err := os.Rename(p, bak); err != nil {
		return err
	}
	f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, st.Mode().Perm())
	if err != nil {
		return err
	}
	if err := writeSyncClose(f, data); err != nil {
		return err
	}
	if err := os.Chmod(p, st.Mode().Perm()); err != nil {
		return err
	}
	return os.Remove(bak)
}

func atomicSave(dir, name string, data []byte) error {
	f, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return err
	}
	if err := writeSyncClose(f, data); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

func golandSave(dir, name string, data []byte) error {
	p := filepath.Join(dir, name)
	tmp, old := p+"___jb_tmp___", p+"___jb_old___"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	if err := os.Rename(p, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, p); err != nil {
		return err
	}
	return os.Remove(old)
}

// gitSetup makes a repository whose branches a and b differ in 2,000
// files: 20 directories of 25 .go and 75 other files each.
func gitSetup(dir string) error {
	git := func(args ...string) error {
		return command(dir, "git", append([]string{"-c", "user.name=eventgaps", "-c", "user.email=eventgaps@example.com",
			"-c", "commit.gpgsign=false", "-c", "init.defaultBranch=a"}, args...)...)
	}
	write := func(version int) error {
		for d := 0; d < 20; d++ {
			sub := filepath.Join(dir, fmt.Sprintf("pkg%02d", d))
			if err := os.MkdirAll(sub, 0o755); err != nil {
				return err
			}
			for f := 0; f < 100; f++ {
				var name string
				var data []byte
				switch {
				case f < 25:
					name = fmt.Sprintf("file%02d.go", f)
					data = fmt.Appendf(nil, "package pkg%02d\n\n// version %d\nconst C%02d = %d\n", d, version, f, version*1000+f)
				case f < 50:
					name = fmt.Sprintf("data%02d.json", f)
					data = fmt.Appendf(nil, "{\"version\": %d, \"file\": %d}\n", version, f)
				case f < 75:
					name = fmt.Sprintf("notes%02d.md", f)
					data = fmt.Appendf(nil, "# notes %d\n\nversion %d\n", f, version)
				default:
					name = fmt.Sprintf("asset%02d.txt", f)
					data = bytes.Repeat(fmt.Appendf(nil, "v%d f%d ", version, f), 200)
				}
				if err := os.WriteFile(filepath.Join(sub, name), data, 0o644); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := git("init", "-q"); err != nil {
		return err
	}
	if err := write(1); err != nil {
		return err
	}
	if err := git("add", "-A"); err != nil {
		return err
	}
	if err := git("commit", "-q", "-m", "a"); err != nil {
		return err
	}
	if err := git("checkout", "-q", "-b", "b"); err != nil {
		return err
	}
	if err := write(2); err != nil {
		return err
	}
	if err := git("add", "-A"); err != nil {
		return err
	}
	if err := git("commit", "-q", "-m", "b"); err != nil {
		return err
	}
	// Run 0 checks out b, so start on a.
	return git("checkout", "-q", "a")
}

// writeSyncClose writes data to f, syncs it and closes it, as an editor's
// save does; f is closed whatever fails.
func writeSyncClose(f *os.File, data []byte) error {
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

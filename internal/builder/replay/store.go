package replay

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/golive-dev/golive/internal/goenv"
)

// A recipe is worth keeping past its session. Without one, a session's
// first build is go build, which with a warm cache is mostly the go
// command loading and hashing every package, then a link. With the last
// session's recipe it is a replay like any other: the link, plus the
// compile of the packages edited while golive was not running. So a
// session that ends with a recipe writes it down, and the next session in
// the same directory takes it up if it was made under the same conditions:
// the same golive, build settings and environment (but for variables that
// shells and terminals change from one window to the next), the same go
// command, toolchain and go env file, and the toolchain the go command
// picks now (go env GOROOT: a version manager's shim picks by files of
// the project). The rest is checked as for every
// replay: the snapshot of the module's inputs says which files changed
// since, and anything a replay cannot build runs go build.
//
// The store is one directory per project directory, held by one session
// at a time (an flock); a second session on the same project keeps its
// recipe to itself:
//
//	lock         locked by the session that uses the store
//	tmp/         that session's GOTMPDIR: the recipe's $WORK lives here
//	out/         the replays' archives
//	recipe.json  written when the session ends and removed when the next
//	             one takes it, so that no recipe in use is ever on disk
//	             and a session that crashes leaves none that could lie
//	swept/       what no recipe uses, moved aside to be removed beside
//	             the session's first build rather than before it
type Store struct {
	dir      string
	key      string // the conditions the recipe must have been made under
	lock     *os.File
	sweeping sync.WaitGroup // the removal of what no recipe uses, beside the builds
	maxKept  int64          // the most a kept recipe's $WORK may hold (maxKeptBytes)
}

// recipeFormat changes whenever what is stored changes meaning.
const recipeFormat = "golive recipe 1"

// sessionVars change between terminals and shells and mean nothing to go
// build; every other variable of the build's environment is part of the
// key.
var sessionVars = map[string]bool{
	"_": true, "OLDPWD": true, "SHLVL": true, "COLUMNS": true, "LINES": true,
	"TERM_SESSION_ID": true, "WINDOWID": true, "DISPLAY": true, "XAUTHORITY": true,
	"SSH_CLIENT": true, "SSH_CONNECTION": true, "SSH_TTY": true, "SSH_AUTH_SOCK": true,
	"TMUX": true, "TMUX_PANE": true, "STY": true, "GPG_TTY": true,
}

// OpenStore takes the project's store in dir for this session's builds
// of opts. It returns nil when another session holds it, when the store
// cannot be made, or when the build stamps version control information,
// which changes with every commit where no snapshot looks.
func OpenStore(dir string, opts Options) *Store {
	if !slices.Contains(opts.Args, "-buildvcs=false") {
		return nil
	}
	key, err := recipeKey(opts)
	if err != nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o755); err != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil
	}
	// Which project the store serves, so that a later golive can remove
	// the stores of projects that are gone (sweepStores): an absolute
	// path, which means the same to a golive started anywhere.
	if root, err := filepath.Abs(opts.Dir); err == nil {
		os.WriteFile(filepath.Join(dir, "root"), []byte(root), 0o644)
	}
	return &Store{dir: dir, key: key, lock: f, maxKept: maxKeptBytes}
}

// StoreSuffix ends the name of a project's store in golive's cache.
const StoreSuffix = "-recipe"

// SweepStores removes the stores in parent whose project directory no
// longer exists (a temporary directory, a deleted clone), that this user
// owns and that no session holds: nothing else would ever remove them. A
// root that is not an absolute path says nothing, and its store stays.
func SweepStores(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		if !e.IsDir() || !strings.HasSuffix(e.Name(), StoreSuffix) {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if fi, err := e.Info(); err != nil || !ownedByMe(fi) {
			continue
		}
		root, err := os.ReadFile(filepath.Join(dir, "root"))
		if err != nil || !filepath.IsAbs(string(root)) {
			continue // being made, or not golive's
		}
		if _, err := os.Stat(string(root)); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		f, err := os.Open(filepath.Join(dir, "lock"))
		if err != nil {
			continue
		}
		if lockFile(f) == nil {
			removeStore(parent, dir)
		}
		f.Close()
	}
	// What a sweep that was cut short left.
	aside := filepath.Join(parent, sweptDir)
	left, _ := os.ReadDir(aside)
	for _, e := range left {
		os.RemoveAll(filepath.Join(aside, e.Name()))
	}
}

// sweptDir, in golive's cache, holds the stores being removed.
const sweptDir = ".swept"

// removeStore removes the store dir, whose lock the caller holds. It moves
// the store out of the way first, in one rename: a session that opens the
// project's store meanwhile then makes a new one, rather than lock a file
// that is being removed and have its go build's $WORK removed under it.
func removeStore(parent, dir string) {
	aside := filepath.Join(parent, sweptDir)
	if err := os.MkdirAll(aside, 0o755); err != nil {
		return
	}
	tmp, err := os.MkdirTemp(aside, "")
	if err != nil {
		return
	}
	os.Rename(dir, filepath.Join(tmp, "store"))
	os.RemoveAll(tmp)
}

// Tmp is the session's GOTMPDIR: the recipe's $WORK lives there.
func (s *Store) Tmp() string { return filepath.Join(s.dir, "tmp") }

func (s *Store) out() string  { return filepath.Join(s.dir, "out") }
func (s *Store) file() string { return filepath.Join(s.dir, "recipe.json") }

// Take has r replay into the store, and take up the recipe the last
// session kept there if it still holds; what no recipe uses is removed.
func (s *Store) Take(r *Replayer) {
	r.out = s.out()
	rec, seq, err := s.take(r.opts.Dir, r.opts.Env)
	if err == nil {
		r.rec, r.seq, r.kept = rec, seq, true
		r.gen++
	}
	s.sweep(r.rec)
}

// take returns the recipe the last session kept, with the replay counter
// that names its archives, if it still holds for a build run in dir; the
// file is removed either way.
func (s *Store) take(dir string, env []string) (*recipe, int, error) {
	data, err := os.ReadFile(s.file())
	os.Remove(s.file())
	if err != nil {
		return nil, 0, err
	}
	var kept keptRecipe
	if err := json.Unmarshal(data, &kept); err != nil {
		return nil, 0, err
	}
	if kept.Key != s.key {
		return nil, 0, ErrNoReplay
	}
	rec, err := kept.recipe()
	if err != nil {
		return nil, 0, err
	}
	tools, err := toolIDs(rec)
	if err != nil || !maps.Equal(tools, kept.Tools) {
		return nil, 0, ErrNoReplay
	}
	if mod, err := findModules(dir, env); err != nil || !mod.equal(rec.mod) {
		return nil, 0, ErrNoReplay
	}
	if err := rec.filesExist(); err != nil {
		return nil, 0, err
	}
	// Last, as the one check that runs a command.
	if root, err := goRoot(dir, env); err != nil || root != goenv.Value(rec.link.env, "GOROOT") {
		return nil, 0, ErrNoReplay
	}
	return rec, kept.Seq, nil
}

// sweep removes from the store what rec does not use: the $WORK of builds
// since forgotten, archives of replays since superseded. Each is moved
// aside at once, and removed on a goroutine of its own: a large $WORK
// left by a session that compiled many packages takes a while to remove,
// and the session's first build need not wait for it.
func (s *Store) sweep(rec *recipe) {
	keep := map[string]bool{}
	if rec != nil {
		keep[rec.work] = true
		keep[rec.mainArchive()] = true
		for _, a := range rec.archives {
			keep[a] = true
		}
	}
	swept := filepath.Join(s.dir, "swept")
	if err := os.MkdirAll(swept, 0o755); err != nil {
		return
	}
	for _, dir := range []string{s.Tmp(), s.out()} {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if p := filepath.Join(dir, e.Name()); !keep[p] {
				if os.Rename(p, filepath.Join(swept, dir[len(s.dir)+1:]+"-"+e.Name())) != nil {
					os.RemoveAll(p)
				}
			}
		}
	}
	s.sweeping.Add(1)
	go func() {
		defer s.sweeping.Done()
		entries, _ := os.ReadDir(swept)
		for _, e := range entries {
			os.RemoveAll(filepath.Join(swept, e.Name()))
		}
	}()
}

// maxKeptBytes bounds what a kept recipe holds in its $WORK: the archives
// of the packages its build compiled and their import configs. After a
// session that compiled many packages (a cold cache: every dependency),
// the next session runs go build rather than carry them.
const maxKeptBytes = 64 << 20

// trim removes from rec's $WORK every file the recipe does not use
// (vet configs, the linked binary, the link's own import config, build
// IDs), and returns the size of the rest.
func (rec *recipe) trim() (int64, error) {
	used := map[string]bool{rec.mainArchive(): true}
	for _, a := range rec.archives {
		used[a] = true
	}
	for _, p := range rec.pkgs {
		used[flagValue(p.compile.args, "-importcfg")] = true
	}
	var size int64
	err := filepath.WalkDir(rec.work, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !used[p] {
			return os.Remove(p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		size += info.Size()
		return nil
	})
	return size, err
}

// Close writes r's recipe down for the next session, if there is one, and
// lets the store go. No build may run.
func (s *Store) Close(r *Replayer) {
	defer s.lock.Close() // which releases the lock
	s.sweeping.Wait()
	if r.rec == nil {
		return
	}
	if size, err := r.rec.trim(); err != nil || size > s.maxKept {
		return // the next session's sweep removes the $WORK
	}
	kept, err := keepRecipe(r.rec, r.seq, s.key)
	if err != nil {
		return
	}
	data, err := json.Marshal(kept)
	if err != nil {
		return
	}
	tmp := s.file() + ".new"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		os.Remove(tmp)
		return
	}
	os.Rename(tmp, s.file())
}

// recipeKey sums up what a kept recipe must have been made under.
func recipeKey(opts Options) (string, error) {
	h := sha256.New()
	line := func(parts ...string) { fmt.Fprintf(h, "%q\n", parts) }
	line(recipeFormat)
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	goCmd, err := exec.LookPath("go") // as exec.Command("go") will find it
	if err != nil {
		return "", err
	}
	for _, f := range []string{self, goCmd, goenv.File(opts.Env)} {
		id, err := fileID(f)
		if err != nil {
			return "", err
		}
		line("file", f, id)
	}
	line("build", opts.Dir, strings.Join(opts.Args, "\x00"))
	for _, kv := range opts.Env {
		if k, _, _ := strings.Cut(kv, "="); !sessionVars[k] {
			line("env", kv)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// goRoot asks the go command which toolchain a build in dir uses now. The
// go on PATH may be a version manager's shim (asdf, goenv) that picks one
// by a file of the project (.tool-versions, .go-version) that no stamp
// follows; the recipe's link names the one it was made with.
func goRoot(dir string, env []string) (string, error) {
	cmd := exec.Command("go", "env", "GOROOT")
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// fileID identifies one version of the file p, and of what it links to; a
// missing file is a state of its own.
func fileID(p string) (string, error) {
	if p == "" || p == "off" {
		return "none", nil
	}
	st, err := stampOf(p)
	if errors.Is(err, fs.ErrNotExist) {
		return "absent", nil
	}
	if err != nil {
		return "", err
	}
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	tst, err := stampOf(target)
	if err != nil {
		return "", err
	}
	return fmt.Sprint(st, target, tst), nil
}

// toolIDs identifies the toolchain rec ran: its compile and link
// binaries, and its GOROOT's VERSION and go.env.
func toolIDs(rec *recipe) (map[string]string, error) {
	files := map[string]bool{rec.link.args[0]: true}
	for _, p := range rec.pkgs {
		files[p.compile.args[0]] = true
	}
	if root := goenv.Value(rec.link.env, "GOROOT"); root != "" {
		files[filepath.Join(root, "VERSION")] = true
		files[filepath.Join(root, "go.env")] = true
	}
	ids := map[string]string{}
	for f := range files {
		id, err := fileID(f)
		if err != nil {
			return nil, err
		}
		ids[f] = id
	}
	return ids, nil
}

// filesExist checks the files rec reads besides the sources: go's cache
// may have been trimmed, or the store emptied, since it was kept.
func (rec *recipe) filesExist() error {
	files := []string{rec.work, rec.mainArchive()}
	for _, a := range rec.archives {
		files = append(files, a)
	}
	for _, p := range rec.pkgs {
		files = append(files, flagValue(p.compile.args, "-importcfg"))
	}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			return err
		}
	}
	return nil
}

func (rec *recipe) mainArchive() string { return rec.link.args[len(rec.link.args)-1] }

// sinceKept lists the files whose stamps differ from a kept recipe's
// snapshot: what was edited while no golive ran. It reports false when a
// file was added or removed, which only go build may follow.
func (r *Replayer) sinceKept() ([]string, bool) {
	rec := r.rec
	now, err := takeSnapshot(rec.mod, rec.dirs, rec.snap)
	if err != nil || len(now.files) != len(rec.snap.files) || !maps.Equal(now.names, rec.snap.names) {
		return nil, false
	}
	changed := []string{}
	for p, st := range rec.snap.files {
		got, ok := now.files[p]
		if !ok {
			return nil, false
		}
		if got != st {
			changed = append(changed, p)
		}
	}
	return changed, true
}

// keptRecipe is a recipe as recipe.json holds it.
type keptRecipe struct {
	Key      string
	Seq      int
	Tools    map[string]string
	Work     string
	Pkgs     []keptPkg
	Link     keptCommand
	LinkCfg  string
	Archives map[string]string
	Modules  [][2]string // each local module's root and path, the main one first
	GoWork   string      // the go.work in use, or ""
	Vendor   string      // the main module's vendor directory, or ""
	Dirs     []string
	Files    map[string][4]int64 // size, mtime, ctime, inode
	Names    map[string]string
	Trees    []string
	Untaught []string // the dirs a dry run gave no compile: no new dry run is asked for them
}

type keptPkg struct {
	Path        string
	Compile     keptCommand
	Imports     []string
	Constraints map[string]string // by file: every file of the package
}

type keptCommand struct {
	Dir, Action string
	Env, Args   []string
}

func keepRecipe(rec *recipe, seq int, key string) (*keptRecipe, error) {
	tools, err := toolIDs(rec)
	if err != nil {
		return nil, err
	}
	k := &keptRecipe{
		Key: key, Seq: seq, Tools: tools, Work: rec.work, Link: keepCommand(rec.link),
		LinkCfg: rec.linkCfg, Archives: rec.archives, Modules: keepModules(rec.mod), GoWork: rec.mod.work, Vendor: rec.mod.vendor,
		Dirs: rec.dirs, Files: map[string][4]int64{}, Names: rec.snap.names,
		Trees: slices.Sorted(maps.Keys(rec.snap.trees)), Untaught: slices.Sorted(maps.Keys(rec.untaught)),
	}
	seen := map[*pkg]bool{}
	for _, p := range rec.pkgs {
		if !seen[p] {
			seen[p] = true
			k.Pkgs = append(k.Pkgs, keptPkg{Path: p.path, Compile: keepCommand(p.compile),
				Imports: slices.Sorted(maps.Keys(p.imports)), Constraints: p.constraints})
		}
	}
	for f, st := range rec.snap.files {
		k.Files[f] = [4]int64{st.size, st.mtime, st.ctime, int64(st.ino)}
	}
	return k, nil
}

func (k *keptRecipe) recipe() (*recipe, error) {
	if len(k.Link.Args) == 0 || k.Work == "" {
		return nil, errors.New("replay: kept recipe has no link")
	}
	rec := &recipe{
		work: k.Work, pkgs: map[string]*pkg{}, link: k.Link.command(), linkCfg: k.LinkCfg,
		archives: k.Archives, mod: k.modules(), dirs: k.Dirs,
		snap: &snapshot{files: map[string]stamp{}, names: k.Names, trees: map[string]bool{}},
	}
	if rec.archives == nil {
		rec.archives = map[string]string{}
	}
	if rec.snap.names == nil {
		rec.snap.names = map[string]string{}
	}
	for _, kp := range k.Pkgs {
		if len(kp.Compile.Args) == 0 {
			return nil, errors.New("replay: kept recipe has an empty compile")
		}
		p := &pkg{path: kp.Path, compile: kp.Compile.command(), imports: setOf(kp.Imports), constraints: kp.Constraints}
		for f := range kp.Constraints {
			rec.pkgs[f] = p
		}
	}
	for f, s := range k.Files {
		rec.snap.files[f] = stamp{size: s[0], mtime: s[1], ctime: s[2], ino: uint64(s[3])}
	}
	for _, d := range k.Trees {
		rec.snap.trees[d] = true
	}
	if len(k.Untaught) > 0 {
		rec.untaught = setOf(k.Untaught)
	}
	return rec, nil
}

func keepCommand(c command) keptCommand {
	return keptCommand{Dir: c.dir, Action: c.action, Env: c.env, Args: c.args}
}

func (k keptCommand) command() command {
	return command{dir: k.Dir, action: k.Action, env: k.Env, args: k.Args}
}

func keepModules(m modules) [][2]string {
	var kept [][2]string
	for _, mod := range m.list {
		kept = append(kept, [2]string{mod.root, mod.path})
	}
	return kept
}

func (k *keptRecipe) modules() modules {
	m := modules{work: k.GoWork, vendor: k.Vendor}
	for _, mod := range k.Modules {
		m.list = append(m.list, module{root: mod[0], path: mod[1]})
	}
	return m
}

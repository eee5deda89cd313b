// Package hot lets golive swap new code into a running program.
//
// A program registers the exported functions (and variables) of a plugin
// package it wants to be able to swap, with the linked code as the
// starting value, and calls them through what Func returns:
//
//	var greet = hot.Func("example.com/app/greeter", "Greet", greeter.Greet)
//
//	fmt.Fprintln(w, greet.Load()(name))
//
// Run under golive with the package listed in [plugins] packages, every
// edit of the package's tree is built as a Go plugin and loaded into the
// program: the program keeps its pid and its memory, and Load returns the
// newest code. Without golive, or in a build that cannot load plugins,
// Load returns the linked code and the package does nothing else.
//
// # Versions
//
// A build of a package replaces all of that package's registered symbols
// in one atomic switch, or none of them: a build that lacks one of them,
// or has one with another type, is refused whole and golive restarts the
// program instead. Code that calls several symbols and needs them from one
// build takes a snapshot first:
//
//	v := hot.Current()
//	a, b := greet.In(v), farewell.In(v)
//
// Calls already running when a build is swapped in finish on the old code;
// loaded code is never unloaded.
//
// # Types
//
// The types in a registered symbol's signature must come from outside the
// plugin's tree (the standard library, or another package of the module):
// every build compiles the tree under a new import path, so a type
// defined inside it is a new, different type in every build. Such a symbol
// is reported as an error at the first load, never swapped.
//
// # Build tag
//
// Loading plugins needs cgo and links the plugin package, which makes
// the program's binary about twice as large and its link twice as slow.
// So the loader is only compiled with the build tag "golive", which golive
// adds to its builds of a program with plugins; other builds get a stub
// that tells golive why it cannot load (and is silent when golive is not
// there).
package hot

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Sym is one registered symbol. Its methods are safe for concurrent use.
type Sym[T any] struct {
	idx int
	e   *entry
}

// Load returns the symbol's value in the newest loaded build: the linked
// code until golive loads one.
func (s *Sym[T]) Load() T { return s.In(Current()) }

// In returns the symbol's value in version v, so that several symbols
// called together come from one build.
func (s *Sym[T]) In(v *Version) T {
	if s.idx < len(v.vals) {
		return v.vals[s.idx].(T)
	}
	return s.e.first.(T) // registered after v was taken
}

// String returns "package.Name".
func (s *Sym[T]) String() string { return s.e.String() }

// Version is one consistent set of every registered symbol's value. It
// never changes; a load publishes a new one.
type Version struct {
	gen  int
	vals []any // by registration index
	// builds holds the lookup of each package's loaded build, so that a
	// symbol registered after a load starts on the same build as its
	// package's other symbols.
	builds map[string]lookupFunc
}

// Gen counts the builds loaded before this version: 0 is the linked code.
func (v *Version) Gen() int { return v.gen }

// Current returns the newest version.
func Current() *Version { return current.Load() }

// Func registers the exported function name of package pkg (its import
// path), with linked, the function as compiled into the program, as its
// value until a build of pkg is loaded. F must be a function type, and
// should use no type defined inside pkg's tree. Register at package level
// (a var declaration), so that every symbol exists before the first load.
func Func[F any](pkg, name string, linked F) *Sym[F] {
	t := reflect.TypeFor[F]()
	if t.Kind() != reflect.Func {
		panic(fmt.Sprintf("hot.Func(%q, %q): %v is not a function type", pkg, name, t))
	}
	return register[F](pkg, name, t, linked)
}

// Var registers the exported variable name of package pkg, with linked,
// the address of the variable as compiled into the program, as its value
// until a build of pkg is loaded; a build's value is the address of that
// build's own variable, initialised by that build.
func Var[T any](pkg, name string, linked *T) *Sym[*T] {
	return register[*T](pkg, name, reflect.TypeFor[*T](), linked)
}

// lookupFunc finds an exported symbol of a loaded build: the function
// value of a function, the address of a variable.
type lookupFunc func(name string) (any, error)

type entry struct {
	pkg, name string
	typ       reflect.Type
	first     any    // the value it was registered with
	defect    string // why no build can ever match it, or ""
}

func (e *entry) String() string { return e.pkg + "." + e.name }

var (
	mu      sync.Mutex // serialises registrations and loads
	entries []*entry
	current atomic.Pointer[Version]
)

func init() { current.Store(&Version{}) }

func register[T any](pkg, name string, t reflect.Type, linked T) *Sym[T] {
	e := &entry{pkg: pkg, name: name, typ: t, first: any(linked)}
	e.defect = defect(t, pkg)
	mu.Lock()
	defer mu.Unlock()
	cur := current.Load()
	if lookup := cur.builds[pkg]; lookup != nil && e.defect == "" {
		if v, err := resolve(e, lookup); err == nil {
			e.first = v
		}
	}
	entries = append(entries, e)
	next := &Version{gen: cur.gen, vals: append(slices.Clip(cur.vals), e.first), builds: cur.builds}
	current.Store(next)
	return &Sym[T]{idx: len(entries) - 1, e: e}
}

// load swaps in a build of pkg: every symbol registered for pkg is looked
// up and checked first, and only if all of them are found with their
// types does one new Version replace the current one. It returns the new
// version and how many symbols it swapped.
func load(pkg string, lookup lookupFunc) (*Version, int, error) {
	mu.Lock()
	defer mu.Unlock()
	cur := current.Load()
	vals := slices.Clone(cur.vals)
	var errs []string
	n := 0
	for i, e := range entries {
		if e.pkg != pkg {
			continue
		}
		n++
		v, err := resolve(e, lookup)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		vals[i] = v
	}
	switch {
	case n == 0:
		return nil, 0, fmt.Errorf("hot: no symbol of %s is registered (registered: %s)", pkg, registered())
	case errs != nil:
		return nil, 0, errors.New(strings.Join(errs, "; "))
	}
	builds := make(map[string]lookupFunc, len(cur.builds)+1)
	for k, v := range cur.builds {
		builds[k] = v
	}
	builds[pkg] = lookup
	next := &Version{gen: cur.gen + 1, vals: vals, builds: builds}
	current.Store(next)
	return next, n, nil
}

// resolve looks e up in a build and checks its type.
func resolve(e *entry, lookup lookupFunc) (any, error) {
	if e.defect != "" {
		return nil, fmt.Errorf("hot: %v: %s", e, e.defect)
	}
	v, err := lookup(e.name)
	if err != nil {
		return nil, fmt.Errorf("hot: %v: not in the new build: %w", e, err)
	}
	if t := reflect.TypeOf(v); t != e.typ {
		return nil, fmt.Errorf("hot: %v has type %v in the new build, want %v", e, t, e.typ)
	}
	return v, nil
}

// registered lists the packages that have symbols, for an error message.
func registered() string {
	var pkgs []string
	for _, e := range entries {
		if !slices.Contains(pkgs, e.pkg) {
			pkgs = append(pkgs, e.pkg)
		}
	}
	if pkgs == nil {
		return "none"
	}
	return strings.Join(pkgs, ", ")
}

// defect explains why a symbol of type t can never be swapped: a named
// type defined inside pkg's tree is a different type in every build.
func defect(t reflect.Type, pkg string) string {
	named := inTree(t, pkg, map[reflect.Type]bool{})
	if named == nil {
		return ""
	}
	return fmt.Sprintf("its type %v uses %v, which is defined inside the plugin's tree and so is a new type in every build: "+
		"it can never be swapped; use a type from outside %s", t, named, pkg)
}

func inTree(t reflect.Type, pkg string, seen map[reflect.Type]bool) reflect.Type {
	if seen[t] {
		return nil
	}
	seen[t] = true
	if p := t.PkgPath(); p != "" {
		if p == pkg || strings.HasPrefix(p, pkg+"/") {
			return t
		}
		return nil // a named type from elsewhere: the same in every build
	}
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Chan:
		return inTree(t.Elem(), pkg, seen)
	case reflect.Map:
		if n := inTree(t.Key(), pkg, seen); n != nil {
			return n
		}
		return inTree(t.Elem(), pkg, seen)
	case reflect.Func:
		for i := range t.NumIn() {
			if n := inTree(t.In(i), pkg, seen); n != nil {
				return n
			}
		}
		for i := range t.NumOut() {
			if n := inTree(t.Out(i), pkg, seen); n != nil {
				return n
			}
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if n := inTree(t.Field(i).Type, pkg, seen); n != nil {
				return n
			}
		}
	}
	return nil
}

//go:build linux

package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// The services scenario's project (issue 13): one module with two main
// packages, cmd/a and cmd/b, each an HTTP server on its own port (PORT).
// Both import shared, whose exported constant Version they serve on
// /version: a save of shared/version.go changes shared's export data, so
// both mains compile again and both link. Each main also imports a package
// of its own, own, whose exported constant it serves on /own, and its own
// internal packages (the latency fixture's kind, under internal/a and
// internal/b), so that neither build is trivial.

// serviceNames are the project's two services, as its cmd/ directories
// and golive's [[service]] blocks name them.
var serviceNames = []string{"a", "b"}

// serviceFixture is one copy of the services project on disk.
type serviceFixture struct {
	dir string
	imp string // the package shared/version.go imports: "" until the first import edit
}

// newServiceFixture writes the project into dir, with config as its
// .reload.toml when not empty, and commits it when useGit.
func newServiceFixture(dir string, s shape, config string, useGit bool) (*serviceFixture, error) {
	sf := &serviceFixture{dir: dir}
	files := map[string]string{
		"go.mod":          fmt.Sprintf("module %s\n\ngo %s\n", modulePath, langVersion()),
		"shared/serve.go": sharedServeSource,
	}
	if config != "" {
		files[".reload.toml"] = config
	}
	for _, name := range serviceNames {
		pkgs := &fixture{dir: dir, shape: s, pkgDir: "internal/" + name}
		for p := range s.Packages {
			for i := range s.Files {
				files[pkgs.goFile(p, i)] = pkgs.packageSource(p, i, "t0")
			}
		}
		files["cmd/"+name+"/main.go"] = serviceMainSource(name, s.Packages)
	}
	for rel, data := range files {
		if err := writeFile(filepath.Join(dir, rel), data); err != nil {
			return nil, err
		}
	}
	if err := sf.setShared("v0"); err != nil {
		return nil, err
	}
	for _, name := range serviceNames {
		if err := sf.setOwn(name, name+"0"); err != nil {
			return nil, err
		}
	}
	if useGit {
		if err := gitCommit(dir); err != nil {
			return nil, err
		}
	}
	return sf, nil
}

// setShared rewrites shared/version.go, as an editor's save does: the
// exported constant both mains serve. The import stays the one the last
// import edit wrote, so that this edit is the constant's alone.
func (sf *serviceFixture) setShared(v string) error {
	return writeFile(filepath.Join(sf.dir, "shared", "version.go"), sharedVersionSource(v, sf.imp))
}

// setImport rewrites shared/version.go with the constant and an import it
// did not have: "strings" and "bytes" in turn. A new import is an edit
// golive's replay cannot follow, so both services need go build.
func (sf *serviceFixture) setImport(v string) error {
	if sf.imp == "strings" {
		sf.imp = "bytes"
	} else {
		sf.imp = "strings"
	}
	return sf.setShared(v)
}

// sharedVersionSource is shared/version.go: the constant, and imp (when
// not empty) with a use that keeps it.
func sharedVersionSource(v, imp string) string {
	var b strings.Builder
	b.WriteString("package shared\n\n")
	if imp != "" {
		fmt.Fprintf(&b, "import %q\n\nvar _ = %s.ToUpper\n\n", imp, imp)
	}
	fmt.Fprintf(&b, "// Version is what both services answer on /version.\nconst Version = %q\n", v)
	return b.String()
}

// setOwn rewrites the exported constant of service name's own package.
func (sf *serviceFixture) setOwn(name, v string) error {
	return writeFile(filepath.Join(sf.dir, "internal", name, "own", "version.go"),
		fmt.Sprintf("// Package own is service %s's alone.\npackage own\n\n// Version is what %s answers on /own.\nconst Version = %q\n", name, name, v))
}

// sharedServeSource is the rest of the shared package: what both servers
// use to listen.
const sharedServeSource = `// Package shared is imported by both services.
package shared

import (
	"fmt"
	"net"
	"os"
)

// Listen listens on the loopback port $PORT.
func Listen(name string) net.Listener {
	ln, err := net.Listen("tcp", "127.0.0.1:"+os.Getenv("PORT"))
	if err != nil {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
	fmt.Fprintln(os.Stderr, name+": serving on", ln.Addr())
	return ln
}
`

// serviceMainSource is cmd/NAME/main.go: /version answers shared's
// constant, /own its own package's, /pid its pid, / runs its packages.
func serviceMainSource(name string, packages int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `// Command %[1]s is a service of the benchmark's services scenario.
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"

	%[2]q
	%[3]q
`, name, modulePath+"/shared", modulePath+"/internal/"+name+"/own")
	for p := range packages {
		fmt.Fprintf(&b, "\t%q\n", modulePath+"/internal/"+name+"/"+pkgName(p))
	}
	b.WriteString(")\n\nfunc work(n int) int {\n\ts := 0\n")
	for p := range packages {
		fmt.Fprintf(&b, "\ts += %s.Sum(n)\n", pkgName(p))
	}
	fmt.Fprintf(&b, `	return s
}

func main() {
	ln := shared.Listen(%q)
	mux := http.NewServeMux()
	mux.HandleFunc("/version", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, shared.Version) })
	mux.HandleFunc("/own", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, own.Version) })
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, strconv.Itoa(os.Getpid())) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintf(w, "ok %%d\n", work(3)) })
	http.Serve(ln, mux)
}
`, name)
	return b.String()
}

package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
)

// goSource is a small Go file whose content differs with i.
func goSource(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package main\n\nimport \"fmt\"\n\n// version %d\n\nfunc main() {\n", i)
	for j := 0; j < 40; j++ {
		fmt.Fprintf(&b, "\tfmt.Println(\"line %d of version %d\")\n", j, i)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// sized is a Go file of exactly n bytes whose content differs with i.
func sized(i, n int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "package main\n\n// version %d\n\nvar data = []string{\n", i)
	for b.Len() < n-64 {
		fmt.Fprintf(&b, "\t\"%08d-%08d\",\n", i, b.Len())
	}
	b.WriteString("}\n")
	for b.Len() < n-1 {
		b.WriteByte('/')
	}
	b.WriteByte('\n')
	return b.Bytes()[:n]
}

func realGoFile() ([]byte, error) {
	return os.ReadFile(filepath.Join(goroot(), "src", "strings", "strings.go"))
}

// unindent strips leading whitespace from every line, which gofmt undoes.
func unindent(src []byte) []byte {
	lines := bytes.Split(src, []byte("\n"))
	for k, l := range lines {
		lines[k] = bytes.TrimLeft(l, " \t")
	}
	return bytes.Join(lines, []byte("\n"))
}

func goMod(i int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "module example.com/app\n\ngo 1.26.0\n\nrequire (\n")
	for j := 0; j < 10+i%3; j++ {
		fmt.Fprintf(&b, "\texample.com/dep%d v1.%d.0\n", j, i)
	}
	b.WriteString(")\n")
	return b.Bytes()
}

func goSum(i int) []byte {
	var b bytes.Buffer
	for j := 0; j < 60+i%3; j++ {
		fmt.Fprintf(&b, "example.com/dep%d v1.%d.0 h1:%044d=\n", j, i, j*7919+i)
		fmt.Fprintf(&b, "example.com/dep%d v1.%d.0/go.mod h1:%044d=\n", j, i, j*104729+i)
	}
	return b.Bytes()
}

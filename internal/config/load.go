package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Load reads the TOML file at path over Default() and validates the result.
//
// An empty path means FileName in the working directory, which is optional:
// when it does not exist Load returns Default() and no error. A path given
// explicitly (a -c flag) must exist; the error then satisfies
// errors.Is(err, fs.ErrNotExist).
//
// Every mistake in the file is an *Error that prints as one line naming the
// file as given, the line and the key:
//
//	.reload.toml:7: unknown key "watch.debounse" (did you mean "watch.debounce"?)
//
// On error the returned Config is the zero value and must not be used.
func Load(path string) (Config, error) {
	optional := path == ""
	if optional {
		path = FileName
	}
	data, err := os.ReadFile(path)
	if optional && errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("read config: %w", err)
	}
	return parse(path, data)
}

// parse is Load without the file system; file only names the document in
// errors.
//
// Three passes, each with its own errors: scan checks the document's keys
// and types and indexes their lines; go-toml decodes it strictly (this only
// fails on what scan does not model, such as a key defined twice); Validate
// checks the values, and its errors get their line from the index.
func parse(file string, data []byte) (Config, error) {
	keys, problems := scan(data)
	if len(problems) > 0 {
		e := *problems[0]
		e.File, e.More = file, len(problems)-1
		return Config{}, &e
	}
	c := Default()
	if err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(&c); err != nil {
		return Config{}, decodeError(file, err)
	}
	if err := c.Validate(); err != nil {
		return Config{}, locate(file, keys, err)
	}
	return c, nil
}

// decodeError turns a go-toml error into an *Error with the file and line.
// scan has already refused unknown keys and wrong types, so what reaches
// here is what scan does not model: keys and tables defined twice, numbers
// too large. Key stays empty: go-toml's is relative to the current table.
func decodeError(file string, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		first := strict.Errors[0]
		line, _ := first.Position()
		key := strings.Join(first.Key(), ".")
		return &Error{File: file, Line: line, Msg: fmt.Sprintf("unknown key %q", key), More: len(strict.Errors) - 1}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, _ := de.Position()
		return &Error{File: file, Line: line, Msg: strings.TrimPrefix(de.Error(), "toml: ")}
	}
	return &Error{File: file, Msg: strings.TrimPrefix(err.Error(), "toml: ")}
}

// locate gives a Validate error the file and the line of its key. A key
// the file does not hold (an element of a list that was written as a whole)
// takes the line of the nearest enclosing key.
func locate(file string, keys map[string]int, err error) error {
	var ve *Error
	if !errors.As(err, &ve) {
		return fmt.Errorf("%s: %w", file, err)
	}
	e := *ve
	e.File = file
	for key := e.Key; key != "" && e.Line == 0; key = parent(key) {
		e.Line = keys[key]
	}
	return &e
}

// parent drops the last part of a dotted key: "a.b[2]" → "a.b" → "a".
func parent(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	i := strings.LastIndexByte(key, '.')
	if i < 0 {
		return ""
	}
	return key[:i]
}

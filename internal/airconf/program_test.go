package airconf

import (
	"reflect"
	"strings"
	"testing"
)

// TestConvertProgram: the command air starts the program with (full_bin,
// else entrypoint, else bin) gives golive its environment and arguments
// when it runs the built binary; when it runs the binary under another
// program, one line says so and nothing of it (nor args_bin, which air
// adds to that command) becomes run.args.
func TestConvertProgram(t *testing.T) {
	t.Parallel()
	const build = "[build]\ncmd = \"go build -o ./tmp/main .\"\n"
	for _, tc := range []struct {
		name string
		goos string
		doc  string
		args []string
		env  map[string]string
		note string // a line the conversion prints; "" for none on how the program runs
	}{
		{"an environment prefix", "linux", build + "full_bin = \"FOO=1 BAR='a b' ./tmp/main -x\"\nargs_bin = [\"-y\"]\n",
			[]string{"-x", "-y"}, map[string]string{"FOO": "1", "BAR": "a b"}, ""},
		{"delve", "linux", build + "full_bin = \"dlv exec --headless --listen=:2345 --api-version=2 ./tmp/main\"\nargs_bin = [\"-y\"]\n", nil, nil,
			`.air.toml:3: build.full_bin: "dlv exec --headless --listen=:2345 --api-version=2 ./tmp/main" runs the program under delve: golive runs the binary it builds itself, and run.debug = true (or golive --debug) runs it under a headless delve of golive's; left out`},
		{"args_bin after delve", "linux", build + "full_bin = \"dlv exec ./tmp/main --\"\nargs_bin = [\"-y\"]\n", nil, nil,
			".air.toml:4: build.args_bin: air adds them to the command left out above, not to the binary's own arguments; left out"},
		{"delve with an environment", "linux", build + "full_bin = \"FOO=1 /go/bin/dlv exec ./tmp/main\"\n", nil, nil, "runs the program under delve"},
		{"sudo", "linux", build + "full_bin = \"sudo -E ./tmp/main -x\"\n", nil, nil,
			`.air.toml:3: build.full_bin: "sudo -E ./tmp/main -x" runs the program under sudo: golive runs the binary it builds itself, under no other program; left out`},
		{"a script that starts it", "linux", build + "full_bin = \"./scripts/dev.sh ./tmp/main\"\n", nil, nil, "runs the program under ./scripts/dev.sh"},
		{"another path than go build's", "linux", build + "full_bin = \"./bin/other -x\"\n", nil, nil, "runs the program under ./bin/other"},
		{"a path after make", "linux", "[build]\ncmd = \"make build\"\nfull_bin = \"./bin/app -x\"\n", []string{"-x"}, nil, ""},
		{"air's default bin", "linux", "tmp_dir = \"out\"\n[build]\ncmd = \"make build\"\nfull_bin = \"out/main -x\"\n", []string{"-x"}, nil, ""},
		{"entrypoint", "linux", build + "entrypoint = [\"./tmp/main\", \"-x\"]\nargs_bin = [\"-y\"]\n", []string{"-x", "-y"}, nil,
			".air.toml:3: build.entrypoint: golive runs the binary it builds itself; its arguments went to run.args"},
		{"entrypoint as a string", "linux", build + "entrypoint = \"./tmp/main\"\n", nil, nil,
			".air.toml:3: build.entrypoint: golive runs the binary it builds itself; nothing to set"},
		{"entrypoint under delve", "linux", build + "entrypoint = [\"dlv\", \"exec\", \"./tmp/main\"]\n", nil, nil,
			`.air.toml:3: build.entrypoint: "dlv exec ./tmp/main" runs the program under delve`},
		{"full_bin over entrypoint", "linux", build + "entrypoint = [\"./tmp/main\", \"-e\"]\nfull_bin = \"./tmp/main -f\"\n", []string{"-f"}, nil,
			".air.toml:3: build.entrypoint: air runs full_bin instead and ignores it; left out"},
		{"this system's entrypoint", "linux", build + "entrypoint = [\"./tmp/main\", \"-e\"]\n[build.linux]\nentrypoint = [\"./tmp/main\", \"-linux\"]\n", []string{"-linux"}, nil,
			".air.toml:3: build.entrypoint: [build.linux] replaces it on linux"},
		{"a Windows path", "windows", "[build]\ncmd = \"go build -o .\\\\tmp\\\\main.exe .\"\nfull_bin = \"tmp\\\\main.exe -w\"\n", []string{"-w"}, nil, ""},
		{"bin and args_bin", "linux", build + "bin = \"./tmp/main\"\nargs_bin = [\"-y\"]\n", []string{"-y"}, nil,
			".air.toml:3: build.bin: golive runs the binary it builds itself; left out"},
	} {
		got, notes, err := Convert([]byte(tc.doc), tc.goos)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		text := formatNotes(notes)
		if !reflect.DeepEqual(got.Run.Args, tc.args) || !reflect.DeepEqual(got.Run.Env, tc.env) {
			t.Errorf("%s: run.args %q, run.env %v; want %q, %v\n%s", tc.name, got.Run.Args, got.Run.Env, tc.args, tc.env, text)
		}
		quiet := tc.note == "" && !strings.Contains(text, "full_bin:") && !strings.Contains(text, "entrypoint:") && !strings.Contains(text, "args_bin:")
		if !quiet && (tc.note == "" || !strings.Contains(text, tc.note)) {
			t.Errorf("%s: lines:\n%s\nwant %q", tc.name, text, tc.note)
		}
	}
}

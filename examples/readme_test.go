package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/internal/readmetest"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestREADMECommands runs the ```sh blocks of every example's README.md
// against the example's real binary on loopback, with the conventions of
// README.md (this directory's): a README whose commands do not work as
// written fails, naming the line.
func TestREADMECommands(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			msg := "the README commands need bash, curl, jq and openssl; " + tool + " is missing (apt-get install " + tool + ")"
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	paths, err := filepath.Glob("*/README.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no examples/*/README.md")
	}
	var docs []*readmetest.Doc
	var names []string
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := readmetest.Parse(filepath.Join("examples", p), src)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
		for _, n := range doc.Examples() {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	bin, err := readmetest.Build(t, ".", names)
	if err != nil {
		t.Fatal(err)
	}
	base := environment()
	for _, doc := range docs {
		t.Run(filepath.Base(filepath.Dir(doc.Path)), func(t *testing.T) {
			t.Parallel()
			for _, s := range doc.Skipped {
				t.Logf("%s:%d: not run: %s", doc.Path, s.Line, s.Reason)
			}
			if len(doc.Blocks) == 0 {
				t.Skipf("%s has no command that runs", doc.Path)
			}
			env := base
			if doc.Mentions("REDIS_ADDR") || doc.Mentions("-redis-addr") {
				// The shared Redis: the servers' keys under a prefix of
				// this test's, deleted when it ends.
				env = append(env[:len(env):len(env)], "REDIS_PREFIX="+redistest.Prefix(t, redistest.Client(t)))
			}
			if err := readmetest.Run(t, doc, readmetest.Options{ExamplesDir: ".", Bin: bin, Env: env}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// environment is the test's environment without what could change the
// examples' behaviour: the variables of the shell, Go and locale, not the
// examples' own settings (a JWT_SECRET or TOKENS_FILE of the developer's).
func environment() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case name == "PATH", name == "HOME", name == "USER", name == "TMPDIR", name == "LANG",
			strings.HasPrefix(name, "LC_"), strings.HasPrefix(name, "GO"), strings.HasPrefix(name, "CGO_"):
			env = append(env, kv)
		}
	}
	return env
}

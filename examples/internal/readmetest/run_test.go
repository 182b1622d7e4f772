package readmetest

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	buildOnce sync.Once
	bin       string
	buildErr  error
)

// options returns Options with the quickstart example built once, the
// server these tests start.
func options(t *testing.T) Options {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "readmetest-bin-")
		if err != nil {
			buildErr = err
			return
		}
		bin = dir
		buildErr = build(dir, "../..", []string{"quickstart"})
	})
	require.NoError(t, buildErr)
	return Options{ExamplesDir: "../..", Bin: bin, Env: []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bin != "" {
		_ = os.RemoveAll(bin)
	}
	os.Exit(code)
}

// run parses and runs a README made of lines.
func run(t *testing.T, lines ...string) error {
	t.Helper()
	doc, err := Parse("x/README.md", md(lines...))
	require.NoError(t, err)
	return Run(t, doc, options(t))
}

// TestRunFollowsAREADME starts the quickstart as its README does, pastes
// the banner's export line, carries variables from block to block, and
// meets every expectation; the banner's own curl lines run too.
func TestRunFollowsAREADME(t *testing.T) {
	err := run(t,
		"~~~sh",
		"go run ./examples/quickstart -help",
		"go run ./examples/quickstart &",
		"~~~",
		"text",
		"~~~sh",
		`curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/orders > answer.json   # → 200`,
		"curl -s http://127.0.0.1:8080/orders   # → 401",
		`N=$(curl -s -H "Authorization: Bearer $NO_SCOPE_TOKEN" http://127.0.0.1:8080/orders | wc -c)   # → 403`,
		"~~~",
		"~~~sh",
		`grep -q '"customer":"customer-42"' answer.json && test "$N" -gt 0`,
		"test -L examples && test -f examples/quickstart/main.go",
		"~~~",
	)
	require.NoError(t, err)
}

func TestRunNamesTheFailingLine(t *testing.T) {
	for name, c := range map[string]struct {
		lines []string
		want  []string
	}{
		"another status": {
			[]string{"~~~sh", "go run ./examples/quickstart &", "curl -s http://127.0.0.1:8080/orders   # → 200", "~~~"},
			[]string{"x/README.md:3: got HTTP 401, want 200", "\tcurl -s http://127.0.0.1:8080/orders   # → 200", `"message":"Missing bearer token"`},
		},
		"a command that fails": {
			[]string{"~~~sh", "go run ./examples/quickstart &", "~~~", "", "~~~sh", "true", "false", "~~~"},
			[]string{"x/README.md:7: failed: exit status 1", "\tfalse"},
		},
		"a failure after a response": {
			[]string{"~~~sh", "go run ./examples/quickstart &", `X=$(curl -s http://127.0.0.1:8080/orders | jq -er .data.customer)   # → 401`, "~~~"},
			[]string{"x/README.md:3: failed: exit status 1 (its last response was HTTP 401)"},
		},
		"an unset variable": {
			[]string{"~~~sh", `echo "$NOT_SET"`, "~~~"},
			[]string{"x/README.md:2: failed", "NOT_SET: unbound variable"},
		},
		"no server": {
			[]string{"~~~sh", "curl -s http://127.0.0.1:1/   # → 200", "~~~"},
			[]string{"x/README.md:2: failed: exit status 7"},
		},
		"a server that does not start": {
			[]string{"~~~sh", "go run ./examples/quickstart -no-such-flag &", "~~~"},
			[]string{"x/README.md:2: quickstart -addr 127.0.0.1:0 -no-such-flag: exited before listening", "flag provided but not defined"},
		},
		"an example not built": {
			[]string{"~~~sh", "go run ./examples/nothere &", "~~~"},
			[]string{"x/README.md:2: no binary of ./examples/nothere was built"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(t, c.lines...)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// TestRunReplacesAServer: a second start for the same port stops the
// first server, as a reader stops one to start the other; a server on
// another port keeps running, and a one-shot command replaces nothing.
func TestRunReplacesAServer(t *testing.T) {
	doc, err := Parse("x/README.md", md(
		"~~~sh",
		"go run ./examples/quickstart &",
		"go run ./examples/quickstart -addr 127.0.0.1:9000 &",
		"go run ./examples/quickstart -help",
		"go run ./examples/quickstart &",
		"curl -s http://127.0.0.1:9000/orders   # → 401",
		"~~~",
	))
	require.NoError(t, err)
	r, err := newRunner(t.TempDir(), doc, options(t))
	require.NoError(t, err)
	defer r.close()
	lines := doc.Blocks[0].Lines
	require.NoError(t, r.line(lines[0]))
	require.NoError(t, r.line(lines[1]))
	first, other := r.servers["8080"], r.servers["9000"]
	require.NotNil(t, first)
	require.NotNil(t, other)
	require.NoError(t, r.line(lines[2]))
	assert.Same(t, first, r.servers["8080"], "-help ends by itself and replaces nothing")
	require.NoError(t, r.line(lines[3]))
	assert.NotSame(t, first, r.servers["8080"])
	select {
	case <-first.exited:
	default:
		t.Error("the replaced server still runs")
	}
	require.NoError(t, r.line(lines[4]))
	assert.Contains(t, r.rewrite("http://127.0.0.1:8080/"), r.servers["8080"].addr)
}

// TestBannerCommandFailure: a failing command of a banner is reported as
// the banner's, with the README line that started the server.
func TestBannerCommandFailure(t *testing.T) {
	doc, err := Parse("x/README.md", md("~~~sh", "go run ./examples/quickstart &", "~~~"))
	require.NoError(t, err)
	r, err := newRunner(t.TempDir(), doc, options(t))
	require.NoError(t, err)
	defer r.close()
	s := &server{name: "quickstart", addr: "127.0.0.1:1", outFile: filepath.Join(t.TempDir(), "out")}
	require.NoError(t, os.WriteFile(s.outFile, []byte("listening on http://127.0.0.1:1\n  export A=1\n  curl -s http://127.0.0.1:1/   # → 200\n"), 0o600))
	err = r.banner(doc.Blocks[0].Lines[0], s)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "x/README.md:2: (the banner's line 3) curl -s http://127.0.0.1:1/   # → 200: failed: exit status 7"), err.Error())
}

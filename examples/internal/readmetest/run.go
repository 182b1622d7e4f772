package readmetest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// startTimeout bounds a server's start, until it answers a request.
const startTimeout = 20 * time.Second

// Options configure [Run].
type Options struct {
	// ExamplesDir is the examples directory. The commands run in a
	// scratch directory holding a link to it named "examples", so that
	// paths from the repository root work and files the commands create
	// stay out of the repository.
	ExamplesDir string
	// Bin holds the example binaries, from [Build].
	Bin string
	// Env is the environment of the shell, and so of the servers it
	// starts.
	Env []string
}

// Build compiles the examples names (directories under examplesDir) into
// a directory of t's and returns it.
func Build(t testing.TB, examplesDir string, names []string) (string, error) {
	bin := t.TempDir()
	return bin, build(bin, examplesDir, names)
}

// build compiles the examples names into the directory bin.
func build(bin, examplesDir string, names []string) error {
	if len(names) == 0 {
		return nil
	}
	args := []string{"build", "-o", bin + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, "./"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = examplesDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// Run runs doc's blocks in order, in one bash with `set -euo pipefail`, as
// examples/README.md describes: a start line starts the example's binary
// on a free loopback port (the commands after it reach it there) and runs
// its banner's commands; any other line runs in the shell and, with `# →
// NNN`, its last curl must have got the status NNN. It returns the first
// failure, naming the README's line. The servers are stopped when it
// returns.
func Run(t testing.TB, doc *Doc, opt Options) error {
	r, err := newRunner(t.TempDir(), doc, opt)
	if err != nil {
		return err
	}
	defer r.close()
	for _, b := range doc.Blocks {
		for _, l := range b.Lines {
			if err := r.line(l); err != nil {
				return err
			}
		}
	}
	return nil
}

// A runner runs one doc.
type runner struct {
	doc     *Doc
	opt     Options
	sh      *shell
	tmp     string
	servers map[string]*server // by the port their line asked for
	aliases map[string]string  // a -metrics-addr port asked for → where that listener is
	started int
}

// newRunner prepares the scratch directory work (the link to the
// examples, the start script) and starts the shell in it.
func newRunner(work string, doc *Doc, opt Options) (*runner, error) {
	examples, err := filepath.Abs(opt.ExamplesDir)
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(examples, filepath.Join(work, "examples")); err != nil {
		return nil, err
	}
	tmp := filepath.Join(work, ".readmetest")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, err
	}
	start := filepath.Join(tmp, "start")
	if err := os.WriteFile(start, []byte(startScript), 0o700); err != nil {
		return nil, err
	}
	env := append(append([]string(nil), opt.Env...), "GH_TMP="+tmp, "GH_BIN="+opt.Bin, "GH_START="+start)
	sh, err := startShell(work, tmp, env)
	if err != nil {
		return nil, err
	}
	return &runner{doc: doc, opt: opt, sh: sh, tmp: tmp, servers: map[string]*server{}, aliases: map[string]string{}}, nil
}

// close stops the servers and the shell.
func (r *runner) close() {
	for _, s := range r.servers {
		s.stop()
	}
	r.sh.close()
}

// addrRe finds the loopback addresses a command names.
var addrRe = regexp.MustCompile(`\b(127\.0\.0\.1|localhost):([0-9]+)\b`)

// rewrite points the addresses of text that a started server asked for
// at the port it listens on.
func (r *runner) rewrite(text string) string {
	return addrRe.ReplaceAllStringFunc(text, func(a string) string {
		m := addrRe.FindStringSubmatch(a)
		if s := r.servers[m[2]]; s != nil {
			_, port, _ := strings.Cut(s.addr, ":")
			return m[1] + ":" + port
		}
		if addr, ok := r.aliases[m[2]]; ok {
			_, port, _ := strings.Cut(addr, ":")
			return m[1] + ":" + port
		}
		return a
	})
}

func (r *runner) line(l Line) error {
	if l.Example != "" {
		return r.start(l)
	}
	res, err := r.sh.run(r.rewrite(l.Text))
	if err != nil {
		msg := err.Error()
		if n := len(res.Statuses); n > 0 {
			msg += fmt.Sprintf(" (its last response was HTTP %d)", res.Statuses[n-1])
		}
		return r.fail(l, "", msg, res)
	}
	return r.check(l, "", res)
}

// check compares the status of a command's last response with the one it
// expects.
func (r *runner) check(l Line, where string, res result) error {
	if l.Expect == 0 {
		return nil
	}
	if len(res.Statuses) == 0 {
		return r.fail(l, where, fmt.Sprintf("no HTTP response, want %d", l.Expect), res)
	}
	if got := res.Statuses[len(res.Statuses)-1]; got != l.Expect {
		return r.fail(l, where, fmt.Sprintf("got HTTP %d, want %d", got, l.Expect), res)
	}
	return nil
}

// start runs a start line: the shell evaluates it, with `go run
// ./examples/NAME` replaced by a script that records the environment, the
// directory and the arguments, and the test starts the binary so, on a
// free port. Once it listens, the server started for the same port before,
// if any, is stopped.
func (r *runner) start(l Line) error {
	m := startRe.FindStringSubmatchIndex(l.Code)
	code := l.Code[:m[4]] + `"$GH_START" ` + l.Example + l.Code[m[5]:]
	if c := strings.TrimRight(code, " \t"); strings.HasSuffix(c, "&") && !strings.HasSuffix(c, "&&") {
		code = strings.TrimSuffix(c, "&")
	}
	res, err := r.sh.run(code)
	if err != nil {
		return r.fail(l, "", err.Error(), res)
	}
	read := func(name string) ([]string, error) {
		b, err := os.ReadFile(filepath.Join(r.tmp, "start."+name))
		if err != nil {
			return nil, err
		}
		return strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00"), nil
	}
	args, err := read("args")
	if err != nil {
		return r.fail(l, "", "reading its arguments: "+err.Error(), res)
	}
	envAll, err := read("env")
	if err != nil {
		return r.fail(l, "", "reading its environment: "+err.Error(), res)
	}
	dir, err := os.ReadFile(filepath.Join(r.tmp, "start.dir"))
	if err != nil {
		return r.fail(l, "", "reading its directory: "+err.Error(), res)
	}
	var env []string
	for _, kv := range envAll {
		if !strings.HasPrefix(kv, "GH_") && kv != "" {
			env = append(env, kv)
		}
	}
	bin := filepath.Join(r.opt.Bin, l.Example)
	if _, err := os.Stat(bin); err != nil {
		return r.fail(l, "", "no binary of ./examples/"+l.Example+" was built", res)
	}
	args, port := listenArgs(args[1:])
	args, metricsPort := metricsArgs(args)
	r.started++
	s, err := startServer(l.Example, bin, args, env, strings.TrimSpace(string(dir)), r.tmp, r.started)
	if err != nil {
		return r.fail(l, "", err.Error(), res)
	}
	listening, err := s.wait(startTimeout)
	if err != nil {
		s.stop()
		return r.fail(l, "", fmt.Sprintf("%s %s: %v\nstdout:\n%s\nstderr:\n%s", l.Example, strings.Join(args, " "), err, tail(s.stdout()), tail(s.stderr())), res)
	}
	if !listening {
		return nil // a one-shot command such as -help, which succeeded
	}
	if old := r.servers[port]; old != nil {
		old.stop() // as a reader stops it to start this one on its port
	}
	s.origPort = port
	r.servers[port] = s
	if metricsPort != "" {
		m := metricsRe.FindStringSubmatch(s.stdout())
		if m == nil {
			return r.fail(l, "", fmt.Sprintf("%s started with -metrics-addr but its banner names no `metrics  http://127.0.0.1:PORT/metrics`", l.Example), res)
		}
		r.aliases[metricsPort] = m[1]
	}
	return r.banner(l, s)
}

// bannerCommandRe is a command of a banner: an export, a curl or a
// variable set from a command's output.
var bannerCommandRe = regexp.MustCompile(`^(export |curl |[A-Za-z_][A-Za-z0-9_]*=\$\()`)

// banner runs the commands the server s printed at start, in order, as a
// reader pastes them: exports of generated values, then the ones it
// suggests trying.
func (r *runner) banner(l Line, s *server) error {
	for i, text := range strings.Split(s.stdout(), "\n") {
		text = strings.TrimSpace(text)
		if !bannerCommandRe.MatchString(text) {
			continue
		}
		where := fmt.Sprintf("the banner's line %d", i+1)
		bl, err := Analyze(i+1, text)
		if err != nil {
			return r.fail(l, where, fmt.Sprintf("%s: %v", text, err), result{})
		}
		res, err := r.sh.run(text)
		if err != nil {
			return r.fail(l, where, fmt.Sprintf("%s: %v", text, err), res)
		}
		if err := r.check(bl, where+", "+text, res); err != nil {
			return err
		}
	}
	return nil
}

// fail describes a failed line of the doc, with its output and the logs
// of the servers.
func (r *runner) fail(l Line, where, msg string, res result) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s:%d: ", r.doc.Path, l.Num)
	if where != "" {
		fmt.Fprintf(&b, "(%s) ", where)
	}
	fmt.Fprintf(&b, "%s\n\t%s", msg, strings.ReplaceAll(l.Text, "\n", "\n\t"))
	if res.Stdout != "" {
		fmt.Fprintf(&b, "\nstdout:\n%s", tail(res.Stdout))
	}
	if res.Stderr != "" {
		fmt.Fprintf(&b, "\nstderr:\n%s", tail(res.Stderr))
	}
	for _, s := range r.servers {
		fmt.Fprintf(&b, "\nlog of %s on %s:\n%s", s.name, s.addr, tail(s.stderr()))
	}
	return errors.New(b.String())
}

// tail returns the last 2 KiB of s.
func tail(s string) string {
	const n = 2 << 10
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

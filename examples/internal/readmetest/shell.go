package readmetest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// prelude starts the shell a README's commands run in: strict mode; curl
// bounded in time and recording the status of each response it gets (the
// last one of a redirect chain) in $GH_TMP/status; `go run ./examples/NAME`
// running the example's prebuilt binary, which behaves the same and needs
// no compilation during the test.
const prelude = `set -euo pipefail
curl() {
	local h
	h=$(mktemp "$GH_TMP/headers.XXXXXX")
	command curl --connect-timeout 5 --max-time 10 -D "$h" "$@" || return
	awk '/^HTTP\//{s=$2} END{print s}' "$h" >>"$GH_TMP/status"
}
go() {
	if [ "${1-}" = run ] && [ -n "${2-}" ]; then
		local name="${2#./examples/}"
		name="${name%/}"
		if [ "$name" != "$2" ] && [ -x "$GH_BIN/$name" ]; then
			shift 2
			"$GH_BIN/$name" "$@"
			return
		fi
	fi
	command go "$@"
}
`

// startScript is the command a start line's `go run ./examples/NAME` is
// replaced with: it records the working directory, the environment and the
// arguments the line gives, for the test to start the server with.
const startScript = `#!/bin/sh
pwd >"$GH_TMP/start.dir"
env -0 >"$GH_TMP/start.env"
printf '%s\0' "$@" >"$GH_TMP/start.args"
`

// lineTimeout bounds one command.
const lineTimeout = 30 * time.Second

// A shell is one bash process running a README's commands in order, so
// that variables carry from one command to the next.
type shell struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	done   chan string // a line per finished command; closed when bash exits
	exited chan struct{}
	err    error // bash's exit, after exited is closed
	tmp    string
}

// A result is what one command did.
type result struct {
	Stdout, Stderr string
	Statuses       []int // the HTTP status of each curl response, in order
}

// startShell starts bash in dir with env; tmp is its scratch directory.
func startShell(dir, tmp string, env []string) (*shell, error) {
	doneR, doneW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer doneW.Close()
	cmd := exec.Command("bash", "--noprofile", "--norc")
	cmd.Dir = dir
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{doneW} // fd 3: "done" after each command
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := cmd.StdinPipe()
	if err != nil {
		doneR.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		doneR.Close()
		return nil, fmt.Errorf("starting bash: %w", err)
	}
	s := &shell{cmd: cmd, in: in, done: make(chan string, 16), exited: make(chan struct{}), tmp: tmp}
	go func() {
		defer doneR.Close()
		defer close(s.done)
		sc := bufio.NewScanner(doneR)
		for sc.Scan() {
			s.done <- sc.Text()
		}
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.exited)
	}()
	if _, err := s.run(prelude); err != nil {
		s.close()
		return nil, fmt.Errorf("the shell's prelude: %w", err)
	}
	return s, nil
}

// run runs code in the shell, its output in files and its stdin empty,
// and waits at most lineTimeout for it.
func (s *shell) run(code string) (result, error) {
	for _, f := range []string{"out", "err", "status"} {
		if err := os.WriteFile(filepath.Join(s.tmp, f), nil, 0o600); err != nil {
			return result{}, err
		}
	}
	script := "{\n" + code + "\n} >\"$GH_TMP/out\" 2>\"$GH_TMP/err\" </dev/null\nprintf 'done\\n' >&3\n"
	if _, err := io.WriteString(s.in, script); err != nil {
		return s.read(), errors.New("the shell has ended")
	}
	timer := time.NewTimer(lineTimeout)
	defer timer.Stop()
	select {
	case _, ok := <-s.done:
		if ok {
			return s.read(), nil
		}
		<-s.exited
		return s.read(), fmt.Errorf("failed: %v", s.err)
	case <-timer.C:
		s.kill()
		return s.read(), fmt.Errorf("did not finish within %v", lineTimeout)
	}
}

// read returns the output of the last command.
func (s *shell) read() result {
	get := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(s.tmp, name))
		return string(b)
	}
	r := result{Stdout: get("out"), Stderr: get("err")}
	for f := range strings.FieldsSeq(get("status")) {
		if n, err := strconv.Atoi(f); err == nil {
			r.Statuses = append(r.Statuses, n)
		}
	}
	return r
}

// kill ends bash and every process of its group (curl, a binary it runs).
func (s *shell) kill() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
}

// close ends the shell: end of input, then, after 5 seconds, kill.
func (s *shell) close() {
	_ = s.in.Close()
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		s.kill()
	}
}

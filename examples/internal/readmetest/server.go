package readmetest

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// DefaultAddr is the listen address of an example started without -addr,
// the one its README's commands name.
const DefaultAddr = "127.0.0.1:8080"

// listeningRe finds the address a server says it listens on.
var listeningRe = regexp.MustCompile(`listening on (?:https?://)?(127\.0\.0\.1:[0-9]+)`)

// metricsRe finds the address of a server's operations listener
// (-metrics-addr) in its banner.
var metricsRe = regexp.MustCompile(`metrics  http://(127\.0\.0\.1:[0-9]+)/metrics`)

// A server is an example binary started by a start line.
type server struct {
	name     string // the example
	origPort string // the port its README line asked for
	addr     string // where it listens
	cmd      *exec.Cmd
	outFile  string
	errFile  string
	exited   chan struct{}
	err      error // the process's exit, once exited is closed
}

// startServer runs bin with args and env in dir, its output in files under
// logDir named after the example and n.
func startServer(name, bin string, args, env []string, dir, logDir string, n int) (*server, error) {
	s := &server{
		name:    name,
		outFile: filepath.Join(logDir, fmt.Sprintf("%s-%d.out", name, n)),
		errFile: filepath.Join(logDir, fmt.Sprintf("%s-%d.err", name, n)),
		exited:  make(chan struct{}),
	}
	out, err := os.Create(s.outFile)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	errf, err := os.Create(s.errFile)
	if err != nil {
		return nil, err
	}
	defer errf.Close()
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env, s.cmd.Dir, s.cmd.Stdout, s.cmd.Stderr = env, dir, out, errf
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		s.err = s.cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

// wait waits until the server says it listens and answers an HTTP request
// (any answer: a server prints its whole banner before it serves), or until
// it exits. It reports whether the server listens; a server that exits
// with status 0 first is a one-shot command such as -help.
func (s *server) wait(timeout time.Duration) (bool, error) {
	deadline := time.Now().Add(timeout)
	for s.addr == "" {
		select {
		case <-s.exited:
			if s.err != nil {
				return false, fmt.Errorf("exited before listening: %v", s.err)
			}
			return false, nil
		case <-time.After(20 * time.Millisecond):
		}
		if m := listeningRe.FindStringSubmatch(s.stdout()); m != nil {
			s.addr = m[1]
		} else if time.Now().After(deadline) {
			return false, fmt.Errorf("did not say `listening on 127.0.0.1:PORT` on stdout within %v", timeout)
		}
	}
	c := &http.Client{Timeout: 2 * time.Second}
	for {
		res, err := c.Get("http://" + s.addr + "/")
		if err == nil {
			_ = res.Body.Close()
			return true, nil
		}
		select {
		case <-s.exited:
			return false, fmt.Errorf("exited after saying it listens: %v", s.err)
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return false, fmt.Errorf("said it listens on %s but answered no request within %v: %v", s.addr, timeout, err)
		}
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 10 seconds.
func (s *server) stop() {
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

func (s *server) stdout() string { b, _ := os.ReadFile(s.outFile); return string(b) }
func (s *server) stderr() string { b, _ := os.ReadFile(s.errFile); return string(b) }

// listenArgs returns args with the listen address replaced by
// 127.0.0.1:0 (a free loopback port) and the port the args asked for: the
// value of -addr, else DefaultAddr's, in which case -addr is added first.
func listenArgs(args []string) (out []string, origPort string) {
	out, orig := loopbackFlag(args, "addr")
	if orig == "" {
		orig = DefaultAddr
		out = append([]string{"-addr", "127.0.0.1:0"}, out...)
	}
	return out, portOf(orig)
}

// metricsArgs returns args with the value of -metrics-addr, if any,
// replaced by 127.0.0.1:0 (a free loopback port), and the port it asked
// for, "" without the flag.
func metricsArgs(args []string) (out []string, origPort string) {
	out, orig := loopbackFlag(args, "metrics-addr")
	if orig == "" {
		return out, ""
	}
	return out, portOf(orig)
}

// loopbackFlag returns args with the value of the flag name (-name or
// --name, as a separate argument or after "=") replaced by 127.0.0.1:0,
// and the value it had, "" when the flag is absent.
func loopbackFlag(args []string, name string) (out []string, orig string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-"+name || a == "--"+name) && i+1 < len(args):
			orig = args[i+1]
			out = append(out, a, "127.0.0.1:0")
			i++
		case strings.HasPrefix(a, "-"+name+"=") || strings.HasPrefix(a, "--"+name+"="):
			flag, value, _ := strings.Cut(a, "=")
			orig = value
			out = append(out, flag+"=127.0.0.1:0")
		default:
			out = append(out, a)
		}
	}
	return out, orig
}

// portOf returns the port of the address addr, or addr itself when it is
// not host:port.
func portOf(addr string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil {
		return port
	}
	return addr
}

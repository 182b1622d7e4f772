package redistest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Ports for the Redis servers a test starts of its own: 127.0.0.1:6390 to
// 127.0.0.1:6399.
const (
	FirstServerPort = 6390
	LastServerPort  = 6399
)

// A Server is a redis-server the test started as a child process, on a
// free port of its own in FirstServerPort..LastServerPort, with nothing
// persisted and its files in a temporary directory; tests may FLUSHALL,
// reconfigure, stop and restart it. It is killed, by its pid, when the
// test ends.
type Server struct {
	tb   testing.TB
	port int
	args []string
	dir  string

	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result
}

// StartServer starts a redis-server with the extra arguments args (such
// as "--maxmemory-policy", "allkeys-lru"). It skips tb when redis-server is
// not installed, or fails it under CI=true, and fails it when no port of
// the range is free.
func StartServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(tb, "redistest: redis-server is not installed: "+err.Error())
	}
	s := &Server{tb: tb, args: args, dir: tb.TempDir()}
	tb.Cleanup(s.Stop)
	for port := FirstServerPort; port <= LastServerPort; port++ {
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // taken
		}
		_ = ln.Close()
		s.port = port
		if err := s.start(); err == nil {
			return s
		}
	}
	tb.Fatalf("redistest: no free port in 127.0.0.1:%d-%d for a redis-server", FirstServerPort, LastServerPort)
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop kills the server (SIGKILL, as a crash would) and waits for it to
// exit; stopping a stopped server does nothing.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.cmd = nil
}

// Restart stops the server and starts it again, empty, on the same port
// with the same arguments.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.tb.Fatalf("redistest: restarting redis-server on %s: %v", s.Addr(), err)
	}
}

// start runs redis-server and waits up to five seconds until it answers
// with its own pid (not another process's server that took the port).
func (s *Server) start() error {
	args := append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
	}, s.args...)
	cmd := exec.Command("redis-server", args...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := redis.NewClient(Options(s.Addr()))
	defer func() { _ = c.Close() }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("redis-server exited: %v", err)
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		info, err := c.Info(ctx, "server").Result()
		cancel()
		if err == nil && strings.Contains(info, "process_id:"+strconv.Itoa(cmd.Process.Pid)+"\r\n") {
			break
		}
		if err == nil {
			err = fmt.Errorf("another process answers on %s", s.Addr())
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s did not answer: %v", s.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.cmd = cmd
	s.exited = exited
	return nil
}

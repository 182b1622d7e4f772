package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
	tb    testing.TB
	port  int
	args  func(port int) []string // redis-server's arguments
	probe func(*redis.Options)    // how start's readiness check connects; nil: plain

	cmd    *exec.Cmd
	exited chan error // cmd.Wait's result
}

// StartServer starts a redis-server with the extra arguments args (such
// as "--maxmemory-policy", "allkeys-lru"). It skips tb when redis-server is
// not installed, or fails it under CI=true, and fails it when no port of
// the range is free.
func StartServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	dir := tb.TempDir()
	return start(tb, func(port int) []string {
		return append([]string{
			"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir,
		}, args...)
	}, nil)
}

// StartSentinel starts a Redis Sentinel monitoring master under the name
// masterName (quorum 1, down after one second), as StartServer starts a
// server; clients find the master through it with redis.NewFailoverClient.
func StartSentinel(tb testing.TB, masterName string, master *Server) *Server {
	tb.Helper()
	dir := tb.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	return start(tb, func(port int) []string {
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor %s 127.0.0.1 %d 1\nsentinel down-after-milliseconds %s 1000\n",
			port, dir, masterName, master.port, masterName)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			tb.Fatalf("redistest: sentinel config: %v", err)
		}
		return []string{conf, "--sentinel"}
	}, nil)
}

// Sentinel starts a Redis and a Sentinel monitoring it, both of the test's
// own, and returns a client that finds the master through the Sentinel
// (redis.NewFailoverClient), with the options of [Options]; all three end
// with tb.
func Sentinel(tb testing.TB) *redis.Client {
	tb.Helper()
	master := StartServer(tb)
	sentinel := StartSentinel(tb, "gatehouse", master)
	o := Options("")
	c := redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName: "gatehouse", SentinelAddrs: []string{sentinel.Addr()},
		DialTimeout: o.DialTimeout, ReadTimeout: o.ReadTimeout, WriteTimeout: o.WriteTimeout,
		ContextTimeoutEnabled: true, MaxRetries: o.MaxRetries,
	})
	tb.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		tb.Fatalf("redistest: no master through the sentinel at %s: %v", sentinel.Addr(), err)
	}
	return c
}

// start runs redis-server with args on the first free port of the range.
// Its readiness check, and every client of options, connects as probe
// says (credentials, TLS); nil means a plain connection.
func start(tb testing.TB, args func(port int) []string, probe func(*redis.Options)) *Server {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(tb, "redistest: redis-server is not installed: "+err.Error())
	}
	s := &Server{tb: tb, args: args, probe: probe}
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

// options returns the options of a client of the server: Options, with
// the credentials and TLS the server requires.
func (s *Server) options() *redis.Options {
	o := Options(s.Addr())
	if s.probe != nil {
		s.probe(o)
	}
	return o
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
	cmd := exec.Command("redis-server", s.args(s.port)...)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	c := redis.NewClient(s.options())
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

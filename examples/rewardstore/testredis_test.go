// Helpers of the tests that run the command on a real Redis: the single
// node, a Redis Cluster, and in-process instances of the command.

package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// A testRedis is a Redis the command is pointed at: the -redis-addr value
// and a key prefix of the test's own, whose keys are deleted when the test
// ends.
type testRedis struct {
	addr, prefix string
}

// unavailable skips t with msg, or fails it under CI=true.
func unavailable(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// singleNode is the Redis at GATEHOUSE_REDIS_ADDR (default 127.0.0.1:6379);
// see redistest.Client.
func singleNode(t *testing.T) testRedis {
	t.Helper()
	c := redistest.Client(t)
	return testRedis{addr: redistest.Addr(), prefix: redistest.Prefix(t, c)}
}

// cluster is the Redis Cluster whose seeds GATEHOUSE_REDIS_CLUSTER lists
// (comma-separated; under CI=true its default is 127.0.0.1:7000–7005);
// outside CI the test is skipped, saying so, when the variable is unset.
// See redistest.Cluster.
func cluster(t *testing.T) testRedis {
	t.Helper()
	c := redistest.Cluster(t)
	return testRedis{addr: strings.Join(redistest.ClusterAddrs(), ","), prefix: redistest.Prefix(t, c)}
}

// startInstance runs the command in-process on a loopback port, on the
// Redis r, with the fleet's shared secret; env adds variables.
func startInstance(t *testing.T, r testRedis, env map[string]string) (*instance, *cmdtest.Command) {
	t.Helper()
	bcryptCost = bcrypt.MinCost
	vars := map[string]string{
		"JWT_SECRET":       strings.Repeat("f", 32),
		"DEMO_ALLOWED_IPS": "127.0.0.2",
		"REDIS_PREFIX":     r.prefix,
	}
	for k, v := range env {
		vars[k] = v
	}
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0", "-redis-addr", r.addr}, func(k string) string { return vars[k] }, stdout, stderr)
	})
	t.Cleanup(func() {
		if t.Failed() {
			logErrors(t, cmd.Stderr.String())
		}
	})
	return &instance{t: t, url: cmd.Base}, cmd
}

// logErrors logs the first lines of an instance's log that report an
// error, so that a failed test shows what the store answered.
func logErrors(t *testing.T, log string) {
	n := 0
	for line := range strings.Lines(log) {
		if strings.Contains(line, "err") && n < 5 {
			t.Log(strings.TrimSpace(line))
			n++
		}
	}
}

// on returns in reporting to t, for use in t's goroutine.
func (in *instance) on(t *testing.T) *instance { return &instance{t: t, url: in.url} }

// tryCall is call for other goroutines than the test's: it returns the
// status, or an error, instead of failing the test.
func (in *instance) tryCall(from, method, path, body, bearer string) (int, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, in.url+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}, Timeout: 10 * time.Second}
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return res.StatusCode, err
}

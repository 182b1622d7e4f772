package redisstore_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// scriptCounter is a go-redis hook recording the script commands (EVALSHA,
// EVAL) a client sends.
type scriptCounter struct {
	mu   sync.Mutex
	sent []string
}

func (c *scriptCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *scriptCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if name := strings.ToLower(cmd.Name()); strings.HasPrefix(name, "eval") {
			c.mu.Lock()
			c.sent = append(c.sent, name)
			c.mu.Unlock()
		}
		return next(ctx, cmd)
	}
}
func (c *scriptCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// take returns the script commands recorded since the last take.
func (c *scriptCounter) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	sent := c.sent
	c.sent = nil
	return sent
}

// TestScriptsLoadedAtStartAndAfterRestart: a Store built from Config.Addr
// has its scripts loaded by New, and again on the connections it opens to
// a Redis restarted empty, so that the first revocation write and the
// first replay use each make one script command (EVALSHA), not a NOSCRIPT
// answer and an EVAL.
func TestScriptsLoadedAtStartAndAfterRestart(t *testing.T) {
	srv := redistest.StartServer(t)
	s, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), Prefix: "scripts-test:"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	counter := &scriptCounter{}
	s.Client().AddHook(counter)
	ctx := context.Background()
	check := func(when string) {
		t.Helper()
		established(t, s)
		counter.take()
		require.NoError(t, s.Revocations().RevokeToken(ctx, "alice", "j1", time.Now().Add(time.Hour)), when)
		require.Equal(t, []string{"evalsha"}, counter.take(), "revocation write, %s", when)
		fresh, err := s.Replay().Use(ctx, "client", "nonce", time.Minute)
		require.NoError(t, err, when)
		require.True(t, fresh, when)
		require.Equal(t, []string{"evalsha"}, counter.take(), "replay use, %s", when)
	}
	check("after New")
	srv.Restart()
	// The pooled connections broke with the restart; the next command
	// finds it out and opens new ones.
	_ = s.Ping(ctx)
	check("after a restart")
}

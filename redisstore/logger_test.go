package redisstore_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// quiet is the Logger of the tests' Stores with a local copy, whose
// changes of use (TestLocalCacheLogs checks them) would crowd the output.
var quiet = slog.New(slog.DiscardHandler)

// refusedAddr returns a loopback address nothing listens on: a port the
// test opened and closed.
func refusedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// dialFailure makes go-redis's connection pool fail to dial addr, which it
// logs ("connection pool: failed to dial after 1 attempts: …").
func dialFailure(t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, DialerRetries: 1, MaxRetries: -1, DialTimeout: time.Second})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	require.Error(t, c.Ping(ctx).Err())
}

// TestRedisLoggerDefault: with nothing set, go-redis's own lines arrive
// as records of slog.Default() (the package routes them there when
// imported), structured, at Warn. Not parallel: it replaces the process's
// default logger and go-redis's process-wide logger.
func TestRedisLoggerDefault(t *testing.T) {
	logs := &logbuf.Buffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(logs, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	addr := refusedAddr(t)
	dialFailure(t, addr)
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), addr) }, 5*time.Second, 5*time.Millisecond,
		"go-redis's dial failure reaches slog.Default():\n%s", logs)
	line := ""
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, addr) {
			line = l
			break
		}
	}
	assert.Contains(t, line, `level=WARN msg=go-redis log="connection pool: failed to dial after 1 attempts: dial tcp `+addr)
	assert.NotContains(t, line, `log="redis: `, "go-redis's own prefix is dropped: the message says go-redis")
}

// TestSetRedisLogger: a logger given to SetRedisLogger receives go-redis's
// lines instead of slog.Default(); a logger whose level is above Warn
// receives none.
func TestSetRedisLogger(t *testing.T) {
	t.Cleanup(func() { redisstore.SetRedisLogger(nil) })
	def := &logbuf.Buffer{}
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(def, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	mine := &logbuf.Buffer{}
	redisstore.SetRedisLogger(slog.New(slog.NewJSONHandler(mine, nil)))
	addr := refusedAddr(t)
	dialFailure(t, addr)
	require.Eventually(t, func() bool { return strings.Contains(mine.String(), addr) }, 5*time.Second, 5*time.Millisecond)
	assert.Contains(t, mine.String(), `"level":"WARN","msg":"go-redis","log":"connection pool: failed to dial after 1 attempts: dial tcp `+addr)
	assert.NotContains(t, def.String(), addr, "the default logger got none of it")

	quiet := &logbuf.Buffer{}
	redisstore.SetRedisLogger(slog.New(slog.NewTextHandler(quiet, &slog.HandlerOptions{Level: slog.LevelError})))
	dialFailure(t, refusedAddr(t))
	assert.Empty(t, quiet.String(), "below the logger's level")
}

// TestLocalCacheLogs: Config.Logger hears of the local copy going out of
// use — its subscription lost, an epoch record missing — once per change,
// at Warn with the reason, and of it being in use again, at Info; nothing
// while Redis stays away, nothing at Close.
func TestLocalCacheLogs(t *testing.T) {
	direct := redistest.Client(t)
	prefix := redistest.Prefix(t, direct)
	writer, err := redisstore.New(redisstore.Config{Client: direct, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, writer)
	proxy := redistest.NewProxy(t, redistest.Addr())
	c := redis.NewClient(redistest.Options(proxy.Addr()))
	t.Cleanup(func() { _ = c.Close() })

	logs := &logbuf.Buffer{}
	s, err := redisstore.New(redisstore.Config{
		Client: c, Prefix: prefix, Timeout: 2 * time.Second, SkipServerCheck: true,
		LocalCache: redisstore.LocalCache{Enabled: true, HealthCheck: 100 * time.Millisecond},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	})
	require.NoError(t, err)
	count := func(what string) int { return strings.Count(logs.String(), what) }
	const inUse, outOfUse = `level=INFO msg="gatehouse redisstore: local copy in use"`, `level=WARN msg="gatehouse redisstore: local copy out of use`
	waitLive(t, s, true)
	require.Eventually(t, func() bool { return count(inUse) == 1 }, 5*time.Second, time.Millisecond, "%s", logs)

	proxy.Stop()
	waitLive(t, s, false)
	require.Eventually(t, func() bool { return count(outOfUse) == 1 }, 5*time.Second, time.Millisecond, "%s", logs)
	time.Sleep(500 * time.Millisecond) // rounds keep failing: Redis is away
	assert.Equal(t, 1, count(outOfUse), "one warning for the outage, not one per attempt:\n%s", logs)
	assert.Contains(t, logs.String(), "channel="+prefix+"inval")

	require.NoError(t, proxy.Start())
	waitLive(t, s, true)
	require.Eventually(t, func() bool { return count(inUse) == 2 }, 5*time.Second, time.Millisecond, "%s", logs)

	require.NoError(t, direct.Del(context.Background(), redisstore.EpochRecordKeys(s)...).Err())
	waitLive(t, s, false)
	require.Eventually(t, func() bool { return count(outOfUse) == 2 }, 5*time.Second, time.Millisecond, "%s", logs)
	assert.Contains(t, logs.String(), "an epoch record is missing")
	require.NoError(t, writer.Establish(context.Background()))
	waitLive(t, s, true)
	require.Eventually(t, func() bool { return count(inUse) == 3 }, 5*time.Second, time.Millisecond, "%s", logs)

	require.NoError(t, s.Close())
	assert.Equal(t, 2, count(outOfUse), "Close is not an outage:\n%s", logs)
}

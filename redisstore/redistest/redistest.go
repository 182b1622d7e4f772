// Package redistest connects tests to the Redis that redisstore's tests
// (and an application's own) run against, isolates them from each other
// with a key prefix per test, and simulates outages with a TCP proxy.
//
// The Redis is at REDIS_ADDR (default 127.0.0.1:6379). When it does not
// answer, [Client] skips the test with a message saying so — except under
// CI=true, where a missing Redis is a failure.
package redistest

import (
	"context"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultAddr is the Redis used when REDIS_ADDR is unset.
const DefaultAddr = "127.0.0.1:6379"

// Addr returns REDIS_ADDR, or DefaultAddr.
func Addr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return DefaultAddr
}

// Options returns client options for addr as redisstore expects them:
// context deadlines on, short timeouts, one retry.
func Options(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
	}
}

// Client returns a client of the Redis at Addr, closed when tb ends. It
// skips tb when that Redis does not answer a PING within a second, or
// fails it when the environment has CI=true.
func Client(tb testing.TB) *redis.Client {
	tb.Helper()
	c := redis.NewClient(Options(Addr()))
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		msg := "redistest: no Redis at " + Addr() + " (set REDIS_ADDR, or start redis-server): " + err.Error()
		if os.Getenv("CI") == "true" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return c
}

// Prefix returns a key prefix no other test uses ("gatehouse-test:<name>:
// <random>:") and deletes every key under it when tb ends.
func Prefix(tb testing.TB, c redis.UniversalClient) string {
	tb.Helper()
	name := strings.NewReplacer("/", ".", " ", "_", ":", ".", "*", "_", "?", "_", "[", "_", "]", "_").Replace(tb.Name())
	p := "gatehouse-test:" + name + ":" + rand.Text()[:10] + ":"
	tb.Cleanup(func() { Flush(tb, c, p) })
	return p
}

// Flush deletes every key that starts with prefix.
func Flush(tb testing.TB, c redis.UniversalClient, prefix string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, prefix+"*", 1000).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
		if len(keys) == 1000 {
			if err := c.Unlink(ctx, keys...).Err(); err != nil {
				tb.Errorf("redistest: cleaning %s: %v", prefix, err)
				return
			}
			keys = keys[:0]
		}
	}
	if err := iter.Err(); err != nil {
		tb.Errorf("redistest: cleaning %s: %v", prefix, err)
		return
	}
	if len(keys) > 0 {
		if err := c.Unlink(ctx, keys...).Err(); err != nil {
			tb.Errorf("redistest: cleaning %s: %v", prefix, err)
		}
	}
}

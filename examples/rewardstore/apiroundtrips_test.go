package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
)

// roundTrips counts a client's round trips to Redis: a command, or a
// pipeline (whose parts go to their masters at once), is one.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// TestAPIRoundTrips: a bearer API call of the demo account, whose IP
// whitelist every call checks, makes one Redis round trip without the
// local copy (the revocation check and the whitelist in one pipeline);
// with REDIS_LOCAL_CACHE, one for a new token's first call (its
// revocations; the login put the whitelist in the copy) and none after,
// on a single node and on a cluster.
func TestAPIRoundTrips(t *testing.T) {
	for _, target := range []struct {
		name  string
		redis func(*testing.T) testRedis
	}{{"single node", singleNode}, {"cluster", cluster}} {
		for _, local := range []bool{false, true} {
			name := target.name + "/no local copy"
			if local {
				name = target.name + "/local copy"
			}
			t.Run(name, func(t *testing.T) {
				r := target.redis(t)
				cfg, err := server.FromEnv(func(k string) string {
					return map[string]string{"JWT_SECRET": strings.Repeat("s", 32), "DEMO_ALLOWED_IPS": "127.0.0.2"}[k]
				})
				require.NoError(t, err)
				cfg.BcryptCost = bcrypt.MinCost
				rt, err := parseRedisAddr("-redis-addr", r.addr)
				require.NoError(t, err)
				store, closeRedis, err := useRedis(&cfg, rt, redisSettings{prefix: r.prefix, localCache: local})
				require.NoError(t, err)
				t.Cleanup(func() { _ = store.Close(); _ = closeRedis() })
				counter := &roundTrips{}
				store.Client().AddHook(counter)
				s, err := server.New(cfg)
				require.NoError(t, err)
				require.NoError(t, store.Establish(context.Background()))
				ts := httptest.NewServer(s)
				t.Cleanup(ts.Close)
				in := &instance{t: t, url: ts.URL}
				if local {
					deadline := time.Now().Add(5 * time.Second)
					for !store.LocalCacheLive() {
						require.True(t, time.Now().Before(deadline), "local copy not live within 5 s")
						time.Sleep(time.Millisecond)
					}
				}

				var access string
				call := func(from string) (int, int64) {
					before := counter.n.Load()
					status := in.call(from, "GET", "/api/v1/products", "", access).status
					return status, counter.n.Load() - before
				}
				warm := int64(1)
				if local {
					warm = 0
					// On a cluster, Establish's clear-all reaches the copy
					// once per master, the last ones over the cluster bus,
					// possibly during a call, whose answers it then drops:
					// call until the copy has settled (five calls in a
					// row answered from it).
					access = in.login("demo", "demo-password").Access
					for i, quiet := 0, 0; quiet < 5; i++ {
						require.Less(t, i, 100, "the local copy never settled")
						time.Sleep(10 * time.Millisecond)
						status, n := call("127.0.0.2")
						require.Equal(t, http.StatusOK, status)
						if quiet++; n != 0 {
							quiet = 0
						}
					}
				}
				// A new session's token: its first call reads its
				// revocations (with the login's whitelist read, or from
				// the copy, which the login filled).
				access = in.login("demo", "demo-password").Access
				status, n := call("127.0.0.2")
				assert.Equal(t, http.StatusOK, status)
				assert.Equal(t, int64(1), n, "first call")
				for range 3 {
					status, n = call("127.0.0.2")
					assert.Equal(t, http.StatusOK, status)
					assert.Equal(t, warm, n, "next calls")
				}
				status, n = call("127.0.0.3")
				assert.Equal(t, http.StatusForbidden, status, "outside the whitelist")
				assert.Equal(t, warm, n)
			})
		}
	}
}

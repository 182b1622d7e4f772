package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// roundTripLatency is the delay redistest.RoundTrips adds to every
// counted command, as a Redis that far away would: the commands a request
// sends together then overlap whatever the machine's load, so the count
// of waits shows the code's structure, not the scheduler's.
const roundTripLatency = 20 * time.Millisecond

// The sequential round trips to Redis of a bearer call are at most 1 (0
// with the local copy warm), and of login, refresh and logout at most 2
// each, with the local copy and without, on one node and on a Redis
// Cluster. The counts are exact (redistest.RoundTrips), never timings;
// each is logged for redisstore's README.
func TestRoundTripsSingleNode(t *testing.T) {
	r := singleNode(t)
	testRoundTrips(t, r.addr)
}

func TestRoundTripsCluster(t *testing.T) {
	r := cluster(t)
	testRoundTrips(t, r.addr)
}

// roundTripsMax is the most sequential round trips each request may cost,
// with the local copy (true) and without.
var roundTripsMax = map[bool]map[string]int{
	true:  {"bearer": 0, "login": 2, "refresh": 2, "logout": 2},
	false: {"bearer": 1, "login": 2, "refresh": 2, "logout": 2},
}

func testRoundTrips(t *testing.T, addr string) {
	for _, local := range []bool{true, false} {
		name := "local copy"
		if !local {
			name = "no local copy"
		}
		t.Run(name, func(t *testing.T) {
			in, rt := newCountedInstance(t, addr, local)
			costs := measureRoundTrips(t, in, rt)
			for _, op := range []string{"bearer", "login", "refresh", "logout"} {
				t.Logf("%s, %s: %d waits, %d commands", name, op, costs[op].Waits, costs[op].Commands)
			}
			for op, most := range roundTripsMax[local] {
				assert.LessOrEqual(t, costs[op].Waits, most, "%s: sequential round trips", op)
			}
		})
	}
}

// newCountedInstance builds a reward store as the command does with
// -redis-addr addr (useRedis), under a prefix of t's own, with the local
// copy on or off, and counts the Redis round trips of every request it
// serves.
func newCountedInstance(t *testing.T, addr string, localCache bool) (*instance, *redistest.RoundTrips) {
	t.Helper()
	cfg, err := server.FromEnv(func(k string) string {
		return map[string]string{"JWT_SECRET": strings.Repeat("s", 32), "DEMO_ALLOWED_IPS": "127.0.0.2"}[k]
	})
	require.NoError(t, err)
	cfg.BcryptCost = bcrypt.MinCost
	target, err := parseRedisAddr("-redis-addr", addr)
	require.NoError(t, err)
	keys := target.client() // deletes the test's keys when it ends
	t.Cleanup(func() { _ = keys.Close() })
	prefix := redistest.Prefix(t, keys)
	store, closeRedis, err := useRedis(&cfg, target, redisSettings{prefix: prefix, localCache: localCache})
	require.NoError(t, err)
	t.Cleanup(func() { _ = closeRedis() })
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, store.Establish(context.Background()))
	if localCache {
		require.Eventually(t, store.LocalCacheLive, 5*time.Second, 10*time.Millisecond, "the local copy subscribes")
	}
	rt := &redistest.RoundTrips{Latency: roundTripLatency}
	store.Client().AddHook(rt)
	ts := httptest.NewServer(rt.Handler(s))
	t.Cleanup(ts.Close)
	return &instance{t: t, url: ts.URL}, rt
}

// measureRoundTrips warms in up (connections open, scripts loaded on every
// master, the local copy filled), then returns what one login, one
// refresh of a fresh session and one logout cost, each the highest of a
// few requests, and one bearer call in steady state.
func measureRoundTrips(t *testing.T, in *instance, rt *redistest.RoundTrips) map[string]redistest.Cost {
	t.Helper()
	for range 8 {
		p := in.login("demo", "demo-password")
		require.Equal(t, http.StatusOK, in.products(p.Access))
		r := in.refresh(p.Refresh)
		require.Equal(t, http.StatusOK, r.status, r.body)
		p = pairFrom(t, r)
		require.Equal(t, http.StatusOK, in.call("127.0.0.2", "POST", "/auth/logout", "", p.Access).status)
	}
	bearer := in.login("demo", "demo-password")
	require.Equal(t, http.StatusOK, in.products(bearer.Access))
	costs := map[string]redistest.Cost{}
	note := func(op string) {
		c := rt.Take()
		if c.Waits > costs[op].Waits || c.Waits == costs[op].Waits && c.Commands > costs[op].Commands {
			costs[op] = c
		}
	}
	for range 4 {
		rt.Take()
		p := in.login("demo", "demo-password")
		note("login")
		r := in.refresh(p.Refresh)
		require.Equal(t, http.StatusOK, r.status, r.body)
		note("refresh")
		p = pairFrom(t, r)
		require.Equal(t, http.StatusOK, in.call("127.0.0.2", "POST", "/auth/logout", "", p.Access).status)
		note("logout")
	}
	// A bearer call in steady state: the last of a few, with no write in
	// between (the first after the logouts above reads the subject's
	// revocations again).
	for range 3 {
		rt.Take()
		require.Equal(t, http.StatusOK, in.products(bearer.Access))
	}
	costs["bearer"] = rt.Take()
	return costs
}

package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestDataLoss: the Redis of a running instance loses everything — FLUSHALL,
// or a restart without persistence. From then on a logged-out token is never
// served again, the demo account (whitelisted to 127.0.0.2) is never served
// from another address, and no session from before the loss goes on; once
// the README's re-seed step has run (starting an instance, which seeds the
// whitelists where absent and begins a new epoch), fresh logins work on
// every instance and the old tokens stay refused.
//
// With REDIS_LOCAL_CACHE=true the same holds once the instance's local
// copy has noticed the loss: at once when the loss breaks its
// subscription (a restart), within its check of the epoch records (every
// redisstore.DefaultLocalCacheHealthCheck, plus a round trip) when it does
// not (FLUSHALL). Until then the copy answers what it held, which never
// serves the logged-out token or another address; the test allows that
// delay (polling, within a generous bound) and then requires what it
// requires without the copy.
func TestDataLoss(t *testing.T) {
	for _, mode := range []struct {
		name string
		env  map[string]string
	}{
		{"no copy", nil},
		{"local copy", map[string]string{"REDIS_LOCAL_CACHE": "true"}},
	} {
		for _, loss := range []struct {
			name string
			lose func(t *testing.T, srv *redistest.Server)
		}{
			{"FLUSHALL", func(t *testing.T, srv *redistest.Server) {
				c := redis.NewClient(redistest.Options(srv.Addr()))
				defer c.Close()
				require.NoError(t, c.FlushAll(context.Background()).Err())
			}},
			{"restart without persistence", func(t *testing.T, srv *redistest.Server) { srv.Restart() }},
		} {
			t.Run(mode.name+"/"+loss.name, func(t *testing.T) {
				dataLoss(t, mode.env, loss.lose)
			})
		}
	}
}

// dataLossNoticed bounds the time a local copy may take to notice a loss:
// five times its check interval, generous for one check and a round trip
// on a busy machine.
const dataLossNoticed = 5 * redisstore.DefaultLocalCacheHealthCheck

// dataLoss runs TestDataLoss's steps on instances started with env.
func dataLoss(t *testing.T, env map[string]string, lose func(t *testing.T, srv *redistest.Server)) {
	srv := redistest.StartServer(t)
	r := testRedis{addr: srv.Addr(), prefix: "rewardstore-dataloss:"}
	a, _ := startInstance(t, r, env)
	in := a.on(t)

	out := in.login("demo", "demo-password")
	require.Equal(t, http.StatusOK, in.call("127.0.0.2", "POST", "/auth/logout", "", out.Access).status)
	require.Equal(t, http.StatusUnauthorized, in.products(out.Access))
	live := in.login("demo", "demo-password")
	require.Equal(t, http.StatusOK, in.products(live.Access))
	require.Equal(t, http.StatusForbidden, in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status)
	require.Equal(t, http.StatusOK, in.products(live.Access), "served (from the local copy, when on)")

	lose(t, srv)

	// refused checks what no instance may ever serve after the loss.
	refused := func() []int {
		codes := []int{in.products(out.Access), in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status}
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, codes[0], "the logged-out token")
		assert.Contains(t, []int{http.StatusForbidden, http.StatusServiceUnavailable}, codes[1], "outside the whitelist")
		return codes
	}
	seen := map[int]int{}
	if env["REDIS_LOCAL_CACHE"] == "true" {
		// A local copy may serve the token it held until it notices the
		// loss, and never after. (No login here: each one refused from
		// outside the whitelist counts towards the failed-login limit.)
		start := time.Now()
		for in.products(live.Access) == http.StatusOK {
			require.Less(t, time.Since(start), dataLossNoticed, "the local copy still serves a token from before the loss")
			for _, c := range refused() {
				seen[c]++
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Logf("the local copy noticed the loss after %v", time.Since(start).Round(time.Millisecond))
	}

	// Until the re-seed step: nothing from before the loss is served, and
	// nothing is served from outside the whitelist.
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		pre := in.products(live.Access)
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, pre, "a token from before the loss")
		login := in.call("127.0.0.3", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
		assert.Contains(t, []int{http.StatusForbidden, http.StatusServiceUnavailable}, login.status, "login outside the whitelist (body withheld: it would hold tokens)")
		for _, c := range append(refused(), pre, login.status) {
			seen[c]++
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("answers between the loss and the re-seed step: %v", seen)
	assert.Equal(t, http.StatusServiceUnavailable, in.products(out.Access), "the lost state is reported, not guessed")
	assert.Equal(t, http.StatusServiceUnavailable, in.products(live.Access), "for every token from before the loss")

	// The re-seed step: start an instance.
	b, _ := startInstance(t, r, env)
	for _, inst := range []*instance{a.on(t), b.on(t)} {
		fresh := inst.login("demo", "demo-password")
		assert.Equal(t, http.StatusOK, a.on(t).products(fresh.Access), "a fresh login works on A")
		assert.Equal(t, http.StatusOK, b.on(t).products(fresh.Access), "and on B")
		assert.Equal(t, http.StatusForbidden, inst.call("127.0.0.3", "GET", "/api/v1/products", "", fresh.Access).status, "the whitelist is back")
		assert.Equal(t, http.StatusUnauthorized, inst.products(out.Access), "the logged-out token stays refused")
		assert.Equal(t, http.StatusUnauthorized, inst.products(live.Access), "so does every token from before the loss")
		assert.Equal(t, http.StatusUnauthorized, inst.refresh(live.Refresh).status, "and its session")
	}
}

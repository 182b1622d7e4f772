package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestDataLossLocalCopy: with REDIS_LOCAL_CACHE=true, a FLUSHALL leaves the
// instance's subscription up, so its local copy keeps the answers it held
// until the re-seed step: a logged-out token and an address outside the
// whitelist stay refused — the copy never allows more than Redis did
// before the loss — but a token it had seen is served, where TestDataLoss
// (no copy) requires 401 or 503. After the re-seed step, every token from
// before the loss is refused as without the copy.
func TestDataLossLocalCopy(t *testing.T) {
	srv := redistest.StartServer(t)
	r := testRedis{addr: srv.Addr(), prefix: "rewardstore-dataloss:"}
	env := map[string]string{"REDIS_LOCAL_CACHE": "true"}
	a, _ := startInstance(t, r, env)
	in := a.on(t)

	out := in.login("demo", "demo-password")
	require.Equal(t, http.StatusOK, in.call("127.0.0.2", "POST", "/auth/logout", "", out.Access).status)
	require.Equal(t, http.StatusUnauthorized, in.products(out.Access))
	live := in.login("demo", "demo-password")
	require.Equal(t, http.StatusOK, in.products(live.Access))
	require.Equal(t, http.StatusForbidden, in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status)

	c := redis.NewClient(redistest.Options(srv.Addr()))
	defer c.Close()
	require.NoError(t, c.FlushAll(context.Background()).Err())

	seen := map[int]int{}
	for range 5 {
		assert.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, in.products(out.Access), "the logged-out token")
		assert.Contains(t, []int{http.StatusForbidden, http.StatusServiceUnavailable},
			in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status, "outside the whitelist")
		seen[in.products(live.Access)]++
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("a token seen before the loss, until the re-seed step: %v", seen)
	assert.Equal(t, 5, seen[http.StatusOK], "the copy answers from what it held")

	b, _ := startInstance(t, r, env) // the re-seed step
	for _, inst := range []*instance{a.on(t), b.on(t)} {
		fresh := inst.login("demo", "demo-password")
		assert.Equal(t, http.StatusOK, inst.products(fresh.Access), "a fresh login works")
		assert.Equal(t, http.StatusForbidden, inst.call("127.0.0.3", "GET", "/api/v1/products", "", fresh.Access).status, "the whitelist is back")
		assert.Equal(t, http.StatusUnauthorized, inst.products(out.Access), "the logged-out token stays refused")
		assert.Equal(t, http.StatusUnauthorized, inst.products(live.Access), "so does every token from before the loss")
	}
}

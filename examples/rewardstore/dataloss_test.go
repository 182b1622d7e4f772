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

// TestDataLoss: the Redis of a running instance loses everything — FLUSHALL,
// or a restart without persistence. From then on a logged-out token is never
// served again, the demo account (whitelisted to 127.0.0.2) is never served
// from another address, and no session from before the loss goes on; once
// the README's re-seed step has run (starting an instance, which seeds the
// whitelists where absent and begins a new epoch), fresh logins work on
// every instance and the old tokens stay refused.
func TestDataLoss(t *testing.T) {
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
		t.Run(loss.name, func(t *testing.T) {
			srv := redistest.StartServer(t)
			r := testRedis{addr: srv.Addr(), prefix: "rewardstore-dataloss:"}
			a, _ := startInstance(t, r, nil)
			in := a.on(t)

			out := in.login("demo", "demo-password")
			require.Equal(t, http.StatusOK, in.call("127.0.0.2", "POST", "/auth/logout", "", out.Access).status)
			require.Equal(t, http.StatusUnauthorized, in.products(out.Access))
			live := in.login("demo", "demo-password")
			require.Equal(t, http.StatusOK, in.products(live.Access))
			require.Equal(t, http.StatusForbidden, in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status)

			loss.lose(t, srv)

			// Until the re-seed step: nothing from before the loss is
			// served, and nothing is served from outside the whitelist.
			seen := map[int]int{}
			deadline := time.Now().Add(1500 * time.Millisecond)
			for time.Now().Before(deadline) {
				codes := []int{in.products(out.Access), in.products(live.Access), in.call("127.0.0.3", "GET", "/api/v1/products", "", live.Access).status}
				assert.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, codes[0], "the logged-out token")
				assert.Contains(t, []int{http.StatusUnauthorized, http.StatusServiceUnavailable}, codes[1], "a token from before the loss")
				assert.Contains(t, []int{http.StatusForbidden, http.StatusServiceUnavailable}, codes[2], "outside the whitelist")
				login := in.call("127.0.0.3", "POST", "/auth/login", `{"username":"demo","password":"demo-password"}`, "")
				assert.Contains(t, []int{http.StatusForbidden, http.StatusServiceUnavailable}, login.status, "login outside the whitelist (body withheld: it would hold tokens)")
				for _, c := range append(codes, login.status) {
					seen[c]++
				}
				time.Sleep(100 * time.Millisecond)
			}
			t.Logf("answers between the loss and the re-seed step: %v", seen)
			assert.Equal(t, http.StatusServiceUnavailable, in.products(out.Access), "the lost state is reported, not guessed")

			// The re-seed step: start an instance.
			b, _ := startInstance(t, r, nil)
			for _, inst := range []*instance{a.on(t), b.on(t)} {
				fresh := inst.login("demo", "demo-password")
				assert.Equal(t, http.StatusOK, a.on(t).products(fresh.Access), "a fresh login works on A")
				assert.Equal(t, http.StatusOK, b.on(t).products(fresh.Access), "and on B")
				assert.Equal(t, http.StatusForbidden, inst.call("127.0.0.3", "GET", "/api/v1/products", "", fresh.Access).status, "the whitelist is back")
				assert.Equal(t, http.StatusUnauthorized, inst.products(out.Access), "the logged-out token stays refused")
				assert.Equal(t, http.StatusUnauthorized, inst.products(live.Access), "so does every token from before the loss")
				assert.Equal(t, http.StatusUnauthorized, inst.refresh(live.Refresh).status, "and its session")
			}
		})
	}
}

package main

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// Three instances of the command on one single Redis node act as one
// server.
func TestFleetSingleNode(t *testing.T) {
	r := singleNode(t)
	testFleet(t, r, "single node "+r.addr)
}

// Three instances of the command on one Redis Cluster act as one server.
func TestFleetCluster(t *testing.T) {
	r := cluster(t)
	testFleet(t, r, fmt.Sprintf("cluster of %d seeds", len(redistest.ClusterAddrs())))
}

func testFleet(t *testing.T, r testRedis, mode string) {
	a, cmd := startInstance(t, r, nil)
	b, _ := startInstance(t, r, nil)
	c, _ := startInstance(t, r, nil)
	if !strings.Contains(cmd.Stdout.String(), mode) {
		t.Errorf("the banner does not say %q:\n%s", mode, cmd.Stdout)
	}

	t.Run("log in on A, use on B, log out on C: refused on A and B", func(t *testing.T) {
		a, b, c := a.on(t), b.on(t), c.on(t)
		p := a.login("demo", "demo-password")
		require.Equal(t, http.StatusOK, b.products(p.Access))
		require.Equal(t, http.StatusOK, a.products(p.Access))
		require.Equal(t, http.StatusOK, c.call("127.0.0.2", "POST", "/auth/logout", "", p.Access).status)
		assert.Equal(t, http.StatusUnauthorized, a.products(p.Access), "A had the token cached; the revocation wins")
		assert.Equal(t, http.StatusUnauthorized, b.products(p.Access), "B had the token cached; the revocation wins")
		assert.Equal(t, http.StatusUnauthorized, a.refresh(p.Refresh).status, "the session is over")
	})

	t.Run("rotate on A, replay the old refresh token on B: the family is revoked", func(t *testing.T) {
		a, b, c := a.on(t), b.on(t), c.on(t)
		p := a.login("demo", "demo-password")
		res := a.refresh(p.Refresh)
		require.Equal(t, http.StatusOK, res.status, res.body)
		p2 := pairFrom(t, res)
		require.Equal(t, http.StatusOK, c.products(p2.Access))
		assert.Equal(t, http.StatusUnauthorized, b.refresh(p.Refresh).status, "B sees the replay")
		assert.Equal(t, http.StatusUnauthorized, c.refresh(p2.Refresh).status, "the newest refresh token is refused too")
		assert.Equal(t, http.StatusUnauthorized, a.products(p2.Access), "and so is the newest access token")
	})

	t.Run("one refresh token refreshed on A, B and C at once: exactly one 200", func(t *testing.T) {
		a, b, c := a.on(t), b.on(t), c.on(t)
		for round := range 3 {
			p := a.login("demo", "demo-password")
			start := make(chan struct{})
			codes := make([]int, 3)
			errs := make([]error, 3)
			var wg sync.WaitGroup
			for i, in := range []*instance{a, b, c} {
				wg.Go(func() {
					<-start
					codes[i], errs[i] = in.tryCall("127.0.0.2", "POST", "/auth/refresh", `{"refresh_token":"`+p.Refresh+`"}`, "")
				})
			}
			close(start)
			wg.Wait()
			require.NoError(t, errors.Join(errs...))
			assert.ElementsMatch(t, []int{http.StatusOK, http.StatusUnauthorized, http.StatusUnauthorized}, codes, "round %d", round)
		}
	})
}

package redistest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// RoundTrips counts one wait per command sent after the previous reply,
// one per pipeline, one for commands sent together, and only the commands
// of marked contexts.
func TestRoundTrips(t *testing.T) {
	for name, client := range map[string]func(testing.TB) redis.UniversalClient{
		"single":  func(tb testing.TB) redis.UniversalClient { return redistest.Client(tb) },
		"cluster": func(tb testing.TB) redis.UniversalClient { return redistest.Cluster(tb) },
	} {
		t.Run(name, func(t *testing.T) {
			c := client(t)
			prefix := redistest.Prefix(t, c)
			bg := context.Background()
			// Open the connections the test uses: a new connection's
			// handshake would count with the command that opened it.
			var warm sync.WaitGroup
			for i := range 3 {
				warm.Go(func() {
					// BLPOP holds its connection 50 ms: each opens one.
					_ = c.Do(bg, "blpop", fmt.Sprint(prefix, "g", i), "0.05").Err()
				})
			}
			warm.Wait()
			_, _ = c.Pipelined(bg, func(p redis.Pipeliner) error { p.Ping(bg); return nil }) // pipelines have connections of their own
			rt := &redistest.RoundTrips{Latency: 20 * time.Millisecond}
			c.AddHook(rt)
			ctx := rt.Context(bg)

			require.NoError(t, c.Set(bg, prefix+"a", "1", time.Minute).Err())
			assert.Equal(t, redistest.Cost{}, rt.Take(), "an unmarked context is not counted")

			require.NoError(t, c.Get(ctx, prefix+"a").Err())
			require.NoError(t, c.Set(ctx, prefix+"b", "2", time.Minute).Err())
			assert.Equal(t, redistest.Cost{Waits: 2, Commands: 2}, rt.Take(), "one after the other")
			assert.Equal(t, redistest.Cost{}, rt.Take(), "Take starts over")

			_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
				for i := range 6 {
					p.Get(ctx, fmt.Sprint(prefix, "k", i)) // keys of several masters on a cluster
				}
				return nil
			})
			require.ErrorIs(t, err, redis.Nil)
			assert.Equal(t, redistest.Cost{Waits: 1, Commands: 6}, rt.Take(), "a pipeline")

			var wg sync.WaitGroup
			for i := range 3 {
				wg.Go(func() { _ = c.Get(ctx, fmt.Sprint(prefix, "g", i)).Err() })
			}
			wg.Wait()
			assert.Equal(t, redistest.Cost{Waits: 1, Commands: 3}, rt.Take(), "sent together")

			h := rt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_ = c.Get(r.Context(), prefix+"a").Err()
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			assert.Equal(t, redistest.Cost{Waits: 1, Commands: 1}, rt.Take(), "a request through Handler")
		})
	}
}

// Count what one request of a handler costs in Redis.
func ExampleRoundTrips() {
	client := redis.NewClient(redistest.Options(redistest.Addr()))
	defer client.Close()
	rt := &redistest.RoundTrips{}
	client.AddHook(rt)
	handler := rt.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = client.Pipelined(r.Context(), func(p redis.Pipeliner) error {
			p.Get(r.Context(), "a")
			p.Get(r.Context(), "b")
			return nil
		})
	}))
	handler.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	cost := rt.Take()
	fmt.Println(cost.Waits, "round trip,", cost.Commands, "commands")
}

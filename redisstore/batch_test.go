package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// The failure store's batches are one round trip each, on every
// deployment (one pipeline per master on a cluster, sent at once), and a
// FailureThrottle on it counts the attempts of a login (address and user
// name) in one, and settles them in one.
func TestFailuresBatchOneRoundTrip(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		s := newStore(t, nil)
		rt := &redistest.RoundTrips{}
		s.Client().AddHook(rt)
		ctx := rt.Context(context.Background())
		f := s.Failures()
		now := time.Now()
		attempts := []ratelimit.Attempt{{Key: "ip:192.0.2.1", ID: "a"}, {Key: "user:alice", ID: "a"}, {Key: "user:bob", ID: "a"}}
		// Open the pipelines' connections: a connection's handshake
		// would count with the batch that opened it.
		_, err := f.AddFailures(context.Background(), []ratelimit.Attempt{{Key: "warm", ID: "a"}, {Key: "warm2", ID: "a"}}, time.Minute, now)
		require.NoError(t, err)

		got, err := f.AddFailures(ctx, attempts, time.Minute, now)
		require.NoError(t, err)
		assert.Equal(t, []int{1, 1, 1}, []int{got[0].Count, got[1].Count, got[2].Count})
		assert.Equal(t, redistest.Cost{Waits: 1, Commands: 3}, rt.Take(), "AddFailures")

		require.NoError(t, f.SettleFailures(ctx, []string{"user:alice"}, attempts[:1], now))
		assert.Equal(t, redistest.Cost{Waits: 1, Commands: 2}, rt.Take(), "SettleFailures")
		for _, key := range []string{"ip:192.0.2.1", "user:alice"} {
			n, _, err := f.Failures(context.Background(), key, now)
			require.NoError(t, err)
			assert.Zero(t, n, key)
		}

		th, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Store: f})
		require.NoError(t, err)
		begun, err := th.BeginAll(ctx, "ip:192.0.2.2", "user:carol")
		require.NoError(t, err)
		assert.Equal(t, 1, rt.Take().Waits, "BeginAll")
		require.NoError(t, th.Settle(ctx, []string{"user:carol"}, begun[0]))
		assert.Equal(t, 1, rt.Take().Waits, "Settle")
	})
}

// A Redis that lost its scripts (restarted empty, SCRIPT FLUSH) runs a
// batch with one more round trip, sending the scripts' source: the client
// of an application (no script loading on connect) still works.
func TestFailuresBatchAfterScriptFlush(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(redistest.Options(srv.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: "batch-test:"})
	require.NoError(t, err)
	rt := &redistest.RoundTrips{}
	c.AddHook(rt)
	ctx := context.Background()
	require.NoError(t, c.ScriptFlush(ctx).Err())

	counted := rt.Context(ctx)
	f := s.Failures()
	now := time.Now()
	attempts := []ratelimit.Attempt{{Key: "ip:192.0.2.1", ID: "a"}, {Key: "user:alice", ID: "a"}}
	got, err := f.AddFailures(counted, attempts, time.Minute, now)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, 1, got[1].Count)
	assert.Equal(t, 2, rt.Take().Waits, "EVALSHA answered NOSCRIPT, then EVAL")

	require.NoError(t, c.ScriptFlush(ctx).Err())
	require.NoError(t, f.SettleFailures(counted, []string{"user:alice"}, attempts[:1], now))
	assert.Equal(t, 2, rt.Take().Waits)
	n, _, err := f.Failures(ctx, "ip:192.0.2.1", now)
	require.NoError(t, err)
	assert.Zero(t, n, "taken back")

	got, err = f.AddFailures(counted, attempts[1:], time.Minute, now)
	require.NoError(t, err)
	assert.Equal(t, 1, got[0].Count, "the user name was reset")
	assert.Equal(t, 1, rt.Take().Waits, "the scripts are back")
}

// A batch on an unreachable Redis fails.
func TestFailuresBatchUnreachable(t *testing.T) {
	proxy := redistest.NewProxy(t, redistest.Addr())
	c := redis.NewClient(redistest.Options(proxy.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, redistest.Client(t)), Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	proxy.Stop()
	ctx := context.Background()
	_, err = s.Failures().AddFailures(ctx, []ratelimit.Attempt{{Key: "k", ID: "a"}, {Key: "l", ID: "a"}}, time.Minute, time.Now())
	assert.Error(t, err)
	assert.Error(t, s.Failures().SettleFailures(ctx, []string{"k"}, []ratelimit.Attempt{{Key: "l", ID: "a"}}, time.Now()))
}

package tokenendpointtest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplayStore checks that a ReplayStore implements the documented
// contract: a key is fresh once per client, pairs are compared exactly
// (no ambiguous joining of client and key), a non-positive ttl and a
// canceled context are errors, exactly one of many concurrent uses of one
// pair is fresh (run it with -race), and a key becomes fresh again once its
// ttl has passed. The expiry case waits for a 50 ms ttl with
// require.Eventually (at most 3 s), so it holds for stores that expire keys
// on a real clock, such as Redis PX; it is the kit's only wait.
// newStore must return an empty store per call.
func TestReplayStore(t *testing.T, newStore func(t *testing.T) tokenendpoint.ReplayStore) {
	t.Helper()
	ctx := context.Background()
	const ttl = time.Hour

	t.Run("fresh once", func(t *testing.T) {
		s := newStore(t)
		fresh, err := s.Use(ctx, "client-1", "12345", ttl)
		require.NoError(t, err)
		assert.True(t, fresh, "first use")
		for range 3 {
			fresh, err = s.Use(ctx, "client-1", "12345", ttl)
			require.NoError(t, err)
			assert.False(t, fresh, "replay")
		}
	})

	t.Run("pairs are distinct", func(t *testing.T) {
		s := newStore(t)
		pairs := [][2]string{
			{"client-1", "k"}, {"client-2", "k"}, {"client-1", "K"}, {"client-1", "k "},
			{"a:b", "c"}, {"a", "b:c"}, {"a\x00b", "c"}, {"a", "b\x00c"}, {"a|b", "c"}, {"a", "b|c"},
			{"", "k"}, {"client-1", ""}, {"ü", "ключ"},
		}
		for _, p := range pairs {
			fresh, err := s.Use(ctx, p[0], p[1], ttl)
			require.NoError(t, err, "%q", p)
			assert.True(t, fresh, "%q is a new pair", p)
		}
		for _, p := range pairs {
			fresh, err := s.Use(ctx, p[0], p[1], ttl)
			require.NoError(t, err, "%q", p)
			assert.False(t, fresh, "%q was used", p)
		}
	})

	t.Run("long keys", func(t *testing.T) {
		s := newStore(t)
		long := fmt.Sprintf("%0256d", 7)
		fresh, err := s.Use(ctx, "client-1", long, ttl)
		require.NoError(t, err)
		assert.True(t, fresh)
		fresh, err = s.Use(ctx, "client-1", long[:255], ttl)
		require.NoError(t, err)
		assert.True(t, fresh, "a prefix is another key")
		fresh, err = s.Use(ctx, "client-1", long, ttl)
		require.NoError(t, err)
		assert.False(t, fresh)
	})

	t.Run("invalid ttl", func(t *testing.T) {
		s := newStore(t)
		for _, d := range []time.Duration{0, -time.Second} {
			fresh, err := s.Use(ctx, "client-1", "ttl", d)
			require.Error(t, err, "ttl %v", d)
			assert.False(t, fresh)
		}
		fresh, err := s.Use(ctx, "client-1", "ttl", ttl)
		require.NoError(t, err)
		assert.True(t, fresh, "a refused call records nothing")
	})

	t.Run("canceled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		fresh, err := s.Use(cctx, "client-1", "canceled", ttl)
		require.Error(t, err)
		assert.False(t, fresh)
	})

	t.Run("concurrent uses have one winner", func(t *testing.T) {
		s := newStore(t)
		var wins, losses atomic.Int32
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				fresh, err := s.Use(ctx, "client-1", "race", ttl)
				if err != nil {
					t.Errorf("Use: %v", err)
					return
				}
				if fresh {
					wins.Add(1)
				} else {
					losses.Add(1)
				}
			}()
		}
		close(start)
		wg.Wait()
		assert.Equal(t, int32(1), wins.Load(), "exactly one fresh use")
		assert.Equal(t, int32(31), losses.Load())
	})

	t.Run("expiry", func(t *testing.T) {
		s := newStore(t)
		const short = 50 * time.Millisecond
		fresh, err := s.Use(ctx, "client-1", "expiring", short)
		require.NoError(t, err)
		require.True(t, fresh)
		fresh, err = s.Use(ctx, "client-1", "expiring", short)
		require.NoError(t, err)
		require.False(t, fresh, "alive within its ttl")
		require.Eventually(t, func() bool {
			fresh, err := s.Use(ctx, "client-1", "expiring", short)
			return err == nil && fresh
		}, 3*time.Second, 10*time.Millisecond, "fresh again after its ttl")
		fresh, err = s.Use(ctx, "client-1", "expiring", ttl)
		require.NoError(t, err)
		assert.False(t, fresh, "the renewed use is recorded again")
	})
}

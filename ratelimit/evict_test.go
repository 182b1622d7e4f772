package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sameShard returns n keys, none of them avoid, that fall in avoid's shard
// of s's table.
func sameShard(s *MemoryFailureStore, avoid string, n int) []string {
	want := s.t.shard(avoid)
	var keys []string
	for i := 0; len(keys) < n; i++ {
		if k := "user:" + strconv.Itoa(i); s.t.shard(k) == want {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestMemoryFailureStoreEviction checks which key a full shard gives up
// for a new one, with an injected clock: an ended window first, else the
// fewest failures if that is one, else none — the new key is refused.
func TestMemoryFailureStoreEviction(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const window = 15 * time.Minute
	// setup fills victim's shard (4 keys a shard) with victim, holding 5
	// failures, and three keys holding counts, least recently used first.
	setup := func(t *testing.T, counts ...int) (s *MemoryFailureStore, victim string, others []string) {
		t.Helper()
		s = NewMemoryFailureStore(MemoryConfig{MaxKeys: 4 * shardCount})
		victim = "user:alice"
		keys := sameShard(s, victim, len(counts)+1)
		others, newKey := keys[:len(counts)], keys[len(counts)]
		at := t0
		for range 5 {
			_, _, err := s.AddFailure(ctx, victim, window, at)
			require.NoError(t, err)
		}
		for i, k := range others {
			at = at.Add(time.Second)
			for range counts[i] {
				_, _, err := s.AddFailure(ctx, k, window, at)
				require.NoError(t, err)
			}
		}
		return s, victim, append(others, newKey)
	}
	count := func(t *testing.T, s *MemoryFailureStore, key string, at time.Time) int {
		t.Helper()
		n, _, err := s.Failures(ctx, key, at)
		require.NoError(t, err)
		return n
	}
	now := t0.Add(time.Minute)

	t.Run("a lockout is never evicted for a new key", func(t *testing.T) {
		s, victim, keys := setup(t, 2, 3, 2)
		n, resetAt, err := s.AddFailure(ctx, keys[3], window, now)
		assert.ErrorIs(t, err, ErrFull)
		assert.Zero(t, n)
		assert.Equal(t, t0.Add(window), resetAt, "when the first window ends")
		assert.Equal(t, 5, count(t, s, victim, now))
		for i, want := range []int{2, 3, 2} {
			assert.Equal(t, want, count(t, s, keys[i], now))
		}
		assert.Zero(t, count(t, s, keys[3], now))
	})

	t.Run("the fewest failures go when that is one", func(t *testing.T) {
		s, victim, keys := setup(t, 3, 1, 2)
		n, _, err := s.AddFailure(ctx, keys[3], window, now)
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, 5, count(t, s, victim, now))
		assert.Equal(t, 3, count(t, s, keys[0], now))
		assert.Zero(t, count(t, s, keys[1], now), "evicted")
		assert.Equal(t, 2, count(t, s, keys[2], now))
		assert.Equal(t, 4, s.Len())
	})

	t.Run("an ended window goes first", func(t *testing.T) {
		s, victim, keys := setup(t, 1, 1, 1)
		// Renew two of them and the victim in a later window; keys[0]'s
		// window ends untouched.
		later := t0.Add(window + time.Minute)
		for _, k := range []string{victim, victim, keys[1], keys[1], keys[2]} {
			_, _, err := s.AddFailure(ctx, k, window, later)
			require.NoError(t, err)
		}
		_, _, err := s.AddFailure(ctx, keys[3], window, later)
		require.NoError(t, err)
		assert.Equal(t, 2, count(t, s, victim, later))
		assert.Equal(t, 2, count(t, s, keys[1], later))
		assert.Equal(t, 1, count(t, s, keys[2], later), "a live single failure stays while an ended window can go")
		assert.Equal(t, 1, count(t, s, keys[3], later))
		assert.Equal(t, 4, s.Len())
	})

	t.Run("once every window ends, anything goes", func(t *testing.T) {
		s, victim, keys := setup(t, 5, 5, 5)
		after := t0.Add(window + time.Minute)
		_, _, err := s.AddFailure(ctx, keys[3], window, after)
		require.NoError(t, err)
		assert.Zero(t, count(t, s, victim, after))
		assert.Equal(t, 1, s.Len(), "ended windows idle for a minute are swept")
	})
}

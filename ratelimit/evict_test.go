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
// for a new one, with an injected clock: a lockout whose window has ended,
// else, among the keys that are not lockouts (5 failures, AddFailure's
// default Max), one with a single failure, else the fewest failures, the
// least recently updated first; when every key is a live lockout, none —
// the new key is refused.
func TestMemoryFailureStoreEviction(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	const window = 15 * time.Minute
	// setup fills victim's shard (4 keys a shard) with victim, holding 5
	// failures (a lockout), and three keys holding counts, least recently
	// updated first; the last key returned is new.
	setup := func(t *testing.T, cfg MemoryConfig, counts ...int) (s *MemoryFailureStore, victim string, others []string) {
		t.Helper()
		cfg.MaxKeys = 4 * shardCount
		s = NewMemoryFailureStore(cfg)
		victim = "user:alice"
		keys := sameShard(s, victim, len(counts)+1)
		others, newKey := keys[:len(counts)], keys[len(counts)]
		at := t0
		for range 5 {
			_, _, err := s.AddFailure(ctx, victim, newAttemptID(), window, at)
			require.NoError(t, err)
		}
		for i, k := range others {
			at = at.Add(time.Second)
			for j := range counts[i] {
				_, _, err := s.AddFailure(ctx, k, k+"#"+strconv.Itoa(j), window, at)
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
	counts := func(t *testing.T, s *MemoryFailureStore, keys []string, at time.Time) []int {
		t.Helper()
		var out []int
		for _, k := range keys {
			out = append(out, count(t, s, k, at))
		}
		return out
	}
	now := t0.Add(time.Minute)

	t.Run("the least recently updated count goes, not a lockout", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 2, 3, 2)
		n, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err, "a shard of counts under Max never refuses a new key")
		assert.Equal(t, 1, n)
		assert.Equal(t, 5, count(t, s, victim, now), "the lockout is the coldest key, and stays")
		assert.Equal(t, []int{0, 3, 2, 1}, counts(t, s, keys, now))
		assert.Equal(t, 4, s.Len())
	})

	// Regression: a flood of new keys with one failure each flushed a
	// victim's larger count as soon as it was the least recently updated.
	t.Run("single failures go before a larger count", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 4, 1, 1)
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err)
		assert.Equal(t, 5, count(t, s, victim, now))
		assert.Equal(t, []int{4, 0, 1, 1}, counts(t, s, keys, now), "the coldest single failure goes, the 4 stays")
	})

	t.Run("the fewest failures go first", func(t *testing.T) {
		s, _, keys := setup(t, MemoryConfig{}, 4, 3, 2)
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err)
		assert.Equal(t, []int{4, 3, 0, 1}, counts(t, s, keys, now))
	})

	t.Run("an update makes a key recent", func(t *testing.T) {
		s, _, keys := setup(t, MemoryConfig{}, 2, 3, 2)
		_, _, err := s.AddFailure(ctx, keys[0], newAttemptID(), window, now)
		require.NoError(t, err)
		require.NoError(t, s.RemoveFailure(ctx, keys[1], keys[1]+"#0", now)) // a take-back updates too
		_, _, err = s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err)
		assert.Equal(t, []int{3, 2, 0, 1}, counts(t, s, keys, now))
	})

	t.Run("a shard of lockouts refuses the new key", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 5, 6, 5)
		n, resetAt, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		assert.ErrorIs(t, err, ErrFull)
		assert.Zero(t, n)
		assert.Equal(t, t0.Add(window), resetAt, "when the first window ends")
		assert.Equal(t, 5, count(t, s, victim, now))
		assert.Equal(t, []int{5, 6, 5, 0}, counts(t, s, keys, now))
	})

	t.Run("a lockout taken back under Max can go again", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 5, 5, 5)
		require.NoError(t, s.RemoveFailure(ctx, keys[1], keys[1]+"#0", now))
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err)
		assert.Equal(t, 5, count(t, s, victim, now))
		assert.Equal(t, []int{5, 0, 5, 1}, counts(t, s, keys, now))
	})

	t.Run("a lockout counted by a throttle with a lower Max stays", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 2, 2, 2)
		_, _, err := s.addFailure(keys[0], newAttemptID(), window, 2, now) // Max 2: 3 failures lock it out
		require.NoError(t, err)
		_, _, err = s.AddFailure(ctx, keys[3], newAttemptID(), window, now)
		require.NoError(t, err)
		assert.Equal(t, 5, count(t, s, victim, now))
		assert.Equal(t, []int{3, 0, 2, 1}, counts(t, s, keys, now))
	})

	t.Run("an ended window goes first", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 1, 1, 1)
		// Renew two of them and the victim in a later window; keys[0]'s
		// window ends untouched.
		later := t0.Add(window + time.Minute)
		for _, k := range []string{victim, victim, keys[1], keys[1], keys[2]} {
			_, _, err := s.AddFailure(ctx, k, newAttemptID(), window, later)
			require.NoError(t, err)
		}
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, later)
		require.NoError(t, err)
		assert.Equal(t, 2, count(t, s, victim, later))
		assert.Equal(t, []int{0, 2, 1, 1}, counts(t, s, keys, later))
		assert.Equal(t, 4, s.Len())
	})

	t.Run("an ended lockout goes before a live count", func(t *testing.T) {
		// Idle for less than IdleTimeout, so not swept: chosen as victim.
		s, victim, keys := setup(t, MemoryConfig{IdleTimeout: time.Hour}, 2, 2, 2)
		later := t0.Add(window + time.Second/2) // the victim's window ended, the others' not
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, later)
		require.NoError(t, err)
		assert.Zero(t, count(t, s, victim, later))
		assert.Equal(t, []int{2, 2, 2, 1}, counts(t, s, keys, later))
	})

	t.Run("once every window ends, anything goes", func(t *testing.T) {
		s, victim, keys := setup(t, MemoryConfig{}, 5, 5, 5)
		after := t0.Add(window + time.Minute)
		_, _, err := s.AddFailure(ctx, keys[3], newAttemptID(), window, after)
		require.NoError(t, err)
		assert.Zero(t, count(t, s, victim, after))
		assert.Equal(t, 1, s.Len(), "ended windows idle for a minute are swept, lockouts included")
	})
}

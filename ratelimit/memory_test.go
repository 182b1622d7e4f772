package ratelimit_test

import (
	"context"
	"crypto/rand"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
)

func TestMemoryStoreConformance(t *testing.T) {
	ratelimittest.TestStore(t, func(*testing.T) ratelimit.Store { return ratelimit.NewMemoryStore(ratelimit.MemoryConfig{}) })
}

func TestMemoryFailureStoreConformance(t *testing.T) {
	ratelimittest.TestFailureStore(t, func(*testing.T) ratelimit.FailureStore {
		return ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})
	})
}

var start = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// TestMemoryStoreBounded floods the store with 100,000 distinct keys: the
// hard cap holds, and recent keys keep their state.
func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	const maxKeys = 1024
	s := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{MaxKeys: maxKeys})
	lim := ratelimit.PerMinute(1)
	for i := 0; i < 100_000; i++ {
		res, err := s.Take(ctx, "ip:"+strconv.Itoa(i), lim, start)
		require.NoError(t, err)
		require.True(t, res.Allowed)
		require.LessOrEqual(t, s.Len(), maxKeys)
	}
	assert.LessOrEqual(t, s.Len(), maxKeys)
	assert.Greater(t, s.Len(), maxKeys/2, "the cap is used, not merely respected")

	// The most recent key is still held: its bucket is empty.
	res, err := s.Take(ctx, "ip:99999", lim, start)
	require.NoError(t, err)
	assert.False(t, res.Allowed)
}

// TestMemoryStoreIdleEviction checks that buckets which have refilled are
// evicted as new keys arrive, while buckets still holding state stay.
func TestMemoryStoreIdleEviction(t *testing.T) {
	ctx := context.Background()
	s := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
	fast := ratelimit.PerSecond(1) // full again one second after a request
	slow := ratelimit.PerHour(1)   // still empty an hour later

	for i := 0; i < 100_000; i++ {
		_, err := s.Take(ctx, "flood:"+strconv.Itoa(i), fast, start)
		require.NoError(t, err)
	}
	assert.Equal(t, ratelimit.DefaultMaxKeys, s.Len(), "the default cap bounds a flood")

	// A minute later every flood bucket is full again and carries no state;
	// new keys sweep them out instead of displacing live state.
	later := start.Add(time.Minute)
	_, err := s.Take(ctx, "slow", slow, later)
	require.NoError(t, err)
	// Each insertion sweeps at most 32 idle buckets from its shard, so 4,096
	// new keys are enough to clear 65,536.
	for i := 0; i < 4096; i++ {
		_, err := s.Take(ctx, "new:"+strconv.Itoa(i), fast, later)
		require.NoError(t, err)
	}
	assert.Equal(t, 4096+1, s.Len(), "every idle bucket was evicted, the live ones stayed")

	res, err := s.Take(ctx, "slow", slow, later.Add(time.Second))
	require.NoError(t, err)
	assert.False(t, res.Allowed, "a bucket still refilling keeps its state")
}

func TestMemoryFailureStoreBounded(t *testing.T) {
	ctx := context.Background()
	s := ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{MaxKeys: 512})
	for i := 0; i < 100_000; i++ {
		_, _, err := s.AddFailure(ctx, "user:"+strconv.Itoa(i), rand.Text(), time.Minute, start)
		require.NoError(t, err)
	}
	assert.LessOrEqual(t, s.Len(), 512)

	// Expired windows are swept by new keys.
	later := start.Add(2 * time.Minute)
	for i := 0; i < 64; i++ {
		_, _, err := s.AddFailure(ctx, "late:"+strconv.Itoa(i), rand.Text(), time.Minute, later)
		require.NoError(t, err)
	}
	assert.Less(t, s.Len(), 512)
}

// TestMemoryStoreKeepsRecentKeys checks that a refilled bucket is not
// evicted while its key is in recent use, so hot keys are not rebuilt on
// every insertion.
func TestMemoryStoreKeepsRecentKeys(t *testing.T) {
	ctx := context.Background()
	s := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{IdleTimeout: time.Minute})
	lim := ratelimit.PerSecond(1)
	takeAll := func(prefix string, at time.Time) {
		for i := 0; i < 1000; i++ {
			_, err := s.Take(ctx, prefix+strconv.Itoa(i), lim, at)
			require.NoError(t, err)
		}
	}
	takeAll("a:", start)
	takeAll("b:", start.Add(2*time.Second)) // a:* are full again, but recent
	assert.Equal(t, 2000, s.Len())

	takeAll("c:", start.Add(2*time.Minute)) // a:* and b:* idle for over a minute
	assert.Equal(t, 1000, s.Len())
}

// TestMemoryFailureStoreFloodKeepsLockout guards against lockouts evicted
// by a flood, and against new keys refused by one: 100,000
// attacker-chosen keys, each failing once, twice or four times, never
// displace a locked-out victim (5 failures, AddFailure's default Max), and
// never fill the store so that a new key is refused: below the lockout
// count they displace each other.
func TestMemoryFailureStoreFloodKeepsLockout(t *testing.T) {
	ctx := context.Background()
	for _, perKey := range []int{1, 2, 4} {
		t.Run(strconv.Itoa(perKey)+" per key", func(t *testing.T) {
			s := ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{MaxKeys: 512})
			for range 5 {
				_, _, err := s.AddFailure(ctx, "user:victim", rand.Text(), 15*time.Minute, start)
				require.NoError(t, err)
			}
			at := start
			for i := 0; i < 100_000; i++ {
				at = at.Add(time.Millisecond)
				for range perKey {
					_, _, err := s.AddFailure(ctx, "user:"+strconv.Itoa(i), rand.Text(), 15*time.Minute, at)
					require.NoError(t, err, "key %d", i)
				}
				require.LessOrEqual(t, s.Len(), 512)
			}
			n, _, err := s.Failures(ctx, "user:victim", at)
			require.NoError(t, err)
			assert.Equal(t, 5, n, "the victim's lockout survives the flood")
			n, _, err = s.AddFailure(ctx, "user:late", rand.Text(), 15*time.Minute, at)
			require.NoError(t, err, "a new key is still counted")
			assert.Equal(t, 1, n)
		})
	}
}

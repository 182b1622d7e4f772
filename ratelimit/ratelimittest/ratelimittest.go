// Package ratelimittest is the conformance kit for ratelimit's counter
// stores. Every implementation — ratelimit.MemoryStore, redisstore's Redis
// stores, any other — runs the same tests:
//
//	func TestRedisStore(t *testing.T) {
//		ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store { return newRedisStore(t) })
//	}
//
// The kit drives time through the now arguments, so a store under test
// must honour them (a store that reads a server clock needs a test mode
// that does not). Durations are compared with a tolerance of one
// millisecond, the precision of a Redis PTTL, and each test uses keys of
// its own under a fresh store.
package ratelimittest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// Tolerance is the precision the kit allows a store's durations and times.
const Tolerance = time.Millisecond

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func near(t *testing.T, want, got time.Duration, msg string) {
	t.Helper()
	assert.InDelta(t, float64(want), float64(got), float64(Tolerance), "%s: want %v, got %v", msg, want, got)
}

// concurrently calls f ten times in each of 20 goroutines, passing the
// goroutine's number g (0 to 19), and returns when all are done.
func concurrently(f func(g int)) {
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				f(g)
			}
		}()
	}
	wg.Wait()
}

// TestStore checks a ratelimit.Store: token-bucket semantics, the Result
// fields the middleware turns into headers, key isolation, limit changes
// and exact counting under concurrency. newStore returns an empty store.
func TestStore(t *testing.T, newStore func(t *testing.T) ratelimit.Store) {
	ctx := context.Background()
	// 10 a second (one token per 100ms), capacity 5.
	lim := ratelimit.Limit{Events: 10, Period: time.Second, Burst: 5}

	take := func(t *testing.T, s ratelimit.Store, key string, l ratelimit.Limit, at time.Time) ratelimit.Result {
		t.Helper()
		res, err := s.Take(ctx, key, l, at)
		require.NoError(t, err)
		return res
	}
	// takeN takes n tokens from key at one instant; each must be allowed.
	takeN := func(t *testing.T, s ratelimit.Store, key string, l ratelimit.Limit, at time.Time, n int) {
		t.Helper()
		for i := 0; i < n; i++ {
			require.True(t, take(t, s, key, l, at).Allowed, "key %q request %d", key, i+1)
		}
	}

	t.Run("fresh key starts full and drains", func(t *testing.T) {
		s := newStore(t)
		for i := 0; i < 5; i++ {
			res := take(t, s, "drain", lim, t0)
			require.True(t, res.Allowed, "request %d", i+1)
			assert.Equal(t, 5, res.Limit)
			assert.Equal(t, 4-i, res.Remaining)
			assert.Zero(t, res.RetryAfter)
			near(t, time.Duration(i+1)*100*time.Millisecond, res.ResetAfter, "ResetAfter")
		}
		res := take(t, s, "drain", lim, t0)
		assert.False(t, res.Allowed)
		assert.Equal(t, 5, res.Limit)
		assert.Equal(t, 0, res.Remaining)
		near(t, 100*time.Millisecond, res.RetryAfter, "RetryAfter is the time to the next token")
		near(t, 500*time.Millisecond, res.ResetAfter, "ResetAfter is the time to a full bucket")
	})

	t.Run("burst defaults to events", func(t *testing.T) {
		s := newStore(t)
		l := ratelimit.PerMinute(3)
		takeN(t, s, "k", l, t0, 3)
		res := take(t, s, "k", l, t0)
		assert.False(t, res.Allowed)
		assert.Equal(t, 3, res.Limit)
	})

	t.Run("retry after is one interval, not the window", func(t *testing.T) {
		s := newStore(t)
		l := ratelimit.PerMinute(60)
		takeN(t, s, "minute", l, t0, 60)
		res := take(t, s, "minute", l, t0)
		require.False(t, res.Allowed)
		near(t, time.Second, res.RetryAfter, "RetryAfter")
		near(t, time.Minute, res.ResetAfter, "ResetAfter")
	})

	t.Run("partial refill shortens retry after", func(t *testing.T) {
		s := newStore(t)
		takeN(t, s, "partial", lim, t0, 5)
		res := take(t, s, "partial", lim, t0.Add(40*time.Millisecond))
		require.False(t, res.Allowed)
		near(t, 60*time.Millisecond, res.RetryAfter, "RetryAfter")
	})

	t.Run("denied requests consume nothing", func(t *testing.T) {
		s := newStore(t)
		takeN(t, s, "deny", lim, t0, 5)
		for i := 0; i < 20; i++ {
			require.False(t, take(t, s, "deny", lim, t0.Add(time.Duration(i)*time.Millisecond)).Allowed)
		}
		res := take(t, s, "deny", lim, t0.Add(100*time.Millisecond+Tolerance))
		assert.True(t, res.Allowed, "one token refilled despite the denied attempts")
		assert.Equal(t, 0, res.Remaining)
		assert.False(t, take(t, s, "deny", lim, t0.Add(100*time.Millisecond+Tolerance)).Allowed)
	})

	t.Run("refills to capacity and no further", func(t *testing.T) {
		s := newStore(t)
		takeN(t, s, "refill", lim, t0, 5)
		res := take(t, s, "refill", lim, t0.Add(250*time.Millisecond+Tolerance))
		assert.True(t, res.Allowed)
		assert.Equal(t, 1, res.Remaining, "2.5 tokens refilled, one taken")

		later := t0.Add(time.Hour)
		for i := 0; i < 5; i++ {
			res = take(t, s, "refill", lim, later)
			require.True(t, res.Allowed, "request %d after an hour", i+1)
			assert.Equal(t, 4-i, res.Remaining)
		}
		assert.False(t, take(t, s, "refill", lim, later).Allowed, "capacity caps the refill")
	})

	t.Run("keys are independent and exact", func(t *testing.T) {
		s := newStore(t)
		keys := []string{"ip:192.0.2.1", "ip:192.0.2.10", "IP:192.0.2.1", "tok:ключ", "tok:" + strings.Repeat("x", 1024), "a b\x00c"}
		for _, k := range keys {
			takeN(t, s, k, lim, t0, 5)
		}
		for _, k := range keys {
			assert.False(t, take(t, s, k, lim, t0).Allowed, "key %q", k)
		}
	})

	t.Run("a changed limit applies", func(t *testing.T) {
		// How the old bucket's level carries over is the store's choice (an
		// x/time/rate bucket keeps its tokens, a GCRA its theoretical arrival
		// time); the new limit's capacity and rate govern once it refills.
		s := newStore(t)
		slow := ratelimit.PerHour(1)
		require.True(t, take(t, s, "plan", slow, t0).Allowed)
		require.False(t, take(t, s, "plan", slow, t0.Add(time.Second)).Allowed)

		fast := ratelimit.PerSecond(10)
		res := take(t, s, "plan", fast, t0.Add(2*time.Second))
		assert.Equal(t, 10, res.Limit, "Result.Limit reports the new capacity")

		later := t0.Add(3 * time.Hour)
		takeN(t, s, "plan", fast, later, 10)
		assert.False(t, take(t, s, "plan", fast, later).Allowed)
	})

	t.Run("invalid limit is an error", func(t *testing.T) {
		s := newStore(t)
		for _, l := range []ratelimit.Limit{{}, {Events: 1}, {Period: time.Second}, {Events: -1, Period: time.Second}, {Events: 1, Period: time.Second, Burst: -1}} {
			_, err := s.Take(ctx, "bad", l, t0)
			assert.Error(t, err, "%+v", l)
		}
	})

	t.Run("concurrent takes are counted exactly", func(t *testing.T) {
		s := newStore(t)
		l := ratelimit.Limit{Events: 1, Period: time.Hour, Burst: 100}
		var allowed atomic.Int64
		concurrently(func(int) {
			res, err := s.Take(ctx, "race", l, t0)
			if err == nil && res.Allowed {
				allowed.Add(1)
			}
		})
		assert.Equal(t, int64(100), allowed.Load())
	})
}

// TestFailureStore checks a ratelimit.FailureStore: fixed windows opened by
// the first failure, expiry, attempts counted once by id, taking back an
// attempt by id (idempotent, and winning over a count that lands after
// it), reset, key isolation and exact counting under concurrency; and,
// when the store is a ratelimit.FailureBatcher, that its batch methods do
// for each key what the single-key methods do. newStore returns an empty
// store.
func TestFailureStore(t *testing.T, newStore func(t *testing.T) ratelimit.FailureStore) {
	ctx := context.Background()
	const window = 15 * time.Minute

	failures := func(t *testing.T, s ratelimit.FailureStore, key string, at time.Time) (int, time.Time) {
		t.Helper()
		n, resetAt, err := s.Failures(ctx, key, at)
		require.NoError(t, err)
		return n, resetAt
	}
	var seq atomic.Int64
	addID := func(t *testing.T, s ratelimit.FailureStore, key, attempt string, at time.Time) (int, time.Time) {
		t.Helper()
		n, resetAt, err := s.AddFailure(ctx, key, attempt, window, at)
		require.NoError(t, err)
		return n, resetAt
	}
	// add counts a new attempt.
	add := func(t *testing.T, s ratelimit.FailureStore, key string, at time.Time) (int, time.Time) {
		t.Helper()
		return addID(t, s, key, fmt.Sprint("attempt-", seq.Add(1)), at)
	}

	t.Run("unknown key has no failures", func(t *testing.T) {
		s := newStore(t)
		n, resetAt := failures(t, s, "nobody", t0)
		assert.Zero(t, n)
		assert.True(t, resetAt.IsZero())
	})

	t.Run("the first failure opens the window", func(t *testing.T) {
		s := newStore(t)
		for i := 1; i <= 3; i++ {
			n, resetAt := add(t, s, "user:alice", t0.Add(time.Duration(i-1)*time.Minute))
			assert.Equal(t, i, n)
			assert.WithinDuration(t, t0.Add(window), resetAt, Tolerance, "the window is not extended")
		}
		n, resetAt := failures(t, s, "user:alice", t0.Add(10*time.Minute))
		assert.Equal(t, 3, n)
		assert.WithinDuration(t, t0.Add(window), resetAt, Tolerance)
	})

	t.Run("counts expire with the window", func(t *testing.T) {
		s := newStore(t)
		add(t, s, "ip:192.0.2.1", t0)
		add(t, s, "ip:192.0.2.1", t0)
		n, _ := failures(t, s, "ip:192.0.2.1", t0.Add(window-time.Second))
		assert.Equal(t, 2, n)
		n, resetAt := failures(t, s, "ip:192.0.2.1", t0.Add(window+Tolerance))
		assert.Zero(t, n)
		assert.True(t, resetAt.IsZero())

		later := t0.Add(window + time.Minute)
		n, resetAt = add(t, s, "ip:192.0.2.1", later)
		assert.Equal(t, 1, n, "a new window starts over")
		assert.WithinDuration(t, later.Add(window), resetAt, Tolerance)
	})

	t.Run("reset forgets the key", func(t *testing.T) {
		s := newStore(t)
		add(t, s, "user:bob", t0)
		add(t, s, "user:bob", t0)
		require.NoError(t, s.ResetFailures(ctx, "user:bob"))
		n, _ := failures(t, s, "user:bob", t0)
		assert.Zero(t, n)
		n, _ = add(t, s, "user:bob", t0)
		assert.Equal(t, 1, n)
		assert.NoError(t, s.ResetFailures(ctx, "user:unknown"), "resetting an unknown key is fine")
	})

	t.Run("keys are independent", func(t *testing.T) {
		s := newStore(t)
		add(t, s, "user:carol", t0)
		add(t, s, "user:carol", t0)
		add(t, s, "user:Carol", t0)
		n, _ := failures(t, s, "user:carol", t0)
		assert.Equal(t, 2, n)
		n, _ = failures(t, s, "user:Carol", t0)
		assert.Equal(t, 1, n)
		n, _ = failures(t, s, "user:carol2", t0)
		assert.Zero(t, n)
	})

	remove := func(t *testing.T, s ratelimit.FailureStore, key, attempt string, at time.Time) {
		t.Helper()
		require.NoError(t, s.RemoveFailure(ctx, key, attempt, at))
	}

	t.Run("remove takes back its attempt", func(t *testing.T) {
		s := newStore(t)
		for _, a := range []string{"a1", "a2", "a3"} {
			addID(t, s, "user:dave", a, t0)
		}
		remove(t, s, "user:dave", "a2", t0.Add(time.Minute))
		n, resetAt := failures(t, s, "user:dave", t0.Add(time.Minute))
		assert.Equal(t, 2, n)
		assert.WithinDuration(t, t0.Add(window), resetAt, Tolerance, "the window is unchanged")
		n, resetAt = add(t, s, "user:dave", t0.Add(2*time.Minute))
		assert.Equal(t, 3, n)
		assert.WithinDuration(t, t0.Add(window), resetAt, Tolerance)
	})

	t.Run("remove to zero forgets the window", func(t *testing.T) {
		s := newStore(t)
		addID(t, s, "ip:192.0.2.2", "a1", t0)
		remove(t, s, "ip:192.0.2.2", "a1", t0)
		n, resetAt := failures(t, s, "ip:192.0.2.2", t0)
		assert.Zero(t, n)
		assert.True(t, resetAt.IsZero())
		later := t0.Add(5 * time.Minute)
		n, resetAt = add(t, s, "ip:192.0.2.2", later)
		assert.Equal(t, 1, n)
		assert.WithinDuration(t, later.Add(window), resetAt, Tolerance, "the next failure opens a new window")
	})

	t.Run("an attempt counts once", func(t *testing.T) {
		// A write repeated (a client library's retry after a timeout)
		// counts nothing more.
		s := newStore(t)
		addID(t, s, "user:erin", "a1", t0)
		n, resetAt := addID(t, s, "user:erin", "a1", t0.Add(time.Second))
		assert.Equal(t, 1, n)
		assert.WithinDuration(t, t0.Add(window), resetAt, Tolerance)
		n, _ = addID(t, s, "user:erin", "a2", t0.Add(time.Second))
		assert.Equal(t, 2, n)
	})

	t.Run("remove is idempotent", func(t *testing.T) {
		s := newStore(t)
		for _, a := range []string{"a1", "a2", "a3"} {
			addID(t, s, "user:fay", a, t0)
		}
		for range 3 {
			remove(t, s, "user:fay", "a1", t0)
		}
		n, _ := failures(t, s, "user:fay", t0)
		assert.Equal(t, 2, n, "one take-back, however often it is sent")
		remove(t, s, "user:fay", "never-counted", t0)
		n, _ = failures(t, s, "user:fay", t0)
		assert.Equal(t, 2, n, "taking back an attempt never counted takes back nothing")
		n, _ = addID(t, s, "user:fay", "a1", t0)
		assert.Equal(t, 2, n, "an attempt taken back does not count again")
	})

	t.Run("a take-back before the count wins", func(t *testing.T) {
		// The count's write landed after its take-back (delayed by a
		// stall): it counts nothing, on a key without a window and on one
		// with an open window, as long as TakeBackMemory after the take-back.
		s := newStore(t)
		remove(t, s, "ip:192.0.2.3", "late", t0)
		n, resetAt := failures(t, s, "ip:192.0.2.3", t0)
		assert.Zero(t, n)
		assert.True(t, resetAt.IsZero())
		n, _ = addID(t, s, "ip:192.0.2.3", "late", t0.Add(ratelimit.TakeBackMemory-time.Second))
		assert.Zero(t, n)
		n, _ = failures(t, s, "ip:192.0.2.3", t0.Add(ratelimit.TakeBackMemory-time.Second))
		assert.Zero(t, n)
		n, resetAt = add(t, s, "ip:192.0.2.3", t0.Add(time.Minute))
		assert.Equal(t, 1, n, "other attempts count")
		assert.WithinDuration(t, t0.Add(time.Minute+window), resetAt, Tolerance)

		addID(t, s, "user:gail", "a1", t0)
		remove(t, s, "user:gail", "late", t0)
		n, _ = addID(t, s, "user:gail", "late", t0.Add(time.Second))
		assert.Equal(t, 1, n)
		n, _ = addID(t, s, "user:gail", "a2", t0.Add(time.Second))
		assert.Equal(t, 2, n)
	})

	t.Run("remove after the window ended does nothing", func(t *testing.T) {
		s := newStore(t)
		addID(t, s, "user:frank", "a1", t0)
		addID(t, s, "user:frank", "a2", t0)
		after := t0.Add(window + time.Second)
		remove(t, s, "user:frank", "a1", after)
		n, _ := failures(t, s, "user:frank", after)
		assert.Zero(t, n)
		n, resetAt := add(t, s, "user:frank", after)
		assert.Equal(t, 1, n)
		assert.WithinDuration(t, after.Add(window), resetAt, Tolerance)
	})

	t.Run("remove is per key", func(t *testing.T) {
		s := newStore(t)
		addID(t, s, "user:gina", "a1", t0)
		addID(t, s, "user:Gina", "a1", t0)
		remove(t, s, "user:gina", "a1", t0)
		n, _ := failures(t, s, "user:Gina", t0)
		assert.Equal(t, 1, n)
	})

	t.Run("concurrent adds and removes are counted exactly", func(t *testing.T) {
		s := newStore(t)
		add(t, s, "race2", t0) // the window is open throughout
		var n atomic.Int64
		concurrently(func(g int) {
			a := fmt.Sprint("race2-", n.Add(1))
			_, _, _ = s.AddFailure(ctx, "race2", a, window, t0)
			if g%2 == 0 {
				_ = s.RemoveFailure(ctx, "race2", a, t0)
			}
		})
		got, _ := failures(t, s, "race2", t0)
		assert.Equal(t, 1+100, got)
	})

	t.Run("concurrent failures are counted exactly", func(t *testing.T) {
		s := newStore(t)
		var n atomic.Int64
		concurrently(func(int) {
			_, _, _ = s.AddFailure(ctx, "race", fmt.Sprint("race-", n.Add(1)), window, t0)
		})
		got, _ := failures(t, s, "race", t0)
		assert.Equal(t, 200, got)
	})

	t.Run("concurrent repeats of one attempt count once", func(t *testing.T) {
		s := newStore(t)
		concurrently(func(g int) {
			_, _, _ = s.AddFailure(ctx, "race3", fmt.Sprint("race3-", g%5), window, t0)
		})
		got, _ := failures(t, s, "race3", t0)
		assert.Equal(t, 5, got)
	})

	if _, ok := newStore(t).(ratelimit.FailureBatcher); ok {
		t.Run("batch", func(t *testing.T) {
			testFailureBatcher(t, func(t *testing.T) batchStore { return newStore(t).(batchStore) })
		})
	}
}

// A batchStore is a FailureStore that is also a FailureBatcher.
type batchStore interface {
	ratelimit.FailureStore
	ratelimit.FailureBatcher
}

// testFailureBatcher checks the batch methods of a FailureBatcher: each
// key's part as the single-key method, in order.
func testFailureBatcher(t *testing.T, newStore func(t *testing.T) batchStore) {
	ctx := context.Background()
	const window = 15 * time.Minute
	failures := func(t *testing.T, s batchStore, key string, at time.Time) int {
		t.Helper()
		n, _, err := s.Failures(ctx, key, at)
		require.NoError(t, err)
		return n
	}

	t.Run("AddFailures counts each attempt as AddFailure", func(t *testing.T) {
		s := newStore(t)
		_, _, err := s.AddFailure(ctx, "ip:192.0.2.9", "a0", window, t0)
		require.NoError(t, err)
		at := t0.Add(time.Minute)
		got, err := s.AddFailures(ctx, []ratelimit.Attempt{{Key: "ip:192.0.2.9", ID: "a1"}, {Key: "user:hal", ID: "a1"}}, window, at)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, 2, got[0].Count, "the address's window was open")
		assert.WithinDuration(t, t0.Add(window), got[0].ResetAt, Tolerance)
		assert.Equal(t, 1, got[1].Count, "the user name's window opens")
		assert.WithinDuration(t, at.Add(window), got[1].ResetAt, Tolerance)

		got, err = s.AddFailures(ctx, []ratelimit.Attempt{{Key: "user:hal", ID: "a1"}, {Key: "user:hal", ID: "a2"}}, window, at)
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, 1, got[0].Count, "an attempt repeated counts once")
		assert.Equal(t, 2, got[1].Count, "attempts of one key count in order")
		assert.Equal(t, 2, failures(t, s, "ip:192.0.2.9", at))
		assert.Equal(t, 2, failures(t, s, "user:hal", at))

		got, err = s.AddFailures(ctx, nil, window, at)
		require.NoError(t, err)
		assert.Empty(t, got, "an empty batch")
	})

	t.Run("SettleFailures resets and takes back", func(t *testing.T) {
		s := newStore(t)
		for _, a := range []ratelimit.Attempt{{Key: "user:ida", ID: "a1"}, {Key: "user:ida", ID: "a2"}, {Key: "ip:192.0.2.10", ID: "a1"}, {Key: "ip:192.0.2.10", ID: "a2"}} {
			_, _, err := s.AddFailure(ctx, a.Key, a.ID, window, t0)
			require.NoError(t, err)
		}
		require.NoError(t, s.SettleFailures(ctx, []string{"user:ida", "user:unknown"},
			[]ratelimit.Attempt{{Key: "ip:192.0.2.10", ID: "a2"}, {Key: "ip:192.0.2.11", ID: "late"}}, t0))
		assert.Zero(t, failures(t, s, "user:ida", t0), "reset")
		assert.Equal(t, 1, failures(t, s, "ip:192.0.2.10", t0), "one attempt taken back, the earlier failure stays")
		n, _, err := s.AddFailure(ctx, "ip:192.0.2.11", "late", window, t0.Add(time.Second))
		require.NoError(t, err)
		assert.Zero(t, n, "an attempt taken back before its count does not count")

		require.NoError(t, s.SettleFailures(ctx, nil, []ratelimit.Attempt{{Key: "ip:192.0.2.10", ID: "a2"}}, t0))
		assert.Equal(t, 1, failures(t, s, "ip:192.0.2.10", t0), "taking back twice changes nothing")
		require.NoError(t, s.SettleFailures(ctx, nil, nil, t0), "an empty batch")
	})

	t.Run("concurrent batches are counted exactly", func(t *testing.T) {
		s := newStore(t)
		var n atomic.Int64
		concurrently(func(g int) {
			id := fmt.Sprint("b-", n.Add(1))
			both := []ratelimit.Attempt{{Key: "race4", ID: id}, {Key: "race5", ID: id}}
			_, _ = s.AddFailures(ctx, both, window, t0)
			if g%2 == 0 {
				_ = s.SettleFailures(ctx, nil, both[1:], t0)
			}
		})
		assert.Equal(t, 200, failures(t, s, "race4", t0))
		assert.Equal(t, 100, failures(t, s, "race5", t0))
	})
}

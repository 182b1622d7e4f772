package ratelimit

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

// TestBucketMatchesRate replays random schedules — bursts, pauses, steps
// of exactly one refill interval, clocks that step backwards, limit changes
// — on a bucket and on the x/time/rate Limiter whose semantics it
// documents, driven through AllowN then TokensAt, and SetLimitAt and
// SetBurstAt on a limit change (the two steps the bucket does in one). Decisions and
// token counts must be identical, not merely close.
func TestBucketMatchesRate(t *testing.T) {
	limits := []Limit{
		PerSecond(1), PerSecond(10), PerMinute(60), PerHour(100),
		{Events: 5, Period: time.Second, Burst: 20},
		{Events: 1, Period: time.Hour, Burst: 3},
		{Events: 1000, Period: time.Second, Burst: 1},
		{Events: 7, Period: 3 * time.Second},
		{Events: 3, Period: time.Millisecond, Burst: 2},
	}
	for seed := range 64 {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(seed), 42))
			now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
			if seed%2 == 1 {
				now = time.Now() // carries a monotonic reading: Sub uses it
			}
			limit := limits[rng.IntN(len(limits))]
			b := newBucket(limit, now)
			ref := rate.NewLimiter(limit.Rate(), limit.Capacity())
			for step := range 3000 {
				interval := limit.Interval()
				switch x := rng.IntN(100); {
				case x < 30: // a burst: same instant
				case x < 60:
					now = now.Add(time.Duration(rng.Int64N(int64(2*interval) + 1)))
				case x < 75:
					now = now.Add(interval * time.Duration(rng.IntN(3)))
				case x < 85:
					now = now.Add(time.Duration(rng.Int64N(int64(time.Microsecond))))
				case x < 90:
					now = now.Add(-time.Duration(rng.Int64N(int64(time.Second)))) // clock steps back
				case x < 95:
					now = now.Add(time.Duration(rng.Int64N(int64(time.Hour))))
				default:
					next := limits[rng.IntN(len(limits))]
					if next != limit {
						b.setLimit(next, now)
						ref.SetLimitAt(now, next.Rate())
						ref.SetBurstAt(now, next.Capacity())
						limit = next
					}
				}
				require.Equal(t, ref.TokensAt(now), b.advance(now), "step %d: tokens before", step)
				ok, tokens := b.take(now)
				require.Equal(t, ref.AllowN(now, 1), ok, "step %d: decision", step)
				require.Equal(t, ref.TokensAt(now), tokens, "step %d: tokens after", step)
			}
		})
	}
}

// TestBucketForgivesSubNanosecondDeficit pins the one non-obvious rule
// copied from rate.Limiter: a request short of a whole token by less than
// what refills in a nanosecond is allowed.
func TestBucketForgivesSubNanosecondDeficit(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	b := newBucket(PerSecond(1), now)
	b.tokens = 1 - 0.5e-9 // half a nanosecond's refill short
	ok, _ := b.take(now)
	require.True(t, ok)
	b.tokens = 1 - 2e-9
	ok, _ = b.take(now)
	require.False(t, ok)
}

package ratelimit

import "time"

// A bucket is one key's token bucket, used under its table shard's lock.
//
// Its arithmetic is golang.org/x/time/rate's Limiter, the documented
// semantics: take is AllowN(now, 1) followed by TokensAt(now), and setLimit
// is SetLimitAt(now, …) followed by SetBurstAt(now, …). Doing both steps
// of a request at once, under the lock the table already holds, saves the
// Limiter's own mutex and a second refill computation on every request.
// TestBucketMatchesRate replays random schedules on a bucket and on a
// rate.Limiter and requires identical decisions and token counts.
type bucket struct {
	limit  Limit
	rate   float64   // tokens per second, limit.Rate()
	burst  float64   // capacity, limit.Capacity()
	tokens float64   // tokens held at last
	last   time.Time // when tokens was last updated
}

// newBucket returns a full bucket for limit at now.
func newBucket(limit Limit, now time.Time) *bucket {
	b := &bucket{limit: limit, last: now}
	b.rate, b.burst = float64(limit.Rate()), float64(limit.Capacity())
	b.tokens = b.burst
	return b
}

// advance returns the tokens the bucket holds at now: the tokens at last
// plus the refill since, at most the capacity. A now before last refills
// nothing (rate.Limiter.advance).
func (b *bucket) advance(now time.Time) float64 {
	elapsed := max(now.Sub(b.last), 0)
	return min(b.tokens+elapsed.Seconds()*b.rate, b.burst)
}

// take charges one request at now. It reports whether the request is
// allowed and the tokens left afterwards; a refused request takes nothing.
func (b *bucket) take(now time.Time) (ok bool, tokens float64) {
	tokens = b.advance(now)
	left := tokens - 1
	// rate.Limiter allows when the wait for the missing fraction of a
	// token, (-left/rate) seconds, truncates to 0 ns: less than 1 ns.
	ok = b.burst >= 1 && (left >= 0 || -left/b.rate*float64(time.Second) < 1)
	if !ok {
		return false, tokens
	}
	b.tokens, b.last = left, now
	return true, left
}

// setLimit switches the bucket to limit from now on, keeping the tokens it
// holds at now (clamped to the new capacity at the next take).
func (b *bucket) setLimit(limit Limit, now time.Time) {
	b.tokens, b.last = b.advance(now), now
	b.limit = limit
	b.rate, b.burst = float64(limit.Rate()), float64(limit.Capacity())
}

// full reports whether the bucket is full at now: it then carries no state
// and may be evicted.
func (b *bucket) full(now time.Time) bool { return b.advance(now) >= b.burst }

package ratelimit

import (
	"fmt"
	"math"
	"time"

	"golang.org/x/time/rate"
)

// A Limit is a token bucket: Events requests per Period on average, in
// bursts of at most Burst. A fresh bucket is full, so a new key may make
// Burst requests at once and then one every Period/Events.
//
// PerMinute(60) allows 60 requests at once, then one a second.
type Limit struct {
	// Events is how many requests each Period refills; it must be > 0.
	Events int
	// Period is the refill period; it must be > 0 and at most [MaxPeriod].
	Period time.Duration
	// Burst is the bucket's capacity; 0 means Events.
	Burst int
}

// PerSecond returns a Limit of n requests a second with a burst of n.
func PerSecond(n int) Limit { return Limit{Events: n, Period: time.Second} }

// PerMinute returns a Limit of n requests a minute with a burst of n.
func PerMinute(n int) Limit { return Limit{Events: n, Period: time.Minute} }

// PerHour returns a Limit of n requests an hour with a burst of n.
func PerHour(n int) Limit { return Limit{Events: n, Period: time.Hour} }

// MaxPeriod is the longest Limit.Period and FailureConfig.Window accepted:
// 366 days, a leap year. Longer periods are configuration mistakes (a
// unit error, or a "forever" spelled as a huge Duration): times computed
// from them approach the largest Duration, and headers built from those
// overflowed. Use a long period with a small Events instead of "never".
const MaxPeriod = 366 * 24 * time.Hour

// Validate returns an error wrapping [ErrInvalidLimit] when l cannot be
// enforced: Events or Period not positive, Period over [MaxPeriod], or
// Burst negative.
func (l Limit) Validate() error {
	if l.Events <= 0 || l.Period <= 0 || l.Period > MaxPeriod || l.Burst < 0 {
		return fmt.Errorf("%w: %d events per %v, burst %d", ErrInvalidLimit, l.Events, l.Period, l.Burst)
	}
	return nil
}

// Capacity returns the bucket's capacity: Burst, or Events when Burst is 0.
func (l Limit) Capacity() int {
	if l.Burst > 0 {
		return l.Burst
	}
	return l.Events
}

// Interval returns the time one token takes to refill, Period/Events.
func (l Limit) Interval() time.Duration { return l.Period / time.Duration(l.Events) }

// Rate returns l as an x/time/rate limit in events per second.
func (l Limit) Rate() rate.Limit { return rate.Limit(float64(l.Events) / l.Period.Seconds()) }

// durationFor returns the time a refill of r tokens per second takes to
// refill tokens, rounded up to the nanosecond so that a positive need
// never reads as zero.
func durationFor(r, tokens float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	d := math.Ceil(tokens / r * float64(time.Second))
	if d >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(d)
}

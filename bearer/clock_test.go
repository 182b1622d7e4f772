package bearer

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestWallUnix: the wall clock a default Authenticator's cache lookups
// read is time.Now's, to the second.
func TestWallUnix(t *testing.T) {
	for range 100 {
		before := time.Now().Unix()
		got := wallUnix()
		after := time.Now().Unix()
		assert.True(t, before <= got && got <= after, "%d not within [%d, %d]", got, before, after)
	}
}

// TestUnixClock: an injected clock is the one cache lookups read; the
// default one is read through wallUnix.
func TestUnixClock(t *testing.T) {
	at := time.Unix(1_700_000_000, 999_999_999)
	assert.Equal(t, int64(1_700_000_000), unixClock(func() time.Time { return at })())
	now := time.Now().Unix()
	assert.InDelta(t, now, unixClock(nil)(), 1)
}

// TestWallNow: the time a default Authenticator checks claims against is
// time.Now's wall clock, to the microsecond.
func TestWallNow(t *testing.T) {
	for range 100 {
		before := time.Now().Truncate(time.Microsecond)
		got := wallNow()
		after := time.Now()
		assert.False(t, got.Before(before) || got.After(after), "%v not within [%v, %v]", got, before, after)
	}
}

// TestClaimsClock: an injected clock is the one claims are checked
// against; the default one is wallNow.
func TestClaimsClock(t *testing.T) {
	at := time.Unix(1_700_000_000, 999_999_999)
	assert.Equal(t, at, claimsClock(func() time.Time { return at })())
	assert.WithinDuration(t, time.Now(), claimsClock(nil)(), time.Second)
}

// BenchmarkClock compares time.Now with wallNow, the clock a first sight
// checks its claims against, and wallUnix, which a cache lookup reads.
func BenchmarkClock(b *testing.B) {
	b.Run("time.Now", func(b *testing.B) {
		for b.Loop() {
			_ = time.Now()
		}
	})
	b.Run("wallNow", func(b *testing.B) {
		for b.Loop() {
			_ = wallNow()
		}
	})
	b.Run("wallUnix", func(b *testing.B) {
		for b.Loop() {
			_ = wallUnix()
		}
	})
}

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

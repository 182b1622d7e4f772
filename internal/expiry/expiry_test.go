package expiry

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExpiryQueueOrder pushes entries in order, out of order and with
// equal times, and checks that PopExpired hands back exactly the expired
// ones, earliest first, whichever side (FIFO or heap) holds them.
func TestExpiryQueueOrder(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	var q Queue[int]
	var want []time.Time
	for k := range 5000 {
		var at time.Time
		switch k % 4 {
		case 0, 1: // mostly in order, as one ttl on a forward clock gives
			at = base.Add(time.Duration(k) * time.Millisecond)
		case 2: // out of order
			at = base.Add(time.Duration(rng.IntN(5000)) * time.Millisecond)
		case 3: // a tie with an earlier entry
			at = base.Add(time.Duration(k-1) * time.Millisecond)
		}
		q.Push(k, at)
		want = append(want, at)
	}
	require.NotEmpty(t, q.heap, "some entries went to the heap")
	slices.SortFunc(want, func(a, b time.Time) int { return a.Compare(b) })

	var got []time.Time
	for step := time.Duration(0); step <= 6*time.Second; step += 250 * time.Millisecond {
		now := base.Add(step)
		q.PopExpired(now, func(_ int, at time.Time) {
			assert.False(t, now.Before(at), "only expired entries")
			got = append(got, at)
		})
		for _, e := range q.fifo[q.head:] {
			require.True(t, now.Before(e.at), "no expired entry left behind")
		}
		for _, e := range q.heap {
			require.True(t, now.Before(e.at), "no expired entry left behind")
		}
	}
	assert.Equal(t, want, got, "every entry, earliest first")
	assert.Empty(t, q.fifo[q.head:])
	assert.Empty(t, q.heap)
}

// TestExpiryQueueKeep drops the entries of odd keys from a queue with
// entries in both its FIFO and its heap, after some were popped: the rest
// still come out, earliest first, and Len counts them.
func TestExpiryQueueKeep(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(3, 4))
	var q Queue[int]
	for k := range 3000 {
		at := base.Add(time.Duration(k) * time.Millisecond)
		if k%3 == 0 {
			at = base.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
		}
		q.Push(k, at)
	}
	require.NotEmpty(t, q.heap)
	q.PopExpired(base.Add(500*time.Millisecond), func(int, time.Time) {})
	n := q.Len()
	kept := 0
	q.Keep(func(k int, _ time.Time) bool {
		if k%2 == 0 {
			kept++
			return true
		}
		return false
	})
	require.Equal(t, kept, q.Len())
	require.Less(t, q.Len(), n)
	var last time.Time
	popped := 0
	q.PopExpired(base.Add(time.Hour), func(k int, at time.Time) {
		assert.Zero(t, k%2, "only kept entries")
		assert.False(t, at.Before(last), "earliest first")
		last = at
		popped++
	})
	assert.Equal(t, kept, popped)
	assert.Zero(t, q.Len())
}

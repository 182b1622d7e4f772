package ratelimit

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTableHashCollisions forces keys onto one hash — a seeded 64-bit hash
// makes that vanishingly rare, so the test inserts under a chosen hash — and
// checks that each key keeps its own node whichever of them is removed.
func TestTableHashCollisions(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	never := func(*int, time.Time) bool { return false }
	const h = 42
	for name, order := range map[string][]string{
		"head first":   {"c", "b", "a"},
		"tail first":   {"a", "b", "c"},
		"middle first": {"b", "a", "c"},
	} {
		t.Run(name, func(t *testing.T) {
			tb := newTable(1024, time.Minute, never, nil)
			s := tb.lock(h)
			defer s.mu.Unlock()
			for i, k := range []string{"a", "b", "c"} {
				v := i
				require.NotNil(t, tb.insertLocked(s, h, k, now, func() *int { return &v }))
			}
			require.Equal(t, 3, s.size)
			assert.Len(t, s.m, 1, "one chain")
			left := map[string]int{"a": 0, "b": 1, "c": 2}
			for _, k := range order {
				n := s.find(h, k)
				require.NotNil(t, n, k)
				s.remove(n)
				delete(left, k)
				assert.Nil(t, s.find(h, k), k)
				for k, v := range left {
					if n := s.find(h, k); assert.NotNil(t, n, k) {
						assert.Equal(t, v, *n.val, k)
					}
				}
				assert.Equal(t, len(left), s.size)
			}
			assert.Empty(t, s.m)
			assert.Nil(t, s.find(h+1, "a"), "another hash")
		})
	}
}

package ratelimittest_test

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
)

// The kit's own check: the reference implementations pass it.
func TestKitAgainstMemory(t *testing.T) {
	t.Run("Store", func(t *testing.T) {
		ratelimittest.TestStore(t, func(*testing.T) ratelimit.Store {
			return ratelimit.NewMemoryStore(ratelimit.MemoryConfig{MaxKeys: 64})
		})
	})
	t.Run("FailureStore", func(t *testing.T) {
		ratelimittest.TestFailureStore(t, func(*testing.T) ratelimit.FailureStore {
			return ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{MaxKeys: 64})
		})
	})
}

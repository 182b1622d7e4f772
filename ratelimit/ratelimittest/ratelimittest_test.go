package ratelimittest_test

import (
	"context"
	"sync"
	"testing"
	"time"

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
	t.Run("FailureBatcher", func(t *testing.T) {
		ratelimittest.TestFailureStore(t, func(*testing.T) ratelimit.FailureStore {
			return &batcher{MemoryFailureStore: ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{MaxKeys: 64})}
		})
	})
}

// batcher is the plainest FailureBatcher: a MemoryFailureStore whose
// batches run the single-key calls in order, one batch at a time.
type batcher struct {
	*ratelimit.MemoryFailureStore
	mu sync.Mutex
}

func (b *batcher) AddFailures(ctx context.Context, attempts []ratelimit.Attempt, window time.Duration, now time.Time) ([]ratelimit.FailureCount, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]ratelimit.FailureCount, len(attempts))
	for i, a := range attempts {
		n, resetAt, err := b.AddFailure(ctx, a.Key, a.ID, window, now)
		if err != nil {
			return nil, err
		}
		out[i] = ratelimit.FailureCount{Count: n, ResetAt: resetAt}
	}
	return out, nil
}

func (b *batcher) SettleFailures(ctx context.Context, reset []string, remove []ratelimit.Attempt, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range reset {
		if err := b.ResetFailures(ctx, k); err != nil {
			return err
		}
	}
	for _, a := range remove {
		if err := b.RemoveFailure(ctx, a.Key, a.ID, now); err != nil {
			return err
		}
	}
	return nil
}

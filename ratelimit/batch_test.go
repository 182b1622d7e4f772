package ratelimit

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// batchFailures is a FailureBatcher over a MemoryFailureStore: each batch
// runs the single-key calls in order. It counts the batches, and while
// down fails them all (having applied them, as a timed-out pipeline may).
type batchFailures struct {
	*MemoryFailureStore
	mu      sync.Mutex
	batches int
	down    bool
}

func (s *batchFailures) AddFailures(ctx context.Context, attempts []Attempt, window time.Duration, now time.Time) ([]FailureCount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	out := make([]FailureCount, len(attempts))
	for i, a := range attempts {
		n, resetAt, err := s.MemoryFailureStore.AddFailure(ctx, a.Key, a.ID, window, now)
		if err != nil {
			return nil, err
		}
		out[i] = FailureCount{Count: n, ResetAt: resetAt}
	}
	if s.down {
		return nil, errTimeout
	}
	return out, nil
}

func (s *batchFailures) SettleFailures(ctx context.Context, reset []string, remove []Attempt, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches++
	if s.down {
		return errTimeout
	}
	for _, k := range reset {
		_ = s.MemoryFailureStore.ResetFailures(ctx, k)
	}
	for _, a := range remove {
		_ = s.MemoryFailureStore.RemoveFailure(ctx, a.Key, a.ID, now)
	}
	return nil
}

// RemoveFailure fails while the store is down, as the batches do.
func (s *batchFailures) RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		return errTimeout
	}
	return s.MemoryFailureStore.RemoveFailure(ctx, key, attempt, now)
}

func (s *batchFailures) setDown(down bool) {
	s.mu.Lock()
	s.down = down
	s.mu.Unlock()
}

func (s *batchFailures) calls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.batches
}

// throttles returns a throttle with Max 2 on a batching store and one on
// a MemoryFailureStore, both on clk.
func throttles(t *testing.T, clk *clock) map[string]*FailureThrottle {
	out := map[string]*FailureThrottle{}
	for name, store := range map[string]FailureStore{
		"batch":  &batchFailures{MemoryFailureStore: NewMemoryFailureStore(MemoryConfig{})},
		"memory": NewMemoryFailureStore(MemoryConfig{}),
	} {
		th, err := NewFailureThrottle(FailureConfig{Max: 2, Window: time.Minute, Store: store, Now: clk.Now})
		require.NoError(t, err)
		out[name] = th
	}
	return out
}

func failureCount(t *testing.T, th *FailureThrottle, key string) int {
	t.Helper()
	n, _, err := th.store.Failures(context.Background(), key, th.now())
	require.NoError(t, err)
	return n
}

// BeginAll counts one attempt per key, and a refusal by any key takes
// back every attempt, with the refusing key's Retry-After; Settle resets
// and takes back. With a batching store each is one store call.
func TestFailureThrottleBeginAll(t *testing.T) {
	ctx := context.Background()
	for name, th := range throttles(t, newClock()) {
		t.Run(name, func(t *testing.T) {
			got, err := th.BeginAll(ctx, "ip:a", "user:a")
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, "ip:a", got[0].Key)
			assert.Equal(t, "user:a", got[1].Key)
			assert.NotEqual(t, got[0].ID, got[1].ID)
			assert.Equal(t, 1, failureCount(t, th, "ip:a"))
			assert.Equal(t, 1, failureCount(t, th, "user:a"))

			require.NoError(t, th.Settle(ctx, []string{"user:a"}, got[0]))
			assert.Zero(t, failureCount(t, th, "ip:a"), "taken back")
			assert.Zero(t, failureCount(t, th, "user:a"), "reset")
		})
	}
}

func TestFailureThrottleBeginAllRefused(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	for name, th := range throttles(t, clk) {
		t.Run(name, func(t *testing.T) {
			// user:b has 2 failures, its window ending 50 s from now;
			// ip:b 1, its window ending 60 s from now.
			for range 2 {
				_, err := th.Begin(ctx, "user:b")
				require.NoError(t, err)
			}
			clk.Advance(10 * time.Second)
			_, err := th.Begin(ctx, "ip:b")
			require.NoError(t, err)

			_, err = th.BeginAll(ctx, "ip:b", "user:b")
			require.ErrorIs(t, err, ErrThrottled)
			e := envelope.As(err)
			assert.Equal(t, http.StatusTooManyRequests, e.Status)
			assert.Equal(t, 50*time.Second, e.RetryAfter, "the refusing key's window")
			assert.Equal(t, 1, failureCount(t, th, "ip:b"), "the address's attempt is taken back")
			assert.Equal(t, 2, failureCount(t, th, "user:b"), "the refused attempt counts nowhere")

			_, err = th.Begin(ctx, "ip:b")
			require.NoError(t, err)
			_, err = th.BeginAll(ctx, "ip:b", "user:c")
			require.ErrorIs(t, err, ErrThrottled)
			assert.Equal(t, 60*time.Second, envelope.As(err).RetryAfter, "the first refusing key's window")
			assert.Zero(t, failureCount(t, th, "user:c"), "the user name's attempt is taken back (or never counted)")
			assert.Equal(t, 2, failureCount(t, th, "ip:b"))
		})
	}
}

func TestFailureThrottleBatchCalls(t *testing.T) {
	ctx := context.Background()
	store := &batchFailures{MemoryFailureStore: NewMemoryFailureStore(MemoryConfig{})}
	th, err := NewFailureThrottle(FailureConfig{Max: 2, Store: store})
	require.NoError(t, err)

	got, err := th.BeginAll(ctx, "ip:d", "user:d")
	require.NoError(t, err)
	assert.Equal(t, 1, store.calls(), "both keys counted in one call")
	require.NoError(t, th.Settle(ctx, []string{"user:d"}, got[0]))
	assert.Equal(t, 2, store.calls(), "both settled in one call")

	for range 2 {
		_, err := th.Begin(ctx, "user:e")
		require.NoError(t, err)
	}
	_, err = th.BeginAll(ctx, "ip:e", "user:e")
	require.ErrorIs(t, err, ErrThrottled)
	assert.Equal(t, 4, store.calls(), "a refusal takes both back in one more call")
}

// A store failure during BeginAll or Settle is a 503, and the attempts,
// which the store may have counted, are taken back once it answers.
func TestFailureThrottleBatchStoreDown(t *testing.T) {
	ctx := context.Background()
	store := &batchFailures{MemoryFailureStore: NewMemoryFailureStore(MemoryConfig{})}
	th, err := NewFailureThrottle(FailureConfig{Max: 5, Store: store})
	require.NoError(t, err)
	zero := func(keys ...string) func() bool {
		return func() bool {
			for _, k := range keys {
				if n, _, _ := store.Failures(ctx, k, time.Now()); n != 0 {
					return false
				}
			}
			return true
		}
	}

	store.setDown(true)
	_, err = th.BeginAll(ctx, "ip:f", "user:f")
	require.ErrorIs(t, err, ErrStore)
	assert.Equal(t, http.StatusServiceUnavailable, envelope.As(err).Status)
	assert.False(t, zero("ip:f", "user:f")(), "the batch landed although it failed")
	store.setDown(false)
	require.Eventually(t, zero("ip:f", "user:f"), 5*time.Second, 10*time.Millisecond, "taken back in the background")

	got, err := th.BeginAll(ctx, "ip:g", "user:g")
	require.NoError(t, err)
	store.setDown(true)
	err = th.Settle(ctx, []string{"user:g"}, got[0])
	require.ErrorIs(t, err, ErrStore)
	store.setDown(false)
	require.Eventually(t, zero("ip:g"), 5*time.Second, 10*time.Millisecond, "the address's attempt is taken back in the background")
}

package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stalledFailures is a FailureStore whose writes, while stalled, fail with
// a timeout and land (or not) behind the caller's back: an AddFailure runs
// at once (apply) or is queued to run when the stall ends (late); a
// RemoveFailure is lost.
type stalledFailures struct {
	*MemoryFailureStore
	mu      sync.Mutex
	stalled bool
	late    bool
	queued  []func()
}

var errTimeout = errors.New("i/o timeout")

func (s *stalledFailures) AddFailure(ctx context.Context, key, attempt string, window time.Duration, now time.Time) (int, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stalled {
		return s.MemoryFailureStore.AddFailure(ctx, key, attempt, window, now)
	}
	if s.late {
		s.queued = append(s.queued, func() { _, _, _ = s.MemoryFailureStore.AddFailure(ctx, key, attempt, window, now) })
	} else {
		_, _, _ = s.MemoryFailureStore.AddFailure(ctx, key, attempt, window, now)
	}
	return 0, time.Time{}, errTimeout
}

func (s *stalledFailures) RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stalled {
		return errTimeout
	}
	return s.MemoryFailureStore.RemoveFailure(ctx, key, attempt, now)
}

// resume ends the stall; late writes land after the take-backs retried by
// then, or before them when landFirst.
func (s *stalledFailures) resume(landFirst bool) {
	s.mu.Lock()
	q := s.queued
	s.queued, s.stalled = nil, false
	s.mu.Unlock()
	if landFirst {
		for _, f := range q {
			f()
		}
		return
	}
	time.AfterFunc(500*time.Millisecond, func() {
		for _, f := range q {
			f()
		}
	})
}

// TestFailureThrottleStoreStall guards against a failure count whose
// write timed out locking the key out: six correct logins during a
// store stall, whose counts land (at once, or after the take-backs) while
// the throttle answers 503, leave no failure behind once the store answers
// again; real failures still lock the key out afterwards.
func TestFailureThrottleStoreStall(t *testing.T) {
	for _, c := range []struct {
		name            string
		late, landFirst bool
	}{
		{"counts land at once", false, false},
		{"counts land before the take-backs", true, true},
		{"counts land after the take-backs", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			store := &stalledFailures{MemoryFailureStore: NewMemoryFailureStore(MemoryConfig{}), late: c.late}
			th, err := NewFailureThrottle(FailureConfig{Max: 5, Window: 15 * time.Minute, Store: store})
			require.NoError(t, err)
			count := func() int {
				n, _, err := store.Failures(ctx, "ip:192.0.2.1", time.Now())
				require.NoError(t, err)
				return n
			}

			store.mu.Lock()
			store.stalled = true
			store.mu.Unlock()
			for range 6 {
				_, err := th.Begin(ctx, "ip:192.0.2.1")
				require.ErrorIs(t, err, ErrStore, "a correct login during the stall: 503")
			}
			store.resume(c.landFirst)
			require.Eventually(t, func() bool { return count() == 0 }, 5*time.Second, 10*time.Millisecond)
			time.Sleep(700 * time.Millisecond) // past the late landings
			require.Zero(t, count(), "no failure is left behind")

			a, err := th.Begin(ctx, "ip:192.0.2.1")
			require.NoError(t, err, "no lockout")
			require.NoError(t, th.Succeed(ctx, "ip:192.0.2.1", a))
			for k := range 5 {
				_, err := th.Begin(ctx, "ip:192.0.2.1")
				require.NoError(t, err, "failure %d", k+1)
			}
			_, err = th.Begin(ctx, "ip:192.0.2.1")
			assert.ErrorIs(t, err, ErrThrottled, "five real failures still lock the key out")
		})
	}
}

// A take-back that fails after a good credential is retried in the
// background until the store answers.
func TestFailureThrottleSucceedRetried(t *testing.T) {
	ctx := context.Background()
	store := &stalledFailures{MemoryFailureStore: NewMemoryFailureStore(MemoryConfig{})}
	th, err := NewFailureThrottle(FailureConfig{Max: 5, Store: store})
	require.NoError(t, err)
	var attempts []string
	for range 6 {
		a, err := th.Begin(ctx, "ip:192.0.2.1")
		if err != nil {
			break
		}
		attempts = append(attempts, a)
	}
	require.Len(t, attempts, 5)
	store.mu.Lock()
	store.stalled = true
	store.mu.Unlock()
	for _, a := range attempts {
		require.ErrorIs(t, th.Succeed(ctx, "ip:192.0.2.1", a), ErrStore)
	}
	store.resume(true)
	require.Eventually(t, func() bool {
		n, _, err := store.Failures(ctx, "ip:192.0.2.1", time.Now())
		return err == nil && n == 0
	}, 5*time.Second, 10*time.Millisecond)
}

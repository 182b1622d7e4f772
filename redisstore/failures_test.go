package redisstore_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestFailureThrottleAcrossInstances guards a fleet against the
// throttle's check-then-record race: 100 parallel attempts at
// one key through three instances (three Stores on one Redis), each holding
// its credential check open until all have begun. At most Max reach the
// check; the others are refused; successes take their attempt back.
func TestFailureThrottleAcrossInstances(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	var throttles []*ratelimit.FailureThrottle
	for range 3 {
		s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
		require.NoError(t, err)
		th, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 5, Store: s.Failures()})
		require.NoError(t, err)
		throttles = append(throttles, th)
	}
	ctx := context.Background()
	const n = 100
	var checked, refused atomic.Int64
	var begun, wg sync.WaitGroup
	begun.Add(n)
	release := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			th := throttles[i%len(throttles)]
			_, err := th.Begin(ctx, "user:alice")
			begun.Done()
			if err != nil {
				if errors.Is(err, ratelimit.ErrThrottled) {
					refused.Add(1)
				}
				return
			}
			checked.Add(1)
			<-release // a slow, failing password check
		}()
	}
	begun.Wait()
	close(release)
	wg.Wait()
	assert.Equal(t, int64(5), checked.Load())
	assert.Equal(t, int64(n-5), refused.Load())

	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	cnt, _, err := s.Failures().Failures(ctx, "user:alice", time.Now())
	require.NoError(t, err)
	assert.Equal(t, 5, cnt, "refusals were taken back")

	// Successful attempts through any instance leave nothing behind.
	for i := range 20 {
		th := throttles[i%len(throttles)]
		a, err := th.Begin(ctx, "ip:192.0.2.1")
		require.NoError(t, err)
		require.NoError(t, th.Succeed(ctx, "ip:192.0.2.1", a))
	}
	n2, _, err := s.Failures().Failures(ctx, "ip:192.0.2.1", time.Now())
	require.NoError(t, err)
	assert.Zero(t, n2)
	keys, err := c.Keys(ctx, prefix+"fail:ip:*").Result()
	require.NoError(t, err)
	assert.Empty(t, keys, "a count taken back to zero is deleted")
}

// With ServerTime, RemoveFailure reads Redis's clock like the other
// counter scripts, whatever the caller passes as now.
func TestRemoveFailureServerTime(t *testing.T) {
	c := redistest.Client(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), ServerTime: true})
	require.NoError(t, err)
	ctx := context.Background()
	f := s.Failures()
	for _, a := range []string{"a1", "a2"} {
		_, _, err := f.AddFailure(ctx, "f", a, time.Minute, time.Time{})
		require.NoError(t, err)
	}
	// A caller's clock far ahead would find the window ended; Redis's does not.
	require.NoError(t, f.RemoveFailure(ctx, "f", "a1", time.Now().Add(time.Hour)))
	n, _, err := f.Failures(ctx, "f", time.Time{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

package ratelimit

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func TestNewFailureThrottleValidation(t *testing.T) {
	_, err := NewFailureThrottle(FailureConfig{})
	assert.NoError(t, err)
	_, err = NewFailureThrottle(FailureConfig{Max: -1})
	assert.Error(t, err)
	_, err = NewFailureThrottle(FailureConfig{Window: -time.Second})
	assert.Error(t, err)
	_, err = NewFailureThrottle(FailureConfig{Window: MaxPeriod})
	assert.NoError(t, err)
	// A Window near the largest Duration made Retry-After overflow.
	for _, w := range []time.Duration{MaxPeriod + 1, 290 * 365 * 24 * time.Hour, time.Duration(math.MaxInt64)} {
		_, err = NewFailureThrottle(FailureConfig{Window: w})
		assert.ErrorContains(t, err, "MaxPeriod", "%v", w)
	}
}

func TestFailureThrottle(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	th, err := NewFailureThrottle(FailureConfig{Max: 3, Window: 10 * time.Minute, Now: clk.Now})
	require.NoError(t, err)

	key := "user:alice"
	for i := 0; i < 3; i++ {
		require.NoError(t, begin(th, ctx, key), "attempt %d", i+1) // and fails: stays counted
		clk.Advance(time.Minute)
	}
	err = begin(th, ctx, key)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrThrottled)
	assert.ErrorIs(t, err, envelope.ErrTooManyRequests)
	var ee *envelope.Error
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7*time.Minute, ee.RetryAfter, "until the window that opened at the first failure ends")
	assert.Equal(t, "Too many failed attempts, try again later", ee.Message)
	n, _, err := th.store.Failures(ctx, key, clk.Now())
	require.NoError(t, err)
	assert.Equal(t, 3, n, "a refused attempt is not counted")

	assert.NoError(t, begin(th, ctx, "user:bob"), "other keys are unaffected")

	clk.Advance(7 * time.Minute)
	assert.NoError(t, begin(th, ctx, key), "the window ended")

	// A success resets the count.
	require.NoError(t, begin(th, ctx, key))
	require.NoError(t, th.Reset(ctx, key))
	require.NoError(t, begin(th, ctx, key))
	require.NoError(t, begin(th, ctx, key))
	assert.NoError(t, begin(th, ctx, key))
	assert.ErrorIs(t, begin(th, ctx, key), ErrThrottled)
}

// TestFailureThrottleSucceed checks that Succeed takes back exactly the
// attempt Begin counted: earlier failures stay, and a key whose attempts
// all succeeded carries nothing.
func TestFailureThrottleSucceed(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := NewMemoryFailureStore(MemoryConfig{})
	th, err := NewFailureThrottle(FailureConfig{Max: 3, Window: time.Minute, Store: store, Now: clk.Now})
	require.NoError(t, err)
	count := func(key string) int {
		n, _, err := store.Failures(ctx, key, clk.Now())
		require.NoError(t, err)
		return n
	}

	for range 10 {
		a, err := th.Begin(ctx, "ip:192.0.2.1")
		require.NoError(t, err)
		require.NoError(t, th.Succeed(ctx, "ip:192.0.2.1", a))
	}
	assert.Zero(t, count("ip:192.0.2.1"), "successes do not accumulate")
	assert.Zero(t, store.Len(), "nor occupy the store")

	require.NoError(t, begin(th, ctx, "ip:192.0.2.1")) // fails
	require.NoError(t, begin(th, ctx, "ip:192.0.2.1")) // fails
	a, err := th.Begin(ctx, "ip:192.0.2.1")
	require.NoError(t, err)
	require.NoError(t, th.Succeed(ctx, "ip:192.0.2.1", a))
	assert.Equal(t, 2, count("ip:192.0.2.1"), "a success keeps earlier failures")
	require.NoError(t, th.Succeed(ctx, "ip:192.0.2.1", a))
	assert.Equal(t, 2, count("ip:192.0.2.1"), "taking an attempt back twice takes back one")
	require.NoError(t, th.Succeed(ctx, "ip:unknown", newAttemptID()), "nothing to take back is fine")
}

// begin is Begin without the attempt id, for attempts that fail.
func begin(th *FailureThrottle, ctx context.Context, key string) error {
	_, err := th.Begin(ctx, key)
	return err
}

// TestFailureThrottleConcurrentAttempts guards against the
// check-then-record race: 100 parallel attempts with Max 5, each holding
// its credential check open until all have begun, and each failing. At
// most Max reach the check; the rest are refused with 429.
func TestFailureThrottleConcurrentAttempts(t *testing.T) {
	ctx := context.Background()
	th, err := NewFailureThrottle(FailureConfig{Max: 5})
	require.NoError(t, err)
	const n = 100
	var checked, refused atomic.Int64
	var begun, wg sync.WaitGroup
	begun.Add(n)
	release := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := begin(th, ctx, "user:alice")
			begun.Done()
			if err != nil {
				if errors.Is(err, ErrThrottled) {
					refused.Add(1)
				}
				return
			}
			checked.Add(1)
			<-release // a slow password check, failing
		}()
	}
	begun.Wait()
	close(release)
	wg.Wait()
	assert.Equal(t, int64(5), checked.Load())
	assert.Equal(t, int64(n-5), refused.Load())
	cnt, _, err := th.store.Failures(ctx, "user:alice", time.Now())
	require.NoError(t, err)
	assert.Equal(t, 5, cnt)
}

// TestFailureThrottleRetryAfterAtLeastOneSecond: a store whose window has
// (by its clock) just ended still refuses with a Retry-After.
func TestFailureThrottleRetryAfterAtLeastOneSecond(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for name, resetAt := range map[string]time.Time{
		"reset behind now": now.Add(-2 * time.Second),
		"reset at now":     now,
		"reset within 1s":  now.Add(300 * time.Millisecond),
	} {
		t.Run(name, func(t *testing.T) {
			th, err := NewFailureThrottle(FailureConfig{Max: 1, Store: skewedFailures{resetAt}, Now: func() time.Time { return now }})
			require.NoError(t, err)
			err = begin(th, context.Background(), "k")
			require.ErrorIs(t, err, ErrThrottled)
			assert.Equal(t, time.Second, envelope.As(err).RetryAfter)

			w := serve(th.Middleware(okHandler), request("192.0.2.1:1", nil))
			assert.Equal(t, http.StatusTooManyRequests, w.Code)
			assert.Equal(t, "1", w.Header().Get("Retry-After"))
		})
	}
}

// skewedFailures is a store whose clock runs ahead: every key is over its
// limit with a window ending at resetAt.
type skewedFailures struct{ resetAt time.Time }

func (s skewedFailures) Failures(context.Context, string, time.Time) (int, time.Time, error) {
	return 2, s.resetAt, nil
}

func (s skewedFailures) AddFailure(context.Context, string, string, time.Duration, time.Time) (int, time.Time, error) {
	return 2, s.resetAt, nil
}
func (skewedFailures) RemoveFailure(context.Context, string, string, time.Time) error { return nil }
func (skewedFailures) ResetFailures(context.Context, string) error                    { return nil }

// TestFailureThrottleStoreFull: a bounded store whose every key is locked
// out refuses a new key (rather than forget a lockout), and the throttle
// answers 429; keys under Max make room instead.
func TestFailureThrottleStoreFull(t *testing.T) {
	ctx := context.Background()
	for _, max := range []int{2, 5} {
		t.Run("max "+strconv.Itoa(max), func(t *testing.T) {
			clk := newClock()
			store := NewMemoryFailureStore(MemoryConfig{MaxKeys: 16}) // one key per shard
			th, err := NewFailureThrottle(FailureConfig{Max: max, Window: time.Minute, Store: store, Now: clk.Now})
			require.NoError(t, err)
			// Fill every shard with a key holding two failures: a lockout
			// under Max 2, not under Max 5.
			for i := 0; i < 16*64; i++ {
				key := "user:" + strconv.Itoa(i)
				if begin(th, ctx, key) == nil { // else its shard is full of lockouts
					require.NoError(t, begin(th, ctx, key))
				}
			}
			require.Equal(t, 16, store.Len())
			clk.Advance(10 * time.Second)
			err = begin(th, ctx, "user:new")
			if max == 5 {
				require.NoError(t, err, "two failures are no lockout under Max 5: evicted")
				return
			}
			require.ErrorIs(t, err, ErrThrottled)
			assert.Equal(t, 50*time.Second, envelope.As(err).RetryAfter, "until the first window ends")
			assert.Equal(t, 16, store.Len())
		})
	}
}

// TestFailureThrottleFloodAdmitsNewClients guards against a flood that
// refuses every new client: an attacker gives as many keys as the store
// holds (and more) two failures each, which must leave room for a new key,
// so that a new client's first attempt is not answered with 429. The flood
// displaces itself; a client locked out before it stays locked out.
func TestFailureThrottleFloodAdmitsNewClients(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	store := NewMemoryFailureStore(MemoryConfig{MaxKeys: 4096})
	th, err := NewFailureThrottle(FailureConfig{Store: store, Now: clk.Now})
	require.NoError(t, err)
	for range 5 {
		require.NoError(t, begin(th, ctx, "user:victim"))
	}
	for i := 0; i < 4096+1024; i++ {
		clk.Advance(time.Millisecond)
		k := "user:attacker" + strconv.Itoa(i)
		require.NoError(t, begin(th, ctx, k))
		require.NoError(t, begin(th, ctx, k))
	}
	require.LessOrEqual(t, store.Len(), 4096)
	for i := range 1000 {
		require.NoError(t, begin(th, ctx, "user:legit"+strconv.Itoa(i)), "legitimate client %d", i)
	}
	require.ErrorIs(t, begin(th, ctx, "user:victim"), ErrThrottled, "the lockout survives the flood")
}

type brokenFailures struct{}

func (brokenFailures) Failures(context.Context, string, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, errDown
}

func (brokenFailures) AddFailure(context.Context, string, string, time.Duration, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, errDown
}
func (brokenFailures) RemoveFailure(context.Context, string, string, time.Time) error { return errDown }
func (brokenFailures) ResetFailures(context.Context, string) error                    { return errDown }

func TestFailureThrottleStoreErrors(t *testing.T) {
	ctx := context.Background()
	th, err := NewFailureThrottle(FailureConfig{Store: brokenFailures{}})
	require.NoError(t, err)
	for name, err := range map[string]error{
		"begin":   begin(th, ctx, "k"),
		"succeed": th.Succeed(ctx, "k", "a"),
		"reset":   th.Reset(ctx, "k"),
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, err, ErrStore)
			assert.ErrorIs(t, err, errDown)
			assert.ErrorIs(t, err, envelope.ErrUnavailable)
		})
	}
	t.Run("middleware", func(t *testing.T) {
		called := false
		h := th.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
		w := serve(h, request("192.0.2.1:1", nil))
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.False(t, called, "fails closed")
		assert.NotContains(t, w.Body.String(), "10.0.0.5")
	})
}

func TestFailureThrottleMiddleware(t *testing.T) {
	clk := newClock()
	var events []gatehouse.Event
	th, err := NewFailureThrottle(FailureConfig{
		Max: 2, Window: time.Minute, Now: clk.Now, Style: envelope.Flat,
		Audit: gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) { events = append(events, e) }),
	})
	require.NoError(t, err)
	verified := 0
	// A stand-in authenticator: it "verifies" (costly) and answers 401 for
	// a bad token.
	auth := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		verified++
		if r.Header.Get("Authorization") != "Bearer good" {
			envelope.WriteStyle(w, r, envelope.Flat, envelope.ErrUnauthorized.WithMessage("Invalid or missing API token"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	h := th.Middleware(auth)
	call := func(remote, token string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = remote
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		return serve(h, r)
	}

	assert.Equal(t, 401, call("192.0.2.1:1", "bad").Code)
	assert.Equal(t, 204, call("192.0.2.1:1", "good").Code, "a success does not reset the count")
	assert.Equal(t, 401, call("192.0.2.1:1", "bad").Code)
	require.Equal(t, 3, verified)

	w := call("192.0.2.1:1", "good")
	assert.Equal(t, 429, w.Code)
	assert.Equal(t, 3, verified, "refused before verification")
	assert.Equal(t, "60", w.Header().Get("Retry-After"))
	assert.Equal(t, `{"success":false,"error":"Too Many Requests","message":"Too many failed attempts, try again later"}`, w.Body.String())
	require.Len(t, events, 4, "one event per request, allowed ones included")
	for _, e := range events[:3] {
		assert.Equal(t, gatehouse.Allowed, e.Outcome)
		assert.Empty(t, e.Reason)
	}
	assert.Equal(t, "throttle", events[3].Action)
	assert.Equal(t, "throttled", string(events[3].Reason))
	assert.Equal(t, 429, events[3].Status)

	assert.Equal(t, 429, call("192.0.2.1:1", "bad").Code, "refusals do not add to the count")
	require.Len(t, events, 5)

	assert.Equal(t, 204, call("192.0.2.2:1", "good").Code, "other clients are unaffected")
	assert.Equal(t, 204, call("[2001:db8::1]:1", "good").Code)

	clk.Advance(time.Minute)
	assert.Equal(t, 204, call("192.0.2.1:1", "good").Code, "the window ended")
	for range 5 {
		assert.Equal(t, 204, call("192.0.2.1:1", "good").Code, "successes take their attempt back")
	}
}

// TestFailureThrottleMiddlewareConcurrent guards the middleware against
// the check-then-record race: 50 parallel bad credentials from one
// address with Max 3 reach the authenticator at most 3 times.
func TestFailureThrottleMiddlewareConcurrent(t *testing.T) {
	th, err := NewFailureThrottle(FailureConfig{Max: 3})
	require.NoError(t, err)
	const n = 50
	var verified atomic.Int64
	var settled sync.WaitGroup // every request refused or verifying
	settled.Add(n)
	release := make(chan struct{})
	var mu sync.Mutex
	codes := map[int]int{}
	h := th.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		verified.Add(1)
		settled.Done()
		<-release // a slow verification, failing
		w.WriteHeader(http.StatusUnauthorized)
	}))
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := serve(h, request("192.0.2.1:1", nil))
			if w.Code == http.StatusTooManyRequests {
				settled.Done()
			}
			mu.Lock()
			codes[w.Code]++
			mu.Unlock()
		}()
	}
	settled.Wait()
	close(release)
	wg.Wait()
	assert.Equal(t, int64(3), verified.Load())
	assert.Equal(t, map[int]int{401: 3, 429: n - 3}, codes)
}

func TestStatusWriter(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
		want int
	}{
		{"explicit", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) }, 401},
		{"implicit 200", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) }, 200},
		{"informational ignored", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(103); w.WriteHeader(401) }, 401},
		{"flush", func(w http.ResponseWriter, _ *http.Request) {
			http.NewResponseController(w).Flush()
			w.WriteHeader(401)
		}, 200},
		{"nothing written", func(http.ResponseWriter, *http.Request) {}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sw := &statusWriter{ResponseWriter: httptest.NewRecorder()}
			tt.h(sw, httptest.NewRequest("GET", "/", nil))
			assert.Equal(t, tt.want, sw.status)
		})
	}
	var _ interface{ Unwrap() http.ResponseWriter } = &statusWriter{}
}

// TestNewFailureThrottleReportsEveryProblem: every problem of a
// FailureConfig is reported at once.
func TestNewFailureThrottleReportsEveryProblem(t *testing.T) {
	_, err := NewFailureThrottle(FailureConfig{Max: -1, Window: -time.Second})
	require.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "Max -1 is negative")
	assert.ErrorContains(t, err, "Window -1s is negative")
}

package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
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
}

func TestFailureThrottle(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	th, err := NewFailureThrottle(FailureConfig{Max: 3, Window: 10 * time.Minute, Now: clk.Now})
	require.NoError(t, err)

	key := "user:alice"
	for i := 0; i < 3; i++ {
		require.NoError(t, th.Check(ctx, key), "attempt %d", i+1)
		require.NoError(t, th.Fail(ctx, key))
		clk.Advance(time.Minute)
	}
	err = th.Check(ctx, key)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrThrottled)
	assert.ErrorIs(t, err, envelope.ErrTooManyRequests)
	var ee *envelope.Error
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, 7*time.Minute, ee.RetryAfter, "until the window that opened at the first failure ends")
	assert.Equal(t, "Too many failed attempts, try again later", ee.Message)

	assert.NoError(t, th.Check(ctx, "user:bob"), "other keys are unaffected")

	clk.Advance(7 * time.Minute)
	assert.NoError(t, th.Check(ctx, key), "the window ended")

	// A success resets the count.
	require.NoError(t, th.Fail(ctx, key))
	require.NoError(t, th.Fail(ctx, key))
	require.NoError(t, th.Reset(ctx, key))
	require.NoError(t, th.Fail(ctx, key))
	require.NoError(t, th.Fail(ctx, key))
	assert.NoError(t, th.Check(ctx, key))
}

type brokenFailures struct{}

func (brokenFailures) Failures(context.Context, string, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, errDown
}

func (brokenFailures) AddFailure(context.Context, string, time.Duration, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, errDown
}
func (brokenFailures) ResetFailures(context.Context, string) error { return errDown }

func TestFailureThrottleStoreErrors(t *testing.T) {
	ctx := context.Background()
	th, err := NewFailureThrottle(FailureConfig{Store: brokenFailures{}})
	require.NoError(t, err)
	for name, err := range map[string]error{
		"check": th.Check(ctx, "k"),
		"fail":  th.Fail(ctx, "k"),
		"reset": th.Reset(ctx, "k"),
	} {
		t.Run(name, func(t *testing.T) {
			assert.ErrorIs(t, err, ErrStore)
			assert.ErrorIs(t, err, errDown)
			assert.ErrorIs(t, err, envelope.ErrUnavailable)
		})
	}
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
	require.Len(t, events, 1)
	assert.Equal(t, "throttle", events[0].Action)
	assert.Equal(t, "too_many_failures", events[0].Reason)
	assert.Equal(t, 429, events[0].Status)

	assert.Equal(t, 204, call("192.0.2.2:1", "good").Code, "other clients are unaffected")
	assert.Equal(t, 204, call("[2001:db8::1]:1", "good").Code)

	clk.Advance(time.Minute)
	assert.Equal(t, 204, call("192.0.2.1:1", "good").Code, "the window ended")
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

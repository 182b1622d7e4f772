package apikey

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingThrottle counts attempts per key and refuses at limit, like
// ratelimit.FailureThrottle: Begin counts and names the attempt, Succeed
// takes that attempt back (once).
type countingThrottle struct {
	mu         sync.Mutex
	limit      int
	counts     map[string]int
	open       map[string]string // attempt id → its key, until taken back
	begins     int
	beginErr   error
	succeedErr error
}

func newCountingThrottle(limit int) *countingThrottle {
	return &countingThrottle{limit: limit, counts: map[string]int{}, open: map[string]string{}}
}

func (c *countingThrottle) Begin(_ context.Context, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.begins++
	if c.beginErr != nil {
		return "", c.beginErr
	}
	if c.counts[key] >= c.limit {
		return "", envelope.ErrTooManyRequests.WithMessage("Too many failed attempts").WithRetryAfter(90 * time.Second)
	}
	c.counts[key]++
	id := fmt.Sprintf("attempt-%d", c.begins)
	c.open[id] = key
	return id, nil
}

func (c *countingThrottle) Succeed(_ context.Context, key, attempt string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.succeedErr != nil {
		return c.succeedErr
	}
	if c.open[attempt] != key {
		return fmt.Errorf("attempt %q of key %q was not counted or was taken back already", attempt, key)
	}
	delete(c.open, attempt)
	c.counts[key]--
	return nil
}

func (c *countingThrottle) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

// TestThrottleCounting: every 401 for a presented key stays counted
// against the client address; a good key, a key on another surface (403)
// and a store failure take their attempt back; a request without a key is
// not counted at all.
func TestThrottleCounting(t *testing.T) {
	f := newFixture(t)
	unknown, _, err := Generate("live")
	require.NoError(t, err)
	for _, tc := range []struct {
		name, key string
		storeErr  error
		status    int
		counted   int
		begun     bool
	}{
		{"valid", f.valid, nil, 204, 0, true},
		{"other surface", f.supplier, nil, 403, 0, true},
		{"store failure", f.valid, errors.New("db down"), 503, 0, true},
		{"missing", "", nil, 401, 0, false},
		{"unknown", unknown, nil, 401, 1, true},
		{"malformed", "ak_live_nope", nil, 401, 1, true},
		{"test environment", f.testEnv, nil, 401, 1, true},
		{"revoked", f.revoked, nil, 401, 1, true},
		{"expired", f.expired, nil, 401, 1, true},
		{"other tenant", f.otherTenant, nil, 401, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := newCountingThrottle(5)
			cfg := f.config()
			cfg.Throttle = th
			f.store.mu.Lock()
			f.store.lookupErr = tc.storeErr
			f.store.mu.Unlock()
			t.Cleanup(func() { f.store.mu.Lock(); f.store.lookupErr = nil; f.store.mu.Unlock() })
			r := httptest.NewRequest("POST", "/Payment/Charges/Create", nil)
			r.RemoteAddr = "192.0.2.7:5555"
			r.Header.Set("X-Tenant-ID", "acme")
			if tc.key != "" {
				r.Header.Set("ApiKey", tc.key)
			}
			w := httptest.NewRecorder()
			must(New(cfg)).Middleware(&principalHandler{}).ServeHTTP(w, r)
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.counted, th.count("ip:192.0.2.7"))
			assert.Equal(t, tc.begun, th.begins == 1)
		})
	}
}

// TestThrottleRefuses: at the limit, every request with a key from that
// address — a valid one included — gets the throttle's 429 with its
// Retry-After before any store lookup; other addresses are unaffected.
func TestThrottleRefuses(t *testing.T) {
	f := newFixture(t)
	th := newCountingThrottle(3)
	cfg := f.config()
	cfg.Throttle = th
	h := &principalHandler{}
	mw := must(New(cfg)).Middleware(h)
	call := func(addr, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/Payment/Charges/Create", nil)
		r.RemoteAddr = addr + ":5555"
		r.Header.Set("X-Tenant-ID", "acme")
		r.Header.Set("ApiKey", key)
		w := httptest.NewRecorder()
		mw.ServeHTTP(w, r)
		return w
	}
	for range 3 {
		require.Equal(t, 401, call("192.0.2.7", f.revoked).Code)
	}
	lookups := f.store.lookupCount()
	f.events = nil
	for _, key := range []string{f.revoked, f.valid} {
		w := call("192.0.2.7", key)
		require.Equal(t, http.StatusTooManyRequests, w.Code)
		assert.Equal(t, "90", w.Header().Get("Retry-After"))
		assert.Equal(t, `{"code":429,"message":"Too many failed attempts"}`, w.Body.String())
	}
	assert.Equal(t, lookups, f.store.lookupCount(), "a throttled request reaches no store")
	require.Len(t, f.events, 2)
	assert.Equal(t, "throttled", string(f.events[0].Reason))
	assert.Equal(t, 429, f.events[0].Status)
	assert.Equal(t, 0, h.calls)

	assert.Equal(t, 204, call("192.0.2.8", f.valid).Code, "another address is unaffected")
	assert.Equal(t, 3, th.count("ip:192.0.2.7"), "refusals add nothing")
}

// TestThrottleKeyAndFailures: Config.ThrottleKey names the counter (empty:
// not throttled), and a failing throttle answers Config.Unavailable,
// never lets the request through.
func TestThrottleKeyAndFailures(t *testing.T) {
	f := newFixture(t)
	th := newCountingThrottle(1)
	cfg := f.config()
	cfg.Throttle = th
	cfg.ThrottleKey = func(r *http.Request) string { return r.Header.Get("X-Client") }
	mw := must(New(cfg)).Middleware(&principalHandler{})
	call := func(client, key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "/Payment/Charges/Create", nil)
		r.Header.Set("X-Tenant-ID", "acme")
		r.Header.Set("ApiKey", key)
		if client != "" {
			r.Header.Set("X-Client", client)
		}
		w := httptest.NewRecorder()
		mw.ServeHTTP(w, r)
		return w
	}
	require.Equal(t, 401, call("a", f.revoked).Code)
	assert.Equal(t, 429, call("a", f.valid).Code)
	assert.Equal(t, 204, call("b", f.valid).Code)
	for range 3 {
		assert.Equal(t, 401, call("", f.revoked).Code, "an empty key is not throttled")
	}

	th.beginErr = errors.New("redis: connection refused")
	w := call("c", f.valid)
	assert.Equal(t, 503, w.Code)
	assert.Equal(t, `{"code":503,"message":"Authentication temporarily unavailable"}`, w.Body.String())
	th.beginErr = envelope.ErrUnavailable.WithMessage("Try later")
	assert.Equal(t, 503, call("c", f.valid).Code)
	th.beginErr = nil
	th.succeedErr = errors.New("redis: connection refused")
	assert.Equal(t, 503, call("d", f.valid).Code, "a good key whose attempt cannot be taken back is refused")
	assert.Equal(t, 1, th.count("d"), "and stays counted")
}

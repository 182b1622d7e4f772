package ratelimit

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var okHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })

func request(remote string, p *gatehouse.Principal) *http.Request {
	r := httptest.NewRequest("GET", "/api/external/v1/products", nil)
	r.RemoteAddr = remote
	if p != nil {
		r = r.WithContext(gatehouse.WithPrincipal(r.Context(), *p))
	}
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// must returns l, panicking when New returned an error.
func must(l *Limiter, err error) *Limiter {
	if err != nil {
		panic(err)
	}
	return l
}

func TestNewValidation(t *testing.T) {
	_, err := New(Config{})
	assert.NoError(t, err)
	_, err = New(Config{Limit: Limit{Events: 1}})
	assert.ErrorIs(t, err, ErrInvalidLimit)
	_, err = New(Config{Limit: Limit{Events: 5, Period: time.Second, Burst: -1}})
	assert.ErrorIs(t, err, ErrInvalidLimit)
	_, err = New(Config{Limit: Limit{Period: time.Second}})
	assert.ErrorIs(t, err, ErrConfig)

	_, err = New(Config{Limit: Limit{Events: 1, Period: MaxPeriod}})
	assert.NoError(t, err, "a year is a period")
	for _, period := range []time.Duration{MaxPeriod + 1, 290 * 365 * 24 * time.Hour, time.Duration(math.MaxInt64)} {
		_, err = New(Config{Limit: Limit{Events: 1, Period: period, Burst: 2}})
		assert.ErrorIs(t, err, ErrInvalidLimit, "%v", period)
	}
}

// TestResetHeaderNeverOverflows guards against a RateLimit-Reset of
// -9223372035: with a period of 290 years the time until the bucket
// refills is the largest Duration, and rounding it up to seconds wraps
// around. Such periods are refused by New (and from a Limits function,
// with 500); the longest period accepted, and a huge ResetAfter from any
// store, give positive headers.
func TestResetHeaderNeverOverflows(t *testing.T) {
	clk := newClock()
	slowest := Limit{Events: 1, Period: MaxPeriod, Burst: 2}
	l := must(New(Config{Limit: slowest, Key: func(*http.Request) string { return "k" }, Now: clk.Now}))
	h := l.Middleware(okHandler)
	for i, want := range []string{"31622400", "63244800", "63244800"} {
		w := serve(h, request("192.0.2.1:1", nil))
		assert.Equal(t, want, w.Header().Get("RateLimit-Reset"), "request %d", i)
		if i == 2 {
			assert.Equal(t, http.StatusTooManyRequests, w.Code)
			assert.Equal(t, "31622400", w.Header().Get("Retry-After"))
		}
	}

	huge := must(New(Config{
		Limits: func(gatehouse.Principal) (Limit, bool) {
			return Limit{Events: 1, Period: 290 * 365 * 24 * time.Hour, Burst: 2}, true
		},
	}))
	w := serve(huge.Middleware(okHandler), request("192.0.2.1:1", &gatehouse.Principal{Subject: "u", Method: gatehouse.MethodJWT}))
	assert.Equal(t, http.StatusInternalServerError, w.Code, "an invalid Limits result fails closed")

	for d, want := range map[time.Duration]string{
		time.Duration(math.MaxInt64):       "9223372037",
		time.Duration(math.MaxInt64) - 1e9: "9223372036",
		-time.Second:                       "0",
		time.Duration(math.MinInt64):       "0",
		time.Nanosecond:                    "1",
		time.Second:                        "1",
	} {
		hd := http.Header{}
		SetHeaders(hd, Result{Limit: 2, ResetAfter: d})
		assert.Equal(t, want, hd.Get("RateLimit-Reset"), "%d", d)
	}
}

func TestLimiterFlatSeed004(t *testing.T) {
	clk := newClock()
	l := must(New(Config{Limit: PerMinute(60), Now: clk.Now}))
	h := gatehouse.Chain(envelope.Use(envelope.Flat), l.Middleware)(okHandler)
	tok := &gatehouse.Principal{Subject: "store-owner", TokenID: "tok-1", Method: gatehouse.MethodOpaque}

	for i := 0; i < 60; i++ {
		w := serve(h, request("192.0.2.1:1000", tok))
		require.Equal(t, 204, w.Code, "request %d", i+1)
		assert.Equal(t, "60", w.Header().Get("RateLimit-Limit"))
		assert.Equal(t, itoa(59-i), w.Header().Get("RateLimit-Remaining"))
		assert.Equal(t, itoa(i+1), w.Header().Get("RateLimit-Reset"), "seconds until the bucket is full")
	}
	w := serve(h, request("192.0.2.1:1000", tok))
	assert.Equal(t, 429, w.Code)
	assert.Equal(t, `{"success":false,"error":"Too Many Requests","message":"Too many requests"}`, w.Body.String())
	assert.Equal(t, "1", w.Header().Get("Retry-After"), "one token, not the window")
	assert.Equal(t, "60", w.Header().Get("RateLimit-Limit"))
	assert.Equal(t, "0", w.Header().Get("RateLimit-Remaining"))
	assert.Equal(t, "60", w.Header().Get("RateLimit-Reset"))

	// Another token of the same subject has its own bucket…
	other := &gatehouse.Principal{Subject: "store-owner", TokenID: "tok-2"}
	assert.Equal(t, 204, serve(h, request("192.0.2.1:1000", other)).Code)

	// …and a second later the first token has one request again.
	clk.Advance(time.Second)
	assert.Equal(t, 204, serve(h, request("192.0.2.1:1000", tok)).Code)
	assert.Equal(t, 429, serve(h, request("192.0.2.1:1000", tok)).Code)
}

func itoa(n int) string { return string(appendInt(nil, n)) }

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestRetryAfterRoundsUp(t *testing.T) {
	clk := newClock()
	l := must(New(Config{Limit: Limit{Events: 1, Period: 90 * time.Second}, Key: ByIP, Now: clk.Now}))
	h := l.Middleware(okHandler)
	assert.Equal(t, 204, serve(h, request("192.0.2.1:1", nil)).Code)
	clk.Advance(500 * time.Millisecond)
	w := serve(h, request("192.0.2.1:1", nil))
	assert.Equal(t, 429, w.Code)
	assert.Equal(t, "90", w.Header().Get("Retry-After"), "89.5s rounds up")
	assert.Equal(t, "90", w.Header().Get("RateLimit-Reset"))
}

func TestPerPrincipalLimits(t *testing.T) {
	clk := newClock()
	l := must(New(Config{
		Limit: PerMinute(2),
		Limits: func(p gatehouse.Principal) (Limit, bool) {
			switch p.Tenant {
			case "enterprise":
				return PerMinute(5), true
			case "broken":
				return Limit{Events: 5}, true
			}
			return Limit{}, false
		},
		Now: clk.Now,
	}))
	h := l.Middleware(okHandler)
	count := func(p *gatehouse.Principal) (n int, last *httptest.ResponseRecorder) {
		for i := 0; i < 10; i++ {
			last = serve(h, request("192.0.2.9:1", p))
			if last.Code == 204 {
				n++
			}
		}
		return n, last
	}
	n, _ := count(&gatehouse.Principal{Subject: "a", Tenant: "enterprise"})
	assert.Equal(t, 5, n)
	n, _ = count(&gatehouse.Principal{Subject: "b", Tenant: "free"})
	assert.Equal(t, 2, n)
	n, _ = count(nil)
	assert.Equal(t, 2, n, "anonymous requests get the default, keyed by IP")

	n, last := count(&gatehouse.Principal{Subject: "c", Tenant: "broken"})
	assert.Equal(t, 0, n)
	assert.Equal(t, 500, last.Code, "an invalid plan fails closed")
}

func TestExemptKey(t *testing.T) {
	l := must(New(Config{Limit: PerHour(1), Key: func(r *http.Request) string {
		if r.URL.Path == "/health" {
			return ""
		}
		return ByIP(r)
	}}))
	h := l.Middleware(okHandler)
	for i := 0; i < 5; i++ {
		w := serve(h, httptest.NewRequest("GET", "/health", nil))
		assert.Equal(t, 204, w.Code)
		assert.Empty(t, w.Header().Get("RateLimit-Limit"))
	}
}

type failingStore struct{}

var errDown = errors.New("redis: connection refused to 10.0.0.5:6379")

func (failingStore) Take(context.Context, string, Limit, time.Time) (Result, error) {
	return Result{}, errDown
}

func TestStoreFailureFailsClosed(t *testing.T) {
	var events []gatehouse.Event
	l := must(New(Config{Store: failingStore{}, Audit: gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) {
		events = append(events, e)
	})}))
	w := serve(l.Middleware(okHandler), request("192.0.2.1:1", nil))
	assert.Equal(t, 503, w.Code)
	assert.NotContains(t, w.Body.String(), "redis")
	assert.Empty(t, w.Header().Get("RateLimit-Limit"))

	_, err := l.Check(request("192.0.2.1:1", nil))
	assert.ErrorIs(t, err, ErrStore)
	assert.ErrorIs(t, err, errDown)
	assert.ErrorIs(t, err, envelope.ErrUnavailable)
	require.Len(t, events, 1, "Check audits nothing")
	assert.Equal(t, gatehouse.Failed, events[0].Outcome)
	assert.Equal(t, "store_unavailable", string(events[0].Reason))
}

func TestCheckErrors(t *testing.T) {
	clk := newClock()
	l := must(New(Config{Limit: PerSecond(1), Key: ByIP, Now: clk.Now}))
	res, err := l.Check(request("192.0.2.1:1", nil))
	require.NoError(t, err)
	assert.True(t, res.Allowed)
	res, err = l.Check(request("192.0.2.1:1", nil))
	assert.ErrorIs(t, err, ErrLimited)
	assert.ErrorIs(t, err, envelope.ErrTooManyRequests)
	assert.False(t, res.Allowed)
	var ee *envelope.Error
	require.ErrorAs(t, err, &ee)
	assert.Equal(t, time.Second, ee.RetryAfter)
}

func TestAuditOnDeny(t *testing.T) {
	clk := newClock()
	var events []gatehouse.Event
	l := must(New(Config{Limit: PerHour(1), Now: clk.Now, Audit: gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) {
		events = append(events, e)
	})}))
	p := &gatehouse.Principal{Subject: "u", Tenant: "acme", TokenID: "t1"}
	serve(l.Middleware(okHandler), request("192.0.2.1:1", p))
	require.Len(t, events, 1, "an allowed request is audited once")
	assert.Equal(t, gatehouse.Allowed, events[0].Outcome)
	assert.Empty(t, events[0].Reason)
	serve(l.Middleware(okHandler), request("192.0.2.1:1", p))
	require.Len(t, events, 2)
	e := events[1]
	assert.Equal(t, "ratelimit", e.Source)
	assert.Equal(t, "limit", e.Action)
	assert.Equal(t, gatehouse.Denied, e.Outcome)
	assert.Equal(t, "throttled", string(e.Reason))
	assert.Equal(t, 429, e.Status)
	assert.Equal(t, "u", e.Subject)
	assert.Equal(t, "acme", e.Tenant)
	assert.Equal(t, "t1", e.CredID)
	assert.Equal(t, clk.Now(), e.Time)
	assert.Equal(t, netip.MustParseAddr("192.0.2.1"), e.ClientIP)
}

func TestSetHeaders(t *testing.T) {
	h1, h2 := http.Header{}, http.Header{}
	SetHeaders(h1, Result{Limit: 60, Remaining: 5, ResetAfter: 1500 * time.Millisecond})
	SetHeaders(h2, Result{Limit: 60, Remaining: 5})
	assert.Equal(t, "60", h1.Get("RateLimit-Limit"))
	assert.Equal(t, "5", h1.Get("RateLimit-Remaining"))
	assert.Equal(t, "2", h1.Get("RateLimit-Reset"), "rounded up")
	assert.Equal(t, "0", h2.Get("RateLimit-Reset"))

	// Shared values stay intact when a handler adds to or replaces them.
	h1.Add("RateLimit-Limit", "x")
	h1.Set("RateLimit-Remaining", "y")
	assert.Equal(t, []string{"60", "x"}, h1.Values("RateLimit-Limit"))
	assert.Equal(t, []string{"60"}, h2.Values("RateLimit-Limit"))
	assert.Equal(t, []string{"5"}, h2.Values("RateLimit-Remaining"))

	big := http.Header{}
	SetHeaders(big, Result{Limit: 5000, Remaining: 4999, ResetAfter: time.Hour})
	assert.Equal(t, "5000", big.Get("RateLimit-Limit"))
	assert.Equal(t, "4999", big.Get("RateLimit-Remaining"))
	assert.Equal(t, "3600", big.Get("RateLimit-Reset"))
}

// TestEndToEnd runs the limiter on a real loopback server.
func TestEndToEnd(t *testing.T) {
	clk := newClock()
	l := must(New(Config{Limit: PerMinute(3), Key: ByIP, Now: clk.Now, Style: envelope.Flat}))
	srv := httptest.NewServer(l.Middleware(okHandler))
	defer srv.Close()
	codes := []int{}
	var last *http.Response
	for i := 0; i < 4; i++ {
		res, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		res.Body.Close()
		codes = append(codes, res.StatusCode)
		last = res
	}
	assert.Equal(t, []int{204, 204, 204, 429}, codes)
	assert.Equal(t, "20", last.Header.Get("Retry-After"))
	assert.Equal(t, "3", last.Header.Get("RateLimit-Limit"))
	assert.Equal(t, "0", last.Header.Get("RateLimit-Remaining"))
	assert.Equal(t, "60", last.Header.Get("RateLimit-Reset"))
}

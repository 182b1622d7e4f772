package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *nopWriter) WriteHeader(int)             {}

var bare = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })

func run(b *testing.B, h http.Handler, r *http.Request) {
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

// The allow path: a limit the benchmark never exhausts, a fixed clock, one
// hot key — the cost of the middleware beside the bare handler.
func BenchmarkLimiter(b *testing.B) {
	// 60 a minute with a clock that advances a second per request: every
	// request is allowed and the bucket stays one token short of full, the
	// steady state of a busy client under its limit.
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var n time.Duration
	tick := func() time.Time { n += time.Second; return t0.Add(n) }
	huge := PerMinute(60)
	p := gatehouse.Principal{Subject: "u", TokenID: "tok-1", Method: gatehouse.MethodOpaque}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	r = r.WithContext(gatehouse.WithPrincipal(r.Context(), p))

	b.Run("bare", func(b *testing.B) { run(b, bare, r) })
	b.Run("principal", func(b *testing.B) {
		run(b, must(New(Config{Limit: huge, Now: tick})).Middleware(bare), r)
	})
	b.Run("principal-jwt", func(b *testing.B) {
		// A JWT is keyed by tenant and subject, joined on the stack.
		jwt := gatehouse.Principal{Subject: "u", Tenant: "acme", TokenID: "jti-1", Method: gatehouse.MethodJWT}
		rj := r.WithContext(gatehouse.WithPrincipal(r.Context(), jwt))
		run(b, must(New(Config{Limit: huge, Now: tick})).Middleware(bare), rj)
	})
	b.Run("ip", func(b *testing.B) {
		run(b, must(New(Config{Limit: huge, Key: ByIP, Now: tick})).Middleware(bare), r)
	})
	b.Run("principal-realclock", func(b *testing.B) {
		run(b, must(New(Config{Limit: Limit{Events: 1e9, Period: time.Second, Burst: 60}})).Middleware(bare), r)
	})
	b.Run("parallel", func(b *testing.B) {
		// 200 clients on both cores, each far under its limit.
		h := must(New(Config{Limit: Limit{Events: 1e9, Period: time.Second, Burst: 60}, Key: ByIP})).Middleware(bare)
		reqs := make([]*http.Request, 200)
		for i := range reqs {
			reqs[i] = httptest.NewRequest("GET", "/", nil)
			reqs[i].RemoteAddr = "192.0.2." + strconv.Itoa(i) + ":1"
		}
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			w := &nopWriter{h: http.Header{}}
			i := 0
			for pb.Next() {
				h.ServeHTTP(w, reqs[i%len(reqs)])
				i++
			}
		})
	})
}

func BenchmarkMemoryStoreTake(b *testing.B) {
	s := NewMemoryStore(MemoryConfig{})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	lim := PerMinute(60)
	ctx := context.Background()
	b.Run("hot", func(b *testing.B) {
		b.ReportAllocs()
		t := now
		for b.Loop() {
			t = t.Add(time.Second)
			_, _ = s.Take(ctx, "tok:tok-1", lim, t)
		}
	})
	keys := make([]string, 200_000)
	for i := range keys {
		keys[i] = "ip:" + strconv.Itoa(i)
	}
	b.Run("flood", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			_, _ = s.Take(ctx, keys[i%len(keys)], PerMinute(1), now)
			i++
		}
	})
}

// BenchmarkFailureThrottle is the throttle's cost on a login that
// succeeds (Begin, then Succeed) and on one it refuses (Begin over Max:
// the count and its take-back).
func BenchmarkFailureThrottle(b *testing.B) {
	ctx := context.Background()
	b.Run("begin-succeed", func(b *testing.B) {
		th, _ := NewFailureThrottle(FailureConfig{})
		_, _, _ = th.store.AddFailure(ctx, "ip:192.0.2.1", newAttemptID(), th.window, th.now())
		b.ReportAllocs()
		for b.Loop() {
			a, _ := th.Begin(ctx, "ip:192.0.2.1")
			_ = th.Succeed(ctx, "ip:192.0.2.1", a)
		}
	})
	b.Run("refused", func(b *testing.B) {
		th, _ := NewFailureThrottle(FailureConfig{Max: 1})
		_, _ = th.Begin(ctx, "ip:192.0.2.1")
		b.ReportAllocs()
		for b.Loop() {
			_, _ = th.Begin(ctx, "ip:192.0.2.1")
		}
	})
	b.Run("flood", func(b *testing.B) {
		// A full store and a new key per attempt, each failing twice: the
		// cost of making room for a new key.
		th, _ := NewFailureThrottle(FailureConfig{Store: NewMemoryFailureStore(MemoryConfig{MaxKeys: 4096})})
		keys := make([]string, 1<<16)
		for i := range keys {
			keys[i] = "ip:" + strconv.Itoa(i)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			k := keys[i%len(keys)]
			_, _ = th.Begin(ctx, k)
			_, _ = th.Begin(ctx, k)
			i++
		}
	})
}

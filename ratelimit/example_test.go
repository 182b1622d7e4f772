package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

func ExampleLimiter_Middleware() {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	limiter, err := ratelimit.New(ratelimit.Config{
		Limit: ratelimit.PerMinute(2), // per token by default
		Style: envelope.Flat,
		Now:   func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	h := limiter.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	for i := 0; i < 3; i++ {
		r := httptest.NewRequest("GET", "/api/external/v1/orders", nil)
		r = r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{TokenID: "tok-1"}))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Printf("%d limit=%s remaining=%s reset=%s retry-after=%q\n", w.Code,
			w.Header().Get("RateLimit-Limit"), w.Header().Get("RateLimit-Remaining"),
			w.Header().Get("RateLimit-Reset"), w.Header().Get("Retry-After"))
	}
	// Output:
	// 200 limit=2 remaining=1 reset=30 retry-after=""
	// 200 limit=2 remaining=0 reset=60 retry-after=""
	// 429 limit=2 remaining=0 reset=60 retry-after="30"
}

func ExampleFailureThrottle() {
	ctx := context.Background()
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 3, Window: 15 * time.Minute})
	if err != nil {
		panic(err)
	}
	login := func(user, password string) error {
		key := "user:" + user
		if _, err := throttle.Begin(ctx, key); err != nil {
			return err // 429 before any password hashing
		}
		if password != "correct horse" { // stands in for a bcrypt comparison
			return envelope.ErrUnauthorized // the attempt stays counted
		}
		return throttle.Reset(ctx, key)
	}
	for _, pw := range []string{"a", "b", "c", "correct horse"} {
		err := login("alice", pw)
		fmt.Println(err, errors.Is(err, ratelimit.ErrThrottled))
	}
	// Output:
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: TOO_MANY_REQUESTS: Too many failed attempts, try again later true
}

func ExampleFailureThrottle_BeginAll() {
	ctx := context.Background()
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 3, Window: 15 * time.Minute})
	if err != nil {
		panic(err)
	}
	// A login guarded on its address and its user name: both counted in
	// one call (one round trip on a store that batches, such as Redis).
	login := func(addr, user, password string) error {
		attempts, err := throttle.BeginAll(ctx, "ip:"+addr, "user:"+user)
		if err != nil {
			return err // 429 before any password hashing
		}
		if password != "correct horse" { // stands in for a bcrypt comparison
			return envelope.ErrUnauthorized // both attempts stay counted
		}
		// The user name's failures are forgotten; the address keeps its
		// earlier ones, only this attempt is taken back.
		return throttle.Settle(ctx, []string{"user:" + user}, attempts[0])
	}
	for _, try := range []struct{ addr, pw string }{
		{"192.0.2.1", "a"}, {"192.0.2.2", "b"}, {"192.0.2.3", "c"}, {"192.0.2.4", "correct horse"},
	} {
		err := login(try.addr, "alice", try.pw)
		fmt.Println(err, errors.Is(err, ratelimit.ErrThrottled))
	}
	// Output:
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: UNAUTHORIZED: Invalid credentials false
	// envelope: TOO_MANY_REQUESTS: Too many failed attempts, try again later true
}

func ExampleAddrKey() {
	for _, r := range []string{"192.0.2.7:5000", "[2001:db8:1:2::99]:5000", "[2001:db8:1:2::1]:5000"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = r
		fmt.Println(ratelimit.ByIP(req))
	}
	// Output:
	// ip:192.0.2.7
	// ip:2001:db8:1:2::/64
	// ip:2001:db8:1:2::/64
}

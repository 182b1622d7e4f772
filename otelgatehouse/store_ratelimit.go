package otelgatehouse

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// RateLimitStore returns s with every Take timed and every failure
// counted (gatehouse.store "ratelimit"). A *ratelimit.MemoryStore is
// returned as it is: its calls take nanoseconds, never fail, and the
// Limiter has a fast path for its concrete type.
func (t *Telemetry) RateLimitStore(s ratelimit.Store) ratelimit.Store {
	if _, ok := s.(*ratelimit.MemoryStore); ok {
		return s
	}
	return &rateLimit{s: s, take: t.storeOp(StoreRateLimit, "Take")}
}

type rateLimit struct {
	s    ratelimit.Store
	take *storeOp
}

func (r *rateLimit) Take(ctx context.Context, key string, limit ratelimit.Limit, now time.Time) (ratelimit.Result, error) {
	start := time.Now()
	res, err := r.s.Take(ctx, key, limit, now)
	r.take.done(ctx, start, err)
	return res, err
}

// FailureStore returns s with every call timed and every failure counted
// (gatehouse.store "failures"). When s is a ratelimit.FailureBatcher (it
// counts several keys in one round trip, as redisstore's does), so is
// the returned store. Other methods of s are not forwarded. A
// *ratelimit.MemoryFailureStore is returned as it is: the
// FailureThrottle hands it its Max, which decides which keys are
// lockouts it never evicts when full, and a wrapper would hide that.
func (t *Telemetry) FailureStore(s ratelimit.FailureStore) ratelimit.FailureStore {
	if _, ok := s.(*ratelimit.MemoryFailureStore); ok {
		return s
	}
	f := &failures{
		s:        s,
		failures: t.storeOp(StoreFailures, "Failures"),
		add:      t.storeOp(StoreFailures, "AddFailure"),
		remove:   t.storeOp(StoreFailures, "RemoveFailure"),
		reset:    t.storeOp(StoreFailures, "ResetFailures"),
	}
	if b, ok := s.(ratelimit.FailureBatcher); ok {
		return &failureBatcher{failures: f, b: b, addAll: t.storeOp(StoreFailures, "AddFailures"), settle: t.storeOp(StoreFailures, "SettleFailures")}
	}
	return f
}

type failures struct {
	s                            ratelimit.FailureStore
	failures, add, remove, reset *storeOp
}

func (f *failures) Failures(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	start := time.Now()
	n, resetAt, err := f.s.Failures(ctx, key, now)
	f.failures.done(ctx, start, err)
	return n, resetAt, err
}

func (f *failures) AddFailure(ctx context.Context, key, attempt string, window time.Duration, now time.Time) (int, time.Time, error) {
	start := time.Now()
	n, resetAt, err := f.s.AddFailure(ctx, key, attempt, window, now)
	f.add.done(ctx, start, err)
	return n, resetAt, err
}

func (f *failures) RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error {
	start := time.Now()
	err := f.s.RemoveFailure(ctx, key, attempt, now)
	f.remove.done(ctx, start, err)
	return err
}

func (f *failures) ResetFailures(ctx context.Context, key string) error {
	start := time.Now()
	err := f.s.ResetFailures(ctx, key)
	f.reset.done(ctx, start, err)
	return err
}

type failureBatcher struct {
	*failures
	b              ratelimit.FailureBatcher
	addAll, settle *storeOp
}

func (f *failureBatcher) AddFailures(ctx context.Context, attempts []ratelimit.Attempt, window time.Duration, now time.Time) ([]ratelimit.FailureCount, error) {
	start := time.Now()
	counts, err := f.b.AddFailures(ctx, attempts, window, now)
	f.addAll.done(ctx, start, err)
	return counts, err
}

func (f *failureBatcher) SettleFailures(ctx context.Context, reset []string, remove []ratelimit.Attempt, now time.Time) error {
	start := time.Now()
	err := f.b.SettleFailures(ctx, reset, remove, now)
	f.settle.done(ctx, start, err)
	return err
}

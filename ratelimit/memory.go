package ratelimit

import (
	"context"
	"math"
	"time"
)

// DefaultMaxKeys is the number of keys a memory store keeps when
// MemoryConfig.MaxKeys is not set: about 13 MB of buckets at most.
const DefaultMaxKeys = 65536

// MemoryConfig configures [NewMemoryStore] and [NewMemoryFailureStore].
// The zero MemoryConfig selects the defaults.
type MemoryConfig struct {
	// MaxKeys is the hard cap on keys held (rounded down to a multiple of
	// 16, the shard count, and at least 16); values <= 0 select
	// DefaultMaxKeys. When a flood of distinct keys fills the store, the
	// least recently used key is forgotten, which resets its bucket or
	// failure count: size the cap above the number of keys active within
	// one refill period (or failure window).
	MaxKeys int

	// IdleTimeout is how long a key must go unused before it may be
	// evicted for carrying no state (a refilled bucket, an ended failure
	// window); values <= 0 select one minute. It keeps hot keys from being
	// evicted and rebuilt; memory stays bounded by MaxKeys either way.
	IdleTimeout time.Duration
}

func (c MemoryConfig) maxKeys() int {
	if c.MaxKeys <= 0 {
		return DefaultMaxKeys
	}
	return c.MaxKeys
}

func (c MemoryConfig) idleTimeout() time.Duration {
	if c.IdleTimeout <= 0 {
		return time.Minute
	}
	return c.IdleTimeout
}

// MemoryStore is the in-process [Store]: one token bucket per key, with
// golang.org/x/time/rate's arithmetic, in a bounded table. A bucket that has
// refilled completely carries no state; once unused for IdleTimeout it is
// evicted as new keys arrive. The table never holds more than MaxKeys
// buckets. It is safe for concurrent use; its methods never fail.
type MemoryStore struct {
	t *table[*bucket]
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore(cfg MemoryConfig) *MemoryStore {
	return &MemoryStore{t: newTable(cfg.maxKeys(), cfg.idleTimeout(), (*bucket).full)}
}

// Take implements [Store]. It returns an error only for an invalid limit.
func (s *MemoryStore) Take(_ context.Context, key string, limit Limit, now time.Time) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	sh, n := s.t.acquire(key, now, func() *bucket { return newBucket(limit, now) })
	return charge(sh, n.val, limit, now), nil
}

// takeParts is Take(ctx, prefix+id, limit, now) without building that
// string: the key is assembled on the stack, and copied to the heap only
// when it is new. It makes MemoryStore a [partsStore]. limit is valid: the
// Limiter, its only caller, has checked it.
func (s *MemoryStore) takeParts(_ context.Context, prefix, id string, limit Limit, now time.Time) (Result, error) {
	var buf [64]byte // a longer key spills to the heap, and still works
	key := append(append(buf[:0], prefix...), id...)
	sh, n := s.t.acquireBytes(key, now, func() *bucket { return newBucket(limit, now) })
	return charge(sh, n.val, limit, now), nil
}

// charge charges one request to b, whose shard sh the caller has locked,
// unlocks it and returns the decision.
func charge(sh *shard[*bucket], b *bucket, limit Limit, now time.Time) Result {
	if b.limit != limit {
		b.setLimit(limit, now)
	}
	ok, tokens := b.take(now)
	r := b.rate
	sh.mu.Unlock()

	capacity := limit.Capacity()
	res := Result{
		Allowed:    ok,
		Limit:      capacity,
		Remaining:  int(max(0, math.Floor(tokens))),
		ResetAfter: durationFor(r, float64(capacity)-tokens),
	}
	if !ok {
		res.RetryAfter = durationFor(r, 1-tokens)
	}
	return res
}

// Len returns the number of keys held, for tests and metrics.
func (s *MemoryStore) Len() int { return s.t.len() }

// MemoryFailureStore is the in-process [FailureStore], in a bounded table:
// a key whose window has ended is evicted as new keys arrive (once unused
// for IdleTimeout), and the table
// never holds more than MaxKeys keys. It is safe for concurrent use; its
// methods never fail.
type MemoryFailureStore struct {
	t *table[*failures]
}

type failures struct {
	count   int
	resetAt time.Time
}

// NewMemoryFailureStore returns an empty MemoryFailureStore.
func NewMemoryFailureStore(cfg MemoryConfig) *MemoryFailureStore {
	return &MemoryFailureStore{t: newTable(cfg.maxKeys(), cfg.idleTimeout(), func(f *failures, now time.Time) bool {
		return !now.Before(f.resetAt)
	})}
}

// Failures implements [FailureStore].
func (s *MemoryFailureStore) Failures(_ context.Context, key string, now time.Time) (int, time.Time, error) {
	sh, n := s.t.lookup(key)
	defer sh.mu.Unlock()
	if n == nil || !now.Before(n.val.resetAt) {
		return 0, time.Time{}, nil
	}
	return n.val.count, n.val.resetAt, nil
}

// AddFailure implements [FailureStore].
func (s *MemoryFailureStore) AddFailure(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	sh, n := s.t.acquire(key, now, func() *failures { return &failures{} })
	defer sh.mu.Unlock()
	f := n.val
	if !now.Before(f.resetAt) {
		f.count, f.resetAt = 0, now.Add(window)
	}
	f.count++
	return f.count, f.resetAt, nil
}

// ResetFailures implements [FailureStore].
func (s *MemoryFailureStore) ResetFailures(_ context.Context, key string) error {
	s.t.delete(key)
	return nil
}

// Len returns the number of keys held, for tests and metrics.
func (s *MemoryFailureStore) Len() int { return s.t.len() }

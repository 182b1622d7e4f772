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
	// DefaultMaxKeys. When a flood of distinct keys fills a MemoryStore,
	// the least recently used key is forgotten, which refills its bucket. A
	// MemoryFailureStore never forgets a failure count in favour of a new
	// key when it counts more than one failure: it evicts an ended window,
	// else a key with a single failure, else refuses the new key with
	// [ErrFull] (the throttle answers 429). Size the cap above the number
	// of keys active within one refill period (or failure window).
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
	return &MemoryStore{t: newTable(cfg.maxKeys(), cfg.idleTimeout(), (*bucket).full, nil)}
}

// Take implements [Store]. It returns an error only for an invalid limit.
func (s *MemoryStore) Take(_ context.Context, key string, limit Limit, now time.Time) (Result, error) {
	if err := limit.Validate(); err != nil {
		return Result{}, err
	}
	sh, n := s.t.acquire(key, now, func() *bucket { return newBucket(limit, now) })
	var res Result
	charge(sh, n.val, limit, now, &res)
	return res, nil
}

// takeParts is Take(ctx, k.String(), limit, now) without building that
// string, writing the decision into *res: the key is assembled on the
// stack, and copied to the heap only when it is new. The Limiter calls it
// directly (not through an interface, which would move k and res to the
// heap) when its store is a MemoryStore. limit is valid: the Limiter, its
// only caller, has checked it.
func (s *MemoryStore) takeParts(k *keyParts, limit Limit, now time.Time, res *Result) {
	var buf [64]byte // a longer key spills to the heap, and still works
	key := k.appendTo(buf[:0])
	sh, n := s.t.acquireBytes(key, now, func() *bucket { return newBucket(limit, now) })
	charge(sh, n.val, limit, now, res)
}

// charge charges one request to b, whose shard sh the caller has locked,
// unlocks it and writes the decision into *res.
func charge(sh *shard[*bucket], b *bucket, limit Limit, now time.Time, res *Result) {
	if b.limit != limit {
		b.setLimit(limit, now)
	}
	ok, tokens := b.take(now)
	r := b.rate
	sh.mu.Unlock()

	capacity := limit.Capacity()
	res.Allowed = ok
	res.Limit = capacity
	res.Remaining = int(max(0, math.Floor(tokens)))
	res.ResetAfter = durationFor(r, float64(capacity)-tokens)
	if !ok {
		res.RetryAfter = durationFor(r, 1-tokens)
	}
}

// Len returns the number of keys held, for tests and metrics.
func (s *MemoryStore) Len() int { return s.t.len() }

// MemoryFailureStore is the in-process [FailureStore], in a bounded table:
// a key whose window has ended is evicted as new keys arrive (once unused
// for IdleTimeout), and the table never holds more than MaxKeys keys. When
// a key's shard is full, AddFailure for a new key evicts, among the least
// recently used keys it examines (at most 64), one whose window has ended,
// else the one with the fewest failures if that is a single failure; when
// every examined key counts more, it refuses the new key with [ErrFull]
// instead of forgetting a lockout — keys chosen by an attacker (random
// user names, IPv6 addresses) cannot evict a victim's count. It is safe
// for concurrent use; its methods fail only with ErrFull.
type MemoryFailureStore struct {
	t *table[*failures]
}

type failures struct {
	count   int
	resetAt time.Time
}

// evictScan bounds the keys a full failure shard examines for a victim, so
// that a flood of new keys costs each insertion a bounded scan.
const evictScan = 64

// NewMemoryFailureStore returns an empty MemoryFailureStore.
func NewMemoryFailureStore(cfg MemoryConfig) *MemoryFailureStore {
	return &MemoryFailureStore{t: newTable(cfg.maxKeys(), cfg.idleTimeout(), (*failures).ended, failureVictim)}
}

func (f *failures) ended(now time.Time) bool { return !now.Before(f.resetAt) }

// failureVictim picks the entry a full failure shard gives up for a new
// key, which will count one failure: from the cold end, the first whose
// window has ended, else the one with the fewest failures if it has only
// one, else none.
func failureVictim(s *shard[*failures], now time.Time) *node[*failures] {
	var low *node[*failures]
	for n, i := s.root.prev, 0; n != &s.root && i < evictScan; n, i = n.prev, i+1 {
		if n.val.ended(now) {
			return n
		}
		if low == nil || n.val.count < low.val.count {
			low = n
		}
	}
	if low != nil && low.val.count <= 1 {
		return low
	}
	return nil
}

// soonestReset returns the earliest window end among the entries
// failureVictim examines: when a refused key may try again.
func soonestReset(s *shard[*failures]) time.Time {
	var soonest time.Time
	for n, i := s.root.prev, 0; n != &s.root && i < evictScan; n, i = n.prev, i+1 {
		if soonest.IsZero() || n.val.resetAt.Before(soonest) {
			soonest = n.val.resetAt
		}
	}
	return soonest
}

// Failures implements [FailureStore].
func (s *MemoryFailureStore) Failures(_ context.Context, key string, now time.Time) (int, time.Time, error) {
	sh, n := s.t.lookup(key)
	defer sh.mu.Unlock()
	if n == nil || n.val.ended(now) {
		return 0, time.Time{}, nil
	}
	return n.val.count, n.val.resetAt, nil
}

// AddFailure implements [FailureStore]. For a new key whose shard is full
// of counts it must not forget it returns [ErrFull] and, as resetAt, the
// earliest end of their windows.
func (s *MemoryFailureStore) AddFailure(_ context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	sh, n := s.t.acquire(key, now, func() *failures { return &failures{} })
	defer sh.mu.Unlock()
	if n == nil {
		return 0, soonestReset(sh), ErrFull
	}
	f := n.val
	if f.ended(now) {
		f.count, f.resetAt = 0, now.Add(window)
	}
	f.count++
	return f.count, f.resetAt, nil
}

// RemoveFailure implements [FailureStore].
func (s *MemoryFailureStore) RemoveFailure(_ context.Context, key string, now time.Time) error {
	sh, n := s.t.lookup(key)
	defer sh.mu.Unlock()
	switch {
	case n == nil || n.val.ended(now):
	case n.val.count > 1:
		n.val.count--
	default:
		sh.remove(n) // nothing left to count: no window either
	}
	return nil
}

// ResetFailures implements [FailureStore].
func (s *MemoryFailureStore) ResetFailures(_ context.Context, key string) error {
	s.t.delete(key)
	return nil
}

// Len returns the number of keys held, for tests and metrics.
func (s *MemoryFailureStore) Len() int { return s.t.len() }

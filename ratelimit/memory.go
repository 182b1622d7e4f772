package ratelimit

import (
	"context"
	"math"
	"slices"
	"time"
)

// DefaultMaxKeys is the number of keys a memory store keeps when
// MemoryConfig.MaxKeys is not set: about 13 MB of buckets at most.
const DefaultMaxKeys = 65536

// MemoryConfig configures [NewMemoryStore] and [NewMemoryFailureStore].
// The zero MemoryConfig selects the defaults.
type MemoryConfig struct {
	// MaxKeys is the hard cap on keys held (rounded down to a multiple of
	// 16, the shard count, and at least 16); values <= 0 select the
	// default. When a flood of distinct keys fills a MemoryStore, the least
	// recently used key is forgotten, which refills its bucket. A
	// MemoryFailureStore never forgets a lockout in favour of a new key: it
	// evicts an ended window, else the least recently updated key that is
	// not locked out, and refuses the new key with [ErrFull] (the throttle
	// answers 429) only when every key of its shard is locked out (see
	// [MemoryFailureStore]). Size the cap above the number of keys active
	// within one refill period (or failure window). Default:
	// DefaultMaxKeys.
	MaxKeys int

	// IdleTimeout is how long a key must go unused before it may be
	// evicted for carrying no state (a refilled bucket, an ended failure
	// window); values <= 0 select the default. It keeps hot keys from
	// being evicted and rebuilt; memory stays bounded by MaxKeys either
	// way. Default: one minute.
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

// MemoryFailureStore is the in-process [FailureStore], in a bounded table
// of at most MaxKeys keys (about 150 bytes each with a short key, plus
// some 40 bytes per attempt counted in the window: some 10 MB at
// DefaultMaxKeys with a failure each). A key whose window has ended is evicted as new
// keys arrive (once unused for IdleTimeout). When a new key's shard is
// full, AddFailure makes room by evicting, in this order:
//
//   - a lockout whose window has ended;
//   - among the 64 least recently updated keys that are not lockouts, the
//     first whose window has ended or that holds a single failure, else
//     the one with the fewest failures;
//   - a lockout whose window has ended among the 64 least recently updated
//     lockouts.
//
// A lockout is a key whose count has reached the Max of the
// [FailureThrottle] that counted its last failure (5 when AddFailure is
// called directly): the throttle refuses its next attempt. Lockouts are
// kept on a list of their own, so finding a victim costs O(1) however the
// table is filled, and a lockout is never forgotten while its window is
// open. Only when every key of the shard is a lockout in an open window is
// the new key refused with [ErrFull] (the throttle answers 429) — which
// takes an attacker Max failures on each of MaxKeys keys within one
// window.
//
// The trade-off: evicting a key that is not locked out forgets its
// failures. An attacker can flush a victim's count below Max only by
// filling the victim's shard with keys holding at least as many failures
// that were updated more recently — about MaxKeys keys (the shard of a key
// is not predictable) with that many failed attempts each, since keys with
// fewer failures go first — and every flush buys at most Max-1 more
// guesses against it. Size MaxKeys above the number of keys that fail within one
// window in normal operation. It is safe for concurrent use; its methods
// fail only with ErrFull.
type MemoryFailureStore struct {
	t *table[*failures]
}

type failures struct {
	resetAt time.Time
	count   int32 // saturates at math.MaxInt32
	// lockout is the count at which the key is locked out, the Max of the
	// throttle that counted its last failure: from there on the key's node
	// is held, off the list victims are taken from.
	lockout int32
	// counted names the attempts counted in the open window, the first
	// maxNamed of them; later ones are counted unnamed and stay counted
	// until the window ends.
	counted []string
	// takenBack names the attempts taken back before they were counted
	// (the newest maxNamed), each until TakeBackMemory after that.
	takenBack []takenBack
}

type takenBack struct {
	attempt string
	until   time.Time
}

// maxNamed bounds the attempt ids a MemoryFailureStore keeps per key: a
// throttle's key holds at most its Max failures plus the attempts in
// flight.
const maxNamed = 256

// tookBack reports whether attempt was taken back before it was counted,
// forgetting the marks that have expired at now.
func (f *failures) tookBack(attempt string, now time.Time) bool {
	f.takenBack = slices.DeleteFunc(f.takenBack, func(tb takenBack) bool { return !now.Before(tb.until) })
	return slices.ContainsFunc(f.takenBack, func(tb takenBack) bool { return tb.attempt == attempt })
}

// evictScan bounds the lockouts a full failure shard examines for an ended
// window, and for the soonest reset of a refusal, so that a flood of new
// keys costs each insertion a bounded scan.
const evictScan = 64

// NewMemoryFailureStore returns an empty MemoryFailureStore.
func NewMemoryFailureStore(cfg MemoryConfig) *MemoryFailureStore {
	return &MemoryFailureStore{t: newTable(cfg.maxKeys(), cfg.idleTimeout(), (*failures).ended, failureVictim)}
}

func newFailures() *failures { return &failures{} }

func (f *failures) ended(now time.Time) bool { return !now.Before(f.resetAt) }

// failureVictim picks the entry a full failure shard gives up for a new
// key: the coldest lockout if its window has ended; else, among the
// evictScan least recently updated entries that are not lockouts, the
// first whose window has ended or that holds a single failure, else the
// one with the fewest failures (the coldest of those); else a lockout
// whose window has ended among the evictScan coldest; else none. Taking
// the fewest failures first means a flood of new keys, each with one
// failure, evicts its own keys before a victim's larger count: to flush
// that count, the flood's keys must each hold as many failures.
func failureVictim(s *shard[*failures], now time.Time) *node[*failures] {
	if n := s.held.prev; n != &s.held && n.val.ended(now) {
		return n
	}
	var fewest *node[*failures]
	for n, i := s.root.prev, 0; n != &s.root && i < evictScan; n, i = n.prev, i+1 {
		if n.val.ended(now) || n.val.count <= 1 {
			return n
		}
		if fewest == nil || n.val.count < fewest.val.count {
			fewest = n
		}
	}
	if fewest != nil {
		return fewest
	}
	for n, i := s.held.prev, 0; n != &s.held && i < evictScan; n, i = n.prev, i+1 {
		if n.val.ended(now) {
			return n
		}
	}
	return nil
}

// soonestReset returns the earliest window end among the lockouts
// failureVictim examines: when a refused key may try again.
func soonestReset(s *shard[*failures]) time.Time {
	var soonest time.Time
	for n, i := s.held.prev, 0; n != &s.held && i < evictScan; n, i = n.prev, i+1 {
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
	if n == nil || n.val.ended(now) || n.val.count == 0 {
		return 0, time.Time{}, nil
	}
	return int(n.val.count), n.val.resetAt, nil
}

// AddFailure implements [FailureStore]. It counts the key as a lockout from
// 5 failures on, the default Max of a [FailureThrottle] (which passes its
// own Max instead). For a new key whose shard is full of lockouts it
// returns [ErrFull] and, as resetAt, the earliest end of their windows.
func (s *MemoryFailureStore) AddFailure(_ context.Context, key, attempt string, window time.Duration, now time.Time) (int, time.Time, error) {
	return s.addFailure(key, attempt, window, defaultMaxFailures, now)
}

// addFailure is AddFailure for a throttle whose Max is lockout.
func (s *MemoryFailureStore) addFailure(key, attempt string, window time.Duration, lockout int, now time.Time) (int, time.Time, error) {
	sh, n := s.t.get(key, now, newFailures)
	defer sh.mu.Unlock()
	if n == nil {
		return 0, soonestReset(sh), ErrFull
	}
	f := n.val
	open := !f.ended(now) && f.count > 0
	if f.tookBack(attempt, now) || open && slices.Contains(f.counted, attempt) {
		sh.use(n, now) // placed on a list either way; held again below if locked out
		if !open {
			return 0, time.Time{}, nil
		}
		if f.count >= f.lockout {
			sh.hold(n, now)
		}
		return int(f.count), f.resetAt, nil
	}
	if !open {
		f.count, f.resetAt, f.counted = 0, now.Add(window), f.counted[:0]
	}
	if len(f.counted) < maxNamed {
		f.counted = append(f.counted, attempt)
	}
	if f.count < math.MaxInt32 {
		f.count++
	}
	f.lockout = int32(min(max(lockout, 1), math.MaxInt32))
	if f.count >= f.lockout {
		sh.hold(n, now)
	} else {
		sh.use(n, now)
	}
	return int(f.count), f.resetAt, nil
}

// RemoveFailure implements [FailureStore]. An attempt counted unnamed
// (past the first 256 of a window) cannot be told from one never counted:
// it stays counted until its window ends, the safe direction.
func (s *MemoryFailureStore) RemoveFailure(_ context.Context, key, attempt string, now time.Time) error {
	sh, n := s.t.get(key, now, newFailures)
	defer sh.mu.Unlock()
	if n == nil {
		return nil // a full shard of lockouts: nothing of key's is counted
	}
	f := n.val
	if f.tookBack(attempt, now) {
		return nil
	}
	if i := slices.Index(f.counted, attempt); i >= 0 {
		f.counted = slices.Delete(f.counted, i, i+1)
		if !f.ended(now) && f.count > 0 {
			f.count--
		}
		switch {
		case f.count == 0 && len(f.takenBack) == 0:
			sh.remove(n) // nothing left to count: no window either
		case f.count < f.lockout:
			sh.use(n, now) // no lockout any more: evictable again
		}
		return nil
	}
	if len(f.takenBack) == maxNamed {
		f.takenBack = slices.Delete(f.takenBack, 0, 1)
	}
	f.takenBack = append(f.takenBack, takenBack{attempt: attempt, until: now.Add(TakeBackMemory)})
	if f.ended(now) || f.count == 0 {
		// Nothing counted: the mark alone keeps the entry until it expires.
		f.count, f.resetAt, f.counted = 0, now.Add(TakeBackMemory), f.counted[:0]
	}
	if f.count < f.lockout {
		sh.use(n, now)
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

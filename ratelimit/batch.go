package ratelimit

import (
	"context"
	"errors"
	"time"
)

// errBatchReply is the store failure of a FailureBatcher that answered
// AddFailures with a count per attempt missing or extra.
var errBatchReply = errors.New("ratelimit: the store's batch answer has the wrong number of counts")

// An Attempt is one attempt counted against one key: the key and the id
// [FailureThrottle.Begin] (or [FailureThrottle.BeginAll]) returned for it.
type Attempt struct {
	Key string
	ID  string
}

// A FailureCount is the count of one key after [FailureBatcher.AddFailures]
// counted an attempt, and the end of its window: what AddFailure returns.
type FailureCount struct {
	Count   int
	ResetAt time.Time
}

// A FailureBatcher is a [FailureStore] that runs the calls of several keys
// together: for a network store, in one round trip instead of one per
// key. A [FailureThrottle] whose store is one counts the attempts of
// [FailureThrottle.BeginAll] and settles those of [FailureThrottle.Settle]
// with one call each. Each key's part is the atomic step the single-key
// method takes, with the same semantics; the keys are not one atomic step
// together (on a Redis Cluster they live on different nodes). Stores that
// may refuse a new key with [ErrFull] do not implement it.
// Implementations pass [ratelimittest.TestFailureStore], which checks
// these methods too.
//
// [ratelimittest.TestFailureStore]: https://pkg.go.dev/github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest#TestFailureStore
type FailureBatcher interface {
	// AddFailures is AddFailure for each attempt, all with window and now:
	// it returns one FailureCount per attempt, in order. On an error, any
	// of the attempts may or may not have been counted.
	AddFailures(ctx context.Context, attempts []Attempt, window time.Duration, now time.Time) ([]FailureCount, error)
	// SettleFailures is ResetFailures for each key of reset and
	// RemoveFailure for each attempt of remove, at now. On an error, any
	// of them may or may not have been applied.
	SettleFailures(ctx context.Context, reset []string, remove []Attempt, now time.Time) error
}

// BeginAll counts one attempt against each of keys, as [FailureThrottle.Begin]
// does for one, and returns them in order. When a key refuses (it had
// Max failures), the attempts of every key are taken back, so that a
// refused request counts nowhere, and the 429 is the first refusing key's
// (its Retry-After included); a store failure is a 503, and every attempt
// is taken back in the background.
//
// With a store that is a [FailureBatcher], every key is counted in one
// call (one round trip to Redis), and the attempts are taken back in one
// more when a key refuses: until then a refused request's attempts count
// against every key, like any attempt in flight. With another store the
// keys are counted one after the other and the first refusal ends the
// request, its earlier attempts taken back: the keys after it are never
// counted.
func (t *FailureThrottle) BeginAll(ctx context.Context, keys ...string) ([]Attempt, error) {
	b, ok := t.store.(FailureBatcher)
	if !ok || len(keys) < 2 {
		return t.beginEach(ctx, keys)
	}
	now := t.now()
	attempts := make([]Attempt, len(keys))
	for n, key := range keys {
		attempts[n] = Attempt{Key: key, ID: newAttemptID()}
	}
	counts, err := b.AddFailures(ctx, attempts, t.window, now)
	if err == nil && len(counts) != len(attempts) {
		err = errBatchReply
	}
	if err != nil {
		for _, a := range attempts {
			t.takeBack(a.Key, a.ID)
		}
		return nil, storeError(err)
	}
	for n, c := range counts {
		if c.Count > t.max {
			if err := b.SettleFailures(context.WithoutCancel(ctx), nil, attempts, now); err != nil {
				for _, a := range attempts {
					t.takeBack(a.Key, a.ID)
				}
			}
			return nil, t.throttled.WithRetryAfter(retryAfter(counts[n].ResetAt, now))
		}
	}
	return attempts, nil
}

// beginEach is BeginAll one key after the other.
func (t *FailureThrottle) beginEach(ctx context.Context, keys []string) ([]Attempt, error) {
	attempts := make([]Attempt, 0, len(keys))
	for _, key := range keys {
		id, err := t.Begin(ctx, key)
		if err != nil {
			for _, a := range attempts {
				_ = t.Succeed(context.WithoutCancel(ctx), a.Key, a.ID)
			}
			return nil, err
		}
		attempts = append(attempts, Attempt{Key: key, ID: id})
	}
	return attempts, nil
}

// Settle ends the attempts of a request: it forgets the failures of each
// key of reset, the attempts counted against it included (as
// [FailureThrottle.Reset]), and takes back each attempt of succeed (as
// [FailureThrottle.Succeed]) — with one store call (one round trip to
// Redis) when the store is a [FailureBatcher], else with one per key, in
// that order. Every part is applied even when one fails; the error is
// then a 503 wrapping [ErrStore], and the attempts of succeed are taken
// back in the background.
func (t *FailureThrottle) Settle(ctx context.Context, reset []string, succeed ...Attempt) error {
	b, ok := t.store.(FailureBatcher)
	if !ok || len(reset)+len(succeed) < 2 {
		var first error
		for _, key := range reset {
			if err := t.Reset(ctx, key); err != nil && first == nil {
				first = err
			}
		}
		for _, a := range succeed {
			if err := t.Succeed(ctx, a.Key, a.ID); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	if err := b.SettleFailures(ctx, reset, succeed, t.now()); err != nil {
		for _, a := range succeed {
			t.takeBack(a.Key, a.ID)
		}
		return storeError(err)
	}
	return nil
}

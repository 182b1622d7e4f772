package ratelimit

import (
	"context"
	"time"
)

// A Result is a Store's decision for one request.
type Result struct {
	// Allowed reports whether the request may go on.
	Allowed bool
	// Limit is the bucket's capacity (Limit.Capacity), sent as
	// RateLimit-Limit.
	Limit int
	// Remaining is how many whole requests the bucket holds after this
	// one, sent as RateLimit-Remaining.
	Remaining int
	// RetryAfter is, when Allowed is false, the time until the next token:
	// when a retry can succeed. It is sent as Retry-After. Zero when Allowed.
	RetryAfter time.Duration
	// ResetAfter is the time until the bucket is full again, sent as
	// RateLimit-Reset.
	ResetAfter time.Duration
}

// A Store holds the token buckets of a [Limiter]. The in-memory default is
// [MemoryStore]; a shared store (Redis with GCRA, for instance) lets several
// instances enforce one limit. Implementations must be safe for concurrent
// use and pass [ratelimittest.TestStore].
//
// Take charges one request to key's bucket under limit at time now and
// returns the decision; a key never seen before starts with a full bucket.
// When limit differs from the one the bucket was last used with, the new
// limit applies from now on. A denied request consumes nothing. A store
// may use its own clock instead of now (a shared store should use one
// clock for all instances), but must be consistent in doing so. Any error
// makes the Limiter refuse the request with 503.
//
// [ratelimittest.TestStore]: https://pkg.go.dev/github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest#TestStore
type Store interface {
	Take(ctx context.Context, key string, limit Limit, now time.Time) (Result, error)
}

// A FailureStore counts failures per key in fixed windows, for a
// [FailureThrottle]. A window opens at a key's first failure and lasts the
// window length given then; when it ends the count starts over.
// Implementations must be safe for concurrent use, count exactly under
// concurrency (each method is one atomic step: in Redis, one script), and
// pass [ratelimittest.TestFailureStore].
//
// Every failure is an attempt with an id of the caller's (unique per key
// within a window: the throttle draws 96 random bits), so that a write
// whose outcome is unknown — its reply timed out, a client library resent
// it — can be repeated or taken back without counting twice or taking
// back another attempt.
//
// Failures returns key's count in its open window and when that window
// ends, or 0 and the zero Time when no window is open at now.
//
// AddFailure counts attempt for key at now, opening a window of length
// window when none is open, and returns the new count and the window's
// end. An attempt already counted, or already taken back, is not counted
// again: AddFailure then returns the count as it is. The throttle counts an
// attempt with it before checking the credential, and refuses the attempt
// when the count exceeds its maximum: concurrent attempts each see their
// own count. A bounded store makes room for a new key by forgetting counts
// that are not lockouts, and may refuse it with an error wrapping
// [ErrFull] (returning, as resetAt, when to try again) only rather than
// forget a lockout; the throttle answers that with 429. Refusing earlier
// would let a flood of keys with a failure or two each lock every new
// client out (see [MemoryFailureStore]).
//
// RemoveFailure takes back attempt, which an attempt counted before its
// credential turned out good, or whose AddFailure failed; a count that
// reaches zero closes its window. Taking back an attempt twice changes
// nothing the second time. An attempt not counted yet (its AddFailure
// still in flight, delayed past the take-back) is remembered as taken
// back, for at least [TakeBackMemory], so that its AddFailure does not
// count when it lands. An attempt counted in a window that has ended is
// forgotten with it.
//
// ResetFailures forgets key; it is not an error when key is unknown.
//
// A store that can run the calls of several keys together (one round trip
// to a network store) also implements [FailureBatcher].
//
// [ratelimittest.TestFailureStore]: https://pkg.go.dev/github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest#TestFailureStore
type FailureStore interface {
	Failures(ctx context.Context, key string, now time.Time) (count int, resetAt time.Time, err error)
	AddFailure(ctx context.Context, key, attempt string, window time.Duration, now time.Time) (count int, resetAt time.Time, err error)
	RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error
	ResetFailures(ctx context.Context, key string) error
}

// TakeBackMemory is how long a FailureStore remembers an attempt taken
// back before it was counted, at least: longer than any store call can be
// delayed (a Redis timeout, a client library's retries).
const TakeBackMemory = time.Minute

package issuer

import (
	"context"
	"net/netip"
	"time"
)

// The issuer consumes its siblings through these small interfaces, so it
// never depends on their concrete types: ipallow.PerPrincipal is an
// AccountChecker and ratelimit.FailureThrottle a Throttle. A revocation
// store or Throttle that also does several writes in one step (see
// Config.Revocations and Throttle) is used that way, saving round trips
// to a network store.

// An AccountChecker applies an account's own IP allowlist before a
// principal exists. CheckAccount returns nil when addr may act for account,
// an *envelope.Error 403 when it may not and a 503 *envelope.Error when its
// store failed.
type AccountChecker interface {
	CheckAccount(ctx context.Context, account string, addr netip.Addr) error
}

// A Throttle limits failed attempts per key, counting every attempt before
// its credential is checked, so that attempts arriving together cannot all
// pass on one stale count (ratelimit.FailureThrottle is one). Begin counts
// an attempt and returns its id: nil error under the limit, a 429
// *envelope.Error with RetryAfter at it (the refused attempt counts
// nowhere). The attempt then stays counted as a failure unless Succeed
// takes it back by its id — the credential was good, or was never checked
// — or Reset forgets all of the key's failures after a good credential.
// Store failures are returned as errors (the issuer answers 503); a
// Throttle takes back by itself an attempt whose count or take-back had an
// unknown outcome, so that a store outage never locks anyone out.
//
// A Throttle that also has the methods
//
//	BeginAll(ctx context.Context, keys ...string) ([]ratelimit.Attempt, error)
//	Settle(ctx context.Context, reset []string, succeed ...ratelimit.Attempt) error
//
// (ratelimit.FailureThrottle has them: one round trip when its store is a
// ratelimit.FailureBatcher, such as redisstore's Failures) counts and
// settles the keys of a request with one call each. BeginAll counts one
// attempt per key, as Begin does for one, and returns them in order; when
// a key refuses, every attempt is taken back and the first refusing key's
// error is returned. Settle forgets the failures of each key of reset
// (Reset) and takes back each attempt of succeed (Succeed), applying
// every part even when one fails, then returns the error.
type Throttle interface {
	Begin(ctx context.Context, key string) (attempt string, err error)
	Succeed(ctx context.Context, key, attempt string) error
	Reset(ctx context.Context, key string) error
}

// A tokenSessionRevoker is a revocation store that revokes a token and
// its session in one write (see Config.Revocations).
type tokenSessionRevoker interface {
	RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error
}

package issuer

import (
	"context"
	"net/netip"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// The issuer consumes its siblings through these small interfaces, so it
// never depends on their concrete types: bearer.MemoryRevocations (or a
// Redis store) is a Revoker, ipallow.PerPrincipal an AccountChecker and
// ratelimit.FailureThrottle a Throttle.

// A Revoker is the revocation store the issuer writes to and the bearer
// middleware reads (bearer.MemoryRevocations, or a Redis store): the jti
// of the access token a logout presents, the session of every family that
// logout, reuse detection or RevokeSession kills, and the not-before of a
// subject RevokeSubject revokes — which Refresh reads back, so that no
// family started before it rotates again. It must be the same store the
// bearer middleware checks, or revocations have no effect on API calls.
type Revoker = bearer.RevocationStore

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
type Throttle interface {
	Begin(ctx context.Context, key string) (attempt string, err error)
	Succeed(ctx context.Context, key, attempt string) error
	Reset(ctx context.Context, key string) error
}

package issuer

import (
	"context"
	"net/netip"
)

// The issuer consumes its siblings through these small interfaces, so it
// never depends on their concrete types: ipallow.PerPrincipal is an
// AccountChecker and ratelimit.FailureThrottle a Throttle.

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

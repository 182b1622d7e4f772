// Package ratelimit limits request rates with token buckets (the
// semantics of golang.org/x/time/rate), and throttles failed
// authentication.
//
// A [Limiter] charges every request to a bucket named by a [KeyFunc]:
// [ByPrincipal] (the default: a JWT's tenant and subject, another
// credential's TokenID, else the Subject), [BySubject], [ByTenant], [ByIP]
// (the client address from gatehouse.ClientAddr, IPv6 grouped by /64) or
// any function. Each Principal may have its own [Limit] (a key's plan)
// through Config.Limits, with Config.Limit as the default. A refused
// request gets 429 with Retry-After set to the time until the next token,
// and every charged response carries RateLimit-Limit, RateLimit-Remaining
// and RateLimit-Reset.
//
//	limiter, err := ratelimit.New(ratelimit.Config{
//		Limit: ratelimit.PerMinute(60),
//		Limits: func(p gatehouse.Principal) (ratelimit.Limit, bool) {
//			if p.Tenant == "enterprise" {
//				return ratelimit.PerMinute(600), true
//			}
//			return ratelimit.Limit{}, false
//		},
//	})
//	h := gatehouse.Chain(auth.Middleware, limiter.Middleware, scopes.Require("orders:read"))(handler)
//
// A [FailureThrottle] guards login and token endpoints against guessing:
// after Max failures for one key (a client address, a user name) within
// Window it refuses further attempts with 429 until the window ends, before
// any password hashing or token verification. [FailureThrottle.Begin] counts each attempt before
// its credential is checked and [FailureThrottle.Succeed] takes it back
// when the credential was good, so parallel attempts cannot outrun the
// limit.
//
// Buckets and failure counts live behind [Store] and [FailureStore]; the
// bounded in-memory defaults can be replaced by shared ones (Redis), which
// package ratelimittest checks. A store failure refuses the request with
// 503. The package's README.md has the stores' bounds, the throttle's
// handling of store outages and the benchmarks.
//
// [FailureThrottle.BeginAll] and [FailureThrottle.Settle] count and settle
// the several keys of one request with one store call each on a
// [FailureBatcher].
package ratelimit

// Package ipallow admits requests by client IP address: it resolves the
// address behind trusted proxies without letting clients spoof it, matches
// it against large prefix sets in constant-like time, and applies a static
// allowlist or denylist to a whole API as well as each account's own
// allowlist.
//
// A [Resolver] decides who the client is: the connection's peer address,
// unless the peer is one of the operator's proxies
// ([ResolverConfig.TrustedProxies]); only then is the configured forwarding
// header (X-Forwarded-For, RFC 7239 Forwarded or a single address header)
// read, right to left, skipping trusted hops. A malformed chain fails
// closed with 403 and never falls back to an entry the client wrote.
// Resolver.Middleware stores the result with gatehouse.WithClientAddr,
// where rate limits, audit events and handlers read it with
// gatehouse.ClientAddr.
//
// An [Allowlist] (built by [New]) refuses addresses not on its Allow list
// or on its Deny list with 403, "IP address not authorized"; the body never
// reveals the lists. [PerPrincipal] applies the authenticated account's own
// list from a [ListStore]: an account without entries allows every address,
// and a store failure answers 503. [PerPrincipal.CheckAccount] applies the
// same rule in login and refresh handlers. Both match against a [PrefixSet]
// ([ParsePrefixes]): a lookup costs about the same with 100,000 prefixes as
// with one, and never allocates.
//
// A typical chain behind a load balancer:
//
//	res, _ := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
//	static, _ := ipallow.New(ipallow.Config{Allow: []string{"203.0.113.0/24", "2001:db8::/32"}})
//	accounts, _ := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
//	h := gatehouse.Chain(res.Middleware, static.Middleware, auth.Middleware, accounts.Middleware)(api)
//
// The package's README.md has the resolution and refusal rules in full and
// the benchmarks.
package ipallow

// Package ipallow admits requests by client IP address: it resolves the
// address behind trusted proxies without letting clients spoof it, matches
// it against large prefix sets in constant-like time, and applies a static
// allowlist or denylist to a whole API as well as each account's own
// allowlist (seed 000's "IP whitelisting").
//
// # Client address
//
// A [Resolver] decides who the client is. By default that is the
// connection's peer address and forwarding headers are ignored, because any
// client can send them. Only when the operator names its proxies
// ([ResolverConfig.TrustedProxies]) and the peer is one of them is the
// configured header read: X-Forwarded-For right to left across all its
// lines, skipping trusted hops; RFC 7239 Forwarded the same way; or a single
// address header such as X-Real-IP. A malformed chain fails closed with 403
// and never falls back to an entry the client wrote. Addresses are
// normalised (IPv4-mapped IPv6 unmapped, zones stripped). Resolver.Middleware
// stores the result with gatehouse.WithClientAddr, where rate limits, audit
// events and handlers read it with gatehouse.ClientAddr.
//
// # Prefix sets
//
// [ParsePrefixes] turns IPs and CIDRs, IPv4 and IPv6 mixed, into a
// [PrefixSet] of merged ranges searched by binary search: a lookup costs
// about the same with 100,000 prefixes as with one, and never allocates.
//
// # Middleware
//
// An [Allowlist] (built by [New]) refuses addresses not on its Allow list
// or on its Deny list with 403 FORBIDDEN, "IP address not authorized",
// rendered in the configured envelope style; the body never reveals the
// lists. [PerPrincipal] applies the authenticated account's own list from a
// [ListStore]; an account without entries allows every address, and a
// store failure answers 503. [PerPrincipal.CheckAccount] applies the same
// rule in login and refresh handlers, before any principal exists. Every
// refusal is sent to the configured gatehouse.Auditor with the client
// address, the account and the list that refused it.
//
// A typical chain behind a load balancer:
//
//	res, _ := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: []string{"10.0.0.0/8"}})
//	static, _ := ipallow.New(ipallow.Config{Allow: []string{"203.0.113.0/24", "2001:db8::/32"}})
//	accounts, _ := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
//	h := gatehouse.Chain(res.Middleware, static.Middleware, auth.Middleware, accounts.Middleware)(api)
package ipallow

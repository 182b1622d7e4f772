package ratelimit

import (
	"net/http"
	"net/netip"

	"github.com/gatehouse-go/gatehouse"
)

// A KeyFunc names the bucket a request is charged to. An empty key exempts
// the request from the limit (health checks, internal callers); the
// built-in KeyFuncs never return one. Keys are prefixed by kind ("ip:",
// "tok:", "sub:", "ten:") so that, say, a subject named like an address
// cannot drain that address's bucket.
type KeyFunc func(r *http.Request) string

// ByIP keys by client address: gatehouse.ClientAddr(r), the address
// resolved by ipallow's Resolver when it runs first, else the connection's
// peer. IPv6 clients are grouped by /64 (see [AddrKey]).
func ByIP(r *http.Request) string {
	var buf [64]byte // "ip:" + the longest /64 prefix fits; one allocation
	return string(appendAddrKey(append(buf[:0], "ip:"...), gatehouse.ClientAddr(r)))
}

// ByPrincipal keys by credential: the Principal's TokenID (a JWT "jti", an
// opaque token's or API key's id) when set, else its Subject. Requests
// without a Principal, or whose Principal has neither, are keyed by client
// address as [ByIP] does. It is the Limiter's default.
func ByPrincipal(r *http.Request) string {
	prefix, id := principalKey(r)
	return prefix + id
}

// principalKey is ByPrincipal's key as a prefix and an id, for a
// [partsStore]; an address key comes whole, as the id.
func principalKey(r *http.Request) (prefix, id string) {
	if p, ok := gatehouse.PrincipalFrom(r.Context()); ok {
		if p.TokenID != "" {
			return "tok:", p.TokenID
		}
		if p.Subject != "" {
			return "sub:", p.Subject
		}
	}
	return "", ByIP(r)
}

// BySubject keys by the Principal's Subject (a user or account, across all
// of its tokens), falling back to [ByIP] when there is none.
func BySubject(r *http.Request) string {
	if p, ok := gatehouse.PrincipalFrom(r.Context()); ok && p.Subject != "" {
		return "sub:" + p.Subject
	}
	return ByIP(r)
}

// ByTenant keys by the Principal's Tenant (one bucket per store or
// organisation), falling back to [ByIP] when there is none.
func ByTenant(r *http.Request) string {
	if p, ok := gatehouse.PrincipalFrom(r.Context()); ok && p.Tenant != "" {
		return "ten:" + p.Tenant
	}
	return ByIP(r)
}

// AddrKey returns the rate-limit key of a client address: an IPv4 address
// as itself ("192.0.2.7"), an IPv6 address as its /64 prefix
// ("2001:db8:1:2::/64"), since one IPv6 client typically holds a whole /64,
// and "invalid" for the zero Addr, so that unparseable peers share one
// bucket rather than escaping the limit. IPv4-mapped addresses count as
// IPv4. bearer/issuer uses it to key its login throttle like the
// middleware does.
func AddrKey(a netip.Addr) string { return string(appendAddrKey(nil, a)) }

func appendAddrKey(b []byte, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(b, "invalid"...)
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.AppendTo(b)
	}
	p, _ := a.Prefix(64)
	return p.AppendTo(b)
}

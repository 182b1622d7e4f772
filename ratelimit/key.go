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
func ByIP(r *http.Request) string { return addrKey(r).String() }

// addrKey is ByIP's key in parts: the address is formatted only by
// keyParts.appendTo, on the stack of [MemoryStore.takeParts].
func addrKey(r *http.Request) keyParts {
	var k keyParts
	k.setAddr(r)
	return k
}

// setAddr sets the zero k to addrKey(r), in place.
func (k *keyParts) setAddr(r *http.Request) {
	k.prefix, k.addr, k.byAddr = "ip:", gatehouse.ClientAddr(r), true
}

// ByPrincipal keys by credential, so that each credential has its own
// limit however it is presented:
//
//   - a JWT (Method gatehouse.MethodJWT) by its Tenant and Subject,
//     "jwt:<tenant>/<subject>" with '%' and '/' in the tenant
//     percent-encoded, so that no two (tenant, subject) pairs share a key.
//     Not by its "jti": an issuer mints a new one on every refresh and
//     grant, and a limit keyed by it would start over with each new token.
//     A JWT without a Subject is keyed by client address.
//   - any other Principal (an API key, an opaque token) by its TokenID, the
//     credential's stable id, "tok:<id>"; else by its Subject, "sub:<subject>".
//
// Requests without a Principal, or whose Principal has none of these, are
// keyed by client address as [ByIP] does. It is the Limiter's default.
func ByPrincipal(r *http.Request) string {
	return principalKey(r).String()
}

// principalKey is ByPrincipal's key in parts, for [MemoryStore.takeParts].
func principalKey(r *http.Request) keyParts {
	var k keyParts
	k.setPrincipal(r)
	return k
}

// setPrincipal sets the zero k to principalKey(r), in place: the Limiter's
// hot path fills its key this way rather than copying one back.
func (k *keyParts) setPrincipal(r *http.Request) {
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok {
		if p.Method == gatehouse.MethodJWT {
			if p.Subject != "" {
				k.prefix, k.scope, k.scoped, k.id = "jwt:", p.Tenant, true, p.Subject
				return
			}
		} else if p.TokenID != "" {
			k.prefix, k.id = "tok:", p.TokenID
			return
		} else if p.Subject != "" {
			k.prefix, k.id = "sub:", p.Subject
			return
		}
	}
	k.setAddr(r)
}

// keyParts is a key in pieces, joined by appendTo without an allocation:
// prefix, then either addr's key (when byAddr, see [AddrKey]) or — when
// scoped — scope with '%' and '/' percent-encoded and a '/', then id. The
// encoding makes the first '/' after the prefix the end of the scope, so
// distinct (scope, id) pairs never give the same key. A KeyFunc's key is
// all id. The empty key (no prefix, no id, no address) exempts a request.
type keyParts struct {
	prefix, scope, id string
	addr              netip.Addr
	scoped, byAddr    bool
}

// empty reports whether k is the empty key.
func (k keyParts) empty() bool { return k.prefix == "" && k.id == "" && !k.byAddr }

func (k keyParts) appendTo(b []byte) []byte {
	b = append(b, k.prefix...)
	if k.byAddr {
		return appendAddrKey(b, k.addr)
	}
	if k.scoped {
		for i := 0; i < len(k.scope); i++ {
			switch c := k.scope[i]; c {
			case '%':
				b = append(b, "%25"...)
			case '/':
				b = append(b, "%2F"...)
			default:
				b = append(b, c)
			}
		}
		b = append(b, '/')
	}
	return append(b, k.id...)
}

// String returns the joined key.
func (k keyParts) String() string {
	if !k.scoped && !k.byAddr {
		return k.prefix + k.id
	}
	var buf [64]byte // holds any address key; longer keys spill to the heap
	return string(k.appendTo(buf[:0]))
}

// BySubject keys by the Principal's Subject (a user or account, across all
// of its tokens), falling back to [ByIP] when there is none.
func BySubject(r *http.Request) string {
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok && p.Subject != "" {
		return "sub:" + p.Subject
	}
	return ByIP(r)
}

// ByTenant keys by the Principal's Tenant (one bucket per store or
// organisation), falling back to [ByIP] when there is none.
func ByTenant(r *http.Request) string {
	if p, ok := gatehouse.PrincipalRefFrom(r.Context()); ok && p.Tenant != "" {
		return "ten:" + p.Tenant
	}
	return ByIP(r)
}

// AddrKey returns the rate-limit key of a client address: an IPv4 address
// as itself ("192.0.2.7"), an IPv6 address as its /64 prefix
// ("2001:db8:1:2::/64"), since one IPv6 client typically holds a whole /64,
// and "invalid" for the zero Addr, so that unparseable peers share one
// bucket rather than escaping the limit. IPv4-mapped addresses count as
// IPv4. Packages issuer and tokenendpoint use it to key their failure
// throttles like the middleware does.
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

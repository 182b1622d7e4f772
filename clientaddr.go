package gatehouse

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

type clientAddrKey struct{}

type trustedPeerKey struct{}

// WithTrustedPeer returns a copy of ctx that records that the request's
// peer (the connection's other end) is one of the application's trusted
// proxies. The middleware that resolves the client address behind those
// proxies (ipallow.Resolver) sets it, so that the other headers such a
// proxy sets — a client certificate it forwards after terminating TLS,
// for one — are believed under the same trust rule, and never when a
// client sent them directly.
func WithTrustedPeer(ctx context.Context) context.Context {
	return context.WithValue(ctx, trustedPeerKey{}, true)
}

// TrustedPeer reports whether ctx records, with [WithTrustedPeer], that
// the request's peer is a trusted proxy. Without a resolver in the chain
// no peer is trusted.
func TrustedPeer(ctx context.Context) bool {
	v, _ := ctx.Value(trustedPeerKey{}).(bool)
	return v
}

// WithClientAddr returns a copy of ctx that carries addr as the request's
// resolved client address, normalized as [ClientAddr] promises: an
// IPv4-mapped IPv6 address is unmapped and a zone removed. The ipallow
// package sets it once it has resolved the address behind any trusted
// proxies.
func WithClientAddr(ctx context.Context, addr netip.Addr) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr.Unmap().WithZone(""))
}

// ClientAddrFrom returns the client address stored in ctx with
// [WithClientAddr], and whether there was one.
func ClientAddrFrom(ctx context.Context) (netip.Addr, bool) {
	a, ok := ctx.Value(clientAddrKey{}).(netip.Addr)
	return a, ok
}

// ClientAddr returns the request's client address: the one resolved by
// earlier middleware if any, otherwise the connection's peer address taken
// from r.RemoteAddr. IPv4-mapped IPv6 addresses are unmapped and zones
// removed. It returns the zero Addr when neither is usable; forwarding
// headers are never read here.
func ClientAddr(r *http.Request) netip.Addr {
	if a, ok := ClientAddrFrom(r.Context()); ok {
		return a
	}
	return RemoteAddr(r)
}

// RemoteAddr parses r.RemoteAddr ("ip:port", or a bare IP) into a
// normalized address: unmapped, without zone. It returns the zero Addr when
// RemoteAddr is not an IP address. The common IPv4 "a.b.c.d:port" form
// takes a fast path that does not parse the port.
func RemoteAddr(r *http.Request) netip.Addr {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 && strings.IndexByte(host[:i], ':') < 0 {
		if a, err := netip.ParseAddr(host[:i]); err == nil {
			return a // IPv4: never mapped, never zoned
		}
	}
	return parseRemoteAddr(host)
}

// parseRemoteAddr is RemoteAddr without its fast path: "ip:port", or a
// bare IP, normalized.
func parseRemoteAddr(host string) netip.Addr {
	if ap, err := netip.ParseAddrPort(host); err == nil {
		return ap.Addr().Unmap().WithZone("")
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

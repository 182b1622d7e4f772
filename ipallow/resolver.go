package ipallow

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/textproto"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Header names a [ResolverConfig] gives special meaning to.
const (
	// HeaderXForwardedFor is the de-facto standard list header, the default.
	HeaderXForwardedFor = "X-Forwarded-For"
	// HeaderForwarded is the RFC 7239 header, read through its "for" parameter.
	HeaderForwarded = "Forwarded"
	// HeaderXRealIP is the single-address header nginx and others set.
	HeaderXRealIP = "X-Real-Ip"
)

// ResolverConfig configures a [Resolver]. The zero ResolverConfig trusts no
// proxy: the client address is the connection's peer address and every
// forwarding header is ignored.
type ResolverConfig struct {
	// TrustedProxies lists the IP addresses and CIDR prefixes of the
	// reverse proxies in front of the server ("10.0.0.0/8", "::1"), parsed
	// as by [ParsePrefixes]. A forwarding header is read only when the
	// connection's peer is one of them. Default: none (no proxy is
	// trusted).
	TrustedProxies []string

	// Header names the forwarding header the trusted proxies set; it needs
	// TrustedProxies. Default: [HeaderXForwardedFor].
	//
	//   - "X-Forwarded-For": a comma-separated list, read right to left
	//     across all header lines (merged in order), skipping trusted
	//     addresses; the first untrusted one is the client.
	//   - "Forwarded": RFC 7239, the "for" parameter of each element, read
	//     right to left the same way.
	//   - any other name ("X-Real-IP", "CF-Connecting-IP", …): one header
	//     line holding one address, set (not appended) by the trusted proxy
	//     and taken as is.
	Header string

	// Message is the client-visible message of the 403 its middleware
	// gives. Default: [DefaultMessage].
	Message string
	// Style renders refusals. Default: the request's style (see
	// envelope.Use), else envelope.Nested.
	Style envelope.Style
	// Audit receives an event for every decision of the Middleware.
	// Optional.
	Audit gatehouse.Auditor
	// Now is the audit clock. Default: time.Now.
	Now func() time.Time
}

type headerKind uint8

const (
	kindXFF headerKind = iota
	kindForwarded
	kindSingle
)

// A Resolver determines a request's client address: the connection's peer
// address, or — when that peer is a trusted proxy — the address the
// proxies' forwarding header names.
//
// Addresses are normalised: IPv4-mapped IPv6 addresses are unmapped and
// zones stripped (a zone names an interface of the host that saw the
// address and means nothing to us), so that they compare equal to the
// entries of a [PrefixSet]. r.RemoteAddr is never modified.
//
// A Resolver is immutable and safe for concurrent use. Build it with
// [NewResolver]; the zero Resolver is not usable.
type Resolver struct {
	trusted *PrefixSet
	header  string // canonical header key
	kind    headerKind
	render
}

// NewResolver validates cfg and returns a Resolver. It fails, with an error
// wrapping [ErrConfig] that lists every problem, when an entry of
// TrustedProxies is not an IP or CIDR (wrapping [ErrInvalidPrefix] too),
// when Header is not a valid header name, or when Header is set without
// TrustedProxies (the header would be silently ignored).
func NewResolver(cfg ResolverConfig) (*Resolver, error) {
	var problems []error
	trusted, err := ParsePrefixes(cfg.TrustedProxies)
	if err != nil {
		problems = append(problems, fmt.Errorf("in TrustedProxies: %w", err))
	}
	if cfg.Header != "" && len(cfg.TrustedProxies) == 0 {
		problems = append(problems, fmt.Errorf("the Header %q needs TrustedProxies", cfg.Header))
	}
	h := cfg.Header
	if h == "" {
		h = HeaderXForwardedFor
	}
	if !isToken(h) {
		problems = append(problems, fmt.Errorf("the Header %q is not a header name", cfg.Header))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	r := &Resolver{trusted: trusted, render: newRender(cfg.Style, cfg.Audit, cfg.Now, cfg.Message)}
	r.header = textproto.CanonicalMIMEHeaderKey(h)
	switch r.header {
	case HeaderXForwardedFor:
		r.kind = kindXFF
	case HeaderForwarded:
		r.kind = kindForwarded
	default:
		r.kind = kindSingle
	}
	return r, nil
}

// Resolve returns req's client address, normalised. Without trusted
// proxies, or when the peer is not one of them, it is the peer address and
// no header is read. When the trusted peer sent no forwarding header, it is
// the peer address. When every address in the chain is trusted, it is the
// leftmost one.
//
// Resolve fails closed: a peer address that is not an IP (a Unix socket,
// say) or a forwarding chain that is malformed where it is read — an empty
// entry, "unknown", an obfuscated identifier, garbage, an out-of-range or
// non-canonical IPv4 form such as "010.0.0.1" or "127.1" — is an error, and
// Resolve never falls back to an entry further left. The error is a 403
// *envelope.Error wrapping [ErrNoClientAddr] or [ErrMalformedHeader].
// Resolve does not allocate.
func (r *Resolver) Resolve(req *http.Request) (netip.Addr, error) {
	peer := gatehouse.RemoteAddr(req)
	if !peer.IsValid() {
		return netip.Addr{}, r.errs[rNoAddr]
	}
	if !r.trusts(peer) {
		return peer, nil
	}
	lines := req.Header[r.header]
	if len(lines) == 0 {
		return peer, nil
	}
	var a netip.Addr
	var ok bool
	switch r.kind {
	case kindXFF:
		a, ok = xffClient(lines, r.trusted)
	case kindForwarded:
		a, ok = forwardedClient(lines, r.trusted)
	default:
		if len(lines) == 1 {
			a, ok = parseNode(trimOWS(lines[0]))
		}
	}
	if !ok {
		return netip.Addr{}, r.errs[rMalformed]
	}
	return a, nil
}

// Middleware resolves each request's client address and stores it with
// gatehouse.WithClientAddr, where later middleware (allowlists, rate
// limits, audit events) and handlers read it with gatehouse.ClientAddr.
// When the peer is one of TrustedProxies it also records so with
// gatehouse.WithTrustedPeer, for the other headers the proxy sets (a
// forwarded client certificate, which bearer reads under that rule).
// A request whose address cannot be resolved gets a 403 FORBIDDEN. Each
// request is audited once (Config.Audit): a refusal after it is rendered,
// a resolved request before next runs.
func (r *Resolver) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		a, err := r.Resolve(req)
		if err != nil {
			r.refuse(w, req, "resolve", gatehouse.RemoteAddr(req), nil, err)
			return
		}
		r.allow(req, "resolve", a, nil)
		ctx := gatehouse.WithClientAddr(req.Context(), a)
		if r.trustsPeer(req) {
			ctx = gatehouse.WithTrustedPeer(ctx)
		}
		next.ServeHTTP(w, req.WithContext(ctx))
	})
}

// clientAddr returns the address a policy middleware checks: the one an
// earlier middleware stored, else the one res resolves (stored reports
// that it must be stored for later ones), else the peer address.
func clientAddr(res *Resolver, req *http.Request) (a netip.Addr, store bool, err error) {
	if a, ok := gatehouse.ClientAddrFrom(req.Context()); ok {
		return a, false, nil
	}
	if res == nil {
		return gatehouse.RemoteAddr(req), false, nil
	}
	a, err = res.Resolve(req)
	return a, err == nil, err
}

// trusts reports whether peer is one of the trusted proxies.
func (r *Resolver) trusts(peer netip.Addr) bool {
	return len(r.trusted.v4lo)+len(r.trusted.v6lo) > 0 && r.trusted.Contains(peer)
}

// trustsPeer reports whether req's peer is one of the trusted proxies.
func (r *Resolver) trustsPeer(req *http.Request) bool {
	return r.trusts(gatehouse.RemoteAddr(req))
}

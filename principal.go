package gatehouse

import (
	"context"
	"slices"
	"time"
)

// Method names how a [Principal] proved its identity.
type Method string

// The authentication methods set by gatehouse's own middleware. Other
// middleware may define further values.
const (
	MethodJWT    Method = "jwt"     // a verified JWT bearer token
	MethodOpaque Method = "opaque"  // an opaque bearer token found in a token store
	MethodAPIKey Method = "api_key" // an API key sent in a header
)

// A Principal is the authenticated caller of a request: who it is, on whose
// behalf, what it may do and until when. Authentication middleware stores it
// in the request context with [WithPrincipal]; authorization middleware and
// handlers read it with [PrincipalFrom].
//
// The zero Principal is unauthenticated. A Principal is a value, and
// authentication middleware may share one among every request that
// presents the same credential (see [WithPrincipalRef]). So that no
// caller can change it for the others, [PrincipalFrom], the Check methods
// of gatehouse's middleware and the callbacks they call hand out copies
// with the caller's own Scopes ([Principal.Clone]), and the Claims they
// set are read-only types. Middleware that changes a Principal stores a
// new copy and never mutates the Scopes slice of a Principal it did not
// create.
type Principal struct {
	// Subject identifies the caller: a JWT "sub", a user name, a key's owner.
	Subject string
	// Tenant is the account, store or organisation the caller acts for.
	Tenant string
	// ClientID identifies the client application (RFC 9068 "client_id").
	ClientID string
	// Scopes are the permissions granted, compared exactly and case-sensitively.
	Scopes []string
	// Method says how the caller authenticated.
	Method Method
	// TokenID identifies the credential itself: a JWT "jti", an opaque
	// token's record id or an API key id. It is never the secret.
	TokenID string
	// SessionID groups credentials issued together, such as an access token
	// and its refresh-token family (the JWT "sid" claim).
	SessionID string
	// ExpiresAt is when the credential stops being valid; zero means never.
	ExpiresAt time.Time
	// Confirmation is the key the credential is bound to (the JWT "cnf"
	// claim, RFC 7800), checked for this request: zero for a plain bearer
	// credential.
	Confirmation Confirmation
	// Claims holds the verified raw material the Principal was built from:
	// the JWT claims, or the API key's or opaque token's stored record. Its
	// dynamic type is documented by the middleware that set it; gatehouse's
	// own middleware stores read-only types that hand out copies, since
	// one value is shared by every request with the same credential.
	// Claims set by other middleware must be treated as read-only too.
	Claims any
}

// Clone returns a copy of p with its own Scopes: changing the copy's Scopes,
// by append or by index, leaves p's untouched. Claims is copied as is.
func (p Principal) Clone() Principal {
	if p.Scopes != nil {
		p.Scopes = slices.Clone(p.Scopes)
	}
	return p
}

// IsZero reports whether p is the zero Principal, which stands for "no
// authentication": every field is zero and Scopes is empty. Middleware
// that needs an authenticated request (scopes, per-principal allowlists)
// refuses a zero Principal as it refuses a request without one; a
// Principal with any field set, even only Tenant, counts as authenticated.
func (p Principal) IsZero() bool {
	return p.Subject == "" && p.Tenant == "" && p.ClientID == "" && len(p.Scopes) == 0 &&
		p.Method == "" && p.TokenID == "" && p.SessionID == "" && p.ExpiresAt.IsZero() &&
		p.Confirmation == Confirmation{} && p.Claims == nil
}

// A Confirmation names the key a sender-constrained credential is bound
// to, as the "cnf" claim does. The request that carried the credential
// proved possession of that key.
type Confirmation struct {
	// JKT is the RFC 7638 thumbprint of a DPoP proof key (RFC 9449 §6):
	// the request carried a DPoP proof signed with it.
	JKT string
	// X5TS256 is the base64url SHA-256 of a client certificate (RFC 8705
	// §3.1, "x5t#S256"): the request came over a TLS connection
	// authenticated with it.
	X5TS256 string
}

// HasScope reports whether p was granted scope, compared exactly.
func (p Principal) HasScope(scope string) bool {
	return slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// inlineScopes is how many scopes a principalCtx copies for the request
// in its own allocation; PrincipalFrom copies more on the heap.
const inlineScopes = 4

// A principalCtx carries a Principal that may be shared with other
// requests, and this request's own copy of its Scopes when they fit, made
// in the same allocation as the context: so PrincipalFrom hands out
// Scopes no other request sees without allocating.
type principalCtx struct {
	context.Context
	p      *Principal
	scopes [inlineScopes]string
}

func (c *principalCtx) Value(key any) any {
	if _, ok := key.(principalKey); ok {
		return c
	}
	return c.Context.Value(key)
}

func (c *principalCtx) String() string {
	if s, ok := c.Context.(interface{ String() string }); ok {
		return s.String() + ".WithPrincipal"
	}
	return "context.WithPrincipal"
}

// WithPrincipal returns a copy of ctx that carries a copy of p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return WithPrincipalRef(ctx, &p)
}

// WithPrincipalRef returns a copy of ctx that carries *p without copying
// the Principal itself. It is for middleware that builds one Principal per
// credential and caches it (a verified-token cache, an API-key record).
// *p, including its Scopes slice, must never be modified after the call,
// by anyone. The context keeps the request's own copy of up to 4 scopes in
// its one allocation, for [PrincipalFrom]. A nil p stores nothing.
func WithPrincipalRef(ctx context.Context, p *Principal) context.Context {
	if p == nil {
		return ctx
	}
	if ctx == nil {
		panic("gatehouse: WithPrincipalRef with a nil parent context")
	}
	c := &principalCtx{Context: ctx, p: p}
	copy(c.scopes[:], p.Scopes) // used only when they all fit
	return c
}

// PrincipalFrom returns a copy of the Principal stored in ctx by
// authentication middleware, and whether there was one. Its Scopes are the
// request's own: a handler may append to them or change them without
// changing the Principal of any other request, even one that presents the
// same cached credential, nor what middleware reading [PrincipalRefFrom]
// sees. Within one request, PrincipalFrom returns the same Scopes each
// time when there are at most 4, and a new copy otherwise.
func PrincipalFrom(ctx context.Context) (p Principal, ok bool) {
	c, ok := ctx.Value(principalKey{}).(*principalCtx)
	if ok {
		p = *c.p
		p.Scopes = c.ownScopes()
	}
	return p, ok
}

// ownScopes returns the request's own copy of the Principal's Scopes: the
// one WithPrincipalRef made when they fit, else a new one. Empty Scopes
// are returned without their capacity (nil stays nil), so that an append
// cannot write into the shared array.
func (c *principalCtx) ownScopes() []string {
	s := c.p.Scopes
	if n := len(s); n > 0 && n <= inlineScopes {
		return c.scopes[:n:n]
	} else if n > inlineScopes {
		return slices.Clone(s)
	}
	return s[:0:0]
}

// PrincipalRefFrom returns a pointer to the Principal stored in ctx, without
// copying it, and whether there was one. It is for hot-path readers such as
// authorization and rate-limit middleware. The Principal may be shared by
// many requests (see [WithPrincipalRef]): callers must treat it, its Scopes
// and its Claims as read-only, and hand user code (a handler, a callback)
// a [Principal.Clone], never *p. Handlers use [PrincipalFrom].
func PrincipalRefFrom(ctx context.Context) (*Principal, bool) {
	c, ok := ctx.Value(principalKey{}).(*principalCtx)
	if !ok {
		return nil, false
	}
	return c.p, true
}

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
// The zero Principal is unauthenticated. A Principal is a value: middleware
// that changes one stores a new copy and never mutates the Scopes slice of
// a Principal it did not create.
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
	// Claims holds the verified raw material the Principal was built from:
	// the JWT claims, or the API key's or opaque token's stored record. Its
	// dynamic type is documented by the middleware that set it. It may be
	// shared with other requests: read it, never modify it.
	Claims any
}

// HasScope reports whether p was granted scope, compared exactly.
func (p Principal) HasScope(scope string) bool {
	return slices.Contains(p.Scopes, scope)
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx that carries p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, &p)
}

// WithPrincipalRef returns a copy of ctx that carries *p without copying it.
// It is for middleware that builds one Principal per credential and caches
// it (a verified-token cache, an API-key record): storing the shared pointer
// saves an allocation per request. *p, including its Scopes slice, must
// never be modified after the call, by anyone. A nil p stores nothing.
func WithPrincipalRef(ctx context.Context, p *Principal) context.Context {
	if p == nil {
		return ctx
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the Principal stored in ctx by authentication
// middleware, and whether there was one.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	if !ok {
		return Principal{}, false
	}
	return *p, true
}

// PrincipalRefFrom returns a pointer to the Principal stored in ctx, without
// copying it, and whether there was one. It is for hot-path readers such as
// authorization and rate-limit middleware. The Principal may be shared by
// many requests (see [WithPrincipalRef]): callers must treat it, its Scopes
// and its Claims as read-only.
func PrincipalRefFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok
}

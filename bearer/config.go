package bearer

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures an [Authenticator]. Zero fields take the documented
// defaults; [New] rejects an inconsistent Config with an error wrapping
// [ErrConfig]. A Config must enable JWTs (Keys or JWKS, with Algorithms),
// opaque tokens (Tokens), or both; a token with the shape of a JWS (three
// dot-separated parts) is verified as a JWT when JWTs are enabled, anything
// else is looked up in Tokens.
type Config struct {
	// Realm is sent in WWW-Authenticate challenges; "" means "api".
	Realm string

	// Algorithms is the explicit allowlist of JWS algorithms (e.g.
	// "RS256", "ES256", "EdDSA", "HS256"). Required with Keys or JWKS;
	// "none" is refused in any spelling.
	Algorithms []string
	// Keys are the static verification keys. Each is bound to one
	// algorithm that must be in Algorithms; with more than one key every
	// key needs a distinct ID, matched against the token's "kid".
	Keys []Key
	// JWKS adds keys from a remote JWK Set (OpenID provider). Keys whose
	// "kid" is in Keys are never looked up remotely.
	JWKS JWKS

	// Issuers are the accepted "iss" values, matched exactly; empty means
	// "iss" is not checked.
	Issuers []string
	// Audiences are the accepted "aud" values: the token must name at
	// least one of them ("aud" as a string or an array). Empty means "aud"
	// is not checked; otherwise a token without "aud" is refused.
	Audiences []string
	// Type, when set, is the required "typ" header, e.g. "at+jwt" (RFC
	// 9068), compared case-insensitively with or without the
	// "application/" prefix. It keeps ID and refresh tokens out.
	Type string
	// Leeway allows for clock skew when checking "exp", "nbf" and "iat";
	// at most MaxLeeway. Zero means none.
	Leeway time.Duration
	// RequiredClaims must be present (and not null) in every JWT, in
	// addition to "exp", which always is. With Revocations set, "jti" is
	// required too, so that every accepted token can be revoked.
	RequiredClaims []string
	// TenantClaim names the claim copied to Principal.Tenant; "" means
	// "tenant".
	TenantClaim string
	// Validate, when set, is a claims-only check: it is called once per
	// token, when the token is first verified, and its verdict is cached
	// with the token — it is NOT called again while the token is served
	// from the cache. An error refuses the token with 401 (the error is
	// never sent to the client). ctx is the first request's context, for
	// cancellation only: do not read request values from it or make
	// decisions that depend on the request, the time or external state
	// (is the account still active?), since later requests with the same
	// token skip them. Put per-request checks in a middleware after the
	// Authenticator, reading gatehouse.PrincipalFrom.
	Validate func(ctx context.Context, claims Claims) error
	// Custom, when set, decodes the claims into an application type (see
	// [Custom]); Principal.Claims then holds that value. Its validation
	// runs once per token, like Validate.
	Custom CustomClaims

	// Revocations, when set, is asked on every request (cache hits
	// included), in one call, whether the token was revoked: its "jti",
	// its session (the "sid" claim) or every token of its subject issued
	// up to a not-before instant (compared with "iat"). Tokens without a
	// "jti" are then refused.
	Revocations RevocationStore
	// Tokens, when set, enables opaque bearer tokens looked up by hash.
	Tokens TokenStore

	// CacheSize bounds the cache of verified JWTs. nil means
	// DefaultCacheSize; a pointer to 0 (new(0)) disables the cache.
	CacheSize *int
	// CacheMaxAge caps how long a verified JWT stays cached, whatever its
	// "exp": an entry lives until the earlier of the token's expiry and
	// its verification time plus CacheMaxAge, after which the token is
	// verified again. Zero means DefaultCacheMaxAge (10 minutes); it must
	// not be negative. Independently, a hit for a token verified with a
	// JWKS key is served only while that key is still in the set, so
	// withdrawing a key takes effect at the next refresh.
	CacheMaxAge time.Duration

	// Optional lets requests without any Authorization header through
	// without a Principal; a present but bad credential is still refused.
	Optional bool

	// Style renders refusals; nil uses the request's style (envelope.Use),
	// else envelope.Nested.
	Style envelope.Style
	// Message, when set, is the client-facing message of every 401
	// refusal, whatever its cause (such as "Invalid or missing API token"
	// for all of them). The WWW-Authenticate header keeps the
	// specific error_description. "" means a message per cause.
	Message string
	// Audit receives every decision (never token material); nil disables.
	// gatehouse.SlogAuditor adapts a *slog.Logger.
	Audit gatehouse.Auditor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

package bearer

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures an [Authenticator]. Zero fields take the documented
// defaults; [New] rejects an inconsistent Config with an error wrapping
// [ErrConfig] that lists every problem. A Config must enable JWTs (Keys or
// JWKS, with Algorithms), opaque tokens (Tokens), or both; a token with the
// shape of a JWS (three dot-separated parts) is verified as a JWT when JWTs
// are enabled, anything else is looked up in Tokens.
type Config struct {
	// Realm is the realm parameter of the WWW-Authenticate challenges
	// (see the gatehouse package documentation). Default: "" (no realm
	// parameter).
	Realm string

	// Algorithms is the explicit allowlist of JWS algorithms (e.g.
	// "RS256", "ES256", "EdDSA", "HS256"); "none" is refused in any
	// spelling. Required with Keys or JWKS.
	Algorithms []string
	// Keys are the static verification keys. Each is bound to one
	// algorithm that must be in Algorithms; with more than one key every
	// key needs a distinct ID, matched against the token's "kid".
	// Optional.
	Keys []Key
	// JWKS adds keys from a remote JWK Set (OpenID provider). Keys whose
	// "kid" is in Keys are never looked up remotely. Optional.
	JWKS JWKS

	// Issuers are the accepted "iss" values, matched exactly. Default: none
	// ("iss" is not checked).
	Issuers []string
	// Audiences are the accepted "aud" values: the token must name at
	// least one of them ("aud" as a string or an array), and a token
	// without "aud" is refused. Default: none ("aud" is not checked).
	Audiences []string
	// TokenType is the required "typ" header, e.g. "at+jwt" (RFC 9068),
	// compared case-insensitively with or without the "application/"
	// prefix. It keeps ID and refresh tokens out. Default: "" ("typ" is
	// not checked).
	TokenType string
	// Leeway allows for clock skew when checking "exp", "nbf" and "iat";
	// at most MaxLeeway. Default: 0.
	Leeway time.Duration
	// RequiredClaims must be present (and not null) in every JWT, in
	// addition to "exp", which always is. With Revocations set, "jti" is
	// required too, so that every accepted token can be revoked. Optional.
	RequiredClaims []string
	// TenantClaim names the claim copied to Principal.Tenant. Default:
	// "tenant".
	TenantClaim string
	// Validate is a claims-only check: it is called once per token, when
	// the token is first verified, and its verdict is cached with the
	// token — it is NOT called again while the token is served from the
	// cache. An error refuses the token with 401 (the error is never sent
	// to the client). ctx is the first request's context, for
	// cancellation only: do not read request values from it or make
	// decisions that depend on the request, the time or external state
	// (is the account still active?), since later requests with the same
	// token skip them. Put per-request checks in a middleware after the
	// Authenticator, reading gatehouse.PrincipalFrom. Optional.
	Validate func(ctx context.Context, claims Claims) error
	// Custom decodes the claims into an application type (see [Custom]);
	// Principal.Claims then holds that value. Its validation runs once per
	// token, like Validate. Optional.
	Custom CustomClaims

	// Revocations is asked on every request (cache hits included), in one
	// call, whether the token was revoked: its "jti", its session (the
	// "sid" claim) or every token of its subject issued up to a not-before
	// instant (compared with "iat"). Tokens without a "jti" are then
	// refused. Optional.
	Revocations RevocationStore
	// Tokens enables opaque bearer tokens looked up by hash. Optional.
	Tokens TokenStore

	// CacheSize bounds the cache of verified JWTs; a pointer to 0 (new(0))
	// disables the cache. Default: DefaultCacheSize.
	CacheSize *int
	// CacheMaxAge caps how long a verified JWT stays cached, whatever its
	// "exp": an entry lives until the earlier of the token's expiry and
	// its verification time plus CacheMaxAge, after which the token is
	// verified again; it must not be negative. Independently, a hit for a
	// token verified with a JWKS key is served only while that key is
	// still in the set, so withdrawing a key takes effect at the next
	// refresh. Default: DefaultCacheMaxAge (10 minutes).
	CacheMaxAge time.Duration

	// Optional lets requests without any Authorization header through
	// without a Principal; a present but bad credential is still refused.
	// Default: false.
	Optional bool

	// Style renders refusals. Default: the request's style (envelope.Use),
	// else envelope.Nested.
	Style envelope.Style
	// Message is the client-facing message of every 401 refusal, whatever
	// its cause ("Invalid or missing API token" for all of them, say). The
	// WWW-Authenticate header keeps the specific error_description.
	// Default: "" (a message per cause, see [Refusals]).
	Message string
	// Audit receives every decision (never token material);
	// gatehouse.SlogAuditor adapts a *slog.Logger. Optional.
	Audit gatehouse.Auditor
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

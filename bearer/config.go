package bearer

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Config configures an [Authenticator]. Zero fields take the documented
// defaults; [New] rejects an inconsistent Config with an error wrapping
// [ErrConfig] that lists every problem. A Config must enable JWTs, opaque
// tokens (Tokens), or both; a token with the shape of a JWS (three
// dot-separated parts) is verified as a JWT when JWTs are enabled, anything
// else is looked up in Tokens.
//
// JWTs are enabled in one of two ways:
//
//   - Issuers: every accepted issuer with its own keys (static, a JWK Set
//     URL, or a set found by OpenID discovery). A JWT is verified only
//     with the keys of the Issuer whose URL equals its "iss"; a token of
//     any other issuer is refused without a network request.
//   - Keys and JWKSURL without Issuers: one key source for tokens whose
//     "iss" is not checked (an internal HMAC-signed token without "iss",
//     say).
//
// Algorithms, Audiences, TokenType and TenantClaim apply to the keys of
// the second form, and to every Issuer that leaves its own field empty.
type Config struct {
	// Realm is the realm parameter of the WWW-Authenticate challenges
	// (see the gatehouse package documentation). Default: "" (no realm
	// parameter).
	Realm string

	// Issuers are the accepted token issuers, each with its keys. Optional.
	Issuers []Issuer

	// Keys are static verification keys for tokens whose issuer is not
	// checked; only without Issuers. Each is bound to one algorithm that
	// must be in Algorithms; with more than one key every key needs a
	// distinct ID, matched against the token's "kid". Optional.
	Keys []Key
	// JWKSURL is a JWK Set for tokens whose issuer is not checked; only
	// without Issuers. Keys whose "kid" is in Keys are never looked up in
	// it. Optional.
	JWKSURL string

	// Algorithms is the explicit allowlist of JWS algorithms (e.g.
	// "RS256", "ES256", "EdDSA", "HS256") of Keys and JWKSURL, and of every
	// Issuer without its own; "none" is refused in any spelling.
	Algorithms []string
	// Audiences are the accepted "aud" values, for Keys and JWKSURL and
	// every Issuer without its own: the token must name at least one of
	// them ("aud" as a string or an array), and a token without "aud" is
	// refused. Default: none ("aud" is not checked).
	Audiences []string
	// TokenType is the required "typ" header, e.g. "at+jwt" (RFC 9068),
	// compared case-insensitively with or without the "application/"
	// prefix, for Keys and JWKSURL and every Issuer without its own. It
	// keeps ID and refresh tokens out. Default: "" ("typ" is not checked).
	TokenType string
	// TenantClaim names the claim copied to Principal.Tenant, for Keys and
	// JWKSURL and every Issuer without its own. Default: "tenant".
	TenantClaim string

	// Fetch configures how JWK Sets and discovery documents are fetched
	// and refreshed, for every issuer.
	Fetch Fetch
	// WaitReady makes New wait, at most this long, until every issuer has
	// a usable key set (see [Authenticator.Ready]); New then fails with an
	// error wrapping [ErrUnavailable] if one has none. Default: 0 (New
	// does not wait: the sets are fetched in the background and tokens of
	// an issuer without keys yet are answered 503).
	WaitReady time.Duration
	// Logger receives key-set and discovery failures (at Warn, naming the
	// issuer, the attempt and the error) and the recovery that follows
	// them (at Info). Default: slog.Default() as it is when New runs, so
	// that a failure is never silent; give slog.New(slog.DiscardHandler)
	// to silence them.
	Logger *slog.Logger

	// Metadata describes this API as an OAuth protected resource (RFC
	// 9728). When its Resource is set, every Bearer challenge carries a
	// resource_metadata parameter naming the document's URL, and
	// [Authenticator.MetadataHandler] serves the document. Its
	// AuthorizationServers default to the Issuers' URLs. Optional.
	Metadata ResourceMetadata

	// Leeway allows for clock skew when checking "exp", "nbf" and "iat";
	// at most MaxLeeway. Default: 0.
	Leeway time.Duration
	// RequiredClaims must be present (and not null) in every JWT, in
	// addition to "exp", which always is. With Revocations set, "jti" is
	// required too, so that every accepted token can be revoked. Optional.
	RequiredClaims []string
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
	// Custom decodes the claims into an application type (see [Custom]),
	// which CustomFrom and CustomOf hand out. Its validation runs once per
	// token, like Validate. Optional.
	Custom CustomClaims

	// Revocations is asked on every request that presents a JWT (cache
	// hits included), in one call, whether the token was revoked: its
	// "jti", its session (the "sid" claim) or every token of its subject
	// issued up to a not-before instant (compared with "iat"). JWTs without
	// a "jti" are then refused. An opaque token is revoked in its
	// TokenStore (TokenRecord.Revoked), which every request reads, not
	// here. Optional.
	Revocations RevocationStore
	// Tokens enables opaque bearer tokens looked up by hash. Optional.
	Tokens TokenStore

	// DPoP accepts sender-constrained tokens (RFC 9449): "Authorization:
	// DPoP <token>" with a DPoP proof header. Default: off. Whatever the
	// mode, a token bound to a key ("cnf" "jkt") is refused unless it
	// comes with a valid proof made with that key: never as a plain
	// bearer token.
	DPoP DPoP
	// ClientCertHeader names the header in which a trusted proxy that
	// terminates TLS forwards the client certificate it authenticated,
	// as RFC 9440's Client-Cert (":" base64 DER ":"). It is read only when
	// gatehouse.TrustedPeer says the request's peer is a trusted proxy
	// (ipallow.Resolver decides), so a client can never send it itself;
	// otherwise the certificate of the request's own TLS connection is
	// used. A token bound to a certificate ("cnf" "x5t#S256", RFC 8705 §3)
	// is accepted only when that certificate's SHA-256 matches. Default:
	// "" (the TLS connection's certificate only).
	ClientCertHeader string

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

// An Issuer is one accepted token issuer: the "iss" it writes and the keys
// it signs with. Its empty fields take the Config's values.
type Issuer struct {
	// URL is the issuer identifier, compared exactly with the token's
	// "iss" (no normalisation: "https://idp.example.com/" and
	// "https://idp.example.com" differ). For discovery it must be an https
	// URL (http for a loopback host or with Fetch.AllowHTTP) without query
	// or fragment. Required.
	URL string
	// Keys are static verification keys of this issuer, as Config.Keys.
	// Optional.
	Keys []Key
	// JWKSURL is this issuer's JWK Set. Default: with no Keys, the
	// "jwks_uri" of the issuer's discovery document, read from
	// URL + "/.well-known/openid-configuration" (OpenID Connect Discovery
	// 1.0), else from the RFC 8414 authorization server metadata; with
	// Keys, none.
	JWKSURL string
	// Algorithms this issuer signs with. Default: Config.Algorithms.
	Algorithms []string
	// Audiences accepted in this issuer's tokens. Default:
	// Config.Audiences.
	Audiences []string
	// TokenType is the "typ" this issuer's access tokens carry: "at+jwt"
	// for RFC 9068 profiles (Auth0's, for one), "JWT" for Entra ID and
	// Keycloak; leave it and Config.TokenType empty for an issuer that sends
	// none (Okta's custom authorization servers). Default: Config.TokenType.
	TokenType string
	// TenantClaim names the claim copied to Principal.Tenant. Default:
	// Config.TenantClaim, else "tenant".
	TenantClaim string
	// ScopeClaim names the one claim read for Principal.Scopes, as a
	// space-delimited string or an array of strings ("permissions" for
	// Auth0 RBAC, "roles" for Entra ID application roles). Default: ""
	// (the "scope", "scp" or "scopes" claim, see
	// [gatehouse.ScopesFromClaims]).
	ScopeClaim string
}

// Fetch configures how JWK Sets and discovery documents are fetched. A
// set is refreshed when its response's Cache-Control max-age (less its
// Age) runs out, clamped to [MinRefresh, MaxRefresh], and revalidated with
// If-None-Match when the provider sent an ETag: a 304 keeps the set. A
// failed fetch keeps the last good keys and is retried after 1 s, 2 s,
// 4 s, … up to MinRefresh, and never before a 429 or 503 response's
// Retry-After (honoured up to MaxRefresh). An https issuer's discovered
// "jwks_uri" must be https; a discovered URL that fails three times in a
// row is discovered again. URLs are logged without password or query.
type Fetch struct {
	// AllowHTTP permits plain-http URLs to non-loopback hosts. Default:
	// false (https only, or http to a loopback host).
	AllowHTTP bool
	// Client fetches the sets and documents; its transport is wrapped to
	// enforce MaxBytes and its redirects to follow the URL rules. Default:
	// a client with Timeout.
	Client *http.Client
	// Timeout bounds one HTTP request (Client.Timeout, when set,
	// replaces it); a refresh that discovers the set's URL first makes up
	// to three. Default: 10s.
	Timeout time.Duration
	// MaxBytes caps the size of a response. Default: 1 MiB.
	MaxBytes int64
	// MinRefresh and MaxRefresh bound the time between two refreshes of a
	// set. Default: 1m and 24h.
	MinRefresh, MaxRefresh time.Duration
	// Refresh is the time between refreshes when the provider sends no
	// max-age. Default: 1h.
	Refresh time.Duration
	// UnknownKIDInterval is the minimum time between two fetches of an
	// issuer's set made because a token's "kid" was unknown (the issuer
	// rotated its keys, or someone sends made-up kids). A token with an
	// unknown kid that arrives sooner is refused at once, and the set is
	// fetched when the interval ends, so a new key is accepted at most
	// UnknownKIDInterval after the provider published it. Default: 10s.
	UnknownKIDInterval time.Duration
	// UnknownKIDWait bounds how long a request with an unknown kid waits
	// for the fetch it started or found under way. Default: 2s.
	UnknownKIDWait time.Duration
	// OnResult, when set, is called after every refresh of a remote key
	// set, successful or not, with its [FetchResult]: for metrics (package
	// otelgatehouse counts them) or an alert. It is called from the set's
	// fetching goroutine, never on a request's path, one call at a time
	// per set; it must return quickly. Optional.
	OnResult func(FetchResult)
}

// DPoP configures the DPoP scheme of an [Authenticator].
type DPoP struct {
	// Mode says whether the DPoP scheme is accepted, and whether the
	// Bearer scheme still is. Default: DPoPOff.
	Mode DPoPMode
	// Verifier checks the proofs (see package dpop): its algorithms, iat
	// window, replay store (shared by the fleet for replays to be refused
	// across instances) and nonces. Required unless Mode is DPoPOff.
	Verifier *dpop.Verifier
}

// A DPoPMode says which schemes an [Authenticator] accepts.
type DPoPMode uint8

// The modes of [DPoP].
const (
	// DPoPOff accepts the Bearer scheme only; "DPoP" is another scheme.
	DPoPOff DPoPMode = iota
	// DPoPAllowed accepts both schemes: a token bound to a key with a
	// valid DPoP proof, and an unbound token as a bearer token. Refusals
	// carry both challenges.
	DPoPAllowed
	// DPoPRequired accepts the DPoP scheme only: a request with a Bearer
	// token is answered as one without credentials.
	DPoPRequired
)

package tokenendpoint

import (
	"encoding/json"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// Defaults of the zero Config fields.
const (
	defaultAccessTTL       = time.Hour        // session-token lifetime
	defaultAssertionWindow = 5 * time.Minute  // how old an assertion's iat may be
	defaultAssertionLeeway = 30 * time.Second // how far ahead an assertion's iat may be
	defaultMaxBodyBytes    = 4 << 10          // token-request body cap
	defaultReplayClaim     = "jti"            // the single-use assertion claim (RFC 7523 §3)
)

// Config configures an [Endpoint]. Issuer, Key and Clients are required;
// every other zero field has the default its comment names.
type Config struct {
	// Issuer is the "iss" claim of the tokens; the bearer middleware's
	// Issuers must list it. Required.
	Issuer string
	// Audiences is the "aud" claim of the tokens (a string when it has one
	// member). Default: []string{Issuer}.
	Audiences []string
	// Key signs the tokens: an HMAC secret (HS256 by default) or an ECDSA /
	// Ed25519 / RSA private key. Configure the bearer middleware with
	// BearerConfig. Required.
	Key SigningKey
	// TokenType is the "typ" header of the tokens: "at+jwt" (RFC 9068) or
	// "JWT"; every other value is a configuration error (see
	// issuer.Config.TokenType for the trade-off). Default: "at+jwt".
	TokenType string
	// AccessTTL is the lifetime of the tokens; at least one second.
	// Default: 1h.
	AccessTTL time.Duration

	// Clients finds the registered clients. Required.
	Clients ClientStore
	// Replay remembers, per client, the replay claim of every accepted
	// jwt-bearer assertion for AssertionWindow + AssertionLeeway (as long
	// as an assertion carrying it could be accepted) and one second more:
	// when a MemoryReplay is full of live keys (in all, or of one client),
	// assertion grants answer 503 rather than forget one. Default: a new MemoryReplay on Now
	// with the default bounds (single instance only).
	Replay ReplayStore
	// Throttle limits failed client authentications per client address
	// (key "ip:" + ratelimit.AddrKey(addr): an IPv4 address, an IPv6 /64)
	// and per client ("client:" and the SHA-256 of the client_id,
	// base64url encoded: a client_id may be a secret, such as an API key,
	// and is never written to the throttle's store as it is). Each
	// attempt is counted (Begin)
	// before the client is looked up; a throttle with BeginAll and Settle
	// (ratelimit.FailureThrottle) counts and settles both keys with one
	// call each. Optional.
	Throttle Throttle

	// AssertionAudiences lists the identifiers of this server that a
	// jwt-bearer assertion's "aud" may name (RFC 7523 §3): the issuer's
	// identifier, the token endpoint's URL. An assertion with an aud
	// naming none of them is invalid_grant; one without aud is accepted.
	// Default: []string{Issuer}.
	AssertionAudiences []string
	// AssertionWindow is how old an assertion's iat may be. Default: 5
	// minutes.
	AssertionWindow time.Duration
	// AssertionLeeway is how far in the future an assertion's iat may be,
	// for clock skew; it may not exceed AssertionWindow. Default: 30 s.
	AssertionLeeway time.Duration
	// ReplayClaim names the assertion claim that makes an assertion
	// single-use: it must be present, a non-empty string or a JSON integer
	// (taken as its decimal digits, so 12345 and "12345" are one key) of at
	// most 256 bytes, and an assertion whose value the client already used
	// within AssertionWindow + AssertionLeeway is invalid_grant. It is made
	// of letters, digits and "_-.:", and is not iat, exp, nbf, iss, sub or
	// aud. Default: "jti" (RFC 7523 §3).
	ReplayClaim string
	// Assertion reads the application claims of an assertion whose header,
	// signature, registered claims and replay claim were verified (before
	// the replay claim is spent), given its JSON claims and the replay
	// claim's value, and returns the claims the client session's token
	// carries besides the endpoint's: a value that marshals to a JSON
	// object (a struct or a map), or nil for none (a nil map or pointer,
	// which marshals to null, too). Its error refuses the
	// grant with 400 invalid_grant: an error made by InvalidGrant gives the
	// description, any other the generic "Invalid assertion". The claims
	// may not name, in any letter case, a claim the endpoint sets (iss,
	// sub, aud, exp, nbf, iat, jti, client_id, scope, sid, tenant,
	// session_kind) nor scp, scopes, cnf, typ, token_use or auth_time: the
	// grant then fails with 500. Decode with envelope.Decoder{
	// AllowUnknownFields: true}.Unmarshal so that a claim given twice or
	// in another letter case is refused. Without it the token carries no
	// application claims. Optional.
	Assertion func(claims json.RawMessage, replayKey string) (any, error)

	// DPoP verifies the DPoP proofs of token requests (RFC 9449 §5): a
	// request whose DPoP header carries a valid proof, made for POST and
	// the token endpoint's URI (the verifier's Origin and the request
	// path), gets an access token bound to the proof's key — a "cnf"
	// claim with the key's RFC 7638 thumbprint as "jkt" — and the token
	// type "DPoP". A refused proof is 400 invalid_dpop_proof, a proof
	// without the verifier's current nonce 400 use_dpop_nonce with a
	// DPoP-Nonce header, a failing replay store 503. A request without a
	// DPoP header gets a bearer token, unless RequireDPoP or the client's
	// Client.RequireDPoP says otherwise. Without DPoP the header is
	// ignored and every token is a bearer token. The proof is checked before any
	// credential, so anyone can spend proof ids in the verifier's replay
	// store: keep a rate limit in front. Optional.
	DPoP *dpop.Verifier
	// RequireDPoP refuses, with 400 invalid_dpop_proof, every token
	// request without a DPoP proof: the endpoint issues DPoP-bound tokens
	// only. It needs DPoP. Client.RequireDPoP requires it of one client.
	RequireDPoP bool

	// MaxBodyBytes caps token-request bodies. Default: 4096.
	MaxBodyBytes int64
	// Realm is the realm of the Basic challenge sent with invalid_client.
	// Default: Issuer.
	Realm string
	// Style renders errors, whatever the request's style. Default:
	// envelope.OAuth (RFC 6749 §5.2).
	Style envelope.Style
	// Audit receives one event per token request; events never carry
	// secrets or assertions. Optional.
	Audit gatehouse.Auditor
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// A SigningKey is the private key the endpoint signs tokens with.
type SigningKey struct {
	// ID is the "kid" header. Default: none for an HMAC secret, and the RFC
	// 7638 JWK thumbprint of the public key for an asymmetric key.
	ID string
	// Algorithm is the JWS "alg". Default: HS256 for a []byte key,
	// ES256/ES384/ES512 by curve for an *ecdsa.PrivateKey, EdDSA for an
	// ed25519.PrivateKey and RS256 for an *rsa.PrivateKey.
	Algorithm string
	// Key is a []byte HMAC secret (at least as long as the hash: 32 bytes
	// for HS256), an *ecdsa.PrivateKey, an ed25519.PrivateKey or an
	// *rsa.PrivateKey (at least 2048 bits). Required.
	Key any
}

package issuer

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// An Issuer issues and revokes tokens: access JWTs signed with one key,
// rotating refresh tokens (opaque, or JWTs) grouped in families, and the Login,
// Refresh and Logout handlers built on them. It is immutable after New and
// safe for concurrent use.
type Issuer struct {
	signer        *signer
	rtJWT         bool // Config.RefreshTokenFormat == RefreshJWT
	issuer        string
	audience      []string
	audJSON       json.RawMessage
	accessTTL     time.Duration
	refreshTTL    time.Duration
	refreshMax    time.Duration // Config.RefreshMaxAge; 0 means none
	reuseGrace    time.Duration // Config.RefreshReuseGrace; 0 means none
	refresh       RefreshStore
	credentials   CredentialStore
	revoker       Revoker
	accounts      AccountChecker
	throttle      Throttle
	dummyHash     []byte
	token         tokenConfig
	decoder       envelope.Decoder
	challenge     string          // for a malformed or foreign access token
	challengeNone string          // for a request without bearer credentials
	errManyAuth   *envelope.Error // Logout's 400 for several Authorization lines
	errManyWays   *envelope.Error // Logout's 400 for a token sent by more than one method
	style         envelope.Style
	audit         gatehouse.Auditor
	now           func() time.Time
}

// New validates cfg and returns an Issuer. It fails when Issuer, Key or
// Revocations is missing, both Credentials and Clients are, the key does
// not suit its algorithm, a lifetime is negative, TokenType or
// RefreshTokenFormat is unknown, or, with RefreshJWT, Audience is empty
// (it would default to the Issuer) or names the Issuer. With Credentials,
// building the dummy bcrypt hash costs one hash at BcryptCost.
func New(cfg Config) (*Issuer, error) {
	if cfg.Issuer == "" {
		return nil, errors.New("issuer: Config.Issuer is required")
	}
	if cfg.Credentials == nil && cfg.Clients == nil {
		return nil, errors.New("issuer: Config.Credentials (login) or Config.Clients (token endpoint) is required")
	}
	if cfg.Revocations == nil {
		return nil, errors.New("issuer: Config.Revocations is required (the bearer middleware's revocation store)")
	}
	if cfg.AccessTTL < 0 || cfg.RefreshTTL < 0 || cfg.RefreshMaxAge < 0 || cfg.MaxBodyBytes < 0 {
		return nil, errors.New("issuer: negative AccessTTL, RefreshTTL, RefreshMaxAge or MaxBodyBytes")
	}
	typ := orDefault(cfg.TokenType, AccessTokenType)
	if typ != AccessTokenType && typ != TokenTypeJWT {
		return nil, fmt.Errorf("issuer: Config.TokenType %q is neither %q nor %q", cfg.TokenType, AccessTokenType, TokenTypeJWT)
	}
	if cfg.RefreshReuseGrace < 0 || cfg.RefreshReuseGrace > MaxRefreshReuseGrace {
		return nil, fmt.Errorf("issuer: Config.RefreshReuseGrace %v is not within 0 and %v", cfg.RefreshReuseGrace, MaxRefreshReuseGrace)
	}
	if cfg.RefreshTokenFormat != RefreshOpaque && cfg.RefreshTokenFormat != RefreshJWT {
		return nil, fmt.Errorf("issuer: unknown Config.RefreshTokenFormat %d", cfg.RefreshTokenFormat)
	}
	if cfg.RefreshTokenFormat == RefreshJWT && (len(cfg.Audience) == 0 || slices.Contains(cfg.Audience, cfg.Issuer)) {
		// A refresh JWT's aud is the Issuer: no access token may have it.
		return nil, errors.New("issuer: with RefreshJWT, Config.Audience must be set and must not name the Issuer (the audience of refresh JWTs)")
	}
	s, err := newSigner(cfg.Key, typ)
	if err != nil {
		return nil, err
	}
	i := &Issuer{
		signer:      s,
		rtJWT:       cfg.RefreshTokenFormat == RefreshJWT,
		issuer:      cfg.Issuer,
		audience:    slices.Clone(cfg.Audience),
		accessTTL:   orDefault(cfg.AccessTTL, DefaultAccessTTL),
		refreshTTL:  orDefault(cfg.RefreshTTL, DefaultRefreshTTL),
		refreshMax:  cfg.RefreshMaxAge,
		reuseGrace:  cfg.RefreshReuseGrace,
		refresh:     cfg.Refresh,
		credentials: cfg.Credentials,
		revoker:     cfg.Revocations,
		accounts:    cfg.Accounts,
		throttle:    cfg.Throttle,
		decoder:     envelope.Decoder{MaxBytes: orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes)},
		style:       cfg.Style,
		audit:       cfg.Audit,
		now:         cfg.Now,
	}
	if len(i.audience) == 0 {
		i.audience = []string{cfg.Issuer}
	}
	if slices.Contains(i.audience, "") {
		return nil, errors.New("issuer: empty Config.Audience member")
	}
	if i.audJSON, err = audienceJSON(i.audience); err != nil {
		return nil, err
	}
	if i.refresh == nil {
		i.refresh = NewMemoryRefresh()
	}
	if i.now == nil {
		i.now = time.Now
	}
	if i.credentials != nil {
		dummy, err := HashPassword(rand.Text(), orDefault(cfg.BcryptCost, DefaultBcryptCost))
		if err != nil {
			return nil, fmt.Errorf("issuer: BcryptCost: %w", err)
		}
		i.dummyHash = []byte(dummy)
	}
	if i.token, err = newTokenConfig(cfg, i.now); err != nil {
		return nil, err
	}
	i.challenge = envelope.BearerChallenge(cfg.Realm, "invalid_token", "", "")
	i.challengeNone = envelope.BearerChallenge(cfg.Realm, "", "", "")
	const many = "Send exactly one Authorization header"
	i.errManyAuth = envelope.ErrBadRequest.WithOAuthCode("invalid_request").WithMessage(many).
		WithChallenge(envelope.BearerChallenge(cfg.Realm, "invalid_request", many, "")).
		WithCause(ErrInvalidAccessToken)
	const ways = "Send the access token in one place only"
	i.errManyWays = envelope.ErrBadRequest.WithOAuthCode("invalid_request").WithMessage(ways).
		WithChallenge(envelope.BearerChallenge(cfg.Realm, "invalid_request", ways, "")).
		WithCause(bearer.ErrMultipleMethods)
	return i, nil
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func audienceJSON(aud []string) (json.RawMessage, error) {
	if len(aud) == 1 {
		return json.Marshal(aud[0])
	}
	return json.Marshal(aud)
}

// VerificationKey returns what a verifier needs to check this issuer's
// access tokens: the key id ("" for an HMAC key without ID), the algorithm
// and the key (the HMAC secret, or the public key). Use it to configure the
// bearer middleware (bearer.Key{ID: kid, Algorithm: alg, Key: key}) or to
// publish a JWKS.
func (i *Issuer) VerificationKey() (kid, alg string, key any) {
	return i.signer.kid, i.signer.alg, i.signer.public
}

// Issuer returns the "iss" claim the issuer signs.
func (i *Issuer) Issuer() string { return i.issuer }

// Audience returns a copy of the default "aud" claim.
func (i *Issuer) Audience() []string { return slices.Clone(i.audience) }

// A Session is who a token family is for. Every access token issued in the
// family carries it as claims: Subject "sub", Tenant "tenant", ClientID
// "client_id" and Scopes the space-separated "scope". Each scope must be
// one RFC 6749 §3.3 scope-token (see [gatehouse.ValidScope]): a session
// holding another is refused with [ErrMalformedScope] when tokens are
// issued for it, never split at its spaces nor dropped.
type Session struct {
	Subject  string
	Tenant   string
	ClientID string
	Scopes   []string
}

// AccessClaims describe one access token to sign with [Issuer.IssueAccess].
type AccessClaims struct {
	Session
	// SessionID is the "sid" claim, the refresh family id; empty means none.
	// Revoking the family revokes the session for AccessTTL (plus
	// bearer.MaxLeeway): a token given a longer TTL outlives that.
	SessionID string
	// Audience overrides the issuer's default "aud" claim when not empty.
	// With RefreshJWT it may not name the Issuer, the refresh JWTs'
	// audience.
	Audience []string
	// TTL overrides the issuer's AccessTTL when positive.
	TTL time.Duration
	// Extra claims are added to the token. They may not redefine the
	// claims the issuer sets (iss, sub, aud, exp, nbf, iat, jti, client_id,
	// scope, sid, tenant), nor add another scope claim (scp, scopes, which
	// verifiers read when scope is absent), nor a binding or type claim
	// (cnf, typ), nor claim to be a refresh token (token_use, auth_time),
	// nor the token endpoint's session claims (session_kind, amount,
	// notificationKey, userId, forceManualConfirm), which CheckSession and
	// RequireSession trust. Names are compared case-insensitively ("SCP" is
	// refused too) and IssueAccess returns an error naming the claim; values
	// must marshal to JSON.
	Extra map[string]any
}

// An AccessToken is a signed access JWT and what identifies it.
type AccessToken struct {
	Token     string    // the compact JWS
	ID        string    // its "jti"
	IssuedAt  time.Time // its "iat" and "nbf"
	ExpiresAt time.Time // its "exp"
}

// accessPayload is the claim set of an access token, in RFC 9068 order.
type accessPayload struct {
	Issuer    string          `json:"iss"`
	Subject   string          `json:"sub"`
	Audience  json.RawMessage `json:"aud"`
	ExpiresAt int64           `json:"exp"`
	NotBefore int64           `json:"nbf"`
	IssuedAt  int64           `json:"iat"`
	ID        string          `json:"jti"`
	ClientID  string          `json:"client_id,omitempty"`
	Scope     string          `json:"scope,omitempty"`
	SessionID string          `json:"sid,omitempty"`
	Tenant    string          `json:"tenant,omitempty"`
}

// reservedClaims are the claim names AccessClaims.Extra may not set,
// compared case-insensitively (see reservedClaim): the access-token claims;
// the other claims a verifier may read scopes from ("scp", "scopes") or
// bind the token with ("cnf", "typ"); the refresh-token claims; and the
// session claims a token-endpoint token alone may carry (a forged
// session_kind would pass RequireSession).
var reservedClaims = []string{
	"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope", "sid", "tenant",
	"scp", "scopes", "cnf", "typ",
	claimTokenUse, "auth_time",
	ClaimSessionKind, ClaimAmount, ClaimNotificationKey, ClaimUserID, ClaimForceManualConfirm,
}

// reservedClaim reports whether name is a reserved claim in any letter
// case: a verifier that decodes claims case-insensitively (encoding/json
// into a struct does) would take "SCP" or "Sid" for the real claim.
func reservedClaim(name string) bool {
	for _, r := range reservedClaims {
		if strings.EqualFold(name, r) {
			return true
		}
	}
	return false
}

// IssueAccess signs one access token for c, valid from now (truncated to
// the second) for the access lifetime. Its jti is 128 random bits. It
// stores nothing; the error is a scope that is not one scope-token
// ([ErrMalformedScope]), another invalid claim, or a configuration or
// marshalling failure.
func (i *Issuer) IssueAccess(c AccessClaims) (AccessToken, error) {
	return i.issueAccess(i.clock(), newID(), c)
}

func (i *Issuer) issueAccess(now time.Time, jti string, c AccessClaims) (AccessToken, error) {
	p, exp, err := i.accessPayload(now, jti, c)
	if err != nil {
		return AccessToken{}, err
	}
	payload, err := json.Marshal(p)
	if err != nil {
		return AccessToken{}, err
	}
	if len(c.Extra) > 0 {
		if payload, err = mergeExtra(payload, c.Extra); err != nil {
			return AccessToken{}, err
		}
	}
	tok, err := i.signer.signPayload(payload)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: tok, ID: jti, IssuedAt: now, ExpiresAt: exp}, nil
}

// accessPayload returns the registered claims of an access token for c and
// its expiry; c.Extra is left to the caller.
func (i *Issuer) accessPayload(now time.Time, jti string, c AccessClaims) (accessPayload, time.Time, error) {
	if c.Subject == "" {
		return accessPayload{}, time.Time{}, errors.New("issuer: access token without subject")
	}
	if err := checkScopes(c.Scopes); err != nil {
		return accessPayload{}, time.Time{}, err
	}
	ttl := i.accessTTL
	if c.TTL > 0 {
		ttl = c.TTL
	}
	exp := now.Add(ttl)
	p := accessPayload{
		Issuer:    i.issuer,
		Subject:   c.Subject,
		Audience:  i.audJSON,
		ExpiresAt: exp.Unix(),
		NotBefore: now.Unix(),
		IssuedAt:  now.Unix(),
		ID:        jti,
		ClientID:  c.ClientID,
		Scope:     strings.Join(c.Scopes, " "),
		SessionID: c.SessionID,
		Tenant:    c.Tenant,
	}
	if len(c.Audience) > 0 {
		if i.rtJWT && slices.Contains(c.Audience, i.issuer) {
			return accessPayload{}, time.Time{}, errors.New("issuer: with RefreshJWT an access token's audience may not name the Issuer")
		}
		aud, err := audienceJSON(c.Audience)
		if err != nil {
			return accessPayload{}, time.Time{}, err
		}
		p.Audience = aud
	}
	return p, exp, nil
}

// mergeExtra appends the members of extra to the JSON object payload.
func mergeExtra(payload []byte, extra map[string]any) ([]byte, error) {
	for name := range extra {
		if reservedClaim(name) {
			return nil, fmt.Errorf("issuer: extra claim %q is reserved: it would redefine a claim the issuer sets or a verifier trusts", name)
		}
	}
	more, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	// payload is {...} and never empty (iss is always set); more is {...}.
	out := append(payload[:len(payload)-1:len(payload)-1], ',')
	return append(out, more[1:]...), nil
}

// clock returns now in UTC truncated to the second, the resolution of JWT
// NumericDate claims and of the RFC 3339 times in responses.
func (i *Issuer) clock() time.Time {
	return i.now().UTC().Truncate(time.Second)
}

// newID returns 128 random bits, base64url encoded (22 characters): the
// jti of access tokens and the id of refresh families.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// IssuePair starts a new refresh family for s and returns its first
// access and refresh tokens. With Config.Credentials, every refresh checks
// that s.Subject names an enabled account of the store. The error is a
// store failure, a session scope that is not one scope-token
// ([ErrMalformedScope]) or, with a broken configuration, a signing failure;
// nothing is stored then.
func (i *Issuer) IssuePair(ctx context.Context, s Session) (Pair, error) {
	now := i.clock()
	famID := newID()
	exp := i.refreshExpiry(now, now)
	rt, hash, err := i.newRefresh(now, exp, now, famID, s.Subject)
	if err != nil {
		return Pair{}, err
	}
	at, err := i.issueAccess(now, newID(), AccessClaims{Session: s, SessionID: famID})
	if err != nil {
		return Pair{}, err
	}
	rec := RefreshRecord{
		Hash:      hash,
		FamilyID:  famID,
		IssuedAt:  now,
		ExpiresAt: exp,
	}
	if err := i.refresh.Create(ctx, Family{ID: famID, Session: s, CreatedAt: now}, rec); err != nil {
		return Pair{}, err
	}
	return newPair(at, rt, rec.ExpiresAt, famID, s.ClientID), nil
}

// refreshExpiry is the expiry of a refresh token issued at now in a family
// created at createdAt: now + RefreshTTL, capped at createdAt +
// RefreshMaxAge when that is set.
func (i *Issuer) refreshExpiry(now, createdAt time.Time) time.Time {
	exp := now.Add(i.refreshTTL)
	if i.refreshMax > 0 {
		if end := createdAt.Add(i.refreshMax); end.Before(exp) {
			return end
		}
	}
	return exp
}

// RevokeSession revokes the refresh family id of subject and every access
// token it issued, as logout does. subject is the session's subject (its
// tokens' "sub"): the revocation of its access tokens is filed under it.
// Revoking a revoked or unknown (expired) session succeeds, and still
// revokes the session in the Revoker: a store may forget a family (after
// RefreshTTL, a sweep, a Redis TTL or eviction) while access tokens
// carrying its id are still valid. An empty id revokes nothing. The error
// is a store failure.
func (i *Issuer) RevokeSession(ctx context.Context, subject, id string) error {
	if id == "" {
		return nil
	}
	if _, err := i.refresh.RevokeFamily(ctx, id); err != nil && !errors.Is(err, ErrFamilyNotFound) {
		return err
	}
	return i.revokeSessionTokens(ctx, subject, id, time.Time{})
}

// revokeSessionTokens revokes, in the Revoker, every access token of
// subject whose "sid" is id: one write, kept until the newest token the
// family can have issued expires — now + AccessTTL, or until when later
// (the expiry of a token known to carry id; the store adds
// bearer.MaxLeeway). It is written whether or not the refresh store still
// knows the family, so the write is bounded by the access lifetime, not by
// the number of families. The family is revoked in the refresh store
// first, so it issues no token after this instant.
func (i *Issuer) revokeSessionTokens(ctx context.Context, subject, id string, until time.Time) error {
	exp := i.now().Add(i.accessTTL)
	if until.After(exp) {
		exp = until
	}
	return i.revoker.RevokeSession(ctx, subject, id, exp)
}

// errEmptySubject is RevokeSubject's refusal of an empty subject.
var errEmptySubject = errors.New("issuer: RevokeSubject needs a subject")

// RevokeSubject revokes, in one write to the Revoker, every session and
// every token of subject issued up to now: the bearer middleware refuses
// its access tokens, and Refresh refuses (401) and revokes every refresh
// family started up to now. Tokens and sessions started afterwards — a new
// login — work. Times compare in whole seconds, the resolution of "iat":
// a token or session started in the same second as the call, just before
// or just after it, is revoked too (the safe side), so a login in that
// second must be repeated a second later.
//
// The revocation is kept for the longest time a token or family started
// before it can still be used: the longest of AccessTTL, SessionTTL and
// RefreshTTL (plus bearer.MaxLeeway, which the store adds); an access
// token issued with a longer AccessClaims.TTL outlives it. Use it when an
// account is deleted, disabled or its credentials rotated. An empty
// subject is an error; otherwise the error is a store failure.
func (i *Issuer) RevokeSubject(ctx context.Context, subject string) error {
	if subject == "" {
		return errEmptySubject
	}
	now := i.now()
	hold := max(i.accessTTL, i.token.ttl, i.refreshTTL)
	return i.revoker.RevokeSubject(ctx, subject, now, now.Add(hold))
}

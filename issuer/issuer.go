package issuer

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/internal/issuance"
	"golang.org/x/crypto/bcrypt"
)

// An Issuer issues and revokes tokens: access JWTs signed with one key,
// rotating refresh tokens (opaque, or JWTs) grouped in families, and the
// Login, Refresh and Logout handlers built on them. It is immutable after
// New and safe for concurrent use.
type Issuer struct {
	signer        *issuance.Signer
	rtJWT         bool // Config.RefreshJWT
	issuer        string
	audience      []string
	audJSON       json.RawMessage
	accessTTL     time.Duration
	refreshTTL    time.Duration
	refreshMax    time.Duration // Config.RefreshMaxAge; 0 means none
	subjectHold   time.Duration // Config.SubjectRevocationHold
	reuseGrace    time.Duration // Config.RefreshReuseGrace; 0 means none
	refresh       RefreshStore
	credentials   CredentialStore
	revoker       bearer.RevocationStore
	accounts      AccountChecker
	throttle      Throttle
	dummyHash     []byte
	decoder       envelope.Decoder
	challenge     string          // for a malformed or foreign access token
	challengeNone string          // for a request without bearer credentials
	realm         string          // Config.Realm, for the DPoP challenges of Logout
	errManyAuth   *envelope.Error // Logout's 400 for several Authorization lines
	errManyWays   *envelope.Error // Logout's 400 for a token sent by more than one method
	resp          issuance.Responder
	dpop          *dpop.Verifier // Config.DPoP; nil means bearer tokens only
	now           func() time.Time
}

// New validates cfg and returns an Issuer. It fails with an error wrapping
// ErrConfig that names every problem at once: Issuer, Key, Credentials or
// Revocations missing, a key that does not suit its algorithm, a negative
// lifetime or a positive one below one second (AccessTTL, RefreshTTL,
// RefreshMaxAge: token times are whole seconds), an unknown TokenType, a RefreshReuseGrace beyond one minute,
// or, with RefreshJWT, Audiences empty (it would default to the Issuer)
// or naming the Issuer. Building the dummy bcrypt hash costs one hash at
// BcryptCost.
func New(cfg Config) (*Issuer, error) {
	var problems []error
	bad := func(format string, args ...any) { problems = append(problems, fmt.Errorf(format, args...)) }
	if cfg.Issuer == "" {
		bad("Issuer is required")
	}
	if cfg.Credentials == nil {
		bad("Credentials is required (the login accounts)")
	}
	if cfg.Revocations == nil {
		bad("Revocations is required (the bearer middleware's revocation store)")
	}
	if cfg.AccessTTL < 0 || cfg.RefreshTTL < 0 || cfg.RefreshMaxAge < 0 || cfg.SubjectRevocationHold < 0 || cfg.MaxBodyBytes < 0 {
		bad("negative AccessTTL, RefreshTTL, RefreshMaxAge, SubjectRevocationHold or MaxBodyBytes")
	}
	// Token times are whole seconds: a shorter lifetime would issue
	// tokens that expire when they are issued.
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"AccessTTL", cfg.AccessTTL}, {"RefreshTTL", cfg.RefreshTTL}, {"RefreshMaxAge", cfg.RefreshMaxAge}} {
		if d.v > 0 && d.v < time.Second {
			bad("%s %v is below one second (0 for the default)", d.name, d.v)
		}
	}
	typ, err := issuance.CheckTokenType(cfg.TokenType)
	if err != nil {
		problems = append(problems, err)
	}
	if cfg.RefreshReuseGrace < 0 || cfg.RefreshReuseGrace > maxRefreshReuseGrace {
		bad("RefreshReuseGrace %v is not within 0 and %v", cfg.RefreshReuseGrace, maxRefreshReuseGrace)
	}
	if cfg.RefreshJWT && (len(cfg.Audiences) == 0 || slices.Contains(cfg.Audiences, cfg.Issuer)) {
		// A refresh JWT's aud is the Issuer: no access token may have it.
		bad("with RefreshJWT, Audiences must be set and must not name the Issuer (the audience of refresh JWTs)")
	}
	if slices.Contains(cfg.Audiences, "") {
		bad("empty Audiences member")
	}
	var s *issuance.Signer
	if typ != "" {
		if s, err = issuance.NewSigner(cfg.Key.ID, cfg.Key.Algorithm, cfg.Key.Key, typ); err != nil {
			problems = append(problems, fmt.Errorf("signing key: %w", err))
		}
	}
	var dummy string
	if cfg.Credentials != nil {
		if dummy, err = HashPassword(rand.Text(), issuance.OrDefault(cfg.BcryptCost, bcrypt.DefaultCost)); err != nil {
			problems = append(problems, fmt.Errorf("BcryptCost: %w", err))
		}
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	i := &Issuer{
		signer:      s,
		rtJWT:       cfg.RefreshJWT,
		issuer:      cfg.Issuer,
		audience:    slices.Clone(cfg.Audiences),
		accessTTL:   issuance.OrDefault(cfg.AccessTTL, defaultAccessTTL),
		refreshTTL:  issuance.OrDefault(cfg.RefreshTTL, defaultRefreshTTL),
		refreshMax:  cfg.RefreshMaxAge,
		subjectHold: cfg.SubjectRevocationHold,
		reuseGrace:  cfg.RefreshReuseGrace,
		refresh:     cfg.Refresh,
		credentials: cfg.Credentials,
		revoker:     cfg.Revocations,
		accounts:    cfg.Accounts,
		throttle:    cfg.Throttle,
		dummyHash:   []byte(dummy),
		decoder:     envelope.Decoder{MaxBytes: issuance.OrDefault(cfg.MaxBodyBytes, defaultMaxBodyBytes)},
		dpop:        cfg.DPoP,
		now:         cfg.Now,
	}
	if len(i.audience) == 0 {
		i.audience = []string{cfg.Issuer}
	}
	if i.audJSON, err = issuance.AudienceJSON(i.audience); err != nil {
		return nil, fmt.Errorf("%w: Audiences: %w", ErrConfig, err)
	}
	if i.refresh == nil {
		i.refresh, _ = NewMemoryRefresh(MemoryRefreshConfig{}) // the zero config is valid
	}
	if i.now == nil {
		i.now = time.Now
	}
	i.challenge = envelope.BearerChallenge(cfg.Realm, "invalid_token", "", "")
	i.challengeNone = envelope.BearerChallenge(cfg.Realm, "", "", "")
	i.realm = cfg.Realm
	i.resp = issuance.Responder{
		Style:         cfg.Style,
		ChallengeNone: i.challengeNone,
		Audit:         cfg.Audit,
		Now:           i.now,
	}
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

// A Session is who a token family is for. Every access token issued in the
// family carries it as claims: Subject "sub", Tenant "tenant", ClientID
// "client_id" and Scopes the space-separated "scope". Each scope must be
// one RFC 6749 §3.3 scope-token (see [gatehouse.ValidScope]): a session
// holding another is refused with [gatehouse.ErrMalformedScope] when tokens are
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
	// Audiences overrides the issuer's default "aud" claim when not
	// empty. With RefreshJWT it may not name the Issuer, the refresh JWTs'
	// audience.
	Audiences []string
	// TTL overrides the issuer's AccessTTL when positive.
	TTL time.Duration
	// Extra claims are added to the token. They may not redefine the
	// claims the issuer sets (iss, sub, aud, exp, nbf, iat, jti, client_id,
	// scope, sid, tenant), nor add another scope claim (scp, scopes, which
	// verifiers read when scope is absent), nor a binding or type claim
	// (cnf, typ), nor claim to be a refresh token (token_use, auth_time),
	// nor carry the token endpoint's session_kind, which
	// tokenendpoint.RequireSession trusts. Names are compared
	// case-insensitively ("SCP" is refused too) and IssueAccess returns an
	// error naming the claim; values must marshal to JSON.
	Extra map[string]any
}

// An AccessToken is a signed access JWT and what identifies it.
type AccessToken struct {
	Token     string    // the compact JWS
	ID        string    // its "jti"
	IssuedAt  time.Time // its "iat" and "nbf"
	ExpiresAt time.Time // its "exp"
}

// IssueAccess signs one access token for c, valid from now (truncated to
// the second) for the access lifetime. Its jti is 128 random bits. It
// stores nothing; the error is a scope that is not one scope-token
// ([gatehouse.ErrMalformedScope]), another invalid claim, or a configuration or
// marshalling failure.
func (i *Issuer) IssueAccess(c AccessClaims) (AccessToken, error) {
	return i.issueAccess(i.clock(), issuance.NewID(), c, "")
}

// issueAccess signs the access token of c, bound to the DPoP key of
// thumbprint jkt ("" for a bearer token).
func (i *Issuer) issueAccess(now time.Time, jti string, c AccessClaims, jkt string) (AccessToken, error) {
	p, exp, err := i.accessPayload(now, jti, c)
	if err != nil {
		return AccessToken{}, err
	}
	p.Confirmation = issuance.BindTo(jkt)
	payload, err := json.Marshal(p)
	if err != nil {
		return AccessToken{}, err
	}
	if len(c.Extra) > 0 {
		if payload, err = issuance.MergeExtra(payload, c.Extra); err != nil {
			return AccessToken{}, fmt.Errorf("issuer: %w", err)
		}
	}
	tok, err := i.signer.SignPayload(payload)
	if err != nil {
		return AccessToken{}, err
	}
	return AccessToken{Token: tok, ID: jti, IssuedAt: now, ExpiresAt: exp}, nil
}

// accessPayload returns the registered claims of an access token for c and
// its expiry; c.Extra is left to the caller.
func (i *Issuer) accessPayload(now time.Time, jti string, c AccessClaims) (issuance.AccessPayload, time.Time, error) {
	if c.Subject == "" {
		return issuance.AccessPayload{}, time.Time{}, errors.New("issuer: access token without subject")
	}
	if err := issuance.CheckScopes(c.Scopes); err != nil {
		return issuance.AccessPayload{}, time.Time{}, err
	}
	ttl := i.accessTTL
	if c.TTL > 0 {
		ttl = c.TTL
	}
	exp := now.Add(ttl)
	p := issuance.AccessPayload{
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
	if len(c.Audiences) > 0 {
		if i.rtJWT && slices.Contains(c.Audiences, i.issuer) {
			return issuance.AccessPayload{}, time.Time{}, errors.New("issuer: with RefreshJWT an access token's audience may not name the Issuer")
		}
		aud, err := issuance.AudienceJSON(c.Audiences)
		if err != nil {
			return issuance.AccessPayload{}, time.Time{}, err
		}
		p.Audience = aud
	}
	return p, exp, nil
}

// clock returns now in UTC truncated to the second, the resolution of JWT
// NumericDate claims and of the RFC 3339 times in responses.
func (i *Issuer) clock() time.Time {
	return i.now().UTC().Truncate(time.Second)
}

// IssuePair starts a new refresh family for s and returns its first
// access and refresh tokens. With Config.Credentials, every refresh checks
// that s.Subject names an enabled account of the store. The error is a
// store failure, a session scope that is not one scope-token
// ([gatehouse.ErrMalformedScope]) or, with a broken configuration, a signing failure;
// nothing is stored then.
func (i *Issuer) IssuePair(ctx context.Context, s Session) (Pair, error) {
	return i.issuePair(ctx, s, "")
}

// issuePair is IssuePair for a family bound to the DPoP key of thumbprint
// jkt ("" for none), whose access tokens are bound to it too.
func (i *Issuer) issuePair(ctx context.Context, s Session, jkt string) (Pair, error) {
	now := i.clock()
	famID := issuance.NewID()
	exp := i.refreshExpiry(now, now)
	rt, hash, err := i.newRefresh(now, exp, now, famID, s.Subject, s.Tenant)
	if err != nil {
		return Pair{}, err
	}
	at, err := i.issueAccess(now, issuance.NewID(), AccessClaims{Session: s, SessionID: famID}, jkt)
	if err != nil {
		return Pair{}, err
	}
	rec := RefreshRecord{
		Hash:      hash,
		FamilyID:  famID,
		IssuedAt:  now,
		ExpiresAt: exp,
	}
	if err := i.refresh.Create(ctx, Family{ID: famID, Session: s, CreatedAt: now, JKT: jkt}, rec); err != nil {
		return Pair{}, err
	}
	return newPair(at, rt, rec.ExpiresAt, famID, s.ClientID, jkt), nil
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
// revokes the session in the revocation store: a store may forget a family (after
// RefreshTTL, a sweep, a Redis TTL or eviction) while access tokens
// carrying its id are still valid. An empty id revokes nothing. The error
// is a store failure.
func (i *Issuer) RevokeSession(ctx context.Context, subject, id string) error {
	if id == "" {
		return nil
	}
	if _, err := i.refresh.RevokeFamily(ctx, id); err != nil && !errors.Is(err, ErrRefreshNotFound) {
		return err
	}
	return i.revokeSessionTokens(ctx, subject, id, time.Time{})
}

// revokeSessionTokens revokes, in the revocation store, every access token of
// subject whose "sid" is id: one write, kept until the newest token the
// family can have issued expires — now + AccessTTL, or until when later
// (the expiry of a token known to carry id; the store adds
// bearer.MaxLeeway). It is written whether or not the refresh store still
// knows the family, so the write is bounded by the access lifetime, not by
// the number of families. The family is revoked in the refresh store
// first, so it issues no token after this instant.
func (i *Issuer) revokeSessionTokens(ctx context.Context, subject, id string, until time.Time) error {
	return i.revoker.RevokeSession(ctx, subject, id, i.sessionHold(until))
}

// sessionHold is how long a session revocation is kept: until the newest
// token the family can have issued expires, now + AccessTTL, or until
// when that is later.
func (i *Issuer) sessionHold(until time.Time) time.Time {
	exp := i.now().Add(i.accessTTL)
	if until.After(exp) {
		exp = until
	}
	return exp
}

// errEmptySubject is RevokeSubject's refusal of an empty subject.
var errEmptySubject = errors.New("issuer: RevokeSubject needs a subject")

// RevokeSubject revokes, in one write to the revocation store, every session and
// every token of subject issued up to now: the bearer middleware refuses
// its access tokens, and Refresh refuses (401) and revokes every refresh
// family started up to now. Tokens and sessions started afterwards — a new
// login — work. Times compare in whole seconds, the resolution of "iat":
// a token or session started in the same second as the call, just before
// or just after it, is revoked too (the safe side), so a login in that
// second must be repeated a second later.
//
// The revocation is kept for the longest time a token or family started
// before it can still be used: the longest of AccessTTL, RefreshTTL and
// Config.SubjectRevocationHold (plus bearer.MaxLeeway, which the store
// adds); a token of the subject that lives longer than that — an access
// token issued with a longer AccessClaims.TTL, a token endpoint's token —
// outlives it unless SubjectRevocationHold covers it. Use it when an
// account is deleted, disabled or its credentials rotated. An empty
// subject is an error; otherwise the error is a store failure.
func (i *Issuer) RevokeSubject(ctx context.Context, subject string) error {
	if subject == "" {
		return errEmptySubject
	}
	now := i.now()
	hold := max(i.accessTTL, i.refreshTTL, i.subjectHold)
	return i.revoker.RevokeSubject(ctx, subject, now, now.Add(hold))
}

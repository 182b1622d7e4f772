package bearer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

// countingRevocations counts the calls an Authenticator makes.
type countingRevocations struct {
	*MemoryRevocations
	revoked atomic.Int32
	fail    error
}

func (s *countingRevocations) Revoked(ctx context.Context, t *TokenRef) (bool, error) {
	s.revoked.Add(1)
	if s.fail != nil {
		return false, s.fail
	}
	return s.MemoryRevocations.Revoked(ctx, t)
}

func TestSessionRevocation(t *testing.T) {
	hs := newSigner(t, "HS256", "")
	c := newClock(t0)
	store := &countingRevocations{MemoryRevocations: NewMemoryRevocations(c.Now)}
	cfg := baseConfig(c, hs)
	cfg.Revocations = store
	a := mustNew(t, cfg)

	// Twenty tokens of one session (sid "sess-7"), one more of another.
	var toks []string
	for i := range 20 {
		claims := claimsAt(t0)
		claims["jti"] = "jti-" + string(rune('a'+i))
		toks = append(toks, hs.sign(t, claims, nil))
	}
	other := claimsAt(t0)
	other["jti"], other["sid"] = "jti-other", "sess-8"
	otherTok := hs.sign(t, other, nil)
	for _, tok := range append(toks, otherTok) {
		_, err := a.Check(bearerRequest(tok))
		require.NoError(t, err)
	}

	require.NoError(t, store.RevokeSession(context.Background(), "user-42", "sess-7", t0.Add(time.Hour)))
	for i, tok := range toks {
		_, err := a.Check(bearerRequest(tok))
		assert.ErrorIs(t, err, ErrTokenRevoked, "token %d of the revoked session (cache hit)", i)
	}
	a.FlushCache()
	_, err := a.Check(bearerRequest(toks[0]))
	assert.ErrorIs(t, err, ErrTokenRevoked, "first sight too")
	_, err = a.Check(bearerRequest(otherTok))
	assert.NoError(t, err, "another session is untouched")

	// One store call per request, for jti, session and subject together.
	store.revoked.Store(0)
	_, err = a.Check(bearerRequest(otherTok))
	require.NoError(t, err)
	assert.Equal(t, int32(1), store.revoked.Load())

	store.fail = errors.New("store down")
	_, err = a.Check(bearerRequest(otherTok))
	assert.ErrorIs(t, err, ErrUnavailable, "fail closed")
}

// TestRevocationScopes: what each kind of revocation refuses, through the
// Authenticator. Revocations are scoped to the subject: a revocation for
// one subject never refuses another's token of the same jti or sid.
func TestRevocationScopes(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	ctx := context.Background()
	until := t0.Add(time.Hour)

	for _, tc := range []struct {
		name   string
		edit   func(jwt.MapClaims)
		revoke func(*MemoryRevocations) error
		want   error
	}{
		{"jti revoked", nil, func(s *MemoryRevocations) error { return s.RevokeToken(ctx, "user-42", "jti-1", until) }, ErrTokenRevoked},
		{"jti revoked for another subject", nil, func(s *MemoryRevocations) error { return s.RevokeToken(ctx, "user-43", "jti-1", until) }, nil},
		{"session of the jti's text", func(c jwt.MapClaims) { delete(c, "sid") }, func(s *MemoryRevocations) error { return s.RevokeSession(ctx, "user-42", "jti-1", until) }, nil},
		{"sid revoked", nil, func(s *MemoryRevocations) error { return s.RevokeSession(ctx, "user-42", "sess-7", until) }, ErrTokenRevoked},
		{"sid revoked for another subject", nil, func(s *MemoryRevocations) error { return s.RevokeSession(ctx, "user-43", "sess-7", until) }, nil},
		{"a jti equal to the sid is not the session", nil, func(s *MemoryRevocations) error { return s.RevokeToken(ctx, "user-42", "sess-7", until) }, nil},
		{"a jti in the old session namespace is a jti", func(c jwt.MapClaims) { c["jti"] = "sid:sess-7" }, nil, nil},
		{"subject revoked after issue", nil, func(s *MemoryRevocations) error { return s.RevokeSubject(ctx, "user-42", t0.Add(time.Second), until) }, ErrTokenRevoked},
		{"subject revoked in the second of issue", nil, func(s *MemoryRevocations) error {
			return s.RevokeSubject(ctx, "user-42", t0.Add(999*time.Millisecond), until)
		}, ErrTokenRevoked},
		{"subject revoked a second before issue", nil, func(s *MemoryRevocations) error { return s.RevokeSubject(ctx, "user-42", t0.Add(-time.Second), until) }, nil},
		{"another subject revoked", nil, func(s *MemoryRevocations) error { return s.RevokeSubject(ctx, "user-43", t0.Add(time.Hour), until) }, nil},
		{"subject revoked, token without iat", func(c jwt.MapClaims) { delete(c, "iat") }, func(s *MemoryRevocations) error { return s.RevokeSubject(ctx, "user-42", t0.Add(-time.Hour), until) }, ErrTokenRevoked},
		{"no jti", func(c jwt.MapClaims) { delete(c, "jti") }, nil, ErrClaims},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rev := NewMemoryRevocations(c.Now)
			cfg := baseConfig(c, hs)
			cfg.Revocations = rev
			a := mustNew(t, cfg)
			claims := claimsAt(t0)
			if tc.edit != nil {
				tc.edit(claims)
			}
			tok := hs.sign(t, claims, nil)
			if tc.want != ErrClaims {
				_, err := a.Check(bearerRequest(tok))
				require.NoError(t, err, "before the revocation")
			}
			if tc.revoke != nil {
				require.NoError(t, tc.revoke(rev))
			}
			_, err := a.Check(bearerRequest(tok))
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}

	// Without Revocations a token needs no jti.
	b := mustNew(t, baseConfig(c, hs))
	claims := claimsAt(t0)
	delete(claims, "jti")
	_, err := b.Check(bearerRequest(hs.sign(t, claims, nil)))
	assert.NoError(t, err)
}

// TestIssuerCheckedAfterSignature: the issuer is checked from the verified
// claims. A token with a bad signature and a foreign issuer is a signature
// refusal, not an issuer refusal (see TestMultiDefectOrder).
func TestIssuerCheckedAfterSignature(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	claims := claimsAt(t0)
	claims["iss"] = "https://evil.test"
	other := signer{alg: "HS256", method: jwtHS256, priv: []byte("another-secret-of-at-least-thirty-two-bytes-0123456789abcdef")}
	_, err := a.Check(bearerRequest(other.sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrTokenInvalid, "a bad signature, whatever the claims")
	_, err = a.Check(bearerRequest(hs.sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrIssuer)
	claims["iss"] = 42.0
	_, err = a.Check(bearerRequest(hs.sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrIssuer, "a non-string iss")
	_, err = a.Check(bearerRequest(hs.sign(t, claimsAt(t0), nil)))
	assert.NoError(t, err)
}

// principalRevocations records the Principal each Revoked call is given.
type principalRevocations struct {
	*MemoryRevocations
	mu   sync.Mutex
	seen []gatehouse.Principal // a copy of *t.Principal per call; the zero Principal for nil
}

func (s *principalRevocations) Revoked(ctx context.Context, t *TokenRef) (bool, error) {
	s.mu.Lock()
	var p gatehouse.Principal
	if t.Principal != nil {
		p = t.Principal.Clone()
	}
	s.seen = append(s.seen, p)
	s.mu.Unlock()
	return s.MemoryRevocations.Revoked(ctx, t)
}

// TestRevokedSeesPrincipal: the revocation store is told, on first sight
// and on a cache hit alike, the Principal the request gets if the token is
// not revoked; a revoked token's request gets none.
func TestRevokedSeesPrincipal(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	store := &principalRevocations{MemoryRevocations: NewMemoryRevocations(c.Now)}
	cfg := baseConfig(c, hs)
	cfg.Revocations = store
	a := mustNew(t, cfg)
	tok := hs.sign(t, claimsAt(t0), nil)

	var got []gatehouse.Principal
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		got = append(got, p)
		w.WriteHeader(http.StatusNoContent)
	}))
	for range 2 { // first sight, then a cache hit
		w := httptest.NewRecorder()
		h.ServeHTTP(w, bearerRequest(tok))
		require.Equal(t, http.StatusNoContent, w.Code)
	}
	require.Len(t, store.seen, 2)
	require.Len(t, got, 2)
	assert.Equal(t, "user-42", got[0].Subject)
	for i := range 2 {
		assert.Equal(t, got[i], store.seen[i], "call %d", i)
	}

	require.NoError(t, store.RevokeToken(context.Background(), "user-42", "jti-1", t0.Add(time.Hour)))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, bearerRequest(tok))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Len(t, got, 2, "the handler is not reached")
	require.Len(t, store.seen, 3)
	assert.Equal(t, got[0], store.seen[2], "the store is told whom the token would authenticate")
}

// TestOpaqueRevocationLivesInTheStore: an opaque token is revoked through
// its TokenRecord; the RevocationStore is asked about JWTs only, so a
// subject revocation there does not reach the subject's opaque tokens.
func TestOpaqueRevocationLivesInTheStore(t *testing.T) {
	c := newClock(t0)
	tokens := NewMemoryTokens()
	require.NoError(t, tokens.Add(t.Context(), "opaque-secret-token-1", TokenRecord{ID: "tok-1", Subject: "user-42"}))
	require.NoError(t, tokens.Add(t.Context(), "opaque-secret-token-2", TokenRecord{ID: "tok-2", Subject: "user-42", Revoked: true}))
	revs := NewMemoryRevocations(c.Now)
	a := mustNew(t, Config{Tokens: tokens, Revocations: revs, Now: c.Now})
	c.Add(2 * time.Second)
	require.NoError(t, revs.RevokeSubject(t.Context(), "user-42", c.Now(), c.Now().Add(time.Hour)))
	_, err := a.Check(bearerRequest("opaque-secret-token-1"))
	assert.NoError(t, err, "the RevocationStore is not asked about opaque tokens")
	_, err = a.Check(bearerRequest("opaque-secret-token-2"))
	assert.ErrorIs(t, err, ErrTokenRevoked)
}

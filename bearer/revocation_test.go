package bearer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingRevocations counts the calls an Authenticator makes; with multi
// false it hides RevokedAny, as a store without it would.
type countingRevocations struct {
	*MemoryRevocations
	isRevoked, revokedAny atomic.Int32
	fail                  error
}

func (s *countingRevocations) IsRevoked(ctx context.Context, id string) (bool, error) {
	s.isRevoked.Add(1)
	if s.fail != nil {
		return false, s.fail
	}
	return s.MemoryRevocations.IsRevoked(ctx, id)
}

func (s *countingRevocations) RevokedAny(ctx context.Context, ids ...string) (bool, error) {
	s.revokedAny.Add(1)
	if s.fail != nil {
		return false, s.fail
	}
	return s.MemoryRevocations.RevokedAny(ctx, ids...)
}

// singleRevocations is a RevocationStore without RevokedAny.
type singleRevocations struct{ *countingRevocations }

func (s singleRevocations) RevokedAny() {} // shadows the promoted method: not a MultiRevocationStore

func TestSessionRevocation(t *testing.T) {
	hs := newSigner(t, "HS256", "")
	for _, tc := range []struct {
		name  string
		multi bool
	}{
		{"MultiRevocationStore", true},
		{"IsRevoked fallback", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(t0)
			counting := &countingRevocations{MemoryRevocations: NewMemoryRevocations(c.Now)}
			var store RevocationStore = counting
			if !tc.multi {
				store = singleRevocations{counting}
			}
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

			require.NoError(t, store.Revoke(context.Background(), SessionRevocationID("sess-7"), t0.Add(time.Hour)))
			for i, tok := range toks {
				_, err := a.Check(bearerRequest(tok))
				assert.ErrorIs(t, err, ErrTokenRevoked, "token %d of the revoked session (cache hit)", i)
			}
			a.FlushCache()
			_, err := a.Check(bearerRequest(toks[0]))
			assert.ErrorIs(t, err, ErrTokenRevoked, "first sight too")
			_, err = a.Check(bearerRequest(otherTok))
			assert.NoError(t, err, "another session is untouched")

			// Calls per request: one RevokedAny, or IsRevoked per id.
			counting.isRevoked.Store(0)
			counting.revokedAny.Store(0)
			_, err = a.Check(bearerRequest(otherTok))
			require.NoError(t, err)
			if tc.multi {
				assert.Equal(t, int32(1), counting.revokedAny.Load())
				assert.Zero(t, counting.isRevoked.Load())
			} else {
				assert.Zero(t, counting.revokedAny.Load())
				assert.Equal(t, int32(2), counting.isRevoked.Load(), "jti and sid")
			}

			counting.fail = errors.New("store down")
			_, err = a.Check(bearerRequest(otherTok))
			assert.ErrorIs(t, err, ErrUnavailable, "fail closed")
		})
	}
}

func TestRevocationIDs(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	rev := NewMemoryRevocations(c.Now)
	cfg.Revocations = rev
	a := mustNew(t, cfg)

	for _, tc := range []struct {
		name   string
		jti    any
		sid    any
		revoke string
		want   error
	}{
		{"jti revoked, no sid", "j1", nil, "j1", ErrTokenRevoked},
		{"no sid, session of the same text revoked", "j2", nil, SessionRevocationID("j2"), nil},
		{"sid revoked", "j3", "s3", SessionRevocationID("s3"), ErrTokenRevoked},
		{"a jti equal to the sid is not the session", "j4", "s4", "s4", nil},
		{"jti in the session namespace", SessionRevocationID("s5"), "s5", "", ErrClaims},
		{"jti exactly the prefix", SessionRevocationPrefix, nil, "", ErrClaims},
	} {
		t.Run(tc.name, func(t *testing.T) {
			claims := claimsAt(t0)
			claims["jti"] = tc.jti
			if tc.sid == nil {
				delete(claims, "sid")
			} else {
				claims["sid"] = tc.sid
			}
			if tc.revoke != "" {
				require.NoError(t, rev.Revoke(context.Background(), tc.revoke, t0.Add(time.Hour)))
			}
			_, err := a.Check(bearerRequest(hs.sign(t, claims, nil)))
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
			}
		})
	}

	// Without Revocations the jti is not interpreted.
	b := mustNew(t, baseConfig(c, hs))
	claims := claimsAt(t0)
	claims["jti"] = SessionRevocationID("x")
	_, err := b.Check(bearerRequest(hs.sign(t, claims, nil)))
	assert.NoError(t, err)
}

// TestIssuerCheckedAfterSignature: the issuer is checked from the verified
// claims. A token with a bad signature and a foreign issuer is a signature
// refusal: it used to be an issuer refusal, checked from the unverified
// claims in the key function, before the claims moved after the signature
// check (see TestMultiDefectOrder).
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

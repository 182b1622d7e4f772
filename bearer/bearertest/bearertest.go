// Package bearertest is the conformance kit for bearer's store interfaces:
// every implementation of [bearer.RevocationStore] and [bearer.TokenStore]
// — the in-memory ones, Redis, SQL — must pass it.
//
//	func TestRedisRevocations(t *testing.T) {
//		bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
//			return newRedisRevocations(t, now)
//		})
//	}
//
// It also has [Provider], a real OpenID provider on loopback: it serves a
// discovery document and a JWK Set with Cache-Control, ETag and
// Retry-After, signs tokens, rotates and withdraws keys, fails on demand
// and counts the requests it answers. Package gatehousetest builds on it
// for tests of an application's own handlers: tokens with sensible
// defaults and their defective variants, a ready Authenticator, API-key
// fixtures and DPoP proofs.
//
//	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/realms/demo", MaxAge: time.Minute})
//	token := p.Sign(t, jwt.MapClaims{"sub": "alice", "exp": time.Now().Add(time.Hour).Unix()})
//	// ... configure the verifier with p.Issuer() or p.JWKSURL(), present token ...
//	p.Rotate(t)
//	p.Fail(http.StatusServiceUnavailable, 30*time.Second)
//	fetches := p.Stats().JWKS
package bearertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Clock is a settable clock handed to stores under test.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestRevocationStore checks the [bearer.RevocationStore] contract:
// token, session and subject revocations, each scoped to its subject and
// kept until its until plus bearer.MaxLeeway, answered together by one
// Revoked call, with the subject's not-before compared to "iat" in whole
// seconds (a token issued in the revocation's own second is revoked).
// Subjects and ids are arbitrary strings: the kit uses ones with the
// characters a key scheme must escape ("{", "}", "%", ":"). newStore
// returns an empty store that reads the time from now (an implementation
// backed by a server with its own clock should compute expiries from now).
func TestRevocationStore(t *testing.T, newStore func(t *testing.T, now func() time.Time) bearer.RevocationStore) {
	ctx := context.Background()
	start := time.Now().Truncate(time.Second)
	hour := start.Add(time.Hour)
	iat := start.Unix()
	revoked := func(t *testing.T, s bearer.RevocationStore, ref bearer.TokenRef) bool {
		t.Helper()
		got, err := s.Revoked(ctx, &ref)
		require.NoError(t, err)
		return got
	}

	t.Run("unknown is not revoked", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "never-seen", SessionID: "s", IssuedAt: iat}))
		assert.False(t, revoked(t, s, bearer.TokenRef{ID: "never-seen"}), "no subject, no iat")
	})
	t.Run("token", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", hour))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", SessionID: "s1", IssuedAt: iat}), "with a session")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-2", IssuedAt: iat}), "only the revoked id")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "jti-1", IssuedAt: iat}), "only the subject's")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "x", SessionID: "jti-1", IssuedAt: iat}), "a session of the jti's text")
	})
	t.Run("token without subject", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.RevokeToken(ctx, "", "jti-1", hour))
		assert.True(t, revoked(t, s, bearer.TokenRef{ID: "jti-1", IssuedAt: iat}))
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: iat}))
	})
	t.Run("session", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.RevokeSession(ctx, "alice", "sess-1", hour))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "a", SessionID: "sess-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "b", SessionID: "sess-1", IssuedAt: iat + 60}), "every token of the session")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "a", SessionID: "sess-2", IssuedAt: iat}), "another session")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "a", IssuedAt: iat}), "no session")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "sess-1", IssuedAt: iat}), "a jti of the session's text")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "a", SessionID: "sess-1", IssuedAt: iat}), "only the subject's")
	})
	t.Run("subject not-before", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		// The revocation happens 700 ms into the second start+10s.
		at := start.Add(10*time.Second + 700*time.Millisecond)
		require.NoError(t, s.RevokeSubject(ctx, "alice", at, hour))
		nbf := start.Unix() + 10
		for _, tc := range []struct {
			iat  int64
			want bool
			why  string
		}{
			{nbf - 3600, true, "issued an hour before"},
			{nbf - 1, true, "issued the second before"},
			{nbf, true, "issued in the revocation's second, before or after it: refused (the safe side)"},
			{nbf + 1, false, "issued the second after"},
			{nbf + 3600, false, "issued later"},
			{0, true, "no iat"},
		} {
			assert.Equal(t, tc.want, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "j", SessionID: "s", IssuedAt: tc.iat}), tc.why)
		}
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "j", IssuedAt: nbf - 1}), "another subject")
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "Alice", ID: "j", IssuedAt: nbf - 1}), "subjects are exact")

		// A later not-before replaces the earlier one; an earlier one does
		// not move it back.
		require.NoError(t, s.RevokeSubject(ctx, "alice", at.Add(time.Minute), hour))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "j", IssuedAt: nbf + 60}))
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "j", IssuedAt: nbf + 61}))
		require.NoError(t, s.RevokeSubject(ctx, "alice", start, hour))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "j", IssuedAt: nbf + 60}), "not moved back")
	})
	t.Run("one call answers all three", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", hour))
		require.NoError(t, s.RevokeSession(ctx, "alice", "sess-1", hour))
		require.NoError(t, s.RevokeSubject(ctx, "carol", start, hour))
		for _, tc := range []struct {
			name string
			ref  bearer.TokenRef
			want bool
		}{
			{"nothing revoked", bearer.TokenRef{Subject: "alice", ID: "jti-2", SessionID: "sess-2", IssuedAt: iat}, false},
			{"jti", bearer.TokenRef{Subject: "alice", ID: "jti-1", SessionID: "sess-2", IssuedAt: iat}, true},
			{"session", bearer.TokenRef{Subject: "alice", ID: "jti-2", SessionID: "sess-1", IssuedAt: iat}, true},
			{"jti and session", bearer.TokenRef{Subject: "alice", ID: "jti-1", SessionID: "sess-1", IssuedAt: iat}, true},
			{"subject", bearer.TokenRef{Subject: "carol", ID: "jti-9", SessionID: "sess-9", IssuedAt: iat}, true},
			{"subject, later token", bearer.TokenRef{Subject: "carol", ID: "jti-9", SessionID: "sess-9", IssuedAt: iat + 1}, false},
			{"no session", bearer.TokenRef{Subject: "alice", ID: "jti-2", IssuedAt: iat}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				assert.Equal(t, tc.want, revoked(t, s, tc.ref))
			})
		}
	})
	t.Run("ids and subjects are exact", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.RevokeToken(ctx, "Al}ice", "Abc", hour))
		require.NoError(t, s.RevokeSession(ctx, "Al}ice", "S{1}", hour))
		require.NoError(t, s.RevokeSubject(ctx, "{x}%", start, hour))
		for _, other := range []string{"abc", "Abc ", "Ab", "Abcd"} {
			assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "Al}ice", ID: other, IssuedAt: iat}), other)
		}
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "Al}ice", ID: "Abc", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "Al}ice", ID: "z", SessionID: "S{1}", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "{x}%", ID: "z", IssuedAt: iat}))
		for _, sub := range []string{"Al", "Al}", "Al}ic", "al}ice", "Al%7Dice", "{x}", "x", "{x}%25", "%"} {
			assert.False(t, revoked(t, s, bearer.TokenRef{Subject: sub, ID: "Abc", SessionID: "S{1}", IssuedAt: iat}), sub)
		}
		// A subject and an id that concatenate to the same text stay apart.
		require.NoError(t, s.RevokeToken(ctx, "p", "q}:jti:r", hour))
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "p}:jti:q", ID: "r", IssuedAt: iat}))
		assert.False(t, revoked(t, s, bearer.TokenRef{Subject: "p", ID: "q", IssuedAt: iat}))
	})
	t.Run("revoking twice keeps the later expiry", func(t *testing.T) {
		c := &Clock{t: start}
		s := newStore(t, c.Now)
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", start.Add(time.Hour)))
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", start.Add(time.Minute)))
		require.NoError(t, s.RevokeSession(ctx, "alice", "sess-1", start.Add(time.Hour)))
		require.NoError(t, s.RevokeSession(ctx, "alice", "sess-1", start.Add(time.Minute)))
		require.NoError(t, s.RevokeSubject(ctx, "bob", start, start.Add(time.Hour)))
		require.NoError(t, s.RevokeSubject(ctx, "bob", start, start.Add(time.Minute)))
		c.Add(30 * time.Minute)
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "x", SessionID: "sess-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "x", IssuedAt: iat}))
	})
	t.Run("kept through expiry plus MaxLeeway", func(t *testing.T) {
		c := &Clock{t: start}
		s := newStore(t, c.Now)
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", start.Add(time.Minute)))
		require.NoError(t, s.RevokeSession(ctx, "alice", "sess-1", start.Add(time.Minute)))
		require.NoError(t, s.RevokeSubject(ctx, "bob", start, start.Add(time.Minute)))
		c.Add(time.Minute + bearer.MaxLeeway - time.Second)
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: iat}), "a verifier with leeway still accepts the token")
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "x", SessionID: "sess-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "x", IssuedAt: iat}))
	})
	t.Run("forever", func(t *testing.T) {
		c := &Clock{t: start}
		s := newStore(t, c.Now)
		require.NoError(t, s.RevokeToken(ctx, "alice", "jti-1", time.Time{}))
		require.NoError(t, s.RevokeSubject(ctx, "bob", start, time.Time{}))
		c.Add(48 * time.Hour)
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: iat}))
		assert.True(t, revoked(t, s, bearer.TokenRef{Subject: "bob", ID: "x", IssuedAt: iat}))
	})
	t.Run("empty ids are refused", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		assert.Error(t, s.RevokeToken(ctx, "alice", "", hour), "empty jti")
		assert.Error(t, s.RevokeSession(ctx, "alice", "", hour), "empty sid")
		assert.Error(t, s.RevokeSubject(ctx, "", start, hour), "empty subject: it would revoke every token without one")
		assert.False(t, revoked(t, s, bearer.TokenRef{IssuedAt: iat}), "nothing was recorded")
	})
	t.Run("concurrent use", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sub := fmt.Sprintf("user-%d", i)
				for j := range 50 {
					id := fmt.Sprintf("jti-%d", j)
					assert.NoError(t, s.RevokeToken(ctx, sub, id, hour))
					got, err := s.Revoked(ctx, &bearer.TokenRef{Subject: sub, ID: id, IssuedAt: iat})
					assert.NoError(t, err)
					assert.True(t, got)
				}
				assert.NoError(t, s.RevokeSubject(ctx, sub, start, hour))
				got, err := s.Revoked(ctx, &bearer.TokenRef{Subject: sub, ID: "other", IssuedAt: iat})
				assert.NoError(t, err)
				assert.True(t, got)
			}()
		}
		wg.Wait()
	})
}

// TokenStore is what [TestTokenStore] needs: lookups plus the writes that
// set up its cases.
type TokenStore interface {
	bearer.TokenStore
	Put(ctx context.Context, hash [32]byte, rec bearer.TokenRecord) error
	RevokeToken(ctx context.Context, id string) error
}

// TestTokenStore checks the [bearer.TokenStore] contract: records are found
// by the exact SHA-256 of their token, unknown hashes return
// bearer.ErrTokenNotFound, records round-trip, revocation sticks.
func TestTokenStore(t *testing.T, newStore func(t *testing.T) TokenStore) {
	ctx := context.Background()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := bearer.TokenRecord{ID: "tok_1", Subject: "user-1", Tenant: "acme", ClientID: "cli", Scopes: []string{"products:read", "orders:write"}, ExpiresAt: exp}

	t.Run("round trip", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Put(ctx, bearer.HashToken("secret-1"), rec))
		got, err := s.LookupToken(ctx, bearer.HashToken("secret-1"))
		require.NoError(t, err)
		assert.Equal(t, rec.ID, got.ID)
		assert.Equal(t, rec.Subject, got.Subject)
		assert.Equal(t, rec.Tenant, got.Tenant)
		assert.Equal(t, rec.ClientID, got.ClientID)
		assert.Equal(t, rec.Scopes, got.Scopes)
		assert.True(t, rec.ExpiresAt.Equal(got.ExpiresAt))
		assert.False(t, got.Revoked)
	})
	t.Run("unknown hash", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Put(ctx, bearer.HashToken("secret-1"), rec))
		for _, tok := range []string{"secret-2", "secret-", "Secret-1", ""} {
			_, err := s.LookupToken(ctx, bearer.HashToken(tok))
			assert.ErrorIs(t, err, bearer.ErrTokenNotFound, tok)
		}
		h := bearer.HashToken("secret-1")
		h[31] ^= 1
		_, err := s.LookupToken(ctx, h)
		assert.ErrorIs(t, err, bearer.ErrTokenNotFound, "one bit off")
	})
	t.Run("revoke", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Put(ctx, bearer.HashToken("secret-1"), rec))
		require.NoError(t, s.RevokeToken(ctx, "tok_1"))
		got, err := s.LookupToken(ctx, bearer.HashToken("secret-1"))
		require.NoError(t, err)
		assert.True(t, got.Revoked)
		assert.ErrorIs(t, s.RevokeToken(ctx, "tok_missing"), bearer.ErrTokenNotFound)
	})
	t.Run("returned records are copies", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Put(ctx, bearer.HashToken("secret-1"), rec))
		got, err := s.LookupToken(ctx, bearer.HashToken("secret-1"))
		require.NoError(t, err)
		got.Scopes[0] = "admin"
		again, err := s.LookupToken(ctx, bearer.HashToken("secret-1"))
		require.NoError(t, err)
		assert.Equal(t, "products:read", again.Scopes[0])
	})
	t.Run("several tokens", func(t *testing.T) {
		s := newStore(t)
		for i := range 20 {
			r := rec
			r.ID = fmt.Sprintf("tok_%d", i)
			require.NoError(t, s.Put(ctx, bearer.HashToken(fmt.Sprintf("secret-%d", i)), r))
		}
		for i := range 20 {
			got, err := s.LookupToken(ctx, bearer.HashToken(fmt.Sprintf("secret-%d", i)))
			require.NoError(t, err)
			assert.Equal(t, fmt.Sprintf("tok_%d", i), got.ID)
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rec
				r.ID = fmt.Sprintf("tok_c%d", i)
				h := bearer.HashToken(r.ID)
				assert.NoError(t, s.Put(ctx, h, r))
				for range 50 {
					got, err := s.LookupToken(ctx, h)
					if assert.NoError(t, err) {
						assert.Equal(t, r.ID, got.ID)
					}
				}
			}()
		}
		wg.Wait()
	})
	t.Run("not found is a sentinel", func(t *testing.T) {
		s := newStore(t)
		_, err := s.LookupToken(ctx, [32]byte{})
		assert.True(t, errors.Is(err, bearer.ErrTokenNotFound))
	})
}

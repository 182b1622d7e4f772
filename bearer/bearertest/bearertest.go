// Package bearertest is the conformance kit for bearer's store interfaces:
// every implementation of [bearer.RevocationStore] and [bearer.TokenStore]
// — the in-memory ones, Redis, SQL — must pass it.
//
//	func TestRedisRevocations(t *testing.T) {
//		bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
//			return newRedisRevocations(t, now)
//		})
//	}
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

// TestRevocationStore checks the [bearer.RevocationStore] contract, and the
// [bearer.MultiRevocationStore] one when the store implements it. newStore
// returns an empty store that reads the time from now (an implementation
// backed by a server with its own clock should compute expiries from now).
func TestRevocationStore(t *testing.T, newStore func(t *testing.T, now func() time.Time) bearer.RevocationStore) {
	ctx := context.Background()
	start := time.Now().Truncate(time.Second)

	t.Run("unknown is not revoked", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		revoked, err := s.IsRevoked(ctx, "never-seen")
		require.NoError(t, err)
		assert.False(t, revoked)
	})
	t.Run("revoke then check", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.Revoke(ctx, "jti-1", start.Add(time.Hour)))
		revoked, err := s.IsRevoked(ctx, "jti-1")
		require.NoError(t, err)
		assert.True(t, revoked)
		revoked, err = s.IsRevoked(ctx, "jti-2")
		require.NoError(t, err)
		assert.False(t, revoked, "only the revoked id")
	})
	t.Run("ids are exact", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.Revoke(ctx, "Abc", start.Add(time.Hour)))
		for _, other := range []string{"abc", "Abc ", "Ab", "Abcd"} {
			revoked, err := s.IsRevoked(ctx, other)
			require.NoError(t, err)
			assert.False(t, revoked, other)
		}
	})
	t.Run("revoking twice is fine", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.Revoke(ctx, "jti-1", start.Add(time.Hour)))
		require.NoError(t, s.Revoke(ctx, "jti-1", start.Add(time.Minute)))
		revoked, err := s.IsRevoked(ctx, "jti-1")
		require.NoError(t, err)
		assert.True(t, revoked)
	})
	t.Run("kept through expiry plus MaxLeeway", func(t *testing.T) {
		c := &Clock{t: start}
		s := newStore(t, c.Now)
		require.NoError(t, s.Revoke(ctx, "jti-1", start.Add(time.Minute)))
		c.Add(time.Minute + bearer.MaxLeeway - time.Second)
		revoked, err := s.IsRevoked(ctx, "jti-1")
		require.NoError(t, err)
		assert.True(t, revoked, "a verifier with leeway still accepts the token")
	})
	t.Run("empty id is refused", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		assert.Error(t, s.Revoke(ctx, "", start.Add(time.Hour)))
	})
	t.Run("session ids are ids like any other", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		require.NoError(t, s.Revoke(ctx, bearer.SessionRevocationID("sess-1"), start.Add(time.Hour)))
		revoked, err := s.IsRevoked(ctx, bearer.SessionRevocationID("sess-1"))
		require.NoError(t, err)
		assert.True(t, revoked)
		revoked, err = s.IsRevoked(ctx, "sess-1")
		require.NoError(t, err)
		assert.False(t, revoked, "the session id does not revoke a jti of the same text")
	})
	t.Run("RevokedAny", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		m, ok := s.(bearer.MultiRevocationStore)
		if !ok {
			t.Skip("the store does not implement bearer.MultiRevocationStore")
		}
		require.NoError(t, m.Revoke(ctx, "jti-1", start.Add(time.Hour)))
		require.NoError(t, m.Revoke(ctx, bearer.SessionRevocationID("sess-1"), start.Add(time.Hour)))
		for _, tc := range []struct {
			name string
			ids  []string
			want bool
		}{
			{"no ids", nil, false},
			{"one unknown", []string{"jti-2"}, false},
			{"two unknown", []string{"jti-2", bearer.SessionRevocationID("sess-2")}, false},
			{"jti revoked", []string{"jti-1", bearer.SessionRevocationID("sess-2")}, true},
			{"session revoked", []string{"jti-2", bearer.SessionRevocationID("sess-1")}, true},
			{"both revoked", []string{"jti-1", bearer.SessionRevocationID("sess-1")}, true},
			{"duplicate unknown", []string{"jti-2", "jti-2"}, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := m.RevokedAny(ctx, tc.ids...)
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			})
		}
	})
	t.Run("concurrent use", func(t *testing.T) {
		s := newStore(t, (&Clock{t: start}).Now)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range 50 {
					id := fmt.Sprintf("jti-%d-%d", i, j)
					assert.NoError(t, s.Revoke(ctx, id, start.Add(time.Hour)))
					revoked, err := s.IsRevoked(ctx, id)
					assert.NoError(t, err)
					assert.True(t, revoked)
				}
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

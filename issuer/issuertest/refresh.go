package issuertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRefreshStore checks that a RefreshStore implements the documented
// contract: creation, lookup, rotation, reuse detection that revokes the
// family atomically, explicit revocation, expiry, the absolute lifetime
// (RefreshRecord.MaxAge) applied at rotation, the ring of RefreshRing
// rotated tokens, the reuse grace (RefreshRecord.ReuseGrace) with the
// times the caller passes, long families, the DPoP thumbprint of a bound
// family (Family.JKT) kept by every method, copy semantics, context cancellation, and exactly one winner when many
// goroutines rotate the same token at once (run it with -race).
// newStore must return an empty store per call.
func TestRefreshStore(t *testing.T, newStore func(t *testing.T) issuer.RefreshStore) {
	t.Helper()
	ctx := context.Background()
	base := time.Now().UTC().Truncate(time.Second)
	const ttl = time.Hour

	t.Run("create and lookup", func(t *testing.T) {
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		got, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, f.ID, got.ID)
		assert.Equal(t, f.Session, got.Session)
		assert.True(t, got.CreatedAt.Equal(base), "CreatedAt")
		assert.True(t, got.ExpiresAt.Equal(r.ExpiresAt), "ExpiresAt is the current token's")
		assert.False(t, got.Revoked)
	})

	t.Run("create refuses duplicates", func(t *testing.T) {
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		f2, r2 := family("bob", base, ttl)
		f2.ID, r2.FamilyID = f.ID, f.ID
		assert.ErrorIs(t, s.Create(ctx, f2, r2), issuer.ErrFamilyExists, "same family id")
		got, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, "alice", got.Subject, "the original family is untouched")
	})

	t.Run("lookup unknown and expired", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Lookup(ctx, "no-such-family", hash(), base)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		_, err = s.Lookup(ctx, f.ID, r.Hash, base.Add(ttl-time.Second))
		assert.NoError(t, err, "a second before expiry")
		_, err = s.Lookup(ctx, f.ID, r.Hash, base.Add(ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "at expiry")
	})

	t.Run("rotate", func(t *testing.T) {
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		r2 := next(f.ID, base.Add(time.Minute), ttl)
		got, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)
		assert.Equal(t, f.ID, got.ID)
		assert.Equal(t, f.Session, got.Session)
		assert.False(t, got.Revoked)
		assert.True(t, got.ExpiresAt.Equal(r2.ExpiresAt), "ExpiresAt follows the new token")

		// The new token is current, and can itself be rotated.
		lk, err := s.Lookup(ctx, f.ID, r2.Hash, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, f.ID, lk.ID)
		r3 := next(f.ID, base.Add(2*time.Minute), ttl)
		_, err = s.Rotate(ctx, r2.Hash, r3)
		require.NoError(t, err)
		// The rotated token is still known (Lookup finds it) until it expires.
		lk, err = s.Lookup(ctx, f.ID, r1.Hash, base.Add(2*time.Minute))
		require.NoError(t, err)
		assert.Equal(t, f.ID, lk.ID)
	})

	t.Run("rotate unknown or expired", func(t *testing.T) {
		s := newStore(t)
		_, err := s.Rotate(ctx, hash(), next("no-such-family", base, ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		late := next(f.ID, base.Add(ttl), ttl)
		_, err = s.Rotate(ctx, r.Hash, late)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "expired at next.IssuedAt")
		_, err = s.Lookup(ctx, f.ID, late.Hash, base.Add(ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "nothing was stored")
		got, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.False(t, got.Revoked, "an expired token is not reuse")
	})

	t.Run("reuse revokes the family", func(t *testing.T) {
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		r2 := next(f.ID, base.Add(time.Minute), ttl)
		_, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)

		// r1 again: reuse. The family comes back revoked, with its id (the
		// issuer revokes the session's access tokens by it).
		r3 := next(f.ID, base.Add(2*time.Minute), ttl)
		got, err := s.Rotate(ctx, r1.Hash, r3)
		require.ErrorIs(t, err, issuer.ErrRefreshReused)
		assert.Equal(t, f.ID, got.ID)
		assert.True(t, got.Revoked)
		assert.Equal(t, f.Session, got.Session)
		_, err = s.Lookup(ctx, f.ID, r3.Hash, base.Add(2*time.Minute))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "the reuse stored nothing")

		// The current token r2 is dead too.
		got, err = s.Rotate(ctx, r2.Hash, next(f.ID, base.Add(3*time.Minute), ttl))
		require.ErrorIs(t, err, issuer.ErrFamilyRevoked)
		assert.True(t, got.Revoked)
		assert.Equal(t, f.ID, got.ID)
		lk, err := s.Lookup(ctx, f.ID, r2.Hash, base.Add(3*time.Minute))
		require.NoError(t, err)
		assert.True(t, lk.Revoked)
	})

	t.Run("absolute lifetime caps rotations", func(t *testing.T) {
		// next.MaxAge caps the new token at CreatedAt + MaxAge.
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		end := base.Add(30 * time.Minute)
		r2 := next(f.ID, base.Add(10*time.Minute), ttl)
		r2.MaxAge = 30 * time.Minute
		got, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)
		assert.True(t, got.ExpiresAt.Equal(end), "ExpiresAt is capped: %v", got.ExpiresAt)
		lk, err := s.Lookup(ctx, f.ID, r2.Hash, end.Add(-time.Nanosecond))
		require.NoError(t, err)
		assert.True(t, lk.ExpiresAt.Equal(end))
		_, err = s.Lookup(ctx, f.ID, r2.Hash, end)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "the stored token expires at the cap")

		// A cap later than next.ExpiresAt changes nothing.
		r3 := next(f.ID, base.Add(20*time.Minute), 5*time.Minute)
		r3.MaxAge = 30 * time.Minute
		got, err = s.Rotate(ctx, r2.Hash, r3)
		require.NoError(t, err)
		assert.True(t, got.ExpiresAt.Equal(r3.ExpiresAt), "ExpiresAt is next's when it is earlier")

		// Past the cap the capped token is expired.
		r4 := next(f.ID, base.Add(25*time.Minute), ttl)
		r4.MaxAge = 30 * time.Minute
		_, err = s.Rotate(ctx, r3.Hash, r4)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound)
	})

	t.Run("absolute lifetime refuses rotation at the cap", func(t *testing.T) {
		// A family whose current token outlives CreatedAt + MaxAge (it
		// started before the limit was set, or the limit was lowered).
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		end := base.Add(40 * time.Minute)
		late := next(f.ID, end, ttl)
		late.MaxAge = 40 * time.Minute
		_, err := s.Rotate(ctx, r1.Hash, late)
		require.ErrorIs(t, err, issuer.ErrRefreshNotFound, "at CreatedAt + MaxAge")
		_, err = s.Lookup(ctx, f.ID, late.Hash, end)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "nothing was stored")
		lk, err := s.Lookup(ctx, f.ID, r1.Hash, end)
		require.NoError(t, err)
		assert.False(t, lk.Revoked, "a session past its lifetime is not reuse")
		assert.True(t, lk.ExpiresAt.Equal(r1.ExpiresAt), "the family was not extended")

		// A nanosecond earlier it rotates, capped to the nanosecond.
		r2 := next(f.ID, end.Add(-time.Nanosecond), ttl)
		r2.MaxAge = 40 * time.Minute
		got, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err, "the refused attempt left r1 current")
		assert.True(t, got.ExpiresAt.Equal(end), "ExpiresAt %v", got.ExpiresAt)
		r3 := next(f.ID, end, ttl)
		_, err = s.Rotate(ctx, r2.Hash, r3)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "the capped token is expired at the cap")
	})

	t.Run("absolute lifetime after revocation and reuse checks", func(t *testing.T) {
		s := newStore(t)
		f, r1 := family("alice", base, 3*time.Hour)
		require.NoError(t, s.Create(ctx, f, r1))
		_, err := s.Rotate(ctx, r1.Hash, next(f.ID, base.Add(time.Minute), 3*time.Hour))
		require.NoError(t, err)
		late := next(f.ID, base.Add(2*time.Hour), ttl)
		late.MaxAge = time.Hour
		got, err := s.Rotate(ctx, r1.Hash, late)
		require.ErrorIs(t, err, issuer.ErrRefreshReused, "a rotated token is reuse even past the cap")
		assert.True(t, got.Revoked)
		_, err = s.Rotate(ctx, r1.Hash, late)
		assert.ErrorIs(t, err, issuer.ErrFamilyRevoked)
	})

	t.Run("absolute lifetime calendar arithmetic", func(t *testing.T) {
		// CreatedAt + MaxAge across day, month, year and leap-day
		// boundaries, to the nanosecond (a store that keeps times as text
		// must add them itself).
		s := newStore(t)
		for _, c := range []struct {
			created time.Time
			maxAge  time.Duration
		}{
			{time.Date(2024, 2, 28, 12, 0, 0, 500_000_000, time.UTC), 36 * time.Hour},
			{time.Date(2023, 2, 28, 12, 0, 0, 0, time.UTC), 36 * time.Hour},
			{time.Date(2000, 2, 28, 0, 0, 0, 0, time.UTC), 24 * time.Hour},
			{time.Date(2100, 2, 28, 0, 0, 0, 0, time.UTC), 48 * time.Hour},
			{time.Date(2023, 12, 31, 23, 30, 0, 0, time.UTC), 45 * time.Minute},
			{time.Date(2025, 6, 30, 23, 59, 59, 999_999_999, time.UTC), time.Nanosecond},
			{time.Date(2025, 1, 1, 0, 0, 0, 1, time.UTC), 400*24*time.Hour + 999_999_999},
			{time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), 90 * 24 * time.Hour},
		} {
			end := c.created.Add(c.maxAge)
			f, r1 := family("alice", c.created, c.maxAge+time.Hour)
			require.NoError(t, s.Create(ctx, f, r1))
			r2 := next(f.ID, c.created, c.maxAge+time.Hour)
			r2.MaxAge = c.maxAge
			got, err := s.Rotate(ctx, r1.Hash, r2)
			require.NoError(t, err, "created %v", c.created)
			assert.True(t, got.ExpiresAt.Equal(end), "created %v + %v: got %v, want %v", c.created, c.maxAge, got.ExpiresAt, end)
			_, err = s.Lookup(ctx, f.ID, r2.Hash, end.Add(-time.Nanosecond))
			assert.NoError(t, err, "a nanosecond before %v", end)
			_, err = s.Lookup(ctx, f.ID, r2.Hash, end)
			assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "at %v", end)
		}
	})

	t.Run("families are independent", func(t *testing.T) {
		s := newStore(t)
		fa, ra := family("alice", base, ttl)
		fb, rb := family("bob", base, ttl)
		require.NoError(t, s.Create(ctx, fa, ra))
		require.NoError(t, s.Create(ctx, fb, rb))
		_, err := s.Rotate(ctx, ra.Hash, next(fa.ID, base, ttl))
		require.NoError(t, err)
		_, err = s.Rotate(ctx, ra.Hash, next(fa.ID, base, ttl))
		require.ErrorIs(t, err, issuer.ErrRefreshReused)
		got, err := s.Rotate(ctx, rb.Hash, next(fb.ID, base, ttl))
		require.NoError(t, err, "bob's family survives alice's reuse")
		assert.Equal(t, "bob", got.Subject)
		_, err = s.RevokeFamily(ctx, fb.ID)
		require.NoError(t, err)
		lk, err := s.Lookup(ctx, fa.ID, ra.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, fa.ID, lk.ID)
	})

	t.Run("revoke family", func(t *testing.T) {
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		got, err := s.RevokeFamily(ctx, f.ID)
		require.NoError(t, err)
		assert.True(t, got.Revoked)
		assert.Equal(t, f.Session, got.Session)
		assert.Equal(t, f.ID, got.ID)
		got, err = s.RevokeFamily(ctx, f.ID)
		require.NoError(t, err, "revoking twice succeeds (logout is idempotent)")
		assert.True(t, got.Revoked)
		_, err = s.Rotate(ctx, r.Hash, next(f.ID, base, ttl))
		assert.ErrorIs(t, err, issuer.ErrFamilyRevoked)
		_, err = s.RevokeFamily(ctx, "no-such-family")
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound)
	})

	t.Run("long families", func(t *testing.T) {
		// A family rotates any number of times; reuse of any of the
		// RefreshRing tokens rotated last revokes it whole (the issuer then
		// revokes the session id, which covers every access token the
		// family ever issued).
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		var rotated []issuer.RefreshRecord
		prev := r
		for k := range 40 {
			nx := next(f.ID, base.Add(time.Duration(k+1)*time.Second), ttl)
			got, err := s.Rotate(ctx, prev.Hash, nx)
			require.NoError(t, err)
			require.Equal(t, f.ID, got.ID)
			rotated = append(rotated, prev)
			prev = nx
		}
		oldest := rotated[len(rotated)-issuer.RefreshRing]
		got, err := s.Rotate(ctx, oldest.Hash, next(f.ID, base.Add(time.Minute), ttl))
		require.ErrorIs(t, err, issuer.ErrRefreshReused, "the oldest token the ring remembers")
		assert.Equal(t, f.ID, got.ID)
		_, err = s.Rotate(ctx, prev.Hash, next(f.ID, base.Add(time.Minute), ttl))
		assert.ErrorIs(t, err, issuer.ErrFamilyRevoked, "the newest token dies with the family")
	})

	t.Run("tokens rotated before the ring are unknown", func(t *testing.T) {
		// A token older than the RefreshRing rotations the store remembers
		// is refused as unknown — never accepted, never rotated — without
		// revoking the family; one the ring holds is reuse.
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		tokens := []issuer.RefreshRecord{r}
		for k := range issuer.RefreshRing + 4 {
			nx := next(f.ID, base.Add(time.Duration(k+1)*time.Second), ttl)
			_, err := s.Rotate(ctx, tokens[len(tokens)-1].Hash, nx)
			require.NoError(t, err)
			tokens = append(tokens, nx)
		}
		now := base.Add(time.Minute)
		for k, old := range tokens[:4] {
			_, err := s.Rotate(ctx, old.Hash, next(f.ID, now, ttl))
			require.ErrorIs(t, err, issuer.ErrRefreshNotFound, "token %d", k)
			_, err = s.Lookup(ctx, f.ID, old.Hash, now)
			require.ErrorIs(t, err, issuer.ErrRefreshNotFound, "token %d", k)
		}
		cur := tokens[len(tokens)-1]
		got, err := s.Lookup(ctx, f.ID, cur.Hash, now)
		require.NoError(t, err)
		assert.False(t, got.Revoked, "an unknown token does not revoke the family")
		for _, old := range tokens[4 : len(tokens)-1] {
			got, err := s.Lookup(ctx, f.ID, old.Hash, now)
			require.NoError(t, err, "the ring's tokens are known")
			assert.Equal(t, f.ID, got.ID)
		}
		got, err = s.Rotate(ctx, tokens[4].Hash, next(f.ID, now, ttl))
		require.ErrorIs(t, err, issuer.ErrRefreshReused, "the oldest token in the ring")
		assert.True(t, got.Revoked)
	})

	t.Run("a token is known in its own family only", func(t *testing.T) {
		s := newStore(t)
		fa, ra := family("alice", base, ttl)
		fb, rb := family("bob", base, ttl)
		require.NoError(t, s.Create(ctx, fa, ra))
		require.NoError(t, s.Create(ctx, fb, rb))
		_, err := s.Lookup(ctx, fb.ID, ra.Hash, base)
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "alice's token under bob's family")
		_, err = s.Rotate(ctx, ra.Hash, next(fb.ID, base, ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "alice's token rotated as bob's")
		_, err = s.Rotate(ctx, ra.Hash, next("no-such-family", base, ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "under an unknown family")

		// A rotated token of alice's, presented as bob's, is not reuse.
		ra2 := next(fa.ID, base.Add(time.Second), ttl)
		_, err = s.Rotate(ctx, ra.Hash, ra2)
		require.NoError(t, err)
		_, err = s.Rotate(ctx, ra.Hash, next(fb.ID, base.Add(2*time.Second), ttl))
		assert.ErrorIs(t, err, issuer.ErrRefreshNotFound)
		for _, c := range []struct {
			f issuer.Family
			h [32]byte
		}{{fa, ra2.Hash}, {fb, rb.Hash}} {
			got, err := s.Lookup(ctx, c.f.ID, c.h, base.Add(2*time.Second))
			require.NoError(t, err)
			assert.False(t, got.Revoked, "family %s", c.f.Subject)
		}
		_, err = s.Rotate(ctx, rb.Hash, next(fb.ID, base.Add(3*time.Second), ttl))
		assert.NoError(t, err, "bob's token was never replaced")
	})

	t.Run("rotate refuses a hash the family holds", func(t *testing.T) {
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		r2 := next(f.ID, base.Add(time.Second), ttl)
		_, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)
		dup := next(f.ID, base.Add(2*time.Second), ttl)
		dup.Hash = r2.Hash
		_, err = s.Rotate(ctx, r2.Hash, dup)
		assert.ErrorIs(t, err, issuer.ErrFamilyExists, "the current token's hash")
		lk, err := s.Lookup(ctx, f.ID, r2.Hash, base.Add(2*time.Second))
		require.NoError(t, err)
		assert.False(t, lk.Revoked)
		_, err = s.Rotate(ctx, r2.Hash, next(f.ID, base.Add(3*time.Second), ttl))
		assert.NoError(t, err, "the refused rotation left r2 current")
	})

	t.Run("a repeated rotation changes nothing", func(t *testing.T) {
		// A store client resends Rotate after losing its reply: the same
		// old hash and the same next record. It is not reuse.
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		r2 := next(f.ID, base.Add(time.Minute), ttl)
		_, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)
		got, err := s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err, "the same call again")
		assert.False(t, got.Revoked)
		assert.True(t, got.ExpiresAt.Equal(r2.ExpiresAt))
		r3 := next(f.ID, base.Add(2*time.Minute), ttl)
		_, err = s.Rotate(ctx, r2.Hash, r3)
		require.NoError(t, err, "r2 is still current")

		// Once r3 replaced r2, the first call repeated is reuse.
		got, err = s.Rotate(ctx, r1.Hash, r2)
		require.ErrorIs(t, err, issuer.ErrRefreshReused)
		assert.True(t, got.Revoked)
	})

	t.Run("a repeated rotation is not a retry", func(t *testing.T) {
		// r1 presented again with a new record, after the same call was
		// repeated, is still reuse without a grace.
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r1))
		r2 := next(f.ID, base.Add(time.Minute), ttl)
		for range 2 {
			_, err := s.Rotate(ctx, r1.Hash, r2)
			require.NoError(t, err)
		}
		got, err := s.Rotate(ctx, r1.Hash, next(f.ID, base.Add(time.Minute), ttl))
		require.ErrorIs(t, err, issuer.ErrRefreshReused)
		assert.True(t, got.Revoked)
	})

	t.Run("reuse grace", func(t *testing.T) {
		// The token the last rotation replaced, presented again within
		// next.ReuseGrace of that rotation (its answer was lost, the client
		// retries), rotates once more; the family goes on from the newest
		// token only. Every other presentation of a rotated token is reuse.
		const grace = 5 * time.Second
		rot := func(famID string, at time.Time) issuer.RefreshRecord {
			r := next(famID, base.Add(at.Sub(base)), ttl)
			r.ReuseGrace = grace
			return r
		}
		// start creates a family and rotates r1 → r2 at base.
		start := func(t *testing.T) (issuer.RefreshStore, issuer.Family, issuer.RefreshRecord, issuer.RefreshRecord) {
			s := newStore(t)
			f, r1 := family("alice", base.Add(-time.Minute), ttl)
			require.NoError(t, s.Create(ctx, f, r1))
			r2 := rot(f.ID, base)
			_, err := s.Rotate(ctx, r1.Hash, r2)
			require.NoError(t, err)
			return s, f, r1, r2
		}
		t.Run("a retry within the grace rotates once", func(t *testing.T) {
			s, f, r1, r2 := start(t)
			r3 := rot(f.ID, base.Add(grace-time.Nanosecond))
			got, err := s.Rotate(ctx, r1.Hash, r3)
			require.NoError(t, err, "the retry")
			assert.Equal(t, f.ID, got.ID)
			assert.False(t, got.Revoked)
			assert.True(t, got.ExpiresAt.Equal(r3.ExpiresAt))
			lk, err := s.Lookup(ctx, f.ID, r3.Hash, r3.IssuedAt)
			require.NoError(t, err)
			assert.False(t, lk.Revoked)
			// The family goes on from r3.
			r4 := rot(f.ID, base.Add(time.Minute))
			_, err = s.Rotate(ctx, r3.Hash, r4)
			require.NoError(t, err)
			// r2, the lost answer, is a rotated token: reuse.
			got, err = s.Rotate(ctx, r2.Hash, rot(f.ID, base.Add(2*time.Minute)))
			require.ErrorIs(t, err, issuer.ErrRefreshReused)
			assert.True(t, got.Revoked)
		})
		t.Run("the first rotation's token dies", func(t *testing.T) {
			s, f, r1, r2 := start(t)
			_, err := s.Rotate(ctx, r1.Hash, rot(f.ID, base.Add(time.Second)))
			require.NoError(t, err)
			got, err := s.Rotate(ctx, r2.Hash, rot(f.ID, base.Add(2*time.Second)))
			require.ErrorIs(t, err, issuer.ErrRefreshReused, "the pair the retry replaced")
			assert.True(t, got.Revoked)
		})
		t.Run("a second retry is reuse", func(t *testing.T) {
			s, f, r1, _ := start(t)
			r3 := rot(f.ID, base.Add(time.Second))
			_, err := s.Rotate(ctx, r1.Hash, r3)
			require.NoError(t, err)
			got, err := s.Rotate(ctx, r1.Hash, rot(f.ID, base.Add(2*time.Second)))
			require.ErrorIs(t, err, issuer.ErrRefreshReused)
			assert.True(t, got.Revoked)
			_, err = s.Rotate(ctx, r3.Hash, rot(f.ID, base.Add(3*time.Second)))
			assert.ErrorIs(t, err, issuer.ErrFamilyRevoked, "the retry's token dies with the family")
		})
		t.Run("after the grace it is reuse", func(t *testing.T) {
			s, f, r1, r2 := start(t)
			got, err := s.Rotate(ctx, r1.Hash, rot(f.ID, base.Add(grace)))
			require.ErrorIs(t, err, issuer.ErrRefreshReused, "at rotation + grace")
			assert.True(t, got.Revoked)
			_, err = s.Rotate(ctx, r2.Hash, rot(f.ID, base.Add(grace)))
			assert.ErrorIs(t, err, issuer.ErrFamilyRevoked)
		})
		t.Run("without a grace it is reuse", func(t *testing.T) {
			s, f, r1, _ := start(t)
			got, err := s.Rotate(ctx, r1.Hash, next(f.ID, base.Add(time.Second), ttl))
			require.ErrorIs(t, err, issuer.ErrRefreshReused)
			assert.True(t, got.Revoked)
		})
		t.Run("a token older than the last rotation is reuse", func(t *testing.T) {
			s, f, r1, r2 := start(t)
			r3 := rot(f.ID, base.Add(time.Second))
			_, err := s.Rotate(ctx, r2.Hash, r3)
			require.NoError(t, err)
			got, err := s.Rotate(ctx, r1.Hash, rot(f.ID, base.Add(2*time.Second)))
			require.ErrorIs(t, err, issuer.ErrRefreshReused, "r1 is two rotations old")
			assert.True(t, got.Revoked)
		})
		t.Run("each rotation opens its own grace", func(t *testing.T) {
			s, f, r1, _ := start(t)
			r3 := rot(f.ID, base.Add(time.Second)) // the grace retry of r1
			_, err := s.Rotate(ctx, r1.Hash, r3)
			require.NoError(t, err)
			r4 := rot(f.ID, base.Add(time.Minute)) // a normal rotation
			_, err = s.Rotate(ctx, r3.Hash, r4)
			require.NoError(t, err)
			_, err = s.Rotate(ctx, r3.Hash, rot(f.ID, base.Add(time.Minute+time.Second)))
			require.NoError(t, err, "r3's retry within its own grace")
		})
		t.Run("a revoked family stays revoked", func(t *testing.T) {
			s, f, r1, _ := start(t)
			_, err := s.RevokeFamily(ctx, f.ID)
			require.NoError(t, err)
			got, err := s.Rotate(ctx, r1.Hash, rot(f.ID, base.Add(time.Second)))
			require.ErrorIs(t, err, issuer.ErrFamilyRevoked)
			assert.True(t, got.Revoked)
		})
		t.Run("concurrent retries", func(t *testing.T) {
			// The rotation and its retries all at once: one rotation, at
			// most one grace rotation, and the rest is reuse, which revokes
			// the family.
			s := newStore(t)
			f, r := family("alice", base, ttl)
			require.NoError(t, s.Create(ctx, f, r))
			const goroutines = 16
			records := make([]issuer.RefreshRecord, goroutines)
			for i := range records {
				records[i] = rot(f.ID, base.Add(time.Second))
			}
			wins, reuses := rotateAtOnce(t, s, r.Hash, records)
			assert.Equal(t, 2, wins, "the rotation and one grace rotation")
			assert.Equal(t, goroutines-2, reuses)
			got, err := s.Lookup(ctx, f.ID, r.Hash, base.Add(time.Second))
			require.NoError(t, err)
			assert.True(t, got.Revoked)
		})
	})

	t.Run("DPoP thumbprint", func(t *testing.T) {
		s := newStore(t)
		f, r1 := family("alice", base, ttl)
		f.JKT = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
		require.NoError(t, s.Create(ctx, f, r1))
		got, err := s.Lookup(ctx, f.ID, r1.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, f.JKT, got.JKT, "Lookup")
		r2 := next(f.ID, base.Add(time.Minute), ttl)
		got, err = s.Rotate(ctx, r1.Hash, r2)
		require.NoError(t, err)
		assert.Equal(t, f.JKT, got.JKT, "Rotate keeps the family's binding")
		got, err = s.Lookup(ctx, f.ID, r2.Hash, base.Add(time.Minute))
		require.NoError(t, err)
		assert.Equal(t, f.JKT, got.JKT, "Lookup after Rotate")
		got, err = s.Rotate(ctx, r1.Hash, next(f.ID, base.Add(2*time.Minute), ttl))
		require.ErrorIs(t, err, issuer.ErrRefreshReused)
		assert.Equal(t, f.JKT, got.JKT, "the family a reuse revoked")
		got, err = s.RevokeFamily(ctx, f.ID)
		require.NoError(t, err)
		assert.Equal(t, f.JKT, got.JKT, "RevokeFamily")

		plain, r := family("bob", base, ttl)
		require.NoError(t, s.Create(ctx, plain, r))
		got, err = s.Lookup(ctx, plain.ID, r.Hash, base)
		require.NoError(t, err)
		assert.Empty(t, got.JKT, "a family that is not bound")
		got, err = s.Rotate(ctx, r.Hash, next(plain.ID, base.Add(time.Minute), ttl))
		require.NoError(t, err)
		assert.Empty(t, got.JKT)
	})

	t.Run("returned families are copies", func(t *testing.T) {
		s := newStore(t)
		f, r := family("alice", base, ttl)
		f.Scopes = []string{"products:read", "categories:read"}
		require.NoError(t, s.Create(ctx, f, r))
		f.Scopes[0] = "admin" // the caller's slice is not retained
		got, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, []string{"products:read", "categories:read"}, got.Scopes)
		got.Scopes[1] = "admin"
		again, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.Equal(t, []string{"products:read", "categories:read"}, again.Scopes)
	})

	t.Run("canceled context", func(t *testing.T) {
		s := newStore(t)
		f, r := family("alice", base, ttl)
		require.NoError(t, s.Create(ctx, f, r))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Rotate(cctx, r.Hash, next(f.ID, base, ttl))
		require.Error(t, err)
		got, err := s.Lookup(ctx, f.ID, r.Hash, base)
		require.NoError(t, err)
		assert.False(t, got.Revoked, "a canceled rotation is not a reuse")
		f2, r2 := family("bob", base, ttl)
		assert.Error(t, s.Create(cctx, f2, r2))
		_, err = s.Lookup(cctx, f.ID, r.Hash, base)
		assert.Error(t, err)
		_, err = s.RevokeFamily(cctx, f.ID)
		assert.Error(t, err)
	})

	t.Run("concurrent rotation has exactly one winner", func(t *testing.T) {
		const goroutines = 32
		for round := range 5 {
			s := newStore(t)
			f, r := family(fmt.Sprint("user", round), base, ttl)
			require.NoError(t, s.Create(ctx, f, r))
			records := make([]issuer.RefreshRecord, goroutines)
			for i := range records {
				records[i] = next(f.ID, base.Add(time.Second), ttl)
			}
			wins, reuses := rotateAtOnce(t, s, r.Hash, records)
			require.Equal(t, 1, wins, "round %d: exactly one rotation wins", round)
			require.Equal(t, goroutines-1, reuses, "round %d: every other one is refused", round)
			got, err := s.Lookup(ctx, f.ID, r.Hash, base.Add(time.Second))
			require.NoError(t, err)
			assert.True(t, got.Revoked, "the losers' reuse revoked the family")
		}
	})

	t.Run("concurrent families", func(t *testing.T) {
		s := newStore(t)
		var wg sync.WaitGroup
		for g := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f, r := family(fmt.Sprint("user", g), base, ttl)
				if err := s.Create(ctx, f, r); err != nil {
					t.Errorf("create: %v", err)
					return
				}
				prev := r
				for k := range 20 {
					nx := next(f.ID, base.Add(time.Duration(k)*time.Second), ttl)
					got, err := s.Rotate(ctx, prev.Hash, nx)
					if err != nil || got.ID != f.ID {
						t.Errorf("rotate %d of family %d: %v", k, g, err)
						return
					}
					prev = nx
				}
			}()
		}
		wg.Wait()
	})
}

var famSeq struct {
	sync.Mutex
	n int
}

// family returns a new family for subject and its first token record.
func family(subject string, now time.Time, ttl time.Duration) (issuer.Family, issuer.RefreshRecord) {
	famSeq.Lock()
	famSeq.n++
	id := fmt.Sprintf("fam-%d-%s", famSeq.n, rand.Text()[:8])
	famSeq.Unlock()
	f := issuer.Family{
		ID:        id,
		Session:   issuer.Session{Subject: subject, Tenant: "t-" + subject, ClientID: "123456", Scopes: []string{"products:read"}},
		CreatedAt: now,
	}
	return f, next(id, now, ttl)
}

// next returns a token record of family famID issued at now.
func next(famID string, now time.Time, ttl time.Duration) issuer.RefreshRecord {
	return issuer.RefreshRecord{
		Hash:      hash(),
		FamilyID:  famID,
		IssuedAt:  now,
		ExpiresAt: now.Add(ttl),
	}
}

// rotateAtOnce presents the token oldHash to s once per record, all at
// once, and counts the rotations that won and those refused as reuse (or
// as a revoked family); any other outcome fails t.
func rotateAtOnce(t *testing.T, s issuer.RefreshStore, oldHash [32]byte, records []issuer.RefreshRecord) (wins, reuses int) {
	t.Helper()
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		mu    sync.Mutex
	)
	for _, nx := range records {
		wg.Go(func() {
			<-start
			_, err := s.Rotate(context.Background(), oldHash, nx)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
			case errors.Is(err, issuer.ErrRefreshReused), errors.Is(err, issuer.ErrFamilyRevoked):
				reuses++
			default:
				t.Errorf("unexpected error %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	return wins, reuses
}

func hash() [32]byte { return sha256.Sum256([]byte(rand.Text())) }

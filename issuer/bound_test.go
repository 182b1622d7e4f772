package issuer_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryReplayBound inserts past MaxKeys on an injected clock: a full
// store refuses new keys with ErrStoreFull instead of forgetting a live
// one (every live key stays a replay), and takes new keys again as soon as
// the earliest expire, never holding more than MaxKeys.
func TestMemoryReplayBound(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	const max = 4
	m, err := issuer.NewMemoryReplayWith(issuer.MemoryReplayConfig{MaxKeys: max, MaxKeysPerClient: max, Now: c.Now})
	require.NoError(t, err)

	use := func(key string, ttl time.Duration) (bool, error) { return m.Use(ctx, "client", key, ttl) }
	for k := range max {
		fresh, err := use(fmt.Sprint(k), time.Duration(k+1)*time.Minute) // key k lives k+1 minutes
		require.NoError(t, err)
		require.True(t, fresh)
	}
	fresh, err := use("new", time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull)
	assert.False(t, fresh)
	fresh, err = m.Use(ctx, "other-client", "0", time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull, "the bound is the store's, not a client's")
	assert.False(t, fresh)
	for k := range max {
		fresh, err := use(fmt.Sprint(k), time.Hour)
		require.NoError(t, err, "a replay is recognised when full")
		assert.False(t, fresh, "key %d is still live: never forgotten", k)
	}
	assert.Equal(t, max, m.Len())

	c.Add(time.Minute - time.Nanosecond)
	_, err = use("new", time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull, "nothing expired yet")
	c.Add(time.Nanosecond) // key 0 expires: its room is the new key's
	fresh, err = use("new", time.Hour)
	require.NoError(t, err)
	assert.True(t, fresh)
	_, err = use("newer", time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull)
	fresh, err = use("0", time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull, "an expired key is new again, and the store is full")
	assert.False(t, fresh)

	// A flood far past the bound, a second apart: the store never holds
	// more than max keys, refuses the rest, and every accepted key stays a
	// replay while it lives.
	c.Add(time.Hour)
	accepted, refused := 0, 0
	for n := range 100 * max {
		c.Add(time.Second)
		fresh, err := use(fmt.Sprint("flood-", n), 30*time.Second)
		switch {
		case err == nil:
			require.True(t, fresh)
			accepted++
			fresh, err = use(fmt.Sprint("flood-", n), 30*time.Second)
			require.NoError(t, err)
			require.False(t, fresh)
		default:
			require.ErrorIs(t, err, issuer.ErrStoreFull)
			refused++
		}
		require.LessOrEqual(t, m.Len(), max)
	}
	assert.Positive(t, refused)
	assert.Positive(t, accepted)
	assert.InDelta(t, 100*max*max/30, accepted, float64(max), "max keys per 30-second ttl")

	_, err = issuer.NewMemoryReplayWith(issuer.MemoryReplayConfig{MaxKeys: -1})
	assert.Error(t, err)
}

// TestMemoryRefreshBound inserts past MaxTokens: a full store refuses new
// families and rotations with ErrStoreFull, forgets no live token (current
// or rotated: reuse is still detected), and has room again once tokens
// expire.
func TestMemoryRefreshBound(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m, err := issuer.NewMemoryRefreshWith(issuer.MemoryRefreshConfig{MaxTokens: 3, MaxTokensPerSubject: 3})
	require.NoError(t, err)
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	create := func(id string, at time.Time, ttl time.Duration) error {
		return m.Create(ctx, issuer.Family{ID: id, Session: issuer.Session{Subject: id}, CreatedAt: at},
			issuer.RefreshRecord{Hash: h(id + "/0"), FamilyID: id, IssuedAt: at, ExpiresAt: at.Add(ttl)})
	}
	rotate := func(old, next string, at time.Time, ttl time.Duration) (issuer.Family, error) {
		fam, _, _ := strings.Cut(old, "/")
		return m.Rotate(ctx, h(old), issuer.RefreshRecord{Hash: h(next), FamilyID: fam, IssuedAt: at, ExpiresAt: at.Add(ttl)})
	}

	require.NoError(t, create("a", base, time.Hour))
	_, err = rotate("a/0", "a/1", base, 2*time.Hour) // a/0 stays, rotated, until base+1h
	require.NoError(t, err)
	require.NoError(t, create("b", base, 3*time.Hour))
	require.Equal(t, 3, m.Len())

	require.ErrorIs(t, create("c", base.Add(time.Minute), time.Hour), issuer.ErrStoreFull, "a new login is refused")
	_, err = rotate("b/0", "b/1", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull, "a rotation needs room too")
	fam, err := m.Lookup(ctx, "b", h("b/0"), base.Add(time.Minute))
	require.NoError(t, err, "the refused rotation left b/0 current")
	assert.False(t, fam.Revoked)
	_, err = rotate("a/0", "a/x", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrRefreshReused, "a rotated token is still known when full")
	_, err = rotate("a/1", "a/2", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrFamilyRevoked)
	assert.Equal(t, 3, m.Len(), "nothing was forgotten")

	// At base+1h a/0 expires: its room goes to the next write.
	require.ErrorIs(t, create("c", base.Add(time.Hour-time.Nanosecond), time.Hour), issuer.ErrStoreFull)
	require.NoError(t, create("c", base.Add(time.Hour), time.Hour))
	_, err = m.Lookup(ctx, "a", h("a/1"), base.Add(time.Hour))
	require.NoError(t, err, "family a lives on with its current token")
	require.ErrorIs(t, create("d", base.Add(time.Hour), time.Hour), issuer.ErrStoreFull)

	// At base+2h a/1 expires (and family a with it), c/0 too.
	require.NoError(t, create("d", base.Add(2*time.Hour), time.Hour))
	_, err = m.RevokeFamily(ctx, "a")
	assert.ErrorIs(t, err, issuer.ErrFamilyNotFound, "a family goes with its last token")
	_, err = rotate("b/0", "b/1", base.Add(2*time.Hour), time.Hour)
	require.NoError(t, err, "room again")
	assert.Equal(t, 3, m.Len()) // b/0, b/1, d/0

	_, err = issuer.NewMemoryRefreshWith(issuer.MemoryRefreshConfig{MaxTokens: -1})
	assert.Error(t, err)
}

// TestFullStoresAnswer503: the issuer maps ErrStoreFull to 503 in its
// envelope — a login when the refresh store is full, an assertion grant
// when the replay store is — and issues nothing.
func TestFullStoresAnswer503(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		refresh, err := issuer.NewMemoryRefreshWith(issuer.MemoryRefreshConfig{MaxTokens: 1})
		require.NoError(t, err)
		f := newFixture(t, func(cfg *issuer.Config) { cfg.Refresh = refresh })
		f.login(t, "127.0.0.2", "demo", demoPassword)
		w := f.do("POST", "/auth/login", "127.0.0.1", `{"username":"partner","password":"`+partnerPassword+`"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
		name, code, _ := errorBody(t, w)
		assert.Equal(t, "ServiceUnavailableError", name)
		assert.Equal(t, "SERVICE_UNAVAILABLE", code)
		assert.Equal(t, 1, refresh.Len())
	})
	t.Run("token", func(t *testing.T) {
		var replay *issuer.MemoryReplay
		f := newTokenFixture(t, func(cfg *issuer.Config) {
			var err error
			replay, err = issuer.NewMemoryReplayWith(issuer.MemoryReplayConfig{MaxKeys: 1, Now: cfg.Now})
			require.NoError(t, err)
			cfg.Replay = replay
		})
		now := f.clock.Now()
		decodeToken(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(now, "nk-1"), shopKey)))
		w := f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(now, "nk-2"), shopKey))
		require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
		code, _ := oauthError(t, w)
		assert.Equal(t, "temporarily_unavailable", code)
		code, _ = oauthError(t, f.assertionGrant("shop", jws(t, jwtHeader, claimsAt(now, "nk-1"), shopKey)))
		assert.Equal(t, "invalid_grant", code, "a replay is still refused as one")
	})
}

// TestMemoryReplayBoundPerClient: one client that fills its share is
// refused while the others still have room, and its keys stay replays.
func TestMemoryReplayBoundPerClient(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	m, err := issuer.NewMemoryReplayWith(issuer.MemoryReplayConfig{MaxKeys: 10, MaxKeysPerClient: 3, Now: c.Now})
	require.NoError(t, err)
	for k := range 3 {
		fresh, err := m.Use(ctx, "greedy", fmt.Sprint(k), time.Minute)
		require.NoError(t, err)
		require.True(t, fresh)
	}
	fresh, err := m.Use(ctx, "greedy", "3", time.Minute)
	require.ErrorIs(t, err, issuer.ErrStoreFull)
	assert.False(t, fresh)
	fresh, err = m.Use(ctx, "greedy", "0", time.Minute)
	require.NoError(t, err)
	assert.False(t, fresh, "its live keys are still replays")
	for k := range 3 {
		fresh, err := m.Use(ctx, "other", fmt.Sprint(k), time.Minute)
		require.NoError(t, err, "another client has room")
		require.True(t, fresh)
	}
	c.Add(time.Minute)
	fresh, err = m.Use(ctx, "greedy", "3", time.Minute)
	require.NoError(t, err, "room again once its keys expired")
	assert.True(t, fresh)
	assert.Equal(t, 1, m.Len())

	// The defaults: a client alone cannot take the whole store.
	d := issuer.NewMemoryReplay(c.Now)
	refused := 0
	for k := range issuer.DefaultMaxReplayKeys/4 + 10 {
		if _, err := d.Use(ctx, "greedy", fmt.Sprint(k), time.Minute); err != nil {
			require.ErrorIs(t, err, issuer.ErrStoreFull)
			refused++
		}
	}
	assert.Equal(t, 10, refused)
	fresh, err = d.Use(ctx, "other", "0", time.Minute)
	require.NoError(t, err)
	assert.True(t, fresh)
}

// TestMemoryRefreshBoundPerSubject: the sessions of one subject — one
// family rotated in a loop, or one login after another — exhaust their
// own share; other subjects, and the same subject name in another
// tenant, still log in.
func TestMemoryRefreshBoundPerSubject(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	create := func(m *issuer.MemoryRefresh, id, tenant, subject string, ttl time.Duration) error {
		return m.Create(ctx, issuer.Family{ID: id, Session: issuer.Session{Subject: subject, Tenant: tenant}, CreatedAt: base},
			issuer.RefreshRecord{Hash: h(id + "/0"), FamilyID: id, IssuedAt: base, ExpiresAt: base.Add(ttl)})
	}
	m, err := issuer.NewMemoryRefreshWith(issuer.MemoryRefreshConfig{MaxTokens: 100, MaxTokensPerSubject: 3})
	require.NoError(t, err)
	require.NoError(t, create(m, "a1", "t1", "alice", time.Hour))
	_, err = m.Rotate(ctx, h("a1/0"), issuer.RefreshRecord{Hash: h("a1/1"), FamilyID: "a1", IssuedAt: base, ExpiresAt: base.Add(2 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, create(m, "a2", "t1", "alice", 2*time.Hour))
	require.ErrorIs(t, create(m, "a3", "t1", "alice", time.Hour), issuer.ErrStoreFull)
	_, err = m.Rotate(ctx, h("a1/1"), issuer.RefreshRecord{Hash: h("a1/2"), FamilyID: "a1", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
	require.ErrorIs(t, err, issuer.ErrStoreFull)
	require.NoError(t, create(m, "b1", "t1", "bob", time.Hour), "another subject has room")
	require.NoError(t, create(m, "a4", "t2", "alice", time.Hour), "alice of another tenant is another subject")
	// At base+1h a1/0 expires: alice has room for one more.
	require.NoError(t, m.Create(ctx, issuer.Family{ID: "a5", Session: issuer.Session{Subject: "alice", Tenant: "t1"}, CreatedAt: base.Add(time.Hour)},
		issuer.RefreshRecord{Hash: h("a5/0"), FamilyID: "a5", IssuedAt: base.Add(time.Hour), ExpiresAt: base.Add(3 * time.Hour)}))

	// The defaults: one session rotated in a loop holds its current token
	// and the RefreshRing rotated last, whatever the number of rotations;
	// logins of one subject in a loop fill its share and no more.
	d := issuer.NewMemoryRefresh()
	require.NoError(t, create(d, "loop", "t1", "mallory", time.Hour))
	prev := "loop/0"
	for k := range 1000 {
		next := fmt.Sprint("loop/", k+1)
		_, err := d.Rotate(ctx, h(prev), issuer.RefreshRecord{Hash: h(next), FamilyID: "loop", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
		require.NoError(t, err)
		prev = next
	}
	assert.Equal(t, issuer.RefreshRing+1, d.Len(), "a family's tokens do not grow with its rotations")
	_, err = d.Rotate(ctx, h("loop/999"), issuer.RefreshRecord{Hash: h("x"), FamilyID: "loop", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
	require.ErrorIs(t, err, issuer.ErrRefreshReused, "reuse within the ring is detected")

	e := issuer.NewMemoryRefresh()
	logins := 0
	for k := range issuer.DefaultMaxRefreshTokens/4 + 10 {
		if err := create(e, fmt.Sprint("m", k), "t1", "mallory", time.Hour); err != nil {
			require.ErrorIs(t, err, issuer.ErrStoreFull)
			break
		}
		logins++
	}
	assert.Equal(t, issuer.DefaultMaxRefreshTokens/4, logins)
	require.NoError(t, create(e, "other", "t1", "bob", time.Hour), "the others still log in")
}

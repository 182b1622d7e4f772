package tokenendpoint_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
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
	m, err := tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{MaxKeys: max, MaxKeysPerClient: max, Now: c.Now})
	require.NoError(t, err)

	use := func(key string, ttl time.Duration) (bool, error) { return m.Use(ctx, "client", key, ttl) }
	for k := range max {
		fresh, err := use(fmt.Sprint(k), time.Duration(k+1)*time.Minute) // key k lives k+1 minutes
		require.NoError(t, err)
		require.True(t, fresh)
	}
	fresh, err := use("new", time.Hour)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull)
	assert.False(t, fresh)
	fresh, err = m.Use(ctx, "other-client", "0", time.Hour)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull, "the bound is the store's, not a client's")
	assert.False(t, fresh)
	for k := range max {
		fresh, err := use(fmt.Sprint(k), time.Hour)
		require.NoError(t, err, "a replay is recognised when full")
		assert.False(t, fresh, "key %d is still live: never forgotten", k)
	}
	assert.Equal(t, max, m.Len())

	c.Add(time.Minute - time.Nanosecond)
	_, err = use("new", time.Hour)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull, "nothing expired yet")
	c.Add(time.Nanosecond) // key 0 expires: its room is the new key's
	fresh, err = use("new", time.Hour)
	require.NoError(t, err)
	assert.True(t, fresh)
	_, err = use("newer", time.Hour)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull)
	fresh, err = use("0", time.Hour)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull, "an expired key is new again, and the store is full")
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
			require.ErrorIs(t, err, tokenendpoint.ErrStoreFull)
			refused++
		}
		require.LessOrEqual(t, m.Len(), max)
	}
	assert.Positive(t, refused)
	assert.Positive(t, accepted)
	assert.InDelta(t, 100*max*max/30, accepted, float64(max), "max keys per 30-second ttl")

	_, err = tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{MaxKeys: -1})
	assert.Error(t, err)
}

// TestMemoryReplayBoundPerClient: one client that fills its share is
// refused while the others still have room, and its keys stay replays.
func TestMemoryReplayBoundPerClient(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	m, err := tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{MaxKeys: 10, MaxKeysPerClient: 3, Now: c.Now})
	require.NoError(t, err)
	for k := range 3 {
		fresh, err := m.Use(ctx, "greedy", fmt.Sprint(k), time.Minute)
		require.NoError(t, err)
		require.True(t, fresh)
	}
	fresh, err := m.Use(ctx, "greedy", "3", time.Minute)
	require.ErrorIs(t, err, tokenendpoint.ErrStoreFull)
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
	d := mustMemoryReplay(c.Now)
	refused := 0
	for k := range (1<<16)/4 + 10 {
		if _, err := d.Use(ctx, "greedy", fmt.Sprint(k), time.Minute); err != nil {
			require.ErrorIs(t, err, tokenendpoint.ErrStoreFull)
			refused++
		}
	}
	assert.Equal(t, 10, refused)
	fresh, err = d.Use(ctx, "other", "0", time.Minute)
	require.NoError(t, err)
	assert.True(t, fresh)
}

// TestFullStoresAnswer503: the endpoint maps ErrStoreFull to 503 in its
// envelope — an assertion grant when the replay store is full — and
// issues nothing.
func TestFullStoresAnswer503(t *testing.T) {
	var replay *tokenendpoint.MemoryReplay
	f := newTokenFixture(t, func(cfg *tokenendpoint.Config) {
		var err error
		replay, err = tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{MaxKeys: 1, Now: cfg.Now})
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
}

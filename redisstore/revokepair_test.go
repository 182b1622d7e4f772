package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// RevokeTokenAndSession writes what RevokeToken and RevokeSession write,
// with their expiries, in one round trip, on every deployment.
func TestRevokeTokenAndSession(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		s := established(t, newStore(t, nil))
		rt := &redistest.RoundTrips{}
		s.Client().AddHook(rt)
		ctx := rt.Context(context.Background())
		rev := s.Revocations()
		now := time.Now()

		require.NoError(t, rev.RevokeTokenAndSession(ctx, "alice", "j1", now.Add(time.Hour), "s1", now.Add(3*time.Hour)))
		assert.Equal(t, redistest.Cost{Waits: 1, Commands: 1}, rt.Take())
		require.NoError(t, rev.RevokeToken(ctx, "bob", "j1", now.Add(time.Hour)))
		require.NoError(t, rev.RevokeSession(ctx, "bob", "s1", now.Add(3*time.Hour)))
		rt.Take()

		iat := now.Unix()
		for _, tc := range []struct {
			ref  bearer.TokenRef
			want bool
		}{
			{bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: iat}, true},
			{bearer.TokenRef{Subject: "alice", ID: "j2", SessionID: "s1", IssuedAt: iat}, true},
			{bearer.TokenRef{Subject: "alice", ID: "j2", SessionID: "s2", IssuedAt: iat}, false},
			{bearer.TokenRef{Subject: "carol", ID: "j1", SessionID: "s1", IssuedAt: iat}, false},
		} {
			got, err := rev.Revoked(context.Background(), &tc.ref)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got, "%+v", tc.ref)
		}

		c := s.Client()
		pttl := func(subject, kind string) time.Duration {
			return c.PTTL(context.Background(), s.Prefix()+"rev:{"+subject+"}:"+kind).Val()
		}
		for _, kind := range []string{"jti:j1", "sid:s1"} {
			assert.InDelta(t, pttl("bob", kind), pttl("alice", kind), float64(time.Second), "%s: as the separate writes", kind)
		}
		assert.Greater(t, pttl("alice", "sid:s1"), 2*time.Hour, "each key its own expiry")

		require.NoError(t, rev.RevokeTokenAndSession(ctx, "alice", "j1", now.Add(time.Minute), "s1", now.Add(time.Minute)))
		assert.Greater(t, pttl("alice", "jti:j1"), 50*time.Minute, "the later expiry is kept")
		assert.Greater(t, pttl("alice", "sid:s1"), 2*time.Hour, "the later expiry is kept")
		require.NoError(t, rev.RevokeTokenAndSession(ctx, "alice", "j1", time.Time{}, "s1", time.Time{}))
		assert.Equal(t, time.Duration(-1), pttl("alice", "jti:j1"), "a zero until is forever")
		assert.Equal(t, time.Duration(-1), pttl("alice", "sid:s1"))

		assert.Error(t, rev.RevokeTokenAndSession(ctx, "alice", "", now, "s1", now), "empty jti")
		assert.Error(t, rev.RevokeTokenAndSession(ctx, "alice", "j1", now, "", now), "empty sid")
	})
}

// The write reaches every local copy: a Store that had read a token of
// the session as not revoked sees it revoked.
func TestRevokeTokenAndSessionInvalidates(t *testing.T) {
	for _, d := range deployments {
		if d.name == "sentinel" {
			continue
		}
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			prefix := redistest.Prefix(t, c)
			writer, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
			require.NoError(t, err)
			established(t, writer)
			reader, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, LocalCache: redisstore.LocalCache{Enabled: true}, SkipServerCheck: true, Logger: quiet})
			require.NoError(t, err)
			t.Cleanup(func() { _ = reader.Close() })
			require.Eventually(t, reader.LocalCacheLive, 5*time.Second, time.Millisecond)

			ctx := context.Background()
			other := bearer.TokenRef{Subject: "alice", ID: "j2", SessionID: "s1", IssuedAt: time.Now().Unix()}
			revoked, err := reader.Revocations().Revoked(ctx, &other)
			require.NoError(t, err)
			require.False(t, revoked)
			require.NoError(t, writer.Revocations().RevokeTokenAndSession(ctx, "alice", "j1", time.Now().Add(time.Hour), "s1", time.Now().Add(time.Hour)))
			require.Eventually(t, func() bool {
				revoked, err := reader.Revocations().Revoked(ctx, &other)
				return err == nil && revoked
			}, 5*time.Second, time.Millisecond, "the session's other token, read before, is revoked")
		})
	}
}

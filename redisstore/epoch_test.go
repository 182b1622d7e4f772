package redisstore_test

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestEpoch: before Establish, and again once Redis lost the keys (here
// every key under the store's prefix, epoch records included, as FLUSHALL
// or an empty restart leaves them), the reads that decide access fail with
// ErrStateLost instead of answering "not revoked", "no allowlist" or
// "fresh"; after Establish they answer, every token issued before the new
// epoch is revoked, and a single-use key is refused while the epoch is
// younger than its ttl. On a cluster each hash slot has its own record.
func TestEpoch(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, nil)
		rev, lists, replay := s.Revocations(), s.Lists(), s.Replay()
		lost := func(what string) {
			t.Helper()
			_, err := rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: time.Now().Unix()})
			assert.ErrorIs(t, err, redisstore.ErrStateLost, "%s: revocations", what)
			_, err = lists.AllowSet(ctx, "acct")
			assert.ErrorIs(t, err, redisstore.ErrStateLost, "%s: allowlists", what)
			_, err = replay.Use(ctx, "client", "key", time.Minute)
			assert.ErrorIs(t, err, redisstore.ErrStateLost, "%s: replay keys", what)
		}
		lost("before Establish")

		require.NoError(t, s.Establish(ctx))
		before := time.Now().Add(-time.Second).Unix()
		after := time.Now().Unix()
		revoked, err := rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: after})
		require.NoError(t, err)
		assert.False(t, revoked, "a token issued after Establish")
		revoked, err = rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: before})
		require.NoError(t, err)
		assert.True(t, revoked, "a token issued before the epoch")
		revoked, err = rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1"})
		require.NoError(t, err)
		assert.False(t, revoked, "a token without iat cannot be placed: its revocation keys judge it")
		require.NoError(t, lists.Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
		set, err := lists.AllowSet(ctx, "acct")
		require.NoError(t, err)
		assert.True(t, set.Contains(netip.MustParseAddr("10.1.2.3")))
		_, err = replay.Use(ctx, "client", "key", time.Minute)
		assert.ErrorIs(t, err, redisstore.ErrStateLost, "a key whose ttl is longer than the new epoch's age")
		var fresh bool
		require.Eventually(t, func() bool {
			fresh, err = replay.Use(ctx, "client", "key", 10*time.Millisecond)
			return err == nil
		}, 5*time.Second, 5*time.Millisecond, "a ttl shorter than the epoch's age")
		assert.True(t, fresh)
		require.NoError(t, s.Establish(ctx), "Establish keeps an existing epoch")
		revoked, err = rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: after})
		require.NoError(t, err)
		assert.False(t, revoked, "the epoch did not move")

		flushPrefix(t, s)
		lost("after the loss")
		require.NoError(t, s.Establish(ctx))
		revoked, err = rev.Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-1", IssuedAt: after})
		require.NoError(t, err)
		assert.True(t, revoked, "a token from before the loss is refused in the new epoch")
		set, err = lists.AllowSet(ctx, "acct")
		require.NoError(t, err)
		assert.Nil(t, set, "a lost list is gone: re-seed it before Establish")
	})
}

// flushPrefix deletes every key of s, as a Redis that lost its data has
// none: FLUSHALL itself would take the keys of tests running beside this
// one.
func flushPrefix(t *testing.T, s *redisstore.Store) {
	t.Helper()
	redistest.Flush(t, s.Client(), s.Prefix())
}

// TestReplayRefusedAfterLoss: a single-use key spent before Redis lost its
// data is not fresh again once Establish wrote a new epoch record, while
// it would still be alive: Use fails with ErrStateLost for one ttl after
// the new epoch began, and then counts again (the key it had spent is
// gone, so it is fresh). A key spent in the new epoch is refused as used.
func TestReplayRefusedAfterLoss(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := established(t, newStore(t, nil))
		replay := s.Replay()
		const ttl = 1500 * time.Millisecond
		fresh, err := replay.Use(ctx, "client", "assertion-jti", 5*time.Minute)
		require.NoError(t, err)
		require.True(t, fresh, "first use")

		flushPrefix(t, s) // Redis lost its data
		require.NoError(t, s.Establish(ctx))
		fresh, err = replay.Use(ctx, "client", "assertion-jti", 5*time.Minute)
		require.ErrorIs(t, err, redisstore.ErrStateLost, "a key spent before the loss, within its ttl")
		assert.False(t, fresh)
		_, err = replay.Use(ctx, "client", "other", ttl)
		require.ErrorIs(t, err, redisstore.ErrStateLost, "any key while the epoch is younger than its ttl")

		require.Eventually(t, func() bool {
			fresh, err = replay.Use(ctx, "client", "other", ttl)
			return err == nil
		}, 5*time.Second, 50*time.Millisecond, "once the epoch is ttl old")
		assert.True(t, fresh)
		fresh, err = replay.Use(ctx, "client", "other", ttl)
		require.NoError(t, err)
		assert.False(t, fresh, "spent in the new epoch")
	})
}

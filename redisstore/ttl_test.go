package redisstore_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
)

// Every key that can expire has a TTL: an API key or opaque token with an
// expiry is dropped by Redis a little after it, its id index later still
// (so a stored record is always reachable by its ID); one without an expiry
// stays until deleted.
func TestRecordTTLs(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		now := time.Now()
		s := newStore(t, func() time.Time { return now })
		c := s.Client()
		pttl := func(key string) time.Duration {
			t.Helper()
			d, err := c.PTTL(ctx, s.Prefix()+key).Result()
			require.NoError(t, err)
			return d
		}

		expiring, forever := apikey.Hash("ak_expiring"), apikey.Hash("ak_forever")
		require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_exp", Hash: expiring, ExpiresAt: now.Add(24 * time.Hour)}))
		require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_forever", Hash: forever}))
		rec, idx := pttl("key:"+hex.EncodeToString(expiring[:])), pttl("keyid:key_exp")
		assert.InDelta(t, float64(25*time.Hour), float64(rec), float64(time.Minute), "record: an hour past ExpiresAt")
		assert.InDelta(t, float64(25*time.Hour+time.Minute), float64(idx), float64(time.Minute))
		assert.Greater(t, idx, rec, "the index outlives its record")
		assert.Equal(t, time.Duration(-1), pttl("key:"+hex.EncodeToString(forever[:])), "no ExpiresAt, no TTL")
		assert.Equal(t, time.Duration(-1), pttl("keyid:key_forever"))
		require.NoError(t, s.APIKeys().Touch(ctx, "key_exp", now))
		require.NoError(t, s.APIKeys().Revoke(ctx, "key_exp", now))
		assert.InDelta(t, float64(25*time.Hour), float64(pttl("key:"+hex.EncodeToString(expiring[:]))), float64(time.Minute), "Touch and Revoke keep the TTL")

		tok, plain := bearer.HashToken("expiring"), bearer.HashToken("forever")
		require.NoError(t, s.Tokens().Put(ctx, tok, bearer.TokenRecord{ID: "tok_exp", ExpiresAt: now.Add(time.Hour)}))
		require.NoError(t, s.Tokens().Put(ctx, plain, bearer.TokenRecord{ID: "tok_forever"}))
		rec, idx = pttl("tok:"+hex.EncodeToString(tok[:])), pttl("tokid:tok_exp")
		assert.InDelta(t, float64(time.Hour+bearer.MaxLeeway), float64(rec), float64(time.Minute))
		assert.Greater(t, idx, rec, "the index outlives its record")
		assert.Equal(t, time.Duration(-1), pttl("tok:"+hex.EncodeToString(plain[:])), "no ExpiresAt, no TTL")
		assert.Equal(t, time.Duration(-1), pttl("tokid:tok_forever"))
	})
}

// An expiry too far away for a time.Duration (here the year 9999, more
// than 292 years on) keeps its key for the largest TTL a Duration holds,
// about 292 years, rather than letting the slack added to the saturated
// duration wrap around to the slack alone.
func TestFarExpiryKeepsLargestTTL(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := established(t, newStore(t, nil))
		c := s.Client()
		pttl := func(key string) time.Duration {
			t.Helper()
			d, err := c.PTTL(ctx, s.Prefix()+key).Result()
			require.NoError(t, err)
			return d
		}
		const centuries = 290 * 365 * 24 * time.Hour
		far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

		tok := bearer.HashToken("opaque-far")
		require.NoError(t, s.Tokens().Put(ctx, tok, bearer.TokenRecord{ID: "t-far", Subject: "alice", ExpiresAt: far}))
		assert.Greater(t, pttl("tok:"+hex.EncodeToString(tok[:])), centuries, "opaque token")
		assert.Greater(t, pttl("tokid:t-far"), centuries, "its index")

		key := apikey.Hash("ak_far")
		require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "k-far", Hash: key, ExpiresAt: far}))
		assert.Greater(t, pttl("key:"+hex.EncodeToString(key[:])), centuries, "API key")
		assert.Greater(t, pttl("keyid:k-far"), centuries, "its index")
		require.NoError(t, s.APIKeys().Revoke(ctx, "k-far", time.Now()), "revocable by its ID")

		require.NoError(t, s.Revocations().RevokeToken(ctx, "alice", "jti-far", far))
		revoked, err := s.Revocations().Revoked(ctx, &bearer.TokenRef{Subject: "alice", ID: "jti-far", IssuedAt: time.Now().Unix()})
		require.NoError(t, err)
		assert.True(t, revoked, "a revocation until 9999")
	})
}

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

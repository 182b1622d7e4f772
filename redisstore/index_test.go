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

// A record and its id index live in different hash slots, written in two
// steps. An index left without its record (a Put interrupted between the
// steps) refuses the ID to another key, never points a revocation at the
// wrong record, and goes with Delete; a stale index pointing at a record
// that now carries another ID neither revokes nor deletes that record.
func TestIndexLeftByInterruptedWrite(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, nil)
		c := s.Client()
		at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

		t.Run("api key", func(t *testing.T) {
			// An index for key_1 whose record was never written.
			orphan := apikey.Hash("ak_orphan")
			require.NoError(t, c.Set(ctx, s.Prefix()+"keyid:key_1", hex.EncodeToString(orphan[:]), 0).Err())
			other := apikey.Hash("ak_other")
			require.ErrorIs(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_1", Hash: other}), apikey.ErrDuplicateKey)
			require.ErrorIs(t, s.APIKeys().Revoke(ctx, "key_1", at), apikey.ErrKeyNotFound)
			require.ErrorIs(t, s.APIKeys().Delete(ctx, "key_1"), apikey.ErrKeyNotFound, "Delete removes the orphan index")
			require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_1", Hash: other}))

			// A stale index for key_2 pointing at key_1's record.
			require.NoError(t, c.Set(ctx, s.Prefix()+"keyid:key_2", hex.EncodeToString(other[:]), 0).Err())
			require.ErrorIs(t, s.APIKeys().Revoke(ctx, "key_2", at), apikey.ErrKeyNotFound)
			require.ErrorIs(t, s.APIKeys().Delete(ctx, "key_2"), apikey.ErrKeyNotFound)
			rec, err := s.APIKeys().Lookup(ctx, other)
			require.NoError(t, err)
			assert.Equal(t, "key_1", rec.ID)
			assert.False(t, rec.Revoked, "key_1 was not revoked through key_2's stale index")
			require.NoError(t, s.APIKeys().Revoke(ctx, "key_1", at))
			rec, err = s.APIKeys().Lookup(ctx, other)
			require.NoError(t, err)
			assert.True(t, rec.Revoked)
		})

		t.Run("token", func(t *testing.T) {
			h := bearer.HashToken("opaque-1")
			require.NoError(t, s.Tokens().Put(ctx, h, bearer.TokenRecord{ID: "tok_a"}))
			// The same hash stored again under another ID releases tok_a.
			require.NoError(t, s.Tokens().Put(ctx, h, bearer.TokenRecord{ID: "tok_b"}))
			require.ErrorIs(t, s.Tokens().RevokeToken(ctx, "tok_a"), bearer.ErrTokenNotFound)
			require.NoError(t, s.Tokens().Put(ctx, bearer.HashToken("opaque-2"), bearer.TokenRecord{ID: "tok_a"}), "tok_a is free again")

			// A stale index for tok_c pointing at tok_b's record.
			require.NoError(t, c.Set(ctx, s.Prefix()+"tokid:tok_c", hex.EncodeToString(h[:]), 0).Err())
			require.ErrorIs(t, s.Tokens().Put(ctx, bearer.HashToken("opaque-3"), bearer.TokenRecord{ID: "tok_c"}), bearer.ErrDuplicateTokenID)
			require.ErrorIs(t, s.Tokens().RevokeToken(ctx, "tok_c"), bearer.ErrTokenNotFound)
			require.ErrorIs(t, s.Tokens().DeleteToken(ctx, "tok_c"), bearer.ErrTokenNotFound)
			rec, err := s.Tokens().LookupToken(ctx, h)
			require.NoError(t, err)
			assert.Equal(t, "tok_b", rec.ID)
			assert.False(t, rec.Revoked)
			require.NoError(t, s.Tokens().Put(ctx, bearer.HashToken("opaque-3"), bearer.TokenRecord{ID: "tok_c"}), "DeleteToken removed the stale index")
			require.NoError(t, s.Tokens().DeleteToken(ctx, "tok_b"))
			_, err = s.Tokens().LookupToken(ctx, h)
			require.ErrorIs(t, err, bearer.ErrTokenNotFound)
		})
	})
}

// A Put refused as a duplicate of the record stored under the same ID and
// hash, with another ExpiresAt, never shortens the ID's index: the stored
// key stays revocable by its ID for as long as it lives. A Put that
// creates the record after an interrupted Put (an index pointing at the
// hash, no record) lengthens the index to cover the record.
func TestAPIKeyDuplicatePutKeepsIndex(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ctx := context.Background()
		s := newStore(t, nil)
		c, keys := s.Client(), s.APIKeys()
		pttl := func(key string) time.Duration {
			t.Helper()
			d, err := c.PTTL(ctx, s.Prefix()+key).Result()
			require.NoError(t, err)
			return d
		}
		soon := time.Now().Add(time.Second)

		forever := apikey.Record{ID: "k1", Hash: apikey.Hash("ak_forever"), Subject: "alice"}
		require.NoError(t, keys.Put(ctx, forever))
		again := forever
		again.ExpiresAt = soon
		require.ErrorIs(t, keys.Put(ctx, again), apikey.ErrDuplicateKey)
		assert.Equal(t, time.Duration(-1), pttl("keyid:k1"), "the index of a record without expiry keeps none")

		day := apikey.Record{ID: "k2", Hash: apikey.Hash("ak_day"), Subject: "alice", ExpiresAt: time.Now().Add(24 * time.Hour)}
		require.NoError(t, keys.Put(ctx, day))
		before := pttl("keyid:k2")
		again = day
		again.ExpiresAt = soon
		require.ErrorIs(t, keys.Put(ctx, again), apikey.ErrDuplicateKey)
		assert.InDelta(t, before, pttl("keyid:k2"), float64(time.Second), "the index keeps its TTL")
		assert.Greater(t, pttl("keyid:k2"), pttl("key:"+hexHash(day.Hash)), "the index outlives its record")

		for _, id := range []string{"k1", "k2"} {
			require.NoError(t, keys.Revoke(ctx, id, time.Now()), id)
		}

		// An interrupted Put left k3's index, with a short TTL, and no record.
		h := apikey.Hash("ak_resumed")
		require.NoError(t, c.Set(ctx, s.Prefix()+"keyid:k3", hexHash(h), time.Minute).Err())
		require.NoError(t, keys.Put(ctx, apikey.Record{ID: "k3", Hash: h, Subject: "alice"}))
		assert.Equal(t, time.Duration(-1), pttl("keyid:k3"), "a record without expiry: the index keeps none")
		require.NoError(t, c.Set(ctx, s.Prefix()+"keyid:k4", hexHash(apikey.Hash("ak_resumed_day")), time.Minute).Err())
		require.NoError(t, keys.Put(ctx, apikey.Record{ID: "k4", Hash: apikey.Hash("ak_resumed_day"), ExpiresAt: time.Now().Add(24 * time.Hour)}))
		assert.Greater(t, pttl("keyid:k4"), pttl("key:"+hexHash(apikey.Hash("ak_resumed_day"))), "the index outlives its record")
	})
}

func hexHash(h [32]byte) string { return hex.EncodeToString(h[:]) }

package bearer_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
)

func TestMemoryStoresConform(t *testing.T) {
	bearertest.TestRevocationStore(t, func(_ *testing.T, now func() time.Time) bearer.RevocationStore {
		return bearer.NewMemoryRevocations(now)
	})
	bearertest.TestTokenStore(t, func(*testing.T) bearertest.TokenStore { return bearer.NewMemoryTokens() })
}

func TestMemoryRevocationsPurge(t *testing.T) {
	c := &bearertest.Clock{}
	c.Add(time.Duration(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()))
	s := bearer.NewMemoryRevocations(c.Now)
	ctx := context.Background()
	require.NoError(t, s.RevokeToken(ctx, "u", "old", c.Now().Add(time.Minute)))
	require.NoError(t, s.RevokeToken(ctx, "u", "forever", time.Time{}))
	require.NoError(t, s.RevokeSubject(ctx, "gone", c.Now(), c.Now().Add(time.Minute)))
	c.Add(time.Minute + bearer.MaxLeeway + time.Second)
	for i := range 1100 { // a purge runs every 1024 writes
		require.NoError(t, s.RevokeToken(ctx, "v", string(rune('a'+i%26))+time.Duration(i).String(), c.Now().Add(time.Hour)))
	}
	old, _ := s.Revoked(ctx, &bearer.TokenRef{Subject: "u", ID: "old"})
	assert.False(t, old, "purged after expiry plus MaxLeeway")
	forever, _ := s.Revoked(ctx, &bearer.TokenRef{Subject: "u", ID: "forever"})
	assert.True(t, forever)
	gone, _ := s.Revoked(ctx, &bearer.TokenRef{Subject: "gone", ID: "j"})
	assert.False(t, gone, "a subject's not-before is purged too")
	assert.Equal(t, 1+1100, s.Len())
}

func TestMemoryTokensKeepsNoPlaintext(t *testing.T) {
	s := bearer.NewMemoryTokens()
	ctx := context.Background()
	require.NoError(t, s.Add(ctx, "pxl_secret_value", bearer.TokenRecord{ID: "t1"}))
	assert.ErrorIs(t, s.Add(ctx, "other", bearer.TokenRecord{ID: "t1"}), bearer.ErrDuplicateTokenID)
	assert.Error(t, s.Add(ctx, "", bearer.TokenRecord{ID: "t2"}))
	assert.Error(t, s.Add(ctx, "x", bearer.TokenRecord{}))
	require.NoError(t, s.DeleteToken(ctx, "t1"))
	_, err := s.LookupToken(ctx, bearer.HashToken("pxl_secret_value"))
	assert.ErrorIs(t, err, bearer.ErrTokenNotFound)
	assert.ErrorIs(t, s.DeleteToken(ctx, "t1"), bearer.ErrTokenNotFound)
}

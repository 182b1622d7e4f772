package apikey_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/apikey/apikeytest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMemoryStoreConformance(t *testing.T) {
	apikeytest.TestStore(t, func(*testing.T) apikey.Store { return apikey.NewMemoryStore() })
}

func TestMemoryStoreAdd(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name, key  string
		rec        apikey.Record
		wantPrefix string
		wantErr    error
	}{
		{name: "foreign key keeps no prefix", key: "ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d", rec: apikey.Record{ID: "supplier"}},
		{name: "generated-format key gets its display prefix", key: mustKey(t, "live"), rec: apikey.Record{ID: "k2"}, wantPrefix: "ak_live_"},
		{name: "explicit prefix kept", key: "ABCD", rec: apikey.Record{ID: "k3", Prefix: "AB…"}, wantPrefix: "AB…"},
		{name: "missing ID is generated", key: "some-imported-key"},
		{name: "empty key refused", key: "", rec: apikey.Record{ID: "k5"}, wantErr: apikey.ErrInvalidRecord},
	}
	s := apikey.NewMemoryStore()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.Add(ctx, tc.key, tc.rec)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, apikey.Hash(tc.key), got.Hash)
			assert.NotEmpty(t, got.ID)
			if tc.rec.ID != "" {
				assert.Equal(t, tc.rec.ID, got.ID)
			}
			assert.Contains(t, got.Prefix, tc.wantPrefix)
			if tc.wantPrefix == "" {
				assert.Empty(t, got.Prefix)
			}
			stored, err := s.Lookup(ctx, apikey.Hash(tc.key))
			require.NoError(t, err)
			assert.Equal(t, got.ID, stored.ID)
		})
	}
}

func TestMemoryStoreGet(t *testing.T) {
	ctx := context.Background()
	s := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("test")
	require.NoError(t, err)
	rec.Scopes = []string{"a", "b"}
	require.NoError(t, s.Put(ctx, rec))

	got, err := s.Get(ctx, rec.ID)
	require.NoError(t, err)
	assert.Zero(t, got.Hash)
	assert.Equal(t, rec.Prefix, got.Prefix)
	got.Scopes[0] = "changed" // a copy: the store is unaffected
	snap, err := s.Lookup(ctx, apikey.Hash(key))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b"}, snap.Scopes)

	_, err = s.Get(ctx, "key_absent")
	require.ErrorIs(t, err, apikey.ErrKeyNotFound)
}

// Snapshots handed out by Lookup are immutable: a later Revoke or Touch
// publishes a new snapshot and leaves the old one as it was, so a request
// that already holds a record never sees it change under it.
func TestMemoryStoreSnapshotsAreImmutable(t *testing.T) {
	ctx := context.Background()
	s := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("test")
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, rec))

	before, err := s.Lookup(ctx, apikey.Hash(key))
	require.NoError(t, err)
	require.NoError(t, s.Touch(ctx, rec.ID, time.Unix(100, 0)))
	require.NoError(t, s.Revoke(ctx, rec.ID, time.Unix(200, 0)))
	after, err := s.Lookup(ctx, apikey.Hash(key))
	require.NoError(t, err)

	assert.False(t, before.Revoked)
	assert.True(t, before.LastUsed.IsZero())
	assert.True(t, after.Revoked)
	assert.Equal(t, int64(100), after.LastUsed.Unix())
}

func TestMemoryStoreLookupDoesNotAllocate(t *testing.T) {
	ctx := context.Background()
	s := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("test")
	require.NoError(t, err)
	require.NoError(t, s.Put(ctx, rec))
	h := apikey.Hash(key)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Lookup(ctx, h); err != nil {
			panic(err)
		}
	})
	assert.Zero(t, allocs)
}

func mustKey(t testing.TB, env string) string {
	t.Helper()
	key, _, err := apikey.Generate(env)
	require.NoError(t, err)
	return key
}

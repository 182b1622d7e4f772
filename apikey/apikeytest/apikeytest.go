// Package apikeytest is the conformance test kit for implementations of
// [apikey.Store]: the in-memory store runs it in its own tests, and every
// other implementation (Redis, SQL, …) must pass it too.
//
//	func TestRedisStore(t *testing.T) {
//		apikeytest.TestStore(t, func(t *testing.T) apikey.Store { return newTestRedisStore(t) })
//	}
package apikeytest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStore runs the conformance tests against stores made by newStore,
// which must return a new, empty store for each call (each subtest gets
// its own). Stores must round-trip times exactly (time.Time.Equal, to the
// nanosecond), preserve the order of Scopes and Surfaces, and never return
// a record's Hash.
func TestStore(t *testing.T, newStore func(t *testing.T) apikey.Store) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, s apikey.Store)
	}{
		{"PutThenLookup", testPutLookup},
		{"LookupUnknown", testLookupUnknown},
		{"LookupNearMiss", testLookupNearMiss},
		{"PutInvalid", testPutInvalid},
		{"PutDuplicate", testPutDuplicate},
		{"PutCopiesInput", testPutCopies},
		{"Revoke", testRevoke},
		{"Touch", testTouch},
		{"Delete", testDelete},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			require.NotNil(t, s, "newStore returned nil")
			tc.run(t, s)
		})
	}
}

var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.UTC)

// record returns a complete record for key number n.
func record(n int) (apikey.Record, [32]byte) {
	h := sha256.Sum256(fmt.Appendf(nil, "conformance-key-%d", n))
	return apikey.Record{
		ID:        fmt.Sprintf("key_conformance%d", n),
		Prefix:    fmt.Sprintf("ak_test_abc%03d", n),
		Hash:      h,
		Name:      "integration " + fmt.Sprint(n),
		Subject:   "partner-" + fmt.Sprint(n),
		Tenant:    "tenant-" + fmt.Sprint(n%3),
		Scopes:    []string{"orders:read", "orders:write"},
		Surfaces:  []string{"payment", "supplier"},
		Created:   base,
		ExpiresAt: base.Add(90 * 24 * time.Hour),
	}, h
}

func put(t *testing.T, s apikey.Store, rec apikey.Record) {
	t.Helper()
	require.NoError(t, s.Put(context.Background(), rec))
}

func lookup(t *testing.T, s apikey.Store, h [32]byte) *apikey.Record {
	t.Helper()
	got, err := s.Lookup(context.Background(), h)
	require.NoError(t, err)
	require.NotNil(t, got)
	assert.Zero(t, got.Hash, "Lookup must never return the hash")
	return got
}

// assertSame compares every field but Hash, times with Equal.
func assertSame(t *testing.T, want apikey.Record, got *apikey.Record) {
	t.Helper()
	assert.Equal(t, want.ID, got.ID, "ID")
	assert.Equal(t, want.Prefix, got.Prefix, "Prefix")
	assert.Equal(t, want.Name, got.Name, "Name")
	assert.Equal(t, want.Subject, got.Subject, "Subject")
	assert.Equal(t, want.Tenant, got.Tenant, "Tenant")
	assertStrings(t, want.Scopes, got.Scopes, "Scopes")
	assertStrings(t, want.Surfaces, got.Surfaces, "Surfaces")
	assert.True(t, want.Created.Equal(got.Created), "Created: want %v, got %v", want.Created, got.Created)
	assert.True(t, want.ExpiresAt.Equal(got.ExpiresAt), "ExpiresAt: want %v, got %v", want.ExpiresAt, got.ExpiresAt)
	assert.Equal(t, want.Revoked, got.Revoked, "Revoked")
	assert.True(t, want.RevokedAt.Equal(got.RevokedAt), "RevokedAt: want %v, got %v", want.RevokedAt, got.RevokedAt)
	assert.True(t, want.LastUsed.Equal(got.LastUsed), "LastUsed: want %v, got %v", want.LastUsed, got.LastUsed)
}

// assertStrings treats nil and empty alike.
func assertStrings(t *testing.T, want, got []string, what string) {
	t.Helper()
	if len(want) == 0 {
		assert.Empty(t, got, what)
		return
	}
	assert.Equal(t, want, got, what)
}

func testPutLookup(t *testing.T, s apikey.Store) {
	rec, h := record(1)
	put(t, s, rec)
	assertSame(t, rec, lookup(t, s, h))

	// A minimal record: optional fields stay zero.
	h2 := sha256.Sum256([]byte("minimal"))
	min := apikey.Record{ID: "key_minimal", Hash: h2}
	put(t, s, min)
	assertSame(t, min, lookup(t, s, h2))

	// The first record is unaffected.
	assertSame(t, rec, lookup(t, s, h))
}

func testLookupUnknown(t *testing.T, s apikey.Store) {
	_, err := s.Lookup(context.Background(), sha256.Sum256([]byte("never stored")))
	require.ErrorIs(t, err, apikey.ErrKeyNotFound)

	_, err = s.Lookup(context.Background(), [32]byte{})
	require.ErrorIs(t, err, apikey.ErrKeyNotFound, "the zero hash is never stored")
}

func testLookupNearMiss(t *testing.T, s apikey.Store) {
	rec, h := record(2)
	put(t, s, rec)
	for _, i := range []int{0, 15, 31} {
		near := h
		near[i] ^= 1
		_, err := s.Lookup(context.Background(), near)
		require.ErrorIs(t, err, apikey.ErrKeyNotFound, "hash differing in byte %d", i)
	}
}

func testPutInvalid(t *testing.T, s apikey.Store) {
	rec, _ := record(3)
	noID := rec
	noID.ID = ""
	require.ErrorIs(t, s.Put(context.Background(), noID), apikey.ErrInvalidRecord)
	noHash := rec
	noHash.Hash = [32]byte{}
	require.ErrorIs(t, s.Put(context.Background(), noHash), apikey.ErrInvalidRecord)
	// Neither was stored.
	_, err := s.Lookup(context.Background(), rec.Hash)
	require.ErrorIs(t, err, apikey.ErrKeyNotFound)
}

func testPutDuplicate(t *testing.T, s apikey.Store) {
	rec, h := record(4)
	put(t, s, rec)

	sameID, _ := record(5)
	sameID.ID = rec.ID
	require.ErrorIs(t, s.Put(context.Background(), sameID), apikey.ErrDuplicateKey)
	_, err := s.Lookup(context.Background(), sameID.Hash)
	require.ErrorIs(t, err, apikey.ErrKeyNotFound, "a refused Put stores nothing")

	sameHash, _ := record(6)
	sameHash.Hash = h
	require.ErrorIs(t, s.Put(context.Background(), sameHash), apikey.ErrDuplicateKey)
	assertSame(t, rec, lookup(t, s, h))
}

func testPutCopies(t *testing.T, s apikey.Store) {
	rec, h := record(7)
	put(t, s, rec)
	rec.Scopes[0] = "admin"
	rec.Surfaces[0] = "everything"
	got := lookup(t, s, h)
	assert.Equal(t, []string{"orders:read", "orders:write"}, got.Scopes)
	assert.Equal(t, []string{"payment", "supplier"}, got.Surfaces)
}

func testRevoke(t *testing.T, s apikey.Store) {
	ctx := context.Background()
	rec, h := record(8)
	other, oh := record(9)
	put(t, s, rec)
	put(t, s, other)

	at := base.Add(time.Hour)
	require.NoError(t, s.Revoke(ctx, rec.ID, at))
	got := lookup(t, s, h)
	assert.True(t, got.Revoked)
	assert.True(t, at.Equal(got.RevokedAt), "RevokedAt: want %v, got %v", at, got.RevokedAt)

	require.NoError(t, s.Revoke(ctx, rec.ID, at.Add(time.Hour)), "revoking twice succeeds")
	got = lookup(t, s, h)
	assert.True(t, at.Equal(got.RevokedAt), "the first revocation time is kept")

	assertSame(t, other, lookup(t, s, oh))
	require.ErrorIs(t, s.Revoke(ctx, "key_absent", at), apikey.ErrKeyNotFound)
}

func testTouch(t *testing.T, s apikey.Store) {
	ctx := context.Background()
	rec, h := record(10)
	put(t, s, rec)

	t1 := base.Add(time.Minute)
	require.NoError(t, s.Touch(ctx, rec.ID, t1))
	assert.True(t, t1.Equal(lookup(t, s, h).LastUsed))

	require.NoError(t, s.Touch(ctx, rec.ID, base), "an earlier time is ignored, not an error")
	assert.True(t, t1.Equal(lookup(t, s, h).LastUsed), "LastUsed never moves backwards")

	t2 := t1.Add(time.Minute)
	require.NoError(t, s.Touch(ctx, rec.ID, t2))
	got := lookup(t, s, h)
	assert.True(t, t2.Equal(got.LastUsed))
	want := rec
	want.LastUsed = t2
	assertSame(t, want, got)

	require.ErrorIs(t, s.Touch(ctx, "key_absent", t2), apikey.ErrKeyNotFound)
}

func testDelete(t *testing.T, s apikey.Store) {
	ctx := context.Background()
	rec, h := record(11)
	put(t, s, rec)
	require.NoError(t, s.Delete(ctx, rec.ID))
	_, err := s.Lookup(ctx, h)
	require.ErrorIs(t, err, apikey.ErrKeyNotFound)
	require.ErrorIs(t, s.Delete(ctx, rec.ID), apikey.ErrKeyNotFound)
	require.ErrorIs(t, s.Revoke(ctx, rec.ID, base), apikey.ErrKeyNotFound)

	// Both the ID and the hash are free again.
	put(t, s, rec)
	assertSame(t, rec, lookup(t, s, h))
}

func testConcurrent(t *testing.T, s apikey.Store) {
	ctx := context.Background()
	const keys, workers, rounds = 8, 8, 50
	recs := make([]apikey.Record, keys)
	for i := range recs {
		recs[i], _ = record(100 + i)
		put(t, s, recs[i])
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds*3)
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				rec := recs[(w+i)%keys]
				if _, err := s.Lookup(ctx, rec.Hash); err != nil {
					errs <- fmt.Errorf("lookup: %w", err)
				}
				if err := s.Touch(ctx, rec.ID, base.Add(time.Duration(w*rounds+i)*time.Second)); err != nil {
					errs <- fmt.Errorf("touch: %w", err)
				}
				if i == rounds/2 && w%2 == 0 {
					if err := s.Revoke(ctx, rec.ID, base); err != nil {
						errs <- fmt.Errorf("revoke: %w", err)
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every key was touched; LastUsed is the latest touch of that key, and
	// no Touch undid a Revoke (nor the reverse).
	latest := make(map[string]time.Time)
	revoked := make(map[string]bool)
	for w := range workers {
		for i := range rounds {
			id := recs[(w+i)%keys].ID
			if at := base.Add(time.Duration(w*rounds+i) * time.Second); at.After(latest[id]) {
				latest[id] = at
			}
			if i == rounds/2 && w%2 == 0 {
				revoked[id] = true
			}
		}
	}
	for _, rec := range recs {
		got := lookup(t, s, rec.Hash)
		assert.True(t, latest[rec.ID].Equal(got.LastUsed), "%s LastUsed: want %v, got %v", rec.ID, latest[rec.ID], got.LastUsed)
		assert.Equal(t, revoked[rec.ID], got.Revoked, "%s Revoked", rec.ID)
	}
}

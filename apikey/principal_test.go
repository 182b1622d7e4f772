package apikey

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCachedPrincipal checks the memory store's per-snapshot Principal: it
// equals the one built per request for other stores, every change to the
// record (Touch, Revoke) publishes a new one, and authenticating with it
// allocates nothing.
func TestCachedPrincipal(t *testing.T) {
	f := newFixture(t)
	viaSpy := MustNew(f.config()) // spyStore hides lookupPrincipal: built per request
	cfg := f.config()
	cfg.Store = f.mem
	cached := MustNew(cfg)
	require.NotNil(t, cached.cached)
	require.Nil(t, viaSpy.cached)

	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("ApiKey", f.valid)
	r.Header.Set("X-Tenant-ID", "acme")

	_, err := cached.Check(r) // the first use touches the record: a new snapshot
	require.NoError(t, err)
	built, err := viaSpy.Check(r)
	require.NoError(t, err)
	shared, err := cached.Check(r)
	require.NoError(t, err)
	assert.Equal(t, built, shared, "same Principal whichever store path")

	t.Run("shared across requests", func(t *testing.T) {
		p1, err := cached.check(r)
		require.NoError(t, err)
		p2, err := cached.check(r)
		require.NoError(t, err)
		assert.Same(t, p1, p2)
		assert.Same(t, p1.Claims, p2.Claims)
	})

	t.Run("touch publishes a new snapshot", func(t *testing.T) {
		before, err := cached.check(r)
		require.NoError(t, err)
		f.now = f.now.Add(2 * time.Minute) // past the default TouchInterval
		_, err = cached.check(r)           // touches, answered from the old snapshot
		require.NoError(t, err)
		after, err := cached.check(r)
		require.NoError(t, err)
		assert.NotSame(t, before, after)
		rec := after.Claims.(*Record)
		assert.True(t, rec.LastUsed.Equal(f.now), "Claims is the new snapshot's record")
		assert.Equal(t, before.TokenID, after.TokenID)
	})

	t.Run("no allocation", func(t *testing.T) {
		assert.Zero(t, testing.AllocsPerRun(100, func() {
			if _, err := cached.Check(r); err != nil {
				panic(err)
			}
		}))
	})

	t.Run("revocation is immediate", func(t *testing.T) {
		require.NoError(t, f.mem.Revoke(context.Background(), f.validRec.ID, f.now))
		_, err := cached.Check(r)
		assert.ErrorIs(t, err, ErrKeyRevoked)
		w := httptest.NewRecorder()
		next := &principalHandler{}
		cached.Middleware(next).ServeHTTP(w, r)
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Zero(t, next.calls)
	})
}

// TestNewPrincipal checks the mapping from a record to its Principal.
func TestNewPrincipal(t *testing.T) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := &Record{ID: "key_1", Subject: "svc", Tenant: "acme", Scopes: []string{"a"}, Expires: exp}
	assert.Equal(t, gatehouse.Principal{
		Subject: "svc", Tenant: "acme", Scopes: []string{"a"}, Method: gatehouse.MethodAPIKey,
		TokenID: "key_1", ExpiresAt: exp, Claims: rec,
	}, newPrincipal(rec))
	rec.Subject = ""
	assert.Equal(t, "key_1", newPrincipal(rec).Subject, "Subject defaults to the key ID")
}

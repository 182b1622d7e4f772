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
	viaSpy := must(New(f.config())) // spyStore hides lookupPrincipal: built per request
	cfg := f.config()
	cfg.Store = f.mem
	cached := must(New(cfg))
	require.NotNil(t, cached.cached)
	require.Nil(t, viaSpy.cached)

	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("ApiKey", f.valid)
	r.Header.Set("X-Tenant-ID", "acme")

	_, err := cached.Check(r)
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
		assert.Same(t, p1.Claims.(RecordView).rec, p2.Claims.(RecordView).rec)
	})

	t.Run("touch publishes a new snapshot", func(t *testing.T) {
		before, err := cached.check(r)
		require.NoError(t, err)
		f.now = f.now.Add(2 * time.Minute) // past the default TouchInterval
		w := httptest.NewRecorder()
		cached.Middleware(&principalHandler{}).ServeHTTP(w, r) // touches, answered from the old snapshot
		require.Equal(t, http.StatusNoContent, w.Code)
		after, err := cached.check(r)
		require.NoError(t, err)
		assert.NotSame(t, before, after)
		rec := after.Claims.(RecordView).Record()
		assert.True(t, rec.LastUsed.Equal(f.now), "Claims views the new snapshot's record")
		assert.Equal(t, before.TokenID, after.TokenID)
	})

	t.Run("no allocation", func(t *testing.T) {
		assert.Zero(t, testing.AllocsPerRun(100, func() {
			if _, err := cached.check(r); err != nil {
				panic(err)
			}
		}))
		// Check hands the caller its own copy of the Scopes: one allocation.
		assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() {
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
	rec := &Record{ID: "key_1", Subject: "svc", Tenant: "acme", Scopes: []string{"a"}, ExpiresAt: exp}
	assert.Equal(t, gatehouse.Principal{
		Subject: "svc", Tenant: "acme", Scopes: []string{"a"}, Method: gatehouse.MethodAPIKey,
		TokenID: "key_1", ExpiresAt: exp, Claims: RecordView{rec: rec},
	}, newPrincipal(rec))
	rec.Subject = ""
	assert.Equal(t, "key_1", newPrincipal(rec).Subject, "Subject defaults to the key ID")
}

// TestHandlerCannotChangeKeyPrincipal guards against a handler changing
// the Principal shared by every request with the same key: over
// a real server, a handler appends to and writes into Scopes, and changes
// the record copies RecordFrom and Principal.Claims give (fields and
// slices); the next request with the key sees the original Principal and
// record, and the key gains no surface.
func TestHandlerCannotChangeKeyPrincipal(t *testing.T) {
	for _, cached := range []bool{true, false} {
		name := map[bool]string{true: "memory store (shared Principal)", false: "other store (Principal per request)"}[cached]
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			cfg := f.config()
			if cached {
				cfg.Store = f.mem
			}
			payment := must(New(cfg))
			cfg.Surface = "admin"
			admin := must(New(cfg))

			mux := http.NewServeMux()
			mux.Handle("POST /mutate", payment.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := gatehouse.PrincipalFrom(r.Context())
				p.Scopes[0] = "admin"
				p.Scopes = append(p.Scopes, "root")
				rec, _ := RecordFrom(r.Context())
				rec.Scopes[0], rec.Surfaces[0] = "admin", "admin"
				rec.ExpiresAt, rec.Revoked = time.Time{}, false
				view := p.Claims.(RecordView).Record()
				view.Scopes[1], view.Surfaces[0] = "admin", "admin"
				w.WriteHeader(http.StatusNoContent)
			})))
			mux.Handle("POST /admin", admin.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNoContent)
			})))
			var seen gatehouse.Principal
			var seenRec Record
			mux.Handle("POST /read", payment.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seen, _ = gatehouse.PrincipalFrom(r.Context())
				seenRec, _ = RecordFrom(r.Context())
				w.WriteHeader(http.StatusNoContent)
			})))
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			post := func(path string) int {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+path, nil)
				require.NoError(t, err)
				req.Header.Set("ApiKey", f.valid)
				req.Header.Set("X-Tenant-ID", "acme")
				res, err := srv.Client().Do(req)
				require.NoError(t, err)
				_ = res.Body.Close()
				return res.StatusCode
			}

			require.Equal(t, http.StatusNoContent, post("/mutate"))
			require.Equal(t, http.StatusNoContent, post("/mutate"))
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("ApiKey", f.valid)
			r.Header.Set("X-Tenant-ID", "acme")
			p, err := payment.Check(r)
			require.NoError(t, err)
			p.Scopes[0] = "admin"

			assert.Equal(t, http.StatusForbidden, post("/admin"), "no handler gave the key the admin surface")
			require.Equal(t, http.StatusNoContent, post("/read"))
			assert.Equal(t, []string{"charges:write", "charges:read"}, seen.Scopes)
			assert.Equal(t, []string{"charges:write", "charges:read"}, seenRec.Scopes)
			assert.Equal(t, []string{"payment"}, seenRec.Surfaces)
			assert.True(t, f.validRec.ExpiresAt.Equal(seenRec.ExpiresAt))
			stored, err := f.mem.Lookup(context.Background(), Hash(f.valid))
			require.NoError(t, err)
			assert.Equal(t, []string{"payment"}, stored.Surfaces)
			assert.Equal(t, []string{"charges:write", "charges:read"}, stored.Scopes)
		})
	}
}

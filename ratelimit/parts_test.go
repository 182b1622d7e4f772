package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

// TestTakePartsIsTake checks that the two ways into a MemoryStore —
// Take(prefix+id) and takeParts(prefix, id) — charge the same bucket,
// for short keys and for keys longer than takeParts's stack buffer.
func TestTakePartsIsTake(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, prefix, id string }{
		{"token", "tok:", "k1"},
		{"no prefix", "", "ip:192.0.2.1"},
		{"long id", "sub:", strings.Repeat("x", 200)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewMemoryStore(MemoryConfig{})
			lim := PerMinute(3)
			for i := range 4 {
				var res Result
				var err error
				if i%2 == 0 {
					s.takeParts(&keyParts{prefix: tc.prefix, id: tc.id}, lim, now, &res)
				} else {
					res, err = s.Take(ctx, tc.prefix+tc.id, lim, now)
				}
				require.NoError(t, err)
				assert.Equal(t, i < 3, res.Allowed, "request %d", i)
				assert.Equal(t, max(0, 2-i), res.Remaining, "request %d", i)
			}
			assert.Equal(t, 1, s.Len())
		})
	}
}

// TestDefaultKeyIsByPrincipal checks that a Limiter without Config.Key and
// one with Key: ByPrincipal share their buckets in one store.
func TestDefaultKeyIsByPrincipal(t *testing.T) {
	store := NewMemoryStore(MemoryConfig{})
	now := func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) }
	implicit := must(New(Config{Limit: PerMinute(2), Store: store, Now: now}))
	explicit := must(New(Config{Limit: PerMinute(2), Store: store, Now: now, Key: ByPrincipal}))
	for _, p := range []*gatehouse.Principal{
		{TokenID: "t1", Subject: "s"},
		{TokenID: "jti", Subject: "s", Tenant: "t/1", Method: gatehouse.MethodJWT},
		{Subject: "s2"},
		nil, // keyed by address
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if p != nil {
			r = r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p))
		}
		res, err := implicit.Check(r)
		require.NoError(t, err)
		assert.Equal(t, 1, res.Remaining)
		res, err = explicit.Check(r)
		require.NoError(t, err)
		assert.Equal(t, 0, res.Remaining, "the same bucket")
		_, err = implicit.Check(r)
		assert.ErrorIs(t, err, ErrLimited)
	}
	assert.Equal(t, 4, store.Len())
}

// TestAllowPathDoesNotAllocate pins what the default key and the memory
// store's takeParts are for: an opaque token's or API key's id, and a
// JWT's tenant and subject, are joined on the stack.
func TestAllowPathDoesNotAllocate(t *testing.T) {
	for name, p := range map[string]*gatehouse.Principal{
		"token id": {TokenID: "tok-1"},
		"jwt":      {TokenID: "jti-1", Subject: "alice", Tenant: "ac/me", Method: gatehouse.MethodJWT},
	} {
		t.Run(name, func(t *testing.T) {
			l := must(New(Config{Limit: Limit{Events: 1e9, Period: time.Second, Burst: 1000}}))
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r = r.WithContext(gatehouse.WithPrincipalRef(r.Context(), p))
			h := l.Middleware(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r) // inserts the key
			require.Equal(t, http.StatusNoContent, w.Code)
			hw := &headerWriter{h: http.Header{}}
			assert.Zero(t, testing.AllocsPerRun(100, func() { h.ServeHTTP(hw, r) }))
			assert.Equal(t, "1000", hw.h.Get("RateLimit-Limit"))
		})
	}
}

// TestTakePartsScoped checks that a scoped key (a JWT's tenant and
// subject) charges the bucket named by its string form.
func TestTakePartsScoped(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := NewMemoryStore(MemoryConfig{})
	k := keyParts{prefix: "jwt:", scope: "a/%b", scoped: true, id: strings.Repeat("s", 100)}
	lim := PerMinute(2)
	s.takeParts(&k, lim, now, new(Result))
	res, err := s.Take(ctx, "jwt:a%2F%25b/"+strings.Repeat("s", 100), lim, now)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Remaining, "the same bucket")
	assert.Equal(t, 1, s.Len())
}

type headerWriter struct{ h http.Header }

func (w *headerWriter) Header() http.Header         { return w.h }
func (w *headerWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *headerWriter) WriteHeader(int)             {}

// TestAddrKeyParts checks that an address key joined on the stack — the
// default key of a request without a Principal, and Key: ByIP, which the
// Limiter recognises — charges the bucket ByIP names, allocation-free, and
// that another store receives the joined string.
func TestAddrKeyParts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, addr := range []string{"192.0.2.1:1234", "[2001:db8:1:2::7]:443", "garbage"} {
		t.Run(addr, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = addr
			k := addrKey(r)
			assert.Equal(t, ByIP(r), k.String())
			assert.Equal(t, ByIP(r), string(k.appendTo(nil)))

			store := NewMemoryStore(MemoryConfig{})
			lim := PerMinute(3)
			byIP := must(New(Config{Limit: lim, Key: ByIP, Store: store, Now: func() time.Time { return now }}))
			require.True(t, byIP.byIP, "ByIP recognised")
			def := must(New(Config{Limit: lim, Store: store, Now: func() time.Time { return now }}))
			_, err := byIP.Check(r)
			require.NoError(t, err)
			_, err = def.Check(r)
			require.NoError(t, err)
			res, err := store.Take(ctx, ByIP(r), lim, now)
			require.NoError(t, err)
			assert.Equal(t, 0, res.Remaining, "one bucket")
			assert.Equal(t, 1, store.Len())

			rec := &recordingStore{Store: NewMemoryStore(MemoryConfig{})}
			_, err = must(New(Config{Key: ByIP, Store: rec})).Check(r)
			require.NoError(t, err)
			assert.Equal(t, []string{ByIP(r)}, rec.keys)
		})
	}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for name, key := range map[string]KeyFunc{"default": nil, "ByIP": ByIP} {
		h := must(New(Config{Limit: Limit{Events: 1e9, Period: time.Second, Burst: 1000}, Key: key})).Middleware(bare)
		hw := &headerWriter{h: http.Header{}}
		h.ServeHTTP(hw, r) // inserts the key
		assert.Zero(t, testing.AllocsPerRun(100, func() { h.ServeHTTP(hw, r) }), name)
	}
}

type recordingStore struct {
	Store
	keys []string
}

func (s *recordingStore) Take(ctx context.Context, key string, limit Limit, now time.Time) (Result, error) {
	s.keys = append(s.keys, key)
	return s.Store.Take(ctx, key, limit, now)
}

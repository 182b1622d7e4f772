package apikey

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// spyStore wraps a Store, records what reaches it and can fail on demand.
type spyStore struct {
	Store
	mu        sync.Mutex
	lookups   [][32]byte
	touches   []time.Time
	lookupErr error
	touchErr  error
	nilRecord bool
	withHash  bool
}

func (s *spyStore) Lookup(ctx context.Context, h [32]byte) (*Record, error) {
	s.mu.Lock()
	s.lookups = append(s.lookups, h)
	lerr, nilRec, withHash := s.lookupErr, s.nilRecord, s.withHash
	s.mu.Unlock()
	switch {
	case lerr != nil:
		return nil, lerr
	case nilRec:
		return nil, nil
	}
	rec, err := s.Store.Lookup(ctx, h)
	if withHash && rec != nil {
		c := *rec
		c.Hash = h
		rec = &c
	}
	return rec, err
}

func (s *spyStore) Touch(ctx context.Context, id string, at time.Time) error {
	s.mu.Lock()
	s.touches = append(s.touches, at)
	terr := s.touchErr
	s.mu.Unlock()
	if terr != nil {
		return terr
	}
	return s.Store.Touch(ctx, id, at)
}

func (s *spyStore) lookupCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lookups)
}

// fixture is a payment surface: tenant from X-Tenant-ID, numeric code -23
// on 401.
type fixture struct {
	store                                                   *spyStore
	mem                                                     *MemoryStore
	valid, supplier, otherTenant, revoked, expired, testEnv string
	validRec                                                Record
	events                                                  []gatehouse.Event
	now                                                     time.Time
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	mem := NewMemoryStore()
	f := &fixture{store: &spyStore{Store: mem}, mem: mem, now: t0}
	add := func(env string, edit func(*Record)) (string, Record) {
		key, rec, err := Generate(env)
		require.NoError(t, err)
		rec.Tenant, rec.Subject = "acme", "acme-payments"
		rec.Scopes, rec.Surfaces = []string{"charges:write", "charges:read"}, []string{"payment"}
		rec.Created, rec.ExpiresAt = t0.Add(-time.Hour), t0.Add(time.Hour)
		if edit != nil {
			edit(&rec)
		}
		require.NoError(t, mem.Put(context.Background(), rec))
		return key, rec
	}
	f.valid, f.validRec = add("live", nil)
	f.supplier, _ = add("live", func(r *Record) { r.Surfaces = []string{"supplier"} })
	f.otherTenant, _ = add("live", func(r *Record) { r.Tenant = "globex" })
	f.revoked, _ = add("live", nil)
	f.expired, _ = add("live", func(r *Record) { r.ExpiresAt = t0 })
	f.testEnv, _ = add("test", nil)
	var revokedID string
	for _, k := range []string{f.revoked} {
		r, err := mem.Lookup(context.Background(), Hash(k))
		require.NoError(t, err)
		revokedID = r.ID
	}
	require.NoError(t, mem.Revoke(context.Background(), revokedID, t0.Add(-time.Minute)))
	return f
}

// must returns a, failing the test by panicking when New returned an error.
func must(a *Authenticator, err error) *Authenticator {
	if err != nil {
		panic(err)
	}
	return a
}

func (f *fixture) config() Config {
	return Config{
		Store:        f.store,
		Tenant:       TenantHeader("X-Tenant-ID"),
		Surface:      "payment",
		Environments: []string{"live"},
		Unauthorized: envelope.ErrUnauthorized.WithNumber(-23),
		Style:        envelope.Numeric,
		Audit:        gatehouse.AuditFunc(func(_ context.Context, e gatehouse.Event) { f.events = append(f.events, e) }),
		Now:          func() time.Time { return f.now },
	}
}

// principalHandler answers 204 and records the Principal it saw.
type principalHandler struct {
	p     gatehouse.Principal
	ok    bool
	calls int
}

func (h *principalHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls++
	h.p, h.ok = gatehouse.PrincipalFrom(r.Context())
	w.WriteHeader(http.StatusNoContent)
}

func TestMiddlewareFailureModes(t *testing.T) {
	f := newFixture(t)
	badChecksum := f.valid[:len(f.valid)-1] + string(nextBase62(f.valid[len(f.valid)-1]))
	unknown, _, err := Generate("live")
	require.NoError(t, err)

	type hdr = [2]string
	tests := []struct {
		name        string
		target      string
		headers     []hdr
		status      int
		body        string
		cause       error
		reason      string
		wantLookups int
	}{
		{name: "valid key", headers: []hdr{{"ApiKey", f.valid}, {"X-Tenant-ID", "acme"}}, status: 204, reason: "", wantLookups: 1},
		{name: "header name lower case", headers: []hdr{{"apikey", f.valid}, {"x-tenant-id", "acme"}}, status: 204, wantLookups: 1},
		{name: "header name upper case", headers: []hdr{{"APIKEY", f.valid}, {"X-TENANT-ID", "acme"}}, status: 204, wantLookups: 1},
		{name: "missing header", headers: []hdr{{"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"API key required"}`, cause: ErrMissingKey, reason: "missing_key"},
		{name: "key in query string is ignored", target: "/?ApiKey=" + f.valid + "&apikey=" + f.valid, headers: []hdr{{"X-Tenant-ID", "acme"}},
			status: 401, cause: ErrMissingKey, reason: "missing_key"},
		{name: "key as bearer token is ignored", headers: []hdr{{"Authorization", "Bearer " + f.valid}, {"X-Tenant-ID", "acme"}},
			status: 401, cause: ErrMissingKey, reason: "missing_key"},
		{name: "empty value", headers: []hdr{{"ApiKey", ""}, {"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"Invalid API key"}`, cause: ErrMalformedKey, reason: "empty_key"},
		{name: "two header lines", headers: []hdr{{"ApiKey", f.valid}, {"apikey", f.valid}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrDuplicateHeader, reason: "duplicate_header"},
		{name: "two header lines, one empty", headers: []hdr{{"ApiKey", f.valid}, {"ApiKey", ""}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrDuplicateHeader, reason: "duplicate_header"},
		{name: "over length cap", headers: []hdr{{"ApiKey", f.valid + strings.Repeat("A", DefaultMaxLength)}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrKeyTooLong, reason: "key_too_long"},
		{name: "bad checksum", headers: []hdr{{"ApiKey", badChecksum}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrMalformedKey, reason: "malformed_key"},
		{name: "seed 003 style hex key is not in the standard format", headers: []hdr{{"ApiKey", "ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d"}, {"X-Tenant-ID", "acme"}},
			status: 401, cause: ErrMalformedKey, reason: "malformed_key"},
		{name: "two keys in one line", headers: []hdr{{"ApiKey", f.valid + ", " + f.valid}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrMalformedKey, reason: "malformed_key"},
		{name: "test key on live server", headers: []hdr{{"ApiKey", f.testEnv}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrWrongEnv, reason: "wrong_environment"},
		{name: "unknown key", headers: []hdr{{"ApiKey", unknown}, {"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"Invalid API key"}`, cause: ErrKeyNotFound, reason: "unknown_api_key", wantLookups: 1},
		{name: "revoked key", headers: []hdr{{"ApiKey", f.revoked}, {"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"API key revoked"}`, cause: ErrKeyRevoked, reason: "revoked_key", wantLookups: 1},
		{name: "expired key (expires now)", headers: []hdr{{"ApiKey", f.expired}, {"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"API key expired"}`, cause: ErrKeyExpired, reason: "expired_key", wantLookups: 1},
		{name: "key of another tenant", headers: []hdr{{"ApiKey", f.otherTenant}, {"X-Tenant-ID", "acme"}}, status: 401,
			body: `{"code":-23,"message":"Invalid API key"}`, cause: ErrWrongTenant, reason: "wrong_tenant", wantLookups: 1},
		{name: "other tenant requested", headers: []hdr{{"ApiKey", f.valid}, {"X-Tenant-ID", "globex"}}, status: 401,
			cause: ErrWrongTenant, reason: "wrong_tenant", wantLookups: 1},
		{name: "tenant compared exactly", headers: []hdr{{"ApiKey", f.valid}, {"X-Tenant-ID", "ACME"}}, status: 401,
			cause: ErrWrongTenant, reason: "wrong_tenant", wantLookups: 1},
		{name: "no tenant requested", headers: []hdr{{"ApiKey", f.valid}}, status: 401,
			cause: ErrNoTenant, reason: "no_tenant"},
		{name: "tenant header twice", headers: []hdr{{"ApiKey", f.valid}, {"X-Tenant-ID", "acme"}, {"X-Tenant-ID", "acme"}}, status: 401,
			cause: ErrNoTenant, reason: "no_tenant"},
		{name: "supplier key on payment surface", headers: []hdr{{"ApiKey", f.supplier}, {"X-Tenant-ID", "acme"}}, status: 403,
			body: `{"code":403,"message":"API key not allowed on this endpoint"}`, cause: ErrSurfaceDenied, reason: "surface_denied", wantLookups: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.events, f.store.lookups = nil, nil
			mw := must(New(f.config()))
			next := &principalHandler{}
			target := tc.target
			if target == "" {
				target = "/Payment/Charges/Create"
			}
			r := httptest.NewRequest(http.MethodPost, target, nil)
			for _, h := range tc.headers {
				r.Header.Add(h[0], h[1])
			}
			w := httptest.NewRecorder()
			mw.Middleware(next).ServeHTTP(w, r)

			require.Equal(t, tc.status, w.Code, w.Body.String())
			assert.Equal(t, tc.wantLookups, f.store.lookupCount(), "store lookups")
			require.Len(t, f.events, 1)
			ev := f.events[0]
			assert.Equal(t, "apikey", ev.Source)
			assert.Equal(t, tc.reason, string(ev.Reason))
			for _, h := range tc.headers {
				if len(h[1]) > 8 {
					assert.NotContains(t, w.Body.String(), h[1][8:], "the key never reaches the response")
					assert.NotContains(t, fmt.Sprintf("%+v", ev), h[1][len(h[1])-20:], "the key never reaches the audit event")
				}
			}
			if tc.status == 204 {
				assert.Equal(t, 1, next.calls)
				assert.True(t, next.ok)
				assert.Equal(t, gatehouse.Allowed, ev.Outcome)
				return
			}
			assert.Zero(t, next.calls, "next must not run")
			assert.Equal(t, gatehouse.Denied, ev.Outcome)
			assert.Equal(t, tc.status, ev.Status)
			assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
			if tc.body != "" {
				assert.JSONEq(t, tc.body, w.Body.String())
			}
			_, err := must(New(f.config())).Check(r)
			require.ErrorIs(t, err, tc.cause)
			var ee *envelope.Error
			require.ErrorAs(t, err, &ee)
			assert.Equal(t, tc.status, ee.Status)
			if tc.status == 401 {
				assert.True(t, ee.HasNumber)
				assert.Equal(t, -23, ee.Number)
			}
		})
	}
}

func nextBase62(c byte) byte {
	return base62[(base62Value(c)+1)%62]
}

func TestMiddlewarePrincipal(t *testing.T) {
	f := newFixture(t)
	next := &principalHandler{}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("ApiKey", f.valid)
	r.Header.Set("X-Tenant-ID", "acme")
	must(New(f.config())).Middleware(next).ServeHTTP(httptest.NewRecorder(), r)
	require.True(t, next.ok)

	p := next.p
	assert.Equal(t, gatehouse.MethodAPIKey, p.Method)
	assert.Equal(t, f.validRec.ID, p.TokenID)
	assert.Equal(t, "acme-payments", p.Subject)
	assert.Equal(t, "acme", p.Tenant)
	assert.Equal(t, []string{"charges:write", "charges:read"}, p.Scopes)
	assert.True(t, p.HasScope("charges:write"))
	assert.True(t, f.validRec.ExpiresAt.Equal(p.ExpiresAt))
	view, ok := p.Claims.(RecordView)
	require.True(t, ok, "Claims is a RecordView")
	rec := view.Record()
	assert.Zero(t, rec.Hash, "Claims never carries the hash")
	assert.Equal(t, f.validRec.Prefix, rec.Prefix)
	assert.Equal(t, []string{"payment"}, rec.Surfaces)

	require.Len(t, f.events, 1)
	ev := f.events[0]
	assert.Equal(t, gatehouse.Allowed, ev.Outcome)
	assert.Equal(t, f.validRec.ID, ev.CredID)
	assert.Equal(t, "acme", ev.Tenant)
	assert.Equal(t, "acme-payments", ev.Subject)
	assert.Equal(t, t0, ev.Time)
	assert.Equal(t, "/", ev.Path)
}

func TestSubjectDefaultsToKeyID(t *testing.T) {
	mem := NewMemoryStore()
	key, rec, err := Generate("live")
	require.NoError(t, err)
	require.NoError(t, mem.Put(context.Background(), rec))
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("ApiKey", key)
	p, err := must(New(Config{Store: mem})).Check(r)
	require.NoError(t, err)
	assert.Equal(t, rec.ID, p.Subject)
	assert.Empty(t, p.Tenant)
	assert.True(t, p.ExpiresAt.IsZero())
}

func TestStoreFailure(t *testing.T) {
	boom := errors.New("connection refused: secret-host:6379")
	tests := []struct {
		name  string
		setup func(*spyStore)
	}{
		{"lookup error", func(s *spyStore) { s.lookupErr = boom }},
		{"context canceled", func(s *spyStore) { s.lookupErr = context.Canceled }},
		{"nil record without error", func(s *spyStore) { s.nilRecord = true }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			tc.setup(f.store)
			next := &principalHandler{}
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("ApiKey", f.valid)
			r.Header.Set("X-Tenant-ID", "acme")
			w := httptest.NewRecorder()
			a := must(New(f.config()))
			a.Middleware(next).ServeHTTP(w, r)

			assert.Equal(t, http.StatusServiceUnavailable, w.Code)
			assert.Zero(t, next.calls, "a store failure never passes")
			assert.JSONEq(t, `{"code":503,"message":"Authentication temporarily unavailable"}`, w.Body.String())
			assert.NotContains(t, w.Body.String(), "secret-host")
			require.Len(t, f.events, 1)
			assert.Equal(t, gatehouse.Failed, f.events[0].Outcome)
			assert.Equal(t, "store_unavailable", string(f.events[0].Reason))
			assert.Equal(t, 503, f.events[0].Status)

			_, err := a.Check(r)
			require.ErrorIs(t, err, ErrStore)
			require.ErrorIs(t, err, envelope.ErrUnavailable)
			if f.store.lookupErr != nil {
				require.ErrorIs(t, err, f.store.lookupErr)
			}
		})
	}
}

// A store that returns the hash despite the contract: the middleware
// strips it before a handler can see it.
func TestHashNeverReachesHandlers(t *testing.T) {
	f := newFixture(t)
	f.store.withHash = true
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("ApiKey", f.valid)
	r.Header.Set("X-Tenant-ID", "acme")
	p, err := must(New(f.config())).Check(r)
	require.NoError(t, err)
	assert.Zero(t, p.Claims.(RecordView).Record().Hash)
}

func TestLastUsed(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.TouchInterval = time.Minute
	a := must(New(cfg))
	serve := func(a *Authenticator) int {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", f.valid)
		r.Header.Set("X-Tenant-ID", "acme")
		w := httptest.NewRecorder()
		a.Middleware(&principalHandler{}).ServeHTTP(w, r)
		return w.Code
	}
	do := func() {
		t.Helper()
		require.Equal(t, http.StatusNoContent, serve(a))
	}
	lastUsed := func() time.Time {
		rec, err := f.mem.Get(context.Background(), f.validRec.ID)
		require.NoError(t, err)
		return rec.LastUsed
	}

	do()
	assert.Equal(t, []time.Time{t0}, f.store.touches, "first use is recorded")
	assert.Equal(t, t0, lastUsed())
	for i := range 100 {
		f.now = t0.Add(time.Duration(i) * 500 * time.Millisecond) // 0 … 49.5s
		do()
	}
	assert.Len(t, f.store.touches, 1, "no write per request within the interval")
	f.now = t0.Add(time.Minute)
	do()
	assert.Len(t, f.store.touches, 2)
	assert.Equal(t, t0.Add(time.Minute), lastUsed())

	t.Run("touch failure does not refuse, nor retry per request", func(t *testing.T) {
		f.store.touchErr = errors.New("read-only replica")
		f.now = t0.Add(2 * time.Minute)
		do()
		assert.Len(t, f.store.touches, 3)
		for i := range 50 {
			f.now = t0.Add(2*time.Minute + time.Duration(i)*time.Second) // LastUsed stays stale
			do()
		}
		assert.Len(t, f.store.touches, 3, "a failed write is not retried by every request")
		f.now = t0.Add(3 * time.Minute)
		do()
		assert.Len(t, f.store.touches, 4, "it is tried again an interval later")
		f.store.touchErr = nil
	})
	t.Run("requests arriving together write once", func(t *testing.T) {
		f.now = t0.Add(10 * time.Minute)
		quiet := cfg
		quiet.Audit = nil // the fixture's auditor is not for concurrent use
		b := must(New(quiet))
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				assert.Equal(t, http.StatusNoContent, serve(b))
			})
		}
		wg.Wait()
		assert.Len(t, f.store.touches, 5)
		assert.Equal(t, t0.Add(10*time.Minute), lastUsed())
	})
	t.Run("disabled", func(t *testing.T) {
		f.store.touchErr, f.store.touches = nil, nil
		cfg.TouchInterval = -1
		a = must(New(cfg))
		f.now = t0.Add(2 * time.Hour)
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", f.valid)
		r.Header.Set("X-Tenant-ID", "acme")
		_, err := a.Check(r)
		require.ErrorIs(t, err, ErrKeyExpired) // expired one hour after t0
		f.now = t0.Add(30 * time.Minute)
		require.Equal(t, http.StatusNoContent, serve(a))
		assert.Empty(t, f.store.touches)
	})
}

// TestOptional: one Authenticator serves an optional route (Optional) and
// a required one (Middleware); only a request without the key header is
// anonymous, and only on the optional route.
func TestOptional(t *testing.T) {
	f := newFixture(t)
	a := must(New(f.config()))
	tests := []struct {
		name         string
		key          *string
		wantStatus   int
		wantAuth     bool
		wantRequired int // the status Middleware gives the same request
	}{
		{"no header passes unauthenticated", nil, 204, false, 401},
		{"valid key authenticates", &f.valid, 204, true, 204},
		{"invalid key is still refused", new("ak_live_nope"), 401, false, 401},
		{"empty key is still refused", new(""), 401, false, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &principalHandler{}
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Header.Set("X-Tenant-ID", "acme")
			if tc.key != nil {
				r.Header.Set("ApiKey", *tc.key)
			}
			assert.Equal(t, tc.key != nil, a.Present(r))
			w := httptest.NewRecorder()
			a.Optional(next).ServeHTTP(w, r)
			assert.Equal(t, tc.wantStatus, w.Code)
			assert.Equal(t, tc.wantAuth, next.ok)

			w = httptest.NewRecorder()
			a.Middleware(&principalHandler{}).ServeHTTP(w, r)
			assert.Equal(t, tc.wantRequired, w.Code)
		})
	}
}

func TestChallengeAndCustomErrors(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Challenge = `ApiKey realm="payments"`
	cfg.Forbidden = envelope.ErrForbidden.WithNumber(-24)
	cfg.Unavailable = envelope.ErrUnavailable.WithNumber(-99)
	a := must(New(cfg))

	do := func(key string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", key)
		r.Header.Set("X-Tenant-ID", "acme")
		w := httptest.NewRecorder()
		a.Middleware(&principalHandler{}).ServeHTTP(w, r)
		return w
	}
	w := do("nope")
	assert.Equal(t, 401, w.Code)
	assert.Equal(t, `ApiKey realm="payments"`, w.Header().Get("WWW-Authenticate"))

	w = do(f.supplier)
	assert.Equal(t, 403, w.Code)
	assert.Empty(t, w.Header().Get("WWW-Authenticate"), "a 403 carries no challenge")
	assert.JSONEq(t, `{"code":-24,"message":"API key not allowed on this endpoint"}`, w.Body.String())

	f.store.lookupErr = errors.New("down")
	w = do(f.valid)
	assert.JSONEq(t, `{"code":-99,"message":"Authentication temporarily unavailable"}`, w.Body.String())
}

// The numeric code through envelope.NumericStyle instead of
// Config.Unauthorized: the style maps the string code to the numeric one.
func TestNumericStyleCatalogue(t *testing.T) {
	f := newFixture(t)
	cfg := f.config()
	cfg.Unauthorized = nil
	cfg.Style = envelope.NumericStyle{Codes: map[string]int{"UNAUTHORIZED": -23, "FORBIDDEN": -24}}
	a := must(New(cfg))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	w := httptest.NewRecorder()
	a.Middleware(&principalHandler{}).ServeHTTP(w, r)
	assert.JSONEq(t, `{"code":-23,"message":"API key required"}`, w.Body.String())
}

func TestFormatOpaque(t *testing.T) {
	mem := NewMemoryStore()
	_, err := mem.Add(context.Background(), "ABCD", Record{ID: "jackpot", Tenant: "store-1"})
	require.NoError(t, err)
	a := must(New(Config{Store: mem, Header: "apikey", Format: FormatOpaque}))
	tests := []struct {
		name, key string
		status    int
		cause     error
	}{
		{"seed 002 key", "ABCD", 204, nil},
		{"unknown", "ABCE", 401, ErrKeyNotFound},
		{"inner space", "AB CD", 401, ErrMalformedKey},
		{"comma", "ABCD,ABCD", 401, ErrMalformedKey},
		{"control character", "AB\x01CD", 401, ErrMalformedKey},
		{"non-ASCII", "ABCDé", 401, ErrMalformedKey},
		{"too long", strings.Repeat("A", DefaultMaxLength+1), 401, ErrKeyTooLong},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/v2/stores", nil)
			r.Header["Apikey"] = []string{tc.key}
			w := httptest.NewRecorder()
			a.Middleware(&principalHandler{}).ServeHTTP(w, r)
			assert.Equal(t, tc.status, w.Code)
			if tc.cause != nil {
				_, err := a.Check(r)
				require.ErrorIs(t, err, tc.cause)
			}
		})
	}
}

// TestRevocationIsImmediate: a revoked key stops working at once — the
// very next request after Revoke is refused.
func TestRevocationIsImmediate(t *testing.T) {
	f := newFixture(t)
	a := must(New(f.config()))
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("ApiKey", f.valid)
	r.Header.Set("X-Tenant-ID", "acme")
	_, err := a.Check(r)
	require.NoError(t, err)
	require.NoError(t, f.mem.Revoke(context.Background(), f.validRec.ID, t0))
	_, err = a.Check(r)
	require.ErrorIs(t, err, ErrKeyRevoked)
}

// TestAuditNeverCarriesKeys: refusals of unknown well-formed keys are
// named by their display prefix, anything else by nothing.
func TestAuditNeverCarriesKeys(t *testing.T) {
	f := newFixture(t)
	unknown, _, err := Generate("live")
	require.NoError(t, err)
	tests := []struct {
		name, key, wantCred string
	}{
		{"unknown well-formed key: display prefix", unknown, DisplayPrefix(unknown)},
		{"malformed key: nothing", "ak_live_" + strings.Repeat("x", 38), ""},
		{"foreign key: nothing", "hunter2hunter2", ""},
		{"known key: id", f.supplier, "known"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.events = nil
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header.Set("ApiKey", tc.key)
			r.Header.Set("X-Tenant-ID", "acme")
			must(New(f.config())).Middleware(&principalHandler{}).ServeHTTP(httptest.NewRecorder(), r)
			require.Len(t, f.events, 1)
			ev := f.events[0]
			switch tc.wantCred {
			case "known":
				assert.Regexp(t, `^key_`, ev.CredID)
			default:
				assert.Equal(t, tc.wantCred, ev.CredID)
			}
			assert.NotContains(t, fmt.Sprintf("%#v", ev), tc.key)
			if len(ev.CredID) > 0 {
				assert.Less(t, len(ev.CredID), len(tc.key))
			}
		})
	}
}

// TestEndToEnd runs the middleware behind a real loopback server and sends
// raw HTTP/1.1, so that header-name case and repeated header lines are
// exactly what a client puts on the wire.
func TestEndToEnd(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(must(New(f.config())).Middleware(&principalHandler{}))
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		headers string
		want    int
	}{
		{"lower-case header", "apikey: " + f.valid + "\r\nx-tenant-id: acme\r\n", 204},
		{"mixed-case header", "aPiKeY: " + f.valid + "\r\nX-Tenant-Id: acme\r\n", 204},
		{"surrounding whitespace is not part of the key", "ApiKey:   " + f.valid + "  \r\nX-Tenant-ID: acme\r\n", 204},
		{"two header lines", "ApiKey: " + f.valid + "\r\napikey: " + f.valid + "\r\nX-Tenant-ID: acme\r\n", 401},
		{"query string", "X-Tenant-ID: acme\r\n", 401},
		{"other tenant", "ApiKey: " + f.valid + "\r\nX-Tenant-ID: globex\r\n", 401},
		{"other surface", "ApiKey: " + f.supplier + "\r\nX-Tenant-ID: acme\r\n", 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			require.NoError(t, err)
			defer conn.Close()
			req := "POST /Payment/Charges/Create?ApiKey=" + f.valid + " HTTP/1.1\r\nHost: api.test\r\nContent-Length: 0\r\nConnection: close\r\n" + tc.headers + "\r\n"
			_, err = io.WriteString(conn, req)
			require.NoError(t, err)
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			require.NoError(t, err)
			defer resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
		})
	}
}

// TestCheckIsTheDecisionAlone: Check counts no throttle attempt, records
// no last use and audits nothing; the Middleware does all three.
func TestCheckIsTheDecisionAlone(t *testing.T) {
	f := newFixture(t)
	th := newCountingThrottle(1 << 30)
	cfg := f.config()
	cfg.Throttle, cfg.ThrottleKey = th, func(*http.Request) string { return "k" }
	a := must(New(cfg))
	for _, key := range []string{f.valid, f.revoked} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", key)
		r.Header.Set("X-Tenant-ID", "acme")
		touches := len(f.store.touches)
		_, _ = a.Check(r)
		assert.Zero(t, th.begins, "no throttle attempt")
		assert.Len(t, f.store.touches, touches, "no last-use record")
		assert.Empty(t, f.events, "no audit event")
		a.Middleware(&principalHandler{}).ServeHTTP(httptest.NewRecorder(), r)
		assert.Len(t, f.events, 1, "the Middleware audits")
		f.events = nil
		th.begins = 0
	}
	assert.Len(t, f.store.touches, 1, "the Middleware records the valid key's use")
}

package bearer

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func TestNewConfigErrors(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "a")
	es := newSigner(t, "ES256", "b")
	tests := []struct {
		name string
		mut  func(*Config)
	}{
		{"nothing configured", func(cfg *Config) { cfg.Issuers, cfg.Algorithms = nil, nil }},
		{"no algorithms", func(cfg *Config) { cfg.Algorithms = nil }},
		{"alg none", func(cfg *Config) { cfg.Algorithms = append(cfg.Algorithms, "none") }},
		{"alg NONE", func(cfg *Config) { cfg.Algorithms = append(cfg.Algorithms, "NONE") }},
		{"unsupported alg", func(cfg *Config) { cfg.Algorithms = append(cfg.Algorithms, "HS1") }},
		{"key alg not allowed", func(cfg *Config) { cfg.Algorithms = []string{"HS256"} }},
		{"short HMAC secret", func(cfg *Config) { cfg.Issuers[0].Keys[0].Key = []byte("short") }},
		{"key type mismatch", func(cfg *Config) { cfg.Issuers[0].Keys[1].Algorithm = "HS256" }},
		{"missing key IDs", func(cfg *Config) { cfg.Issuers[0].Keys[0].ID = "" }},
		{"duplicate key IDs", func(cfg *Config) {
			cfg.Issuers[0].Keys[1].ID = "a"
			cfg.Issuers[0].Keys[1].Key = hs.pub
			cfg.Issuers[0].Keys[1].Algorithm = "HS256"
		}},
		{"leeway too large", func(cfg *Config) { cfg.Leeway = MaxLeeway + time.Second }},
		{"negative leeway", func(cfg *Config) { cfg.Leeway = -time.Second }},
		{"negative cache", func(cfg *Config) { cfg.CacheSize = new(-1) }},
		{"empty issuer", func(cfg *Config) { cfg.Issuers[0].URL = "" }},
		{"empty audience", func(cfg *Config) { cfg.Audiences = []string{""} }},
		{"algorithms without keys", func(cfg *Config) { cfg.Issuers = nil; cfg.Tokens = NewMemoryTokens() }},
		{"JWKS not https", func(cfg *Config) { cfg.Issuers[0].JWKSURL = "http://idp.example.com/jwks" }},
		{"JWKS bad URL", func(cfg *Config) { cfg.Issuers[0].JWKSURL = "::" }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := baseConfig(c, hs, es)
			tc.mut(&cfg)
			_, err := New(cfg)
			assert.ErrorIs(t, err, ErrConfig)
		})
	}
	_, err := New(baseConfig(c, hs, es))
	require.NoError(t, err)
}

func TestMiddlewareResponses(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Realm = "orders"
	a := mustNew(t, cfg)
	good := hs.sign(t, claimsAt(t0), nil)
	expiredClaims := claimsAt(t0)
	expiredClaims["exp"] = t0.Add(-time.Minute).Unix()
	expired := hs.sign(t, expiredClaims, nil)

	invalid := `Bearer realm="orders", error="invalid_token", error_description="Invalid access token"`
	malformed := `Bearer realm="orders", error="invalid_token", error_description="Malformed Authorization header"`
	tests := []struct {
		name      string
		values    []string
		status    int
		challenge string
		cause     error
	}{
		{"valid", []string{"Bearer " + good}, 204, "", nil},
		{"no credentials", nil, 401, `Bearer realm="orders"`, ErrNoToken},
		{"token without prefix (seed 003)", []string{good}, 401, `Bearer realm="orders"`, ErrOtherScheme},
		{"bare Bearer (RFC 6750 §3.1: no error code)", []string{"Bearer"}, 401, `Bearer realm="orders"`, ErrNoToken},
		{"Bearer and spaces (no error code)", []string{"Bearer   "}, 401, `Bearer realm="orders"`, ErrNoToken},
		{"other scheme (RFC 6750 §3.1: no error code)", []string{"Basic dXNlcjpwYXNz"}, 401, `Bearer realm="orders"`, ErrOtherScheme},
		{"scheme prefix only", []string{"Bearerabc"}, 401, malformed, ErrMalformedHeader},
		{"bad grammar", []string{"Bearer a,b"}, 401, malformed, ErrMalformedHeader},
		{"invalid token", []string{"Bearer " + flip(good, len(good)-3)}, 401, invalid, ErrTokenInvalid},
		{"expired token", []string{"Bearer " + expired}, 401, `Bearer realm="orders", error="invalid_token", error_description="The access token expired"`, ErrTokenExpired},
		{"two Authorization lines", []string{"Bearer " + good, "Bearer " + good}, 400, `Bearer realm="orders", error="invalid_request", error_description="Send exactly one Authorization header"`, ErrMultipleHeaders},
		{"1 MiB header", []string{"Bearer " + strings.Repeat("a", 1<<20)}, 401, malformed, ErrMalformedHeader},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/api", nil)
			if tc.values != nil {
				r.Header["Authorization"] = tc.values
			}
			rec, p, ok := serve(a, r)
			assert.Equal(t, tc.status, rec.Code)
			assert.Equal(t, tc.challenge, rec.Header().Get("WWW-Authenticate"))
			if tc.status == 204 {
				require.True(t, ok)
				assert.Equal(t, "user-42", p.Subject)
				return
			}
			assert.False(t, ok)
			assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
			assert.Equal(t, "no-store", rec.Header().Get("Cache-Control"))
			assert.NotContains(t, rec.Body.String(), "bearer:")
			_, err := a.Check(r)
			assert.ErrorIs(t, err, tc.cause)
		})
	}
}

func TestTokenInQueryOrFormIsNeverRead(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	good := hs.sign(t, claimsAt(t0), nil)
	r := httptest.NewRequest(http.MethodPost, "/api?access_token="+good, strings.NewReader("access_token="+good))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec, _, ok := serve(a, r)
	assert.Equal(t, 401, rec.Code)
	assert.False(t, ok)
	assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
}

func TestStyles(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Style = envelope.Flat
	a := mustNew(t, cfg)
	rec, _, _ := serve(a, bearerRequest("nope"))
	assert.JSONEq(t, `{"success":false,"error":"Unauthorized","message":"Invalid access token"}`, rec.Body.String())

	cfg.Style = nil
	b := mustNew(t, cfg)
	h := envelope.Use(envelope.OAuth)(b.Middleware(http.NotFoundHandler()))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, bearerRequest("nope"))
	assert.JSONEq(t, `{"error":"invalid_token","error_description":"Invalid access token"}`, rec.Body.String())
}

func TestMessageOverride(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Style = envelope.Flat
	cfg.Message = "Invalid or missing API token"
	a := mustNew(t, cfg)
	for name, r := range map[string]*http.Request{
		"missing": httptest.NewRequest("GET", "/", nil),
		"invalid": bearerRequest("nope"),
	} {
		rec, _, _ := serve(a, r)
		assert.Equal(t, 401, rec.Code, name)
		assert.Equal(t, `{"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}`, rec.Body.String(), name)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Add("Authorization", "Bearer a")
	r.Header.Add("Authorization", "Bearer b")
	rec, _, _ := serve(a, r)
	assert.Equal(t, 400, rec.Code, "a 400 keeps its own message")
	assert.NotContains(t, rec.Body.String(), "Invalid or missing API token")
}

// TestOptional: one Authenticator serves a required route (Middleware) and
// an optional one (Optional); only a request without an Authorization
// header is anonymous, and the optional route's verified token is the
// required route's cache hit.
func TestOptional(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	serveOptional := func(r *http.Request) (*httptest.ResponseRecorder, gatehouse.Principal, bool) {
		var got gatehouse.Principal
		var ok bool
		rec := httptest.NewRecorder()
		a.Optional(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, ok = gatehouse.PrincipalFrom(r.Context())
			w.WriteHeader(http.StatusNoContent)
		})).ServeHTTP(rec, r)
		return rec, got, ok
	}

	rec, _, ok := serveOptional(bearerRequest(""))
	assert.Equal(t, 204, rec.Code)
	assert.False(t, ok, "no Principal without credentials")
	rec, _, _ = serve(a, bearerRequest(""))
	assert.Equal(t, 401, rec.Code, "the same Authenticator's Middleware still requires a token")

	rec, _, _ = serveOptional(bearerRequest("bad.token.here"))
	assert.Equal(t, 401, rec.Code, "bad credentials are still refused")

	for _, v := range []string{"Bearer ", "Basic dXNlcjpwYXNz"} {
		r := httptest.NewRequest(http.MethodGet, "/api", nil)
		r.Header.Set("Authorization", v)
		assert.True(t, a.Present(r), v)
		rec, _, ok = serveOptional(r)
		assert.Equal(t, 401, rec.Code, "%q is a credential, so it is judged and refused", v)
		assert.False(t, ok)
		assert.Equal(t, `Bearer realm="api"`, rec.Header().Get("WWW-Authenticate"))
	}
	assert.False(t, a.Present(bearerRequest("")))

	tok := hs.sign(t, claimsAt(t0), nil)
	rec, p, ok := serveOptional(bearerRequest(tok))
	assert.Equal(t, 204, rec.Code)
	assert.True(t, ok)
	assert.Equal(t, "user-42", p.Subject)
	assert.Equal(t, 1, a.cache.len(), "Optional verified the token into the shared cache")
	rec, p, _ = serve(a, bearerRequest(tok))
	assert.Equal(t, 204, rec.Code)
	assert.Equal(t, "user-42", p.Subject)
	assert.Equal(t, 1, a.cache.len(), "Middleware answered from the same entry")

	_, err := a.Check(bearerRequest(""))
	assert.ErrorIs(t, err, ErrNoToken, "Check judges a request without credentials as refused")
}

type recordingAuditor struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

func (r *recordingAuditor) Audit(_ context.Context, e gatehouse.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

func TestAudit(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	aud := &recordingAuditor{}
	cfg := baseConfig(c, hs)
	cfg.Audit = aud
	a := mustNew(t, cfg)
	good := hs.sign(t, claimsAt(t0), nil)

	for _, tok := range []string{good, good, "", flip(good, len(good)-3)} {
		r := bearerRequest(tok)
		r.Header.Set("X-Request-Id", "req-1")
		r.RemoteAddr = "192.0.2.7:4711"
		serve(a, r)
	}
	require.Len(t, aud.events, 4)
	ok := aud.events[0]
	assert.Equal(t, gatehouse.Allowed, ok.Outcome)
	assert.Equal(t, "bearer", ok.Source)
	assert.Equal(t, "user-42", ok.Subject)
	assert.Equal(t, "acme", ok.Tenant)
	assert.Equal(t, "jti-1", ok.CredID)
	assert.Equal(t, "req-1", ok.RequestID)
	assert.Equal(t, "192.0.2.7", ok.ClientIP.String())
	assert.Equal(t, t0, ok.Time)
	assert.Equal(t, gatehouse.Denied, aud.events[2].Outcome)
	assert.Equal(t, "no_credentials", string(aud.events[2].Reason))
	assert.Equal(t, 401, aud.events[2].Status)
	assert.Equal(t, "invalid_token", string(aud.events[3].Reason))

	// Through the slog adapter: no token material in the log.
	var buf bytes.Buffer
	cfg.Audit = gatehouse.SlogAuditor(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	b := mustNew(t, cfg)
	serve(b, bearerRequest(good))
	serve(b, bearerRequest(flip(good, len(good)-3)))
	out := buf.String()
	assert.Contains(t, out, "outcome=allow")
	assert.Contains(t, out, "reason=invalid_token")
	for _, part := range strings.Split(good, ".") {
		assert.NotContains(t, out, part)
	}
}

// failingRevocations fails every call.
type failingRevocations struct{}

func (failingRevocations) RevokeToken(context.Context, string, string, time.Time) error {
	return errors.New("redis: connection refused")
}

func (failingRevocations) RevokeSession(context.Context, string, string, time.Time) error {
	return errors.New("redis: connection refused")
}

func (failingRevocations) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return errors.New("redis: connection refused")
}

func (failingRevocations) Revoked(context.Context, *TokenRef) (bool, error) {
	return false, errors.New("redis: connection refused")
}

func TestRevocation(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	rev := NewMemoryRevocations(c.Now)
	cfg := baseConfig(c, hs)
	cfg.Revocations = rev
	a := mustNew(t, cfg)
	tok := hs.sign(t, claimsAt(t0), nil)

	rec, _, _ := serve(a, bearerRequest(tok))
	require.Equal(t, 204, rec.Code)
	require.NoError(t, rev.RevokeToken(context.Background(), "user-42", "jti-1", t0.Add(time.Hour)))
	rec, _, _ = serve(a, bearerRequest(tok))
	assert.Equal(t, 401, rec.Code, "revocation is checked on a cache hit")
	assert.Contains(t, rec.Header().Get("WWW-Authenticate"), "revoked")

	t.Run("store failure is 503", func(t *testing.T) {
		cfg := baseConfig(c, hs)
		cfg.Revocations = failingRevocations{}
		b := mustNew(t, cfg)
		for range 2 { // first sight, then cache... never cached: it failed
			rec, _, ok := serve(b, bearerRequest(tok))
			assert.Equal(t, 503, rec.Code)
			assert.False(t, ok)
			assert.NotContains(t, rec.Body.String(), "redis")
		}
		_, err := b.Check(bearerRequest(tok))
		assert.ErrorIs(t, err, ErrUnavailable)
		assert.ErrorContains(t, errors.Unwrap(err), "redis", "the cause is kept for server logs")
	})
}

// failingTokens fails every lookup.
type failingTokens struct{}

func (failingTokens) LookupToken(context.Context, [32]byte) (TokenRecord, error) {
	return TokenRecord{}, errors.New("db down")
}

func TestOpaqueTokens(t *testing.T) {
	c := newClock(t0)
	store := NewMemoryTokens()
	ctx := context.Background()
	require.NoError(t, store.Add(ctx, "pxl_live_abc123", TokenRecord{ID: "tok_1", Subject: "store-9", Tenant: "store-9", Scopes: []string{"products:read"}, ExpiresAt: t0.Add(time.Hour)}))
	require.NoError(t, store.Add(ctx, "pxl_live_revoked", TokenRecord{ID: "tok_2", Subject: "store-9"}))
	require.NoError(t, store.RevokeToken(ctx, "tok_2"))
	require.NoError(t, store.Add(ctx, "pxl_live_old", TokenRecord{ID: "tok_3", ExpiresAt: t0}))
	a := mustNew(t, Config{Tokens: store, Now: c.Now})

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"valid", "pxl_live_abc123", nil},
		{"unknown", "pxl_live_nope", ErrTokenNotFound},
		{"revoked", "pxl_live_revoked", ErrTokenRevoked},
		{"expired", "pxl_live_old", ErrTokenExpired},
		{"JWT shape without JWT keys", "a.b.c", ErrTokenNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := a.Check(bearerRequest(tc.token))
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, gatehouse.MethodOpaque, p.Method)
			assert.Equal(t, "tok_1", p.TokenID)
			assert.Equal(t, "store-9", p.Tenant)
			assert.True(t, p.HasScope("products:read"))
		})
	}

	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec, ok := TokenRecordFrom(r.Context())
		assert.True(t, ok)
		assert.Equal(t, "tok_1", rec.ID)
	}))
	h.ServeHTTP(httptest.NewRecorder(), bearerRequest("pxl_live_abc123"))

	b := mustNew(t, Config{Tokens: failingTokens{}, Now: c.Now})
	rec, _, _ := serve(b, bearerRequest("pxl_live_abc123"))
	assert.Equal(t, 503, rec.Code)

	t.Run("JWT and opaque side by side", func(t *testing.T) {
		hs := newSigner(t, "HS256", "")
		cfg := baseConfig(c, hs)
		cfg.Tokens = store
		m := mustNew(t, cfg)
		p, err := m.Check(bearerRequest("pxl_live_abc123"))
		require.NoError(t, err)
		assert.Equal(t, gatehouse.MethodOpaque, p.Method)
		p, err = m.Check(bearerRequest(hs.sign(t, claimsAt(t0), nil)))
		require.NoError(t, err)
		assert.Equal(t, gatehouse.MethodJWT, p.Method)
	})
}

// TestNewReportsEveryProblem: New lists every problem of a Config at
// once, after one "bearer: invalid configuration".
func TestNewReportsEveryProblem(t *testing.T) {
	c := newClock(t0)
	cfg := baseConfig(c, newSigner(t, "HS256", "a"))
	cfg.Algorithms = append(cfg.Algorithms, "none")
	cfg.Issuers[0].Keys[0].Key = []byte("short")
	cfg.Leeway = -time.Second
	cfg.Issuers[0].URL = ""
	cfg.Issuers[0].JWKSURL = "http://idp.example.com/jwks"
	_, err := New(cfg)
	require.ErrorIs(t, err, ErrConfig)
	msg := err.Error()
	for _, want := range []string{`algorithm "none" is never accepted`, "secret has 5 bytes", "Leeway -1s", "empty issuer", "must be https"} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, 1, strings.Count(msg, ErrConfig.Error()), msg)
}

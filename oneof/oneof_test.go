package oneof_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/oneof"
)

var secret = []byte("a-secret-of-at-least-32-bytes!!!")

const iss = "https://auth.example.com"

// fixture is a route accepting a JWT or an API key, each judged by the
// real authenticator.
type fixture struct {
	jwt      *bearer.Authenticator
	keys     *apikey.Authenticator
	token    string // a valid JWT for "user-42"
	expired  string
	key      string // a valid API key for "svc-7"
	revoked  string // a revoked API key
	selector *oneof.Selector
	audit    *recorder
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{audit: &recorder{}}
	var err error
	f.jwt, err = bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: iss, Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences:  []string{"api"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = f.jwt.Close() })
	sign := func(exp time.Time) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"iss": iss, "aud": "api", "sub": "user-42", "exp": exp.Unix(),
		}).SignedString(secret)
		require.NoError(t, err)
		return s
	}
	f.token, f.expired = sign(time.Now().Add(time.Hour)), sign(time.Now().Add(-time.Hour))

	store := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("live")
	require.NoError(t, err)
	rec.Subject = "svc-7"
	require.NoError(t, store.Put(context.Background(), rec))
	revoked, rec, err := apikey.Generate("live")
	require.NoError(t, err)
	rec.Revoked, rec.RevokedAt = true, time.Now().Add(-time.Minute)
	require.NoError(t, store.Put(context.Background(), rec))
	f.key, f.revoked = key, revoked
	f.keys, err = apikey.New(apikey.Config{Store: store, Header: "X-API-Key", Realm: "api"})
	require.NoError(t, err)

	f.selector, err = oneof.New(oneof.Config{Methods: []oneof.Method{f.jwt, f.keys}, Audit: f.audit})
	require.NoError(t, err)
	return f
}

// request builds a request with the given JWT and API key ("" for none).
func request(token, key string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		r.Header.Set("X-API-Key", key)
	}
	return r
}

// handler records whether it ran and whom for.
type handler struct {
	calls int
	p     gatehouse.Principal
	ok    bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.calls++
	h.p, h.ok = gatehouse.PrincipalFrom(r.Context())
	_, _ = io.WriteString(w, "served")
}

type recorder struct {
	mu     sync.Mutex
	events []gatehouse.Event
}

func (r *recorder) Audit(_ context.Context, e gatehouse.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) last() gatehouse.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.events[len(r.events)-1]
}

func TestSelector(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		token     string
		key       string
		status    int
		subject   string // the Principal's, when served
		challenge string
		body      string
	}{
		{name: "JWT alone: bearer decides", token: f.token, status: 200, subject: "user-42"},
		{name: "API key alone: apikey decides", key: f.key, status: 200, subject: "svc-7"},
		{name: "expired JWT alone: bearer's refusal", token: f.expired, status: 401,
			challenge: `Bearer realm="api", error="invalid_token", error_description="The access token expired"`},
		{name: "revoked key alone: apikey's refusal", key: f.revoked, status: 401, challenge: `X-API-Key realm="api"`},
		{name: "neither: 401 with both challenges", status: 401,
			challenge: `Bearer realm="api", X-API-Key realm="api"`,
			body:      `{"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing credentials"}}`},
		{name: "both valid: 400, never a silent pick", token: f.token, key: f.key, status: 400,
			body: `{"error":{"name":"BadRequestError","code":"BAD_REQUEST","message":"Ambiguous credentials: send only one of them"}}`},
		{name: "both, one bad: still 400", token: f.expired, key: f.key, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &handler{}
			w := httptest.NewRecorder()
			f.selector.Middleware(next).ServeHTTP(w, request(tc.token, tc.key))
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 200 {
				assert.Equal(t, 1, next.calls)
				assert.True(t, next.ok)
				assert.Equal(t, tc.subject, next.p.Subject)
				return
			}
			assert.Zero(t, next.calls, "a refused request never reaches the handler")
			assert.NotContains(t, w.Body.String(), "served")
			assert.Equal(t, tc.challenge, w.Header().Get("WWW-Authenticate"))
			if tc.body != "" {
				assert.JSONEq(t, tc.body, w.Body.String())
			}
		})
	}
}

func TestSelectorAudit(t *testing.T) {
	f := newFixture(t)
	h := f.selector.Middleware(&handler{})
	h.ServeHTTP(httptest.NewRecorder(), request("", ""))
	ev := f.audit.last()
	assert.Equal(t, "oneof", ev.Source)
	assert.Equal(t, gatehouse.Denied, ev.Outcome)
	assert.Equal(t, oneof.ReasonNoCredentials, ev.Reason)
	assert.Equal(t, 401, ev.Status)

	h.ServeHTTP(httptest.NewRecorder(), request(f.token, f.key))
	ev = f.audit.last()
	assert.Equal(t, oneof.ReasonAmbiguous, ev.Reason)
	assert.Equal(t, 400, ev.Status)
	assert.Len(t, f.audit.events, 2, "a request handed to a method is audited by that method, not twice")
}

func TestOptional(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, token, key string
		status           int
		authenticated    bool
	}{
		{name: "neither: anonymous", status: 200},
		{name: "JWT", token: f.token, status: 200, authenticated: true},
		{name: "API key", key: f.key, status: 200, authenticated: true},
		{name: "bad JWT: refused, not anonymous", token: f.expired, status: 401},
		{name: "bad key: refused, not anonymous", key: f.revoked, status: 401},
		{name: "both: 400", token: f.token, key: f.key, status: 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &handler{}
			w := httptest.NewRecorder()
			f.selector.Optional(next).ServeHTTP(w, request(tc.token, tc.key))
			assert.Equal(t, tc.status, w.Code)
			assert.Equal(t, tc.status == 200, next.calls == 1)
			assert.Equal(t, tc.authenticated, next.ok)
		})
	}
	ev := f.audit.events[0]
	assert.Equal(t, gatehouse.Allowed, ev.Outcome, "the anonymous request is audited as allowed")
	assert.Empty(t, ev.Subject)
}

// TestSelectorOverHTTP: a real server on loopback, with the request's
// style and the Selector's own message.
func TestSelectorOverHTTP(t *testing.T) {
	f := newFixture(t)
	twice, err := oneof.New(oneof.Config{
		Methods:      []oneof.Method{f.jwt, f.keys},
		Unauthorized: envelope.ErrUnauthorized.WithMessage("Send a token or an API key").WithChallenge("Basic"),
	})
	require.NoError(t, err)
	srv := httptest.NewServer(envelope.Use(envelope.Flat)(twice.Middleware(&handler{})))
	defer srv.Close()

	get := func(token, key string) (*http.Response, string) {
		r, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		r.Header = request(token, key).Header
		resp, err := srv.Client().Do(r)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp, string(b)
	}
	resp, body := get("", "")
	assert.Equal(t, 401, resp.StatusCode)
	assert.Equal(t, []string{`Bearer realm="api", X-API-Key realm="api"`}, resp.Header.Values("WWW-Authenticate"))
	assert.JSONEq(t, `{"success":false,"error":"Unauthorized","message":"Send a token or an API key"}`, body)

	resp, body = get(f.token, "")
	assert.Equal(t, 200, resp.StatusCode)
	assert.Equal(t, "served", body)
}

func TestNewValidates(t *testing.T) {
	_, err := oneof.New(oneof.Config{})
	assert.ErrorIs(t, err, oneof.ErrConfig)
	_, err = oneof.New(oneof.Config{Methods: []oneof.Method{nil}})
	assert.ErrorIs(t, err, oneof.ErrConfig)
	assert.ErrorContains(t, err, "the method at index 0 is nil")
	var nilAuth *bearer.Authenticator
	_, err = oneof.New(oneof.Config{Methods: []oneof.Method{nilAuth}})
	assert.ErrorContains(t, err, "the method at index 0 is nil", "a typed nil is nil too")

	f := newFixture(t)
	_, err = oneof.New(oneof.Config{Methods: []oneof.Method{f.jwt}, Unauthorized: envelope.ErrForbidden.WithMessage("no"), BadRequest: envelope.ErrUnauthorized.WithMessage("no")})
	assert.ErrorIs(t, err, oneof.ErrConfig)
	assert.ErrorContains(t, err, "status 403, not 401")
	assert.ErrorContains(t, err, "status 401, not 400")
	_, err = oneof.New(oneof.Config{Methods: []oneof.Method{f.jwt, f.keys, f.jwt}})
	assert.ErrorIs(t, err, oneof.ErrConfig)
	assert.ErrorContains(t, err, "the method at index 2 repeats the one at 0", "a repeated method would make every request of its kind ambiguous")
}

func TestRefusals(t *testing.T) {
	rows := oneof.Refusals()
	require.Len(t, rows, 2)
	assert.ErrorIs(t, rows[0].Err, oneof.ErrNoCredentials)
	assert.Equal(t, 401, rows[0].Status)
	assert.ErrorIs(t, rows[1].Err, oneof.ErrAmbiguous)
	assert.Equal(t, 400, rows[1].Status)
	rows[0].Status = 500
	assert.Equal(t, 401, oneof.Refusals()[0].Status, "the table is the caller's copy")
}

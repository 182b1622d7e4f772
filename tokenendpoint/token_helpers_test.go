package tokenendpoint_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/internal/assertionhook"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/require"
)

// Token-endpoint test clients: "shop" has both credentials, "m2m-only" a
// secret only, "app-only" an assertion key only.
var (
	shopSecret   = "shop-secret-0123456789abcdefghijklmnopqrstuv"
	shopKey      = []byte("shop-api-signature-0123456789abcdef")
	otherKey     = []byte("someone-elses-signature-0123456789ab")
	m2mSecret    = "m2m-secret-0123456789abcdefghijklmnopqrstuvw"
	appOnlyKey   = []byte("app-only-signature-0123456789abcdefg")
	tokenClients = []tokenendpoint.Client{
		{ID: "shop", SecretHash: tokenendpoint.HashClientSecret(shopSecret), AssertionKey: shopKey, Tenant: "t-shop", Scopes: []string{"vouchers:reserve", "vouchers:confirm"}},
		{ID: "m2m-only", SecretHash: tokenendpoint.HashClientSecret(m2mSecret), Subject: "svc-m2m"},
		{ID: "app-only", AssertionKey: appOnlyKey},
	}
)

// tokenFixture is a token endpoint with the real bearer middleware for
// its tokens, a test throttle, clock and audit, configured for the
// assertions of seedClaims: notificationKey single-use, amount, userId and
// forceManualConfirm read into the session token.
type tokenFixture struct {
	ep       *tokenendpoint.Endpoint
	clock    *clock
	throttle *throttle
	audit    *events
	replay   *tokenendpoint.MemoryReplay
	auth     *bearer.Authenticator
	mux      *http.ServeMux
}

func newTokenFixture(t testing.TB, mod ...func(*tokenendpoint.Config)) *tokenFixture {
	t.Helper()
	clients, err := tokenendpoint.NewMemoryClients(tokenClients...)
	require.NoError(t, err)
	f := &tokenFixture{clock: newClock(), throttle: newThrottle(5), audit: &events{}}
	f.replay, err = tokenendpoint.NewMemoryReplay(tokenendpoint.MemoryReplayConfig{Now: f.clock.Now})
	require.NoError(t, err)
	cfg := tokenendpoint.Config{
		Issuer:      "https://rewards.example",
		Audiences:   []string{"rewardstore-api"},
		Key:         tokenendpoint.SigningKey{Key: testSecret},
		Clients:     clients,
		Replay:      f.replay,
		Throttle:    f.throttle,
		ReplayClaim: "notificationKey",
		Assertion:   assertionhook.Vouchers(tokenendpoint.InvalidGrant),
		Realm:       "vouchers",
		Audit:       f.audit,
		Now:         f.clock.Now,
	}
	for _, m := range mod {
		m(&cfg)
	}
	f.ep, err = tokenendpoint.New(cfg)
	require.NoError(t, err)
	f.auth, err = bearer.New(f.ep.BearerConfig(bearer.NewMemoryRevocations(nil)))
	require.NoError(t, err)
	f.mux = http.NewServeMux()
	f.mux.Handle("POST /token", f.ep)
	return f
}

// post sends body to /token with content type ct and header pairs hdr.
func (f *tokenFixture) post(ct, body string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/token", strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:40000"
	if ct != "" {
		r.Header.Set("Content-Type", ct)
	}
	for k := 0; k+1 < len(hdr); k += 2 {
		r.Header.Set(hdr[k], hdr[k+1])
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *tokenFixture) postJSON(v any) *httptest.ResponseRecorder {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return f.post("application/json", string(b))
}

func (f *tokenFixture) assertionGrant(clientID, assertion string) *httptest.ResponseRecorder {
	return f.postJSON(map[string]string{"grant_type": tokenendpoint.GrantJWTBearer, "client_id": clientID, "assertion": assertion})
}

// tokenBody is RFC 6749 §5.1's success body.
type tokenBody struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

func decodeToken(t testing.TB, w *httptest.ResponseRecorder) tokenBody {
	t.Helper()
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	var b tokenBody
	dec := json.NewDecoder(w.Body)
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b))
	return b
}

// oauthError returns RFC 6749 §5.2's error body.
func oauthError(t testing.TB, w *httptest.ResponseRecorder) (code, desc string) {
	t.Helper()
	var b struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	dec := json.NewDecoder(strings.NewReader(w.Body.String()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&b), w.Body.String())
	return b.Error, b.Description
}

// verify runs the token through the real bearer middleware and returns the
// session claims the handler sees.
func (f *tokenFixture) verify(t testing.TB, token string) sessionClaims {
	t.Helper()
	r := httptest.NewRequest("GET", "/api", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	var got sessionClaims
	var ok bool
	h := f.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s tokenendpoint.Session
		if s, ok = tokenendpoint.SessionFrom(r.Context()); ok {
			got = sessionClaimsOf(s)
		}
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.True(t, ok, "a session token")
	return got
}

// jws builds a compact JWS with an arbitrary header; alg picks the MAC
// (HS256, HS384, HS512) or none for any other value.
func jws(t testing.TB, header, claims any, key []byte) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	alg, _ := header.(map[string]any)["alg"].(string)
	var mac []byte
	switch alg {
	case "HS256":
		m := hmac.New(sha256.New, key)
		m.Write([]byte(input))
		mac = m.Sum(nil)
	case "HS384":
		m := hmac.New(sha512.New384, key)
		m.Write([]byte(input))
		mac = m.Sum(nil)
	case "HS512":
		m := hmac.New(sha512.New, key)
		m.Write([]byte(input))
		mac = m.Sum(nil)
	}
	return input + "." + enc.EncodeToString(mac)
}

var jwtHeader = map[string]any{"typ": "JWT", "alg": "HS256"}

// claimsAt returns a PHP client's assertion claims at now with
// notificationKey nk.
func claimsAt(now time.Time, nk string) map[string]any {
	return map[string]any{"amount": 100, "iat": now.Unix(), "notificationKey": nk}
}

// failingClients is a ClientStore that is down.
type failingClients struct{}

func (failingClients) LookupClient(context.Context, string) (tokenendpoint.Client, error) {
	return tokenendpoint.Client{}, errors.New("db: connection refused to 10.0.0.7")
}

// failingReplay is a ReplayStore that is down.
type failingReplay struct{}

func (failingReplay) Use(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("redis: i/o timeout")
}

type recorder = httptest.ResponseRecorder

func newRecorder() *recorder { return httptest.NewRecorder() }

package issuer_test

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
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
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
	tokenClients = []issuer.Client{
		{ID: "shop", SecretHash: issuer.HashClientSecret(shopSecret), AssertionKey: shopKey, Tenant: "t-shop", Scopes: []string{"vouchers:reserve", "vouchers:confirm"}},
		{ID: "m2m-only", SecretHash: issuer.HashClientSecret(m2mSecret), Subject: "svc-m2m"},
		{ID: "app-only", AssertionKey: appOnlyKey},
	}
)

// tokenFixture is an issuer with the token endpoint, the real bearer
// middleware for its tokens and the fixture's throttle, clock and audit.
type tokenFixture struct {
	*fixture
	replay *issuer.MemoryReplay
	auth   *bearer.Authenticator
}

func newTokenFixture(t testing.TB, mod ...func(*issuer.Config)) *tokenFixture {
	t.Helper()
	clients, err := issuer.NewMemoryClients(tokenClients...)
	require.NoError(t, err)
	tf := &tokenFixture{}
	base := func(cfg *issuer.Config) {
		tf.replay = issuer.NewMemoryReplay(cfg.Now)
		cfg.Clients = clients
		cfg.Replay = tf.replay
		cfg.Realm = "vouchers"
	}
	tf.fixture = newFixture(t, append([]func(*issuer.Config){base}, mod...)...)
	bc := tf.iss.BearerConfig(bearer.NewMemoryRevocations(nil))
	tf.auth, err = bearer.New(bc)
	require.NoError(t, err)
	tf.mux.HandleFunc("POST /token", tf.iss.Token)
	return tf
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
	return f.postJSON(map[string]string{"grant_type": issuer.GrantJWTBearer, "client_id": clientID, "assertion": assertion})
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
func (f *tokenFixture) verify(t testing.TB, token string) issuer.SessionClaims {
	t.Helper()
	r := httptest.NewRequest("GET", "/api", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	var got issuer.SessionClaims
	var ok bool
	h := f.auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok = issuer.SessionFrom(r.Context())
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

// claimsAt returns seed 002's PHP claims at now with notificationKey nk.
func claimsAt(now time.Time, nk string) map[string]any {
	return map[string]any{"amount": 100, "iat": now.Unix(), "notificationKey": nk}
}

// failingClients is a ClientStore that is down.
type failingClients struct{}

func (failingClients) LookupClient(context.Context, string) (issuer.Client, error) {
	return issuer.Client{}, errors.New("db: connection refused to 10.0.0.7")
}

// failingReplay is a ReplayStore that is down.
type failingReplay struct{}

func (failingReplay) Use(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("redis: i/o timeout")
}

type recorder = httptest.ResponseRecorder

func newRecorder() *recorder { return httptest.NewRecorder() }

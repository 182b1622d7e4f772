package gatehousegin_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

var secret = []byte("gatehousegin-test-secret-32-byte")

// sign returns an HS256 token of the issuer "tests" for the audience
// "orders-api", signed with key.
func sign(t testing.TB, key []byte, sub, scope string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "tests", "aud": "orders-api", "sub": sub, "scope": scope,
		"exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
	}).SignedString(key)
	require.NoError(t, err)
	return tok
}

// newBearer returns a real bearer Authenticator for the tokens of sign.
func newBearer(t testing.TB) *bearer.Authenticator {
	t.Helper()
	auth, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "tests", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences:  []string{"orders-api"},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = auth.Close() })
	return auth
}

// newScopes returns a real scopes Enforcer with the bearer's realm.
func newScopes(t testing.TB) *scopes.Enforcer {
	t.Helper()
	enf, err := scopes.New(scopes.Config{Realm: "api", Style: envelope.Nested})
	require.NoError(t, err)
	return enf
}

// newAPIKey returns a real apikey Authenticator and a key it admits, owned
// by subject with scopes.
func newAPIKey(t testing.TB, subject string, scopes ...string) (*apikey.Authenticator, string) {
	t.Helper()
	store := apikey.NewMemoryStore()
	key, rec, err := apikey.Generate("test")
	require.NoError(t, err)
	rec.Subject, rec.Scopes = subject, scopes
	require.NoError(t, store.Put(context.Background(), rec))
	auth, err := apikey.New(apikey.Config{Store: store, Realm: "api"})
	require.NoError(t, err)
	return auth, key
}

// reference answers req with mw in front of a plain http.Handler that
// writes "handler": what the same middleware answers on the standard
// library, to compare a gin answer with.
func reference(mw func(http.Handler) http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("handler"))
	})).ServeHTTP(rec, req)
	return rec
}

func request(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	return r
}

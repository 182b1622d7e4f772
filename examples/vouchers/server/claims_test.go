package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// TestCheckSessionAmountOfAnyClaims reads a client session from claims
// the bearer middleware did not decode itself (a JSON float64 beyond 1e21
// keeps its digits), and refuses a client session without a numeric
// amount as no session.
func TestCheckSessionAmountOfAnyClaims(t *testing.T) {
	p := gatehouse.Principal{Method: gatehouse.MethodJWT, Claims: bearer.NewClaims(map[string]any{
		"session_kind": "client", "client_id": "c", "amount": 1e21, "notificationKey": "k",
	})}
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(gatehouse.WithPrincipal(r.Context(), p))
	s, err := checkSession(r, tokenendpoint.SessionClient)
	require.NoError(t, err)
	assert.Equal(t, "1000000000000000000000", string(s.Amount))

	p.Claims = bearer.NewClaims(map[string]any{"session_kind": "client", "client_id": "c", "amount": "100", "notificationKey": "k"})
	r = r.WithContext(gatehouse.WithPrincipal(r.Context(), p))
	_, err = checkSession(r, tokenendpoint.SessionClient)
	require.ErrorIs(t, err, tokenendpoint.ErrWrongSession, "a client session without a numeric amount is no session")
}

// TestSessionAmountPrecision pins the precision session.Amount documents:
// an assertion amount goes through the token as a JSON number and the
// bearer middleware's float64, so integers up to 2^53 and decimals to 15
// significant digits come back as written, and a longer one comes back
// rounded.
func TestSessionAmountPrecision(t *testing.T) {
	key := []byte("monApiSignature-monApiSignature-0")
	clients, err := tokenendpoint.NewMemoryClients(tokenendpoint.Client{ID: "shop", AssertionKey: key})
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "vouchers", Key: tokenendpoint.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Clients: clients, ReplayClaim: "notificationKey", Assertion: assertionClaims,
	})
	require.NoError(t, err)
	auth, err := bearer.New(ep.BearerConfig(bearer.NewMemoryRevocations(nil)))
	require.NoError(t, err)
	amountOf := func(assertion string) string {
		body := `{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","client_id":"shop","assertion":"` + assertion + `"}`
		r := httptest.NewRequest("POST", "/v2/token", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		ep.ServeHTTP(w, r)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &tok))
		var got session
		h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got, err = checkSession(r, tokenendpoint.SessionClient)
		}))
		r = httptest.NewRequest("GET", "/api", nil)
		r.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		h.ServeHTTP(httptest.NewRecorder(), r)
		require.NoError(t, err)
		return string(got.Amount)
	}
	for k, tc := range []struct{ sent, got string }{
		{"100", "100"},
		{"12.5", "12.5"},
		{"0.1", "0.1"},
		{"0.01", "0.01"},
		{"9007199254740992", "9007199254740992"},         // 2^53
		{"1234567890.12345", "1234567890.12345"},         // 15 significant digits
		{"9007199254740993", "9007199254740992"},         // 2^53 + 1: rounded
		{"9007199254740995", "9007199254740996"},         // the review's example
		{"12345678901234567890", "12345678901234567000"}, // beyond 2^53
	} {
		claims := fmt.Sprintf(`{"amount":%s,"iat":%d,"notificationKey":"precision-%d"}`, tc.sent, time.Now().Unix(), k)
		assert.Equal(t, tc.got, amountOf(hs256(key, claims)), tc.sent)
	}
}

// hs256 signs claims, a JSON object, as firebase/php-jwt does.
func hs256(key []byte, claims string) string {
	enc := base64.RawURLEncoding
	input := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + enc.EncodeToString([]byte(claims))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(input))
	return input + "." + enc.EncodeToString(m.Sum(nil))
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResourceServer runs the API against a real JWK Set endpoint on
// loopback, as an OpenID provider would publish it.
func TestResourceServer(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	jwk, err := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "idp-1", ALG: jwkset.AlgES256, USE: jwkset.UseSig}})
	require.NoError(t, err)
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk.Marshal()}})
	}))
	defer idp.Close()

	h, auth, err := newHandler(options{jwksURL: idp.URL, issuer: "https://idp.test/", audience: "https://api.test", algs: "RS256, ES256"}, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer auth.Close()
	api := httptest.NewServer(h)
	defer api.Close()

	token := func(scope string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "https://idp.test/", "aud": []string{"https://api.test"}, "sub": "auth0|42",
			"scope": scope, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix(),
		})
		tok.Header["kid"] = "idp-1"
		s, err := tok.SignedString(key)
		require.NoError(t, err)
		return s
	}
	get := func(path, tok string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, api.URL+path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	code, body := get("/api/v1/whoami", token("openid"))
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `"subject":"auth0|42"`)

	code, _ = get("/api/v1/whoami", "")
	assert.Equal(t, 401, code)

	code, _ = get("/api/v1/products", token("openid"))
	assert.Equal(t, 403, code)

	code, body = get("/api/v1/products", token("openid products:read"))
	assert.Equal(t, 200, code)
	assert.Contains(t, body, "Gift card")

	_, _, err = newHandler(options{jwksURL: idp.URL}, slog.New(slog.DiscardHandler))
	assert.Error(t, err, "issuer and audience are required")
}

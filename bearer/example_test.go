package bearer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
)

func Example() {
	secret := []byte("an-hmac-secret-of-at-least-32-bytes!")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	auth, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: []string{"HS256"},
		Issuers: []bearer.Issuer{{
			URL:  "https://auth.example.com",
			Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}},
		}},
		Audiences: []string{"orders-api"},
		Now:       func() time.Time { return now },
	})
	if err != nil {
		panic(err)
	}
	h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		fmt.Fprintf(w, "hello %s of %s, scopes %v", p.Subject, p.Tenant, p.Scopes)
	}))

	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example.com", "aud": "orders-api", "sub": "user-42", "tenant": "acme",
		"scope": "orders:read", "exp": now.Add(time.Hour).Unix(),
	}).SignedString(secret)

	for _, header := range []string{"Bearer " + tok, "", tok, "Bearer " + tok + ",x"} {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	}
	// Output:
	// 200  hello user-42 of acme, scopes [orders:read]
	// 401 Bearer realm="api" {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing bearer token"}}
	// 401 Bearer realm="api" {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing bearer token"}}
	// 401 Bearer realm="api", error="invalid_token", error_description="Malformed Authorization header" {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Malformed Authorization header"}}
}

func ExampleMemoryTokens() {
	ctx := context.Background()
	tokens := bearer.NewMemoryTokens() // keeps only SHA-256 hashes
	_ = tokens.Add(ctx, "pxl_live_3f9a0c", bearer.TokenRecord{ID: "tok_1", Subject: "store-9", Scopes: []string{"products:read"}})
	auth, _ := bearer.New(bearer.Config{Tokens: tokens})

	r := httptest.NewRequest(http.MethodGet, "/api/external/v1/products", nil)
	r.Header.Set("Authorization", "Bearer pxl_live_3f9a0c")
	p, err := auth.Check(r)
	fmt.Println(p.Subject, p.Method, p.TokenID, p.Scopes, err)

	_ = tokens.RevokeToken(ctx, "tok_1")
	_, err = auth.Check(r)
	fmt.Println(err)
	// Output:
	// store-9 opaque tok_1 [products:read] <nil>
	// envelope: UNAUTHORIZED: The access token has been revoked
}

func ExampleParsePublicKeyPEM() {
	pemKey := []byte(`-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7
6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==
-----END PUBLIC KEY-----`)
	key, err := bearer.ParsePublicKeyPEM("ES256", "2026-03", pemKey)
	fmt.Println(key.ID, key.Algorithm, err)
	_, err = bearer.ParsePublicKeyPEM("RS256", "2026-03", pemKey)
	fmt.Println(err)
	// Output:
	// 2026-03 ES256 <nil>
	// bearer: invalid configuration: RS256 needs an RSA public key, got *ecdsa.PublicKey
}

func ExampleCustom() {
	type claims struct {
		Org   string   `json:"org"`
		Roles []string `json:"roles"`
	}
	secret := []byte("an-hmac-secret-of-at-least-32-bytes!")
	auth, _ := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"},
		Keys:       []bearer.Key{{Algorithm: "HS256", Key: secret}},
		Custom: bearer.Custom(func(_ context.Context, c *claims) error {
			if c.Org == "" {
				return fmt.Errorf("org claim required")
			}
			return nil
		}),
	})
	h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := bearer.CustomFrom[claims](r.Context())
		fmt.Println("org:", c.Org, "roles:", c.Roles)
	}))
	tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "u1", "org": "acme", "roles": []string{"admin"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(httptest.NewRecorder(), r)
	// Output:
	// org: acme roles: [admin]
}

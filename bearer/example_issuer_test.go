package bearer_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// An Issuer given by its URL alone: the Authenticator reads the
// provider's discovery document, fetches the JWK Set it names and
// verifies the provider's tokens with those keys only. The provider here
// is a loopback server standing in for Auth0, Okta, Keycloak or Entra ID.
func ExampleIssuer() {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk, _ := jwkset.NewJWKFromKey(&key.PublicKey, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: jwkset.AlgES256, USE: jwkset.UseSig}})
	mux := http.NewServeMux()
	idp := httptest.NewServer(mux)
	defer idp.Close()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []any{jwk.Marshal()}})
	})

	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"RS256", "ES256"},
		Issuers:    []bearer.Issuer{{URL: idp.URL, Audiences: []string{"https://api.example.com"}}},
		WaitReady:  5 * time.Second, // or serve auth.Ready from /readyz
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()
	fmt.Println("ready:", auth.Ready(context.Background()) == nil)

	tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"iss": idp.URL, "aud": "https://api.example.com", "sub": "user-42", "scope": "orders:read",
		"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	})
	tok.Header["kid"] = "k1"
	signed, _ := tok.SignedString(key)
	r := httptest.NewRequest(http.MethodGet, "/orders", nil)
	r.Header.Set("Authorization", "Bearer "+signed)
	p, err := auth.Check(r)
	fmt.Println(p.Subject, p.Scopes, err)
	// Output:
	// ready: true
	// user-42 [orders:read] <nil>
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// demoAudience is the audience of the demo provider's tokens.
const demoAudience = "demo-api"

// A demoProvider stands in for an OpenID provider, for trying the server
// without one (-demo): under /demo on the server's own listener it
// publishes a discovery document and a JWK Set holding an ES256 key made
// at start, and it signs test tokens with that key. The server finds the
// key set by discovery, as it does a real provider's. It is for a local
// try only: anyone who reads the banner holds its tokens.
type demoProvider struct {
	issuer string // http://127.0.0.1:PORT/demo
	kid    string
	key    *ecdsa.PrivateKey
}

// newDemoProvider makes the provider of a server listening on addr, which
// must be a loopback address: the issuer is plain http.
func newDemoProvider(addr net.Addr) (*demoProvider, error) {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return nil, fmt.Errorf("-demo needs a loopback -addr, not %s", addr)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return &demoProvider{issuer: "http://" + tcp.String() + "/demo", kid: rand.Text()[:8], key: key}, nil
}

// config is the -issuer the provider's tokens need.
func (d *demoProvider) config() bearer.Issuer {
	return bearer.Issuer{URL: d.issuer, Audiences: []string{demoAudience}, TokenType: "at+jwt"}
}

// handle adds the discovery document and the JWK Set to mux.
func (d *demoProvider) handle(mux *http.ServeMux) {
	mux.HandleFunc("GET /demo/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"issuer": d.issuer, "jwks_uri": d.issuer + "/jwks.json"})
	})
	mux.HandleFunc("GET /demo/jwks.json", func(w http.ResponseWriter, r *http.Request) {
		pub, err := d.key.PublicKey.Bytes() // 0x04 || X || Y
		if err != nil {
			http.Error(w, "no key", http.StatusInternalServerError)
			return
		}
		b64 := base64.RawURLEncoding.EncodeToString
		writeJSON(w, map[string]any{"keys": []map[string]string{{
			"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": d.kid,
			"x": b64(pub[1:33]), "y": b64(pub[33:]),
		}}})
	})
}

// token signs an access token (RFC 9068: typ at+jwt) for the subject
// demo-user with scope (none when empty), valid for an hour.
func (d *demoProvider) token(scope string) (string, error) {
	now := time.Now()
	claims := jwt.MapClaims{"iss": d.issuer, "aud": demoAudience, "sub": "demo-user", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if scope != "" {
		claims["scope"] = scope
	}
	t := jwt.NewWithClaims(jwt.SigningMethodES256, claims)
	t.Header["kid"] = d.kid
	t.Header["typ"] = "at+jwt"
	return t.SignedString(d.key)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

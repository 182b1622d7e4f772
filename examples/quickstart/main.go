// Command quickstart is the README's quick start, kept here so that CI
// compiles it and runs the commands of its README.
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// The token issuer this API trusts. In production the secret comes from your
// secret store, or the keys from your provider's JWK Set (bearer.Issuer.JWKSURL).
const (
	issuerURL = "https://auth.example.com"
	audience  = "orders-api"
	secret    = "a-secret-of-at-least-32-bytes!!!"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	auth, err := bearer.New(bearer.Config{
		Realm:      "orders",
		Algorithms: []string{"HS256"},
		Issuers: []bearer.Issuer{{
			URL:  issuerURL,
			Keys: []bearer.Key{{Algorithm: "HS256", Key: []byte(secret)}},
		}},
		Audiences: []string{audience},
	})
	if err != nil {
		log.Fatal(err)
	}
	perms, err := scopes.New(scopes.Config{Realm: "orders"}) // the same Realm as the bearer check
	if err != nil {
		log.Fatal(err)
	}
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_ = envelope.OK(w, map[string]string{"customer": p.Subject})
	})
	mux := http.NewServeMux()
	mux.Handle("GET /orders", gatehouse.Chain(envelope.Recover(slog.Default()), envelope.Use(envelope.Flat), auth.Middleware, perms.Require("orders:read"))(orders))
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,  // slow-header clients (Slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      30 * time.Second, // the handler and the response
		IdleTimeout:       60 * time.Second, // keep-alive connections between requests
		MaxHeaderBytes:    16 << 10,         // bearer tokens fit; 1 MiB is the default
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if ip := ln.Addr().(*net.TCPAddr).IP; !ip.IsLoopback() { // the secret above is public
		log.Fatalf("quickstart: listen on a loopback address such as 127.0.0.1:8080, not %s", ln.Addr())
	}
	fmt.Printf(`listening on http://%[1]s
Try it with two test tokens, valid for an hour (paste the export line first):
  export TOKEN=%[2]s NO_SCOPE_TOKEN=%[3]s
  curl -i http://%[1]s/orders                                            # → 401: no token
  curl -i -H "Authorization: Bearer $NO_SCOPE_TOKEN" http://%[1]s/orders  # → 403: no orders:read
  curl -i -H "Authorization: Bearer $TOKEN" http://%[1]s/orders           # → 200
`, ln.Addr(), testToken("orders:read"), testToken(""))
	log.Fatal(srv.Serve(ln))
}

// testToken signs a token the API above accepts, with the given scope, for
// trying it out; real tokens come from your identity provider.
func testToken(scope string) string {
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"iss": issuerURL, "aud": audience,
		"sub": "customer-42", "scope": scope, "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(secret))
	if err != nil {
		log.Fatal(err)
	}
	return tok
}

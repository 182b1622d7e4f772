// Command quickstart is the README's quick start, kept here so that CI
// compiles it.
package main

import (
	"log"
	"log/slog"
	"net/http"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

func main() {
	auth, err := bearer.New(bearer.Config{
		Realm:      "orders",
		Algorithms: []string{"HS256"},
		Issuers: []bearer.Issuer{{
			URL:  "https://auth.example.com",
			Keys: []bearer.Key{{Algorithm: "HS256", Key: []byte("a-secret-of-at-least-32-bytes!!!")}},
		}},
		Audiences: []string{"orders-api"},
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
		Addr:              "127.0.0.1:8080",
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,  // slow-header clients (Slowloris)
		ReadTimeout:       10 * time.Second, // the whole request, body included
		WriteTimeout:      30 * time.Second, // the handler and the response
		IdleTimeout:       60 * time.Second, // keep-alive connections between requests
		MaxHeaderBytes:    16 << 10,         // bearer tokens fit; 1 MiB is the default
	}
	log.Fatal(srv.ListenAndServe())
}

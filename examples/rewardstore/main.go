// Command rewardstore is the main gatehouse example. This first version
// serves a tiny protected API with a built-in demo token; the full rebuild
// of seed 000 (login, refresh, logout) replaces it.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()

	b := make([]byte, 16)
	_, _ = rand.Read(b)
	token := hex.EncodeToString(b)

	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+token {
				envelope.Write(w, r, envelope.ErrUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), gatehouse.Principal{Subject: "demo"})))
		})
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/products", gatehouse.Chain(auth)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = envelope.OK(w, []map[string]any{{"id": 1, "name": "Gift card"}})
	})))
	fmt.Fprintf(os.Stdout, "rewardstore listening on http://%s\n  curl -H 'Authorization: Bearer %s' http://%s/api/v1/products\n", *addr, token, *addr)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

package tokenendpoint_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// A token endpoint with one client, which has a secret (m2m sessions) and
// an HS256 assertion key (client sessions), and a route that only an m2m
// session may call.
func Example() {
	secret, hash := tokenendpoint.GenerateClientSecret()
	clients, _ := tokenendpoint.NewMemoryClients(tokenendpoint.Client{
		ID: "ABCD", SecretHash: hash, AssertionKey: []byte("monApiSignature-monApiSignature-0"),
	})
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer:  "vouchers",
		Key:     tokenendpoint.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Clients: clients,
	})
	if err != nil {
		panic(err)
	}
	auth, _ := bearer.New(ep.BearerConfig(bearer.NewMemoryRevocations(nil)))

	mux := http.NewServeMux()
	mux.Handle("POST /v2/token", ep)
	mux.Handle("POST /v2/confirm", gatehouse.Chain(auth.Middleware, ep.RequireSession(tokenendpoint.SessionM2M))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := tokenendpoint.SessionFrom(r.Context())
			fmt.Fprintf(w, "%s session of %s", s.Kind, s.ClientID)
		})))

	body := `{"grant_type":"client_credentials","client_id":"ABCD","client_secret":"` + secret + `"}`
	r := httptest.NewRequestWithContext(context.Background(), "POST", "/v2/token", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Header().Get("Cache-Control"))
	token := strings.Split(w.Body.String(), `"`)[3]

	r = httptest.NewRequestWithContext(context.Background(), "POST", "/v2/confirm", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w = httptest.NewRecorder()
	mux.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// 200 no-store
	// 200 m2m session of ABCD
}

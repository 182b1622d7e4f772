package issuer_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
)

// The token endpoint of seed 002: a client with a secret (m2m sessions)
// and an HS256 assertion key (client sessions), and a route that only an
// m2m session may call.
func ExampleIssuer_Token() {
	secret, hash := issuer.GenerateClientSecret()
	clients, _ := issuer.NewMemoryClients(issuer.Client{
		ID: "ABCD", SecretHash: hash, AssertionKey: []byte("monApiSignature-monApiSignature-0"),
	})
	revocations := bearer.NewMemoryRevocations(nil)
	iss, err := issuer.New(issuer.Config{
		Issuer:      "vouchers",
		Key:         issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Clients:     clients,
		Revocations: revocations,
	})
	if err != nil {
		panic(err)
	}
	auth, _ := bearer.New(iss.BearerConfig(revocations))

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/token", iss.Token)
	mux.Handle("POST /v2/confirm", gatehouse.Chain(auth.Middleware, issuer.RequireSession(issuer.SessionM2M))(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, _ := issuer.SessionFrom(r.Context())
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

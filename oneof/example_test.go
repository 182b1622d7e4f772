package oneof_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/oneof"
)

// An orders API that people call with a JWT from the company's login and
// services call with an API key.
func ExampleSelector_Middleware() {
	secret := []byte("a-secret-of-at-least-32-bytes!!!")
	jwtAuth, err := bearer.New(bearer.Config{
		Realm:      "orders",
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://auth.example.com", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences:  []string{"orders-api"},
	})
	if err != nil {
		panic(err)
	}
	defer jwtAuth.Close()
	store := apikey.NewMemoryStore()
	key, rec, _ := apikey.Generate("live")
	rec.Subject = "billing-service"
	_ = store.Put(context.Background(), rec)
	keyAuth, err := apikey.New(apikey.Config{Store: store, Header: "X-API-Key", Realm: "orders"})
	if err != nil {
		panic(err)
	}

	either, err := oneof.New(oneof.Config{Methods: []oneof.Method{jwtAuth, keyAuth}})
	if err != nil {
		panic(err)
	}
	orders := either.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		_ = envelope.OK(w, map[string]string{"caller": p.Subject, "method": string(p.Method)})
	}))

	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example.com", "aud": "orders-api", "sub": "ada", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	call := func(token, key string) {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if token != "" {
			r.Header.Set("Authorization", "Bearer "+token)
		}
		if key != "" {
			r.Header.Set("X-API-Key", key)
		}
		w := httptest.NewRecorder()
		orders.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"), w.Body.String())
	}
	call(token, "")
	call("", key)
	call("", "")
	call(token, key)
	// Output:
	// 200  {"success":true,"data":{"caller":"ada","method":"jwt"}}
	// 200  {"success":true,"data":{"caller":"billing-service","method":"api_key"}}
	// 401 Bearer realm="orders", X-API-Key realm="orders" {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Missing credentials"}}
	// 400  {"error":{"name":"BadRequestError","code":"BAD_REQUEST","message":"Ambiguous credentials: send only one of them"}}
}

package gatehousetest_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
)

// orders is the application's handler under test: it lists the caller's
// orders, for callers with the scope orders:read.
var orders = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	if !p.HasScope("orders:read") {
		http.Error(w, "missing scope orders:read", http.StatusForbidden)
		return
	}
	fmt.Fprintf(w, "orders of %s", p.Subject)
})

// A test of an application's handler behind the real bearer middleware.
// In a test, t is the test's *testing.T.
func Example_handlerTest() {
	t := newExampleT()
	defer t.end()

	op := gatehousetest.NewProvider(t)                                       // an OpenID provider on loopback
	h := op.Authenticator(t, bearer.Config{Realm: "api"}).Middleware(orders) // trusting it, as in production

	for _, tok := range []string{
		op.Token(t, gatehousetest.Claims{Subject: "ada", Scopes: []string{"orders:read"}}),
		op.Token(t, gatehousetest.Claims{Subject: "ada"}),
		op.Token(t, gatehousetest.Claims{Subject: "ada", Scopes: []string{"orders:read"}}, gatehousetest.Expired()),
		op.Token(t, gatehousetest.Claims{Subject: "ada", Scopes: []string{"orders:read"}}, gatehousetest.Foreign()),
	} {
		res := gatehousetest.Serve(h, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(tok)))
		fmt.Println(res.Code, strings.TrimSpace(res.Body.String()))
	}
	// Output:
	// 200 orders of ada
	// 403 missing scope orders:read
	// 401 {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"The access token expired"}}
	// 401 {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"Invalid access token"}}
}

// The variants of a token, and why the middleware refuses each.
func ExampleProvider_Token() {
	t := newExampleT()
	defer t.end()

	op := gatehousetest.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{})
	for _, variant := range []gatehousetest.TokenOption{
		gatehousetest.Expired(),
		gatehousetest.NotYetValid(),
		gatehousetest.Foreign(),
		gatehousetest.Tampered(),
		gatehousetest.UnknownKey(),
		gatehousetest.WrongAudience(),
		gatehousetest.WrongIssuer(),
		gatehousetest.Header("typ", "JWT"),
	} {
		tok := op.Token(t, gatehousetest.Claims{}, variant)
		_, err := auth.Check(gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(tok)))
		fmt.Println(errors.Unwrap(err))
	}
	// Output:
	// bearer: token expired
	// bearer: token not yet valid
	// bearer: invalid token
	// bearer: invalid token
	// bearer: no key for token
	// bearer: audience not accepted
	// bearer: issuer not accepted
	// bearer: token type not accepted
}

// A test of a handler behind the API-key middleware.
func Example_apiKeys() {
	t := newExampleT()
	defer t.end()

	keys := gatehousetest.NewAPIKeys(t)
	h := keys.Authenticator(t, apikey.Config{}).Middleware(orders)
	good := keys.Add(t, apikey.Record{Subject: "billing-service", Scopes: []string{"orders:read"}})
	revoked := keys.Add(t, apikey.Record{Subject: "old-service", Scopes: []string{"orders:read"}})
	keys.Revoke(t, revoked)

	for _, key := range []string{good, revoked} {
		res := gatehousetest.Serve(h, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithAPIKey(key)))
		fmt.Println(res.Code, strings.TrimSpace(res.Body.String()))
	}
	// Output:
	// 200 orders of billing-service
	// 401 {"error":{"name":"UnauthorizedError","code":"UNAUTHORIZED","message":"API key revoked"}}
}

// A test of a handler that requires DPoP-bound tokens (RFC 9449).
func Example_dpop() {
	t := newExampleT()
	defer t.end()

	op := gatehousetest.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{Realm: "api", DPoP: bearer.DPoP{Mode: bearer.DPoPRequired}})
	h := auth.Middleware(orders)

	key := gatehousetest.NewDPoPKey(t) // the client's key
	tok := op.Token(t, gatehousetest.Claims{Subject: "ada", Scopes: []string{"orders:read"}}, gatehousetest.BoundTo(key))

	res := gatehousetest.Serve(h, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithDPoP(key, tok)))
	fmt.Println(res.Code, strings.TrimSpace(res.Body.String()))
	res = gatehousetest.Serve(h, gatehousetest.Request(t, "GET", "/orders", gatehousetest.WithBearer(tok)))
	fmt.Println(res.Code, res.Header().Get("WWW-Authenticate"))
	// Output:
	// 200 orders of ada
	// 401 DPoP realm="api", algs="ES256 ES384 EdDSA PS256 RS256"
}

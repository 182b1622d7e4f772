package scopes_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// asCaller stands in for bearer or apikey: it stores a Principal holding
// the given scopes.
func asCaller(r *http.Request, granted ...string) *http.Request {
	p := gatehouse.Principal{Subject: "token-7", Method: gatehouse.MethodOpaque, Scopes: granted}
	return r.WithContext(gatehouse.WithPrincipal(r.Context(), p))
}

func ExampleRequire() {
	fulfill := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "fulfilled")
	})
	h := gatehouse.Chain(envelope.Use(envelope.Flat), scopes.Require("orders:write"))(fulfill)

	w := httptest.NewRecorder()
	h.ServeHTTP(w, asCaller(httptest.NewRequest("POST", "/orders/1/fulfill", nil), "orders:read"))
	fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	fmt.Println(w.Body.String())

	w = httptest.NewRecorder()
	h.ServeHTTP(w, asCaller(httptest.NewRequest("POST", "/orders/1/fulfill", nil), "orders:read", "orders:write"))
	fmt.Print(w.Code, " ", w.Body.String())
	// Output:
	// 403 Bearer error="insufficient_scope", scope="orders:write"
	// {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}
	// 200 fulfilled
}

func ExampleNew_routeTable() {
	e, err := scopes.New(scopes.Config{
		Style: envelope.Flat,
		Realm: "store",
		Routes: map[string]scopes.Rule{
			"GET /products":  {All: []string{"products:read"}},
			"POST /products": {All: []string{"products:write"}},
		},
		// products:write also grants products:read.
		Implies: map[string][]string{"products:write": {"products:read"}},
	})
	if err != nil {
		panic(err)
	}
	h := e.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))

	for _, c := range []struct{ method, scope string }{
		{"GET", "products:write"}, {"POST", "products:read"}, {"DELETE", "products:write"},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, asCaller(httptest.NewRequest(c.method, "/products", nil), c.scope))
		fmt.Println(strings.TrimSpace(fmt.Sprint(c.method, " ", c.scope, " → ", w.Code, " ", w.Body.String())))
	}
	// Output:
	// GET products:write → 200
	// POST products:read → 403 {"success":false,"error":"Forbidden","message":"Token does not have the required scope: products:write"}
	// DELETE products:write → 403 {"success":false,"error":"Forbidden","message":"Insufficient permissions"}
}

func ExampleEnforcer_Grants() {
	e, err := scopes.New(scopes.Config{Wildcards: true})
	if err != nil {
		panic(err)
	}
	caller := gatehouse.Principal{Subject: "u", Scopes: []string{"orders:*", "products:read"}}

	// A handler minting a new token accepts only scopes the caller holds.
	for _, s := range []string{"orders:write", "products:read", "products:write"} {
		fmt.Println(s, e.Grants(caller, s))
	}
	// Output:
	// orders:write true
	// products:read true
	// products:write false
}

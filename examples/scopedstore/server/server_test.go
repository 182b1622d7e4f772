package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryScope calls every route twice: with a token holding only the
// route's scope (allowed) and with one holding all ten others (refused with
// seed 004's 403 and the RFC 6750 challenge).
func TestEveryScope(t *testing.T) {
	type tc struct {
		method, path string // path "" is filled by pathFn
		pathFn       func(e *env) string
		body         string
		status       int
		check        func(t *testing.T, e *env, r response)
	}
	cases := []tc{
		{method: "GET", path: "/products", status: 200, check: func(t *testing.T, _ *env, r response) {
			var ps []server.Product
			r.data(t, &ps)
			require.Len(t, ps, 3)
			assert.Equal(t, acmeProduct, ps[0].ID)
		}},
		{method: "GET", path: "/products/" + acmeProduct, status: 200, check: func(t *testing.T, _ *env, r response) {
			var p server.Product
			r.data(t, &p)
			assert.Equal(t, "VIP Rank (30 days)", p.Name)
			assert.Equal(t, 999, p.Price)
		}},
		{method: "POST", path: "/products", body: `{"name":"Gem Pack","price":299,"stock":10}`, status: 201, check: func(t *testing.T, e *env, r response) {
			var p server.Product
			r.data(t, &p)
			assert.Equal(t, server.Product{ID: p.ID, Name: "Gem Pack", Price: 299, Stock: 10, CreatedAt: e.clock.Now()}, p)
			got := e.call("acme", acmeAll, "GET", "/products/"+p.ID, "")
			assert.Equal(t, 200, got.status)
		}},
		{method: "PATCH", path: "/products/" + acmeProduct, body: `{"price":1099}`, status: 200, check: func(t *testing.T, e *env, r response) {
			var p server.Product
			e.call("acme", acmeAll, "GET", "/products/"+acmeProduct, "").data(t, &p)
			assert.Equal(t, 1099, p.Price)
			assert.Equal(t, 1000, p.Stock)
		}},
		// PUT is an alias of PATCH: the same partial update.
		{method: "PUT", path: "/products/" + acmeProduct, body: `{"stock":7}`, status: 200, check: func(t *testing.T, e *env, r response) {
			var p server.Product
			r.data(t, &p)
			assert.Equal(t, server.Product{ID: acmeProduct, Name: "VIP Rank (30 days)", Price: 999, Stock: 7, CreatedAt: p.CreatedAt}, p)
		}},
		{method: "DELETE", path: "/products/" + acmeProduct, status: 200, check: func(t *testing.T, e *env, r response) {
			assert.JSONEq(t, `{"success":true,"data":{"id":"`+acmeProduct+`","deleted":true}}`, r.body)
			assert.Equal(t, 404, e.call("acme", acmeAll, "GET", "/products/"+acmeProduct, "").status)
		}},
		{method: "GET", path: "/orders", status: 200, check: func(t *testing.T, _ *env, r response) {
			var os []server.Order
			r.data(t, &os)
			require.Len(t, os, 3)
			assert.Equal(t, acmePaidOrder, os[0].ID)
		}},
		{method: "GET", path: "/orders/" + acmePaidOrder, status: 200, check: func(t *testing.T, _ *env, r response) {
			var o server.Order
			r.data(t, &o)
			assert.Equal(t, server.StatusPaid, o.Status)
			assert.Equal(t, acmeCustomer, o.CustomerID)
		}},
		{method: "POST", path: "/orders/" + acmePaidOrder + "/fulfill", status: 200, check: func(t *testing.T, e *env, r response) {
			var o server.Order
			r.data(t, &o)
			assert.Equal(t, server.StatusFulfilled, o.Status)
			require.NotNil(t, o.FulfilledAt)
			assert.Equal(t, e.clock.Now(), *o.FulfilledAt)
			again := e.call("acme", acmeAll, "POST", "/orders/"+acmePaidOrder+"/fulfill", "")
			assert.Equal(t, http.StatusConflict, again.status)
			assert.Equal(t, `{"success":false,"error":"Conflict","message":"An order that is fulfilled cannot become fulfilled"}`, again.body)
		}},
		{method: "PATCH", path: "/orders/" + acmePaidOrder, body: `{"status":"refunded"}`, status: 200, check: func(t *testing.T, _ *env, r response) {
			var o server.Order
			r.data(t, &o)
			assert.Equal(t, server.StatusRefunded, o.Status)
		}},
		{method: "PUT", path: "/orders/" + acmePaidOrder, body: `{"status":"cancelled"}`, status: 200, check: func(t *testing.T, _ *env, r response) {
			var o server.Order
			r.data(t, &o)
			assert.Equal(t, server.StatusCancelled, o.Status)
		}},
		{method: "GET", path: "/customers", status: 200, check: func(t *testing.T, _ *env, r response) {
			var cs []server.Customer
			r.data(t, &cs)
			require.Len(t, cs, 2)
			assert.Equal(t, "alex@acme.example", cs[0].Email)
		}},
		{method: "GET", path: "/customers/" + acmeCustomer, status: 200},
		{method: "PATCH", path: "/customers/" + acmeCustomer, body: `{"name":"Alex M.","email":"alex.m@acme.example"}`, status: 200, check: func(t *testing.T, _ *env, r response) {
			var c server.Customer
			r.data(t, &c)
			assert.Equal(t, "Alex M.", c.Name)
			assert.Equal(t, "alex.m@acme.example", c.Email)
		}},
		{method: "PUT", path: "/customers/" + acmeCustomer, body: `{"email":"alex.m@acme.example"}`, status: 200, check: func(t *testing.T, _ *env, r response) {
			var c server.Customer
			r.data(t, &c)
			assert.Equal(t, "Alex Miner", c.Name, "fields not sent are kept")
			assert.Equal(t, "alex.m@acme.example", c.Email)
		}},
		{method: "GET", path: "/analytics/revenue", status: 200, check: func(t *testing.T, _ *env, r response) {
			var rev server.Revenue
			r.data(t, &rev)
			// 1×999 paid, 2×499 paid, 3×199 fulfilled.
			assert.Equal(t, server.Revenue{Currency: "USD", Gross: 2594, Net: 2594, Orders: 3,
				ByStatus: map[string]int{"paid": 1997, "fulfilled": 597}}, rev)
		}},
		{method: "GET", path: "/analytics/sales", status: 200, check: func(t *testing.T, _ *env, r response) {
			var rows []server.ProductSales
			r.data(t, &rows)
			assert.Equal(t, []server.ProductSales{{"prod_1001", 1, 999}, {"prod_1002", 2, 998}, {"prod_1003", 3, 597}}, rows)
		}},
		{method: "GET", path: "/webhooks", status: 200},
		{method: "GET", path: "/webhooks/" + acmeWebhook, status: 200},
		// Seed 004's own example request.
		{method: "POST", path: "/webhooks", body: `{"url": "https://example.com/webhook", "events": ["order.paid"]}`, status: 201, check: func(t *testing.T, _ *env, r response) {
			var h server.Webhook
			r.data(t, &h)
			assert.Equal(t, "https://example.com/webhook", h.URL)
			assert.Equal(t, []string{"order.paid"}, h.Events)
		}},
		{method: "DELETE", path: "/webhooks/" + acmeWebhook, status: 200},
		{method: "GET", path: "/settings", status: 200, check: func(t *testing.T, _ *env, r response) {
			assert.JSONEq(t, `{"success":true,"data":{"store":"acme","name":"acme store","currency":"USD","timezone":"UTC","contact_email":"owner@acme.example"}}`, r.body)
		}},
		{method: "PATCH", path: "/settings", body: `{"name":"Acme Games","currency":"EUR"}`, status: 200, check: func(t *testing.T, e *env, r response) {
			var st server.Settings
			e.call("acme", acmeAll, "GET", "/settings", "").data(t, &st)
			assert.Equal(t, "Acme Games", st.Name)
			assert.Equal(t, "EUR", st.Currency)
		}},
		{method: "PUT", path: "/settings", body: `{"timezone":"Europe/Paris"}`, status: 200, check: func(t *testing.T, _ *env, r response) {
			assert.JSONEq(t, `{"success":true,"data":{"store":"acme","name":"acme store","currency":"USD","timezone":"Europe/Paris","contact_email":"owner@acme.example"}}`, r.body)
		}},
		{method: "GET", path: "/tokens", status: 200, check: func(t *testing.T, _ *env, r response) {
			var ts []server.TokenInfo
			r.data(t, &ts)
			assert.Len(t, ts, 4) // acmeAll, acmeReadOnly, only, others
			assert.NotContains(t, r.body, "sst_")
		}},
		{method: "POST", path: "/tokens", body: `{"name":"ci","scopes":["settings:write"]}`, status: 201},
		{method: "DELETE", pathFn: func(e *env) string {
			var info server.NewTokenResponse
			e.call("acme", acmeAll, "POST", "/tokens", `{"scopes":["products:read"]}`).data(e.t, &info)
			return "/tokens/" + info.ID
		}, status: 200},
	}

	var covered []server.Route
	for _, rt := range server.Routes() {
		idx := slices.IndexFunc(cases, func(c tc) bool {
			p := c.path
			if p == "" {
				p = "/tokens/{id}"
			}
			return c.method == rt.Method && matches(rt.Path, p)
		})
		require.GreaterOrEqual(t, idx, 0, "no case for %s %s", rt.Method, rt.Path)
		c := cases[idx]
		covered = append(covered, rt)
		t.Run(rt.Method+" "+rt.Path+" "+rt.Scope, func(t *testing.T) {
			only, others := token("only"), token("others")
			tokens := append(standardTokens(),
				server.TokenSpec{Token: only, Store: "acme", Scopes: []string{rt.Scope}},
				server.TokenSpec{Token: others, Store: "acme", Scopes: without(rt.Scope)})
			e := start(t, server.Config{Tokens: tokens})
			path := c.path
			if c.pathFn != nil {
				path = c.pathFn(e)
			}

			refused := e.call("acme", others, c.method, path, c.body)
			assert.Equal(t, http.StatusForbidden, refused.status)
			assert.Equal(t, body403Scope(rt.Scope), refused.body)
			assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="`+rt.Scope+`"`, refused.header.Get("WWW-Authenticate"))
			assert.Equal(t, "application/json", refused.header.Get("Content-Type"))

			allowed := e.call("acme", only, c.method, path, c.body)
			require.Equal(t, c.status, allowed.status, allowed.body)
			assert.Equal(t, "application/json", allowed.header.Get("Content-Type"))
			if c.check != nil {
				c.check(t, e, allowed)
			}
		})
	}
	assert.Len(t, covered, len(server.Routes()))
}

// matches reports whether path fits the route pattern with {id} wildcards.
func matches(pattern, path string) bool {
	mux := http.NewServeMux()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	_, p := mux.Handler(&http.Request{Method: "GET", URL: mustURL(path)})
	return p == pattern
}

func TestEveryScopeIsUsed(t *testing.T) {
	used := map[string]bool{}
	for _, r := range server.Routes() {
		used[r.Scope] = true
	}
	for _, s := range server.ScopeNames() {
		assert.True(t, used[s], "scope %s guards no route", s)
	}
	assert.Len(t, server.ScopeNames(), 11)
}

func TestErrorShapes(t *testing.T) {
	e := start(t, server.Config{})
	challenge401 := `Bearer realm="api", error="invalid_token", error_description="Invalid access token"`
	cases := []struct {
		name, store, token, method, path, header string
		status                                   int
		body, challenge                          string
	}{
		{name: "missing token", store: "acme", path: "/products", status: 401, body: body401, challenge: `Bearer realm="api"`},
		{name: "typo in token", store: "acme", token: acmeAll + "x", path: "/products", status: 401, body: body401, challenge: challenge401},
		{name: "unknown path without token", store: "acme", path: "/nope", status: 401, body: body401, challenge: `Bearer realm="api"`},
		{name: "other scheme", store: "acme", header: "Basic dXNlcjpwYXNz", path: "/products", status: 401, body: body401},
		{name: "empty bearer", store: "acme", header: "Bearer ", path: "/products", status: 401, body: body401},
		{name: "scope", store: "acme", token: acmeReadOnly, method: "POST", path: "/orders/" + acmePaidOrder + "/fulfill", status: 403,
			body: body403Scope("orders:write"), challenge: `Bearer realm="api", error="insufficient_scope", scope="orders:write"`},
		{name: "another store's token", store: "acme", token: globexAll, path: "/products", status: 403, body: body403Perm},
		{name: "another store's product", store: "acme", token: acmeAll, path: "/products/" + globexProduct, status: 403, body: body403Perm},
		{name: "another store's order", store: "acme", token: acmeAll, method: "POST", path: "/orders/" + globexPaidOrder + "/fulfill", status: 403, body: body403Perm},
		{name: "another store's customer", store: "acme", token: acmeAll, path: "/customers/" + globexCustomer, status: 403, body: body403Perm},
		{name: "another store's webhook", store: "acme", token: acmeAll, method: "DELETE", path: "/webhooks/" + globexWebhook, status: 403, body: body403Perm},
		{name: "no such product", store: "acme", token: acmeAll, path: "/products/prod_9999", status: 404,
			body: `{"success":false,"error":"Not Found","message":"Product not found"}`},
		{name: "no such endpoint", store: "acme", token: acmeAll, path: "/nope", status: 404,
			body: `{"success":false,"error":"Not Found","message":"No such endpoint"}`},
		{name: "unknown store", store: "initech", token: acmeAll, path: "/products", status: 404,
			body: `{"success":false,"error":"Not Found","message":"Store not found"}`},
		{name: "method not allowed", store: "acme", token: acmeAll, method: "PUT", path: "/products", status: 405,
			body: `{"success":false,"error":"Method Not Allowed","message":"Method not allowed; use GET, HEAD, POST"}`},
		{name: "invalid body", store: "acme", token: acmeAll, method: "POST", path: "/products", header: "", status: 400,
			body: `{"success":false,"error":"Bad Request","message":"Missing required field: price"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method := c.method
			if method == "" {
				method = "GET"
			}
			var r response
			switch {
			case c.header != "":
				req, err := http.NewRequest(method, e.srv.URL+server.BasePath+c.path, nil)
				require.NoError(t, err)
				req.Host = c.store + ".localhost"
				req.Header.Set("Authorization", c.header)
				r = e.do(req)
			case c.name == "invalid body":
				r = e.call(c.store, c.token, method, c.path, `{"name":"x"}`)
			default:
				r = e.call(c.store, c.token, method, c.path, "")
			}
			assert.Equal(t, c.status, r.status)
			assert.Equal(t, c.body, r.body)
			assert.Equal(t, "application/json", r.header.Get("Content-Type"))
			assert.Equal(t, "no-store", r.header.Get("Cache-Control"))
			if c.challenge != "" {
				assert.Equal(t, c.challenge, r.header.Get("WWW-Authenticate"))
			}
		})
	}
}

// TestOrdering checks that the cheaper, earlier refusal wins: the store
// before the token, the token before its store, its store before scopes.
func TestOrdering(t *testing.T) {
	e := start(t, server.Config{})
	// No store in Host: 404 before looking at the (missing) token.
	req, err := http.NewRequest("GET", e.srv.URL+server.BasePath+"/products", nil)
	require.NoError(t, err)
	r := e.do(req) // Host is 127.0.0.1:port
	assert.Equal(t, 404, r.status)
	assert.Equal(t, `{"success":false,"error":"Not Found","message":"Store not found: send requests to a store host such as acme.localhost:`+port(t, e)+`"}`, r.body)
	// Bad token on a route the caller could not use anyway: 401, not 403.
	assert.Equal(t, 401, e.call("acme", "sst_not_a_real_token_000000", "POST", "/tokens", `{"scopes":["products:read"]}`).status)
	// Another store's read-only token on a write route: 403 for the store,
	// not for the scope.
	r = e.call("globex", acmeReadOnly, "POST", "/products", `{"name":"x","price":1}`)
	assert.Equal(t, body403Perm, r.body)
}

func TestTenantIsolation(t *testing.T) {
	e := start(t, server.Config{})
	t.Run("token of store A on store B", func(t *testing.T) {
		for _, c := range []struct{ store, token string }{{"globex", acmeAll}, {"globex", acmeReadOnly}, {"acme", globexAll}} {
			for _, rt := range server.Routes() {
				path := rt.Path
				if slices.Contains([]string{"/products/{id}", "/orders/{id}", "/orders/{id}/fulfill", "/customers/{id}", "/webhooks/{id}", "/tokens/{id}"}, path) {
					path = "/" + path[1:len(path)-len("{id}")] + "x"
					if rt.Path == "/orders/{id}/fulfill" {
						path = "/orders/x/fulfill"
					}
				}
				r := e.call(c.store, c.token, rt.Method, path, `{}`)
				assert.Equal(t, 403, r.status, "%s %s", rt.Method, path)
				assert.Equal(t, body403Perm, r.body)
			}
		}
	})
	t.Run("each store sees its own data", func(t *testing.T) {
		var acme, globex []server.Product
		e.call("acme", acmeAll, "GET", "/products", "").data(t, &acme)
		e.call("globex", globexAll, "GET", "/products", "").data(t, &globex)
		require.Len(t, acme, 3)
		require.Len(t, globex, 3)
		assert.Equal(t, globexProduct, globex[0].ID)
		for _, p := range acme {
			assert.NotContains(t, []string{globex[0].ID, globex[1].ID, globex[2].ID}, p.ID)
		}
		var st server.Settings
		e.call("globex", globexAll, "GET", "/settings", "").data(t, &st)
		assert.Equal(t, "globex", st.Store)
	})
	t.Run("another store's resources are refused, not modified", func(t *testing.T) {
		r := e.call("acme", acmeAll, "PATCH", "/customers/"+globexCustomer, `{"name":"Mallory"}`)
		assert.Equal(t, body403Perm, r.body)
		var c server.Customer
		e.call("globex", globexAll, "GET", "/customers/"+globexCustomer, "").data(t, &c)
		assert.Equal(t, "Alex Miner", c.Name)
	})
	t.Run("host names are case-insensitive and may carry a port", func(t *testing.T) {
		req, err := http.NewRequest("GET", e.srv.URL+server.BasePath+"/settings", nil)
		require.NoError(t, err)
		req.Host = "ACME.localhost:8080"
		req.Header.Set("Authorization", "Bearer "+acmeAll)
		assert.Equal(t, 200, e.do(req).status)
	})
}

func TestStoreFromHost(t *testing.T) {
	cases := []struct {
		host, store string
		ok          bool
	}{
		{"acme.localhost:8080", "acme", true},
		{"acme.localhost", "acme", true},
		{"Acme.Example.com", "acme", true},
		{"my-store.pixlpay.net", "my-store", true},
		{"acme.localhost.", "acme", true},
		{"localhost:8080", "", false},
		{"localhost", "", false},
		{"127.0.0.1:8080", "", false},
		{"[::1]:8080", "", false},
		{"::1", "", false},
		{"", "", false},
		{".localhost", "", false},
		{"-acme.localhost", "", false},
		{"ac_me.localhost", "", false},
		{"acme.", "", false},
	}
	for _, c := range cases {
		t.Run(c.host, func(t *testing.T) {
			store, ok := server.StoreFromHost(c.host)
			assert.Equal(t, c.ok, ok)
			assert.Equal(t, c.store, store)
		})
	}
}

func FuzzStoreFromHost(f *testing.F) {
	for _, s := range []string{"acme.localhost:8080", "127.0.0.1", "[::1]:80", "a.b", "", ".", "x..y", "ÄCME.localhost"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		store, ok := server.StoreFromHost(host)
		if !ok {
			if store != "" {
				t.Fatalf("store %q without ok", store)
			}
			return
		}
		if store == "" || len(store) > 63 {
			t.Fatalf("bad store %q from %q", store, host)
		}
		for _, c := range store {
			if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
				t.Fatalf("store %q from %q has %q", store, host, c)
			}
		}
	})
}

func TestResponsesNeverCarryTokens(t *testing.T) {
	e := start(t, server.Config{})
	for _, rt := range server.Routes() {
		if rt.Method == "GET" && !slices.Contains([]string{"/products/{id}", "/orders/{id}", "/customers/{id}", "/webhooks/{id}"}, rt.Path) {
			r := e.call("acme", acmeAll, "GET", rt.Path, "")
			require.Equal(t, 200, r.status, rt.Path)
			assert.NotContains(t, r.body, "sst_", rt.Path)
		}
	}
}

func (e *env) do(req *http.Request) response {
	e.t.Helper()
	res, err := e.srv.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	var b []byte
	b, err = readAll(res)
	require.NoError(e.t, err)
	return response{status: res.StatusCode, header: res.Header, body: string(b)}
}

func TestValidation(t *testing.T) {
	e := start(t, server.Config{})
	cases := []struct{ method, path, body, want string }{
		{"POST", "/products", `{"name":"","price":1}`, "name must be 1 to 200 printable characters"},
		{"POST", "/products", `{"price":1}`, "Missing required field: name"},
		{"POST", "/products", `{"name":"x","price":-1}`, "price must be a non-negative amount in cents"},
		{"POST", "/products", `{"name":"x","price":1,"colour":"red"}`, ""},
		{"PATCH", "/products/" + acmeProduct, `{}`, "Nothing to update: send at least one field"},
		{"PATCH", "/orders/" + acmePaidOrder, `{"status":"shipped"}`, "status must be paid, fulfilled, cancelled or refunded"},
		{"PATCH", "/customers/" + acmeCustomer, `{"email":"not-an-address"}`, "email must be an e-mail address"},
		{"POST", "/webhooks", `{"url":"ftp://example.com","events":["order.paid"]}`, "url must be an absolute http or https URL"},
		{"POST", "/webhooks", `{"url":"https://example.com","events":["order.exploded"]}`, "events must be among: order.paid, order.fulfilled, order.refunded, product.updated, customer.updated"},
		{"PATCH", "/settings", `{"currency":"dollars"}`, "currency must be a three-letter ISO 4217 code such as USD"},
		{"POST", "/tokens", `{"scopes":["products:delete"]}`, "scopes must be among: " + fmt.Sprint(joined())},
		{"POST", "/tokens", `{"scopes":[]}`, "Missing required field: scopes"},
		{"POST", "/tokens", `{"name":"x"}`, "Missing required field: scopes"},
	}
	for _, c := range cases {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			r := e.call("acme", acmeAll, c.method, c.path, c.body)
			assert.Equal(t, 400, r.status, r.body)
			if c.want != "" {
				assert.Equal(t, `{"success":false,"error":"Bad Request","message":"`+c.want+`"}`, r.body)
			}
		})
	}
}

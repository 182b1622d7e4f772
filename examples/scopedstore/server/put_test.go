package server_test

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPutIsPatch: every PATCH route answers PUT with the same scope and the
// same partial-update semantics (seed 004's "Content-Type: For POST/PUT").
func TestPutIsPatch(t *testing.T) {
	patch := map[string]string{}
	for _, r := range server.Routes() {
		if r.Method == "PATCH" {
			patch[r.Path] = r.Scope
		}
	}
	require.Len(t, patch, 4)
	puts := 0
	for _, r := range server.Routes() {
		if r.Method == "PUT" {
			puts++
			assert.Equal(t, patch[r.Path], r.Scope, "PUT %s has PATCH's scope", r.Path)
		}
	}
	assert.Equal(t, len(patch), puts, "a PUT for every PATCH, and no other")

	e := start(t, server.Config{})
	r := e.call("acme", acmeAll, "PUT", "/products/"+acmeProduct, `{"price":1099}`)
	require.Equal(t, 200, r.status, r.body)
	var p server.Product
	e.call("acme", acmeAll, "GET", "/products/"+acmeProduct, "").data(t, &p)
	assert.Equal(t, 1099, p.Price)
	assert.Equal(t, 1000, p.Stock, "not a replacement: stock kept")

	// The same refusals as PATCH.
	for _, c := range []struct{ store, tok, path, body, want string }{
		{"acme", acmeAll, "/products/" + acmeProduct, `{}`, `{"success":false,"error":"Bad Request","message":"Nothing to update: send at least one field"}`},
		{"acme", acmeAll, "/products/" + acmeProduct, `{"price":-1}`, `{"success":false,"error":"Bad Request","message":"price must be a non-negative amount in cents"}`},
		{"acme", acmeAll, "/products/" + acmeProduct, `{"colour":"red"}`, `{"success":false,"error":"Bad Request","message":"Unknown field: colour"}`},
		{"acme", acmeReadOnly, "/products/" + acmeProduct, `{"price":1}`, body403Scope("products:write")},
		{"acme", acmeAll, "/products/" + globexProduct, `{"price":1}`, body403Perm},
		{"acme", "", "/products/" + acmeProduct, `{"price":1}`, body401},
		{"acme", acmeAll, "/orders/" + acmePaidOrder, `{"status":"pending"}`, `{"success":false,"error":"Bad Request","message":"status must be paid, fulfilled, cancelled or refunded"}`},
		{"acme", acmeReadOnly, "/settings", `{"name":"x"}`, body403Scope("settings:write")},
	} {
		r := e.call(c.store, c.tok, "PUT", c.path, c.body)
		assert.Equal(t, c.want, r.body, "PUT %s %s", c.path, c.body)
		assert.Equal(t, c.want, e.call(c.store, c.tok, "PATCH", c.path, c.body).body, "PATCH %s %s", c.path, c.body)
	}

	// Allow lists PUT where it is routed, and only there.
	r = e.call("acme", acmeAll, "POST", "/products/"+acmeProduct, `{"price":1}`)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "DELETE, GET, HEAD, PATCH, PUT", r.header.Get("Allow"))
	r = e.call("acme", acmeAll, "PUT", "/products", `{"price":1}`)
	assert.Equal(t, 405, r.status)
	assert.Equal(t, "GET, HEAD, POST", r.header.Get("Allow"))
	r = e.call("acme", acmeAll, "PUT", "/webhooks/"+acmeWebhook, `{"url":"https://example.com"}`)
	assert.Equal(t, 405, r.status, "webhooks are created and deleted, not updated")
}

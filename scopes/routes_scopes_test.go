package scopes_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/scopes"
)

func TestEnforcerScopes(t *testing.T) {
	e, err := scopes.New(scopes.Config{
		Wildcards: true,
		Implies:   map[string][]string{"admin": {"orders:*"}, "products:write": {"products:read"}},
		Routes: map[string]scopes.Rule{
			"GET /products":            {All: []string{"products:read"}},
			"POST /products":           {All: []string{"products:write", "products:read"}},
			"GET /orders/{id}":         {Any: []string{"orders:read", "orders:*"}},
			"POST /orders/{id}/refund": {All: []string{"orders:refunds:write"}, Any: []string{"support", "orders:read"}},
			"DELETE /orders/{id}":      {All: []string{"orders:write", "orders:write"}},
			"GET /health":              {},
			"GET /me":                  {All: []string{}},
		},
	})
	require.NoError(t, err)
	got := e.Scopes()
	assert.Equal(t, []string{
		"orders:*", "orders:read", "orders:refunds:write", "orders:write",
		"products:read", "products:write", "support",
	}, got, "sorted, without duplicates; wildcards as written; Implies keys that no rule names left out")

	// The slice is the caller's own.
	got[0] = "changed"
	assert.Equal(t, "orders:*", e.Scopes()[0])
	assert.Equal(t, len(got), cap(got))
}

func TestEnforcerScopesWithoutTable(t *testing.T) {
	e, err := scopes.New(scopes.Config{Implies: map[string][]string{"admin": {"x"}}})
	require.NoError(t, err)
	assert.Nil(t, e.Scopes())

	e, err = scopes.New(scopes.Config{Routes: map[string]scopes.Rule{"GET /health": {}}})
	require.NoError(t, err)
	assert.Nil(t, e.Scopes())

	// Require and Any enforce scopes outside the table: not listed.
	_ = e.Require("orders:read")
	assert.Nil(t, e.Scopes())
}

func ExampleEnforcer_Scopes() {
	e, err := scopes.New(scopes.Config{Routes: map[string]scopes.Rule{
		"GET /orders":          {All: []string{"orders:read"}},
		"POST /orders":         {All: []string{"orders:write"}},
		"GET /reports/revenue": {Any: []string{"reports:read", "orders:read"}},
	}})
	if err != nil {
		panic(err)
	}
	// For bearer.ResourceMetadata.ScopesSupported.
	fmt.Println(e.Scopes())
	// Output: [orders:read orders:write reports:read]
}

package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickStartServerHasTimeouts checks that the quick start serves
// through an http.Server with every timeout and a header cap, never
// through http.ListenAndServe (no timeouts: one slow client holds a
// connection, and its goroutine, forever).
func TestQuickStartServerHasTimeouts(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "main.go", nil, 0)
	require.NoError(t, err)
	fields := map[string]bool{}
	servers := 0
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.SelectorExpr:
			if x, ok := n.X.(*ast.Ident); ok && x.Name == "http" {
				assert.NotContains(t, []string{"ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS"}, n.Sel.Name,
					"the quick start calls http.%s, which has no timeouts", n.Sel.Name)
			}
		case *ast.CompositeLit:
			sel, ok := n.Type.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "Server" {
				return true
			}
			servers++
			for _, e := range n.Elts {
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					fields[kv.Key.(*ast.Ident).Name] = true
				}
			}
		}
		return true
	})
	require.Equal(t, 1, servers, "the quick start builds one http.Server")
	for _, f := range []string{"Handler", "ReadHeaderTimeout", "ReadTimeout", "WriteTimeout", "IdleTimeout", "MaxHeaderBytes"} {
		assert.True(t, fields[f], "the http.Server sets %s", f)
	}
}

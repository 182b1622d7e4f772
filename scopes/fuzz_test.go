package scopes

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse"
)

// FuzzParseScope checks the shared scope-claim parser that fills
// Principal.Scopes (gatehouse.ParseScope and ScopesFromClaims): it never
// panics, never yields an empty, whitespace-bearing or duplicate scope, and
// every scope it yields was a field of the input.
func FuzzParseScope(f *testing.F) {
	for _, s := range []string{
		"", " ", "orders:read orders:write", "  a  b\ta\n", "read:users admin administrator",
		`{"scope":"a b","scp":["b","c",1,null],"scopes":"d"}`, `{"scp":{"x":1}}`, `{"scopes":[["a"]]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		check := func(scopes []string) {
			seen := map[string]bool{}
			for _, s := range scopes {
				if s == "" || strings.ContainsAny(s, " \t\r\n") {
					t.Fatalf("bad scope %q from %q", s, in)
				}
				if seen[s] {
					t.Fatalf("duplicate scope %q from %q", s, in)
				}
				seen[s] = true
			}
		}
		parsed := gatehouse.ParseScope(in)
		check(parsed)
		for _, s := range parsed {
			if !slices.Contains(strings.Fields(in), s) {
				t.Fatalf("scope %q is not a field of %q", s, in)
			}
		}

		var claims map[string]any
		if json.Unmarshal([]byte(in), &claims) == nil {
			check(gatehouse.ScopesFromClaims(claims))
		}
		check(gatehouse.ScopesFromClaims(map[string]any{"scope": in, "scp": []any{in, 1, nil}, "scopes": []string{in}}))
	})
}

// FuzzRequire checks that the enforcer agrees with a naive exact-match
// oracle for any required and granted scope strings, and never panics.
func FuzzRequire(f *testing.F) {
	f.Add("orders:write", "orders:read orders:write")
	f.Add("read", "read:users")
	f.Add("admin", "administrator")
	f.Fuzz(func(t *testing.T, required, granted string) {
		e := must(New(Config{}))
		q, err := e.compile(Rule{All: []string{required}})
		if err != nil {
			if validScope(required) == nil {
				t.Fatalf("valid scope %q rejected: %v", required, err)
			}
			return
		}
		g := gatehouse.ParseScope(granted)
		if want, got := slices.Contains(g, required), checkRequirement(q, g) == nil; want != got {
			t.Fatalf("Require(%q) with %q: got %v, want %v", required, g, got, want)
		}
	})
}

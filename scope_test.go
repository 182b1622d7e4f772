package gatehouse_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
)

func TestParseScope(t *testing.T) {
	assert.Equal(t, []string{"a", "b:c"}, gatehouse.ParseScope("  a  b:c a "))
	assert.Nil(t, gatehouse.ParseScope(""))
	assert.Nil(t, gatehouse.ParseScope("   "))
}

func TestScopesFromClaims(t *testing.T) {
	cases := []struct {
		name   string
		claims string
		want   []string
	}{
		{"scope string", `{"scope":"products:read orders:write"}`, []string{"products:read", "orders:write"}},
		{"scp string", `{"scp":"a b"}`, []string{"a", "b"}},
		{"scp array", `{"scp":["a","b"]}`, []string{"a", "b"}},
		{"scopes array", `{"scopes":["a","b"]}`, []string{"a", "b"}},
		{"merged without duplicates", `{"scope":"a b","scp":["b","c"],"scopes":"c d"}`, []string{"a", "b", "c", "d"}},
		{"non-string members ignored", `{"scopes":["a",1,null,{"x":1},["b"],"",  "c d"]}`, []string{"a"}},
		{"wrong types ignored", `{"scope":42,"scp":{"a":true},"scopes":true}`, nil},
		{"absent", `{"sub":"x"}`, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var claims map[string]any
			assert.NoError(t, json.Unmarshal([]byte(tc.claims), &claims))
			assert.Equal(t, tc.want, gatehouse.ScopesFromClaims(claims))
		})
	}
	assert.Equal(t, []string{"x", "y"}, gatehouse.AppendScopes([]string{"x"}, []string{"x", "y", "bad one"}))
}

func FuzzScopesFromClaims(f *testing.F) {
	for _, s := range []string{`{"scope":"a b"}`, `{"scp":["a",1]}`, `{"scopes":[[],{}]}`, `{"scope":null}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var claims map[string]any
		if json.Unmarshal([]byte(raw), &claims) != nil {
			return
		}
		got := gatehouse.ScopesFromClaims(claims)
		seen := map[string]bool{}
		for _, s := range got {
			if s == "" || strings.ContainsAny(s, " \t\r\n") || seen[s] {
				t.Fatalf("bad scope %q in %v", s, got)
			}
			seen[s] = true
		}
	})
}

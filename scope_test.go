package gatehouse_test

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

func TestParseScope(t *testing.T) {
	assert.Equal(t, []string{"a", "b:c"}, gatehouse.ParseScope("  a  b:c a "))
	assert.Nil(t, gatehouse.ParseScope(""))
	assert.Nil(t, gatehouse.ParseScope("   "))

	// RFC 6749 §3.3: the delimiter is SP alone; a part with any other
	// whitespace or a character outside scope-token is dropped whole.
	for _, bad := range []string{
		"reports:read\u00a0admin", "reports:read\tadmin", "reports:read\vadmin",
		"reports:read\u0085admin", "reports:read\nadmin", `reports:read"admin`, `reports:read\admin`,
	} {
		assert.Equal(t, []string{"orders:write"}, gatehouse.ParseScope("orders:write "+bad), "%q", bad)
		assert.Empty(t, gatehouse.ScopesFromClaims(map[string]any{"scp": []any{bad}}), "%q", bad)
	}
	assert.Equal(t, []string{"a", "~!#[]^"}, gatehouse.ParseScope("a ~!#[]^"))
}

// TestParseScopeMany checks duplicates are dropped across the switch from
// a scan to a set, in first-seen order.
func TestParseScopeMany(t *testing.T) {
	var in, want []string
	for i := range 100 {
		s := "s" + strconv.Itoa(i)
		in, want = append(in, s, s), append(want, s)
	}
	in = append(in, "s0", "s99", "s50")
	assert.Equal(t, want, gatehouse.ParseScope(strings.Join(in, " ")))
	assert.Equal(t, want, gatehouse.AppendScopes(want[:40:40], in[80:]))
}

// BenchmarkParseScopeHuge is a 64 KiB scope string of distinct scopes: it
// must take linear time (a quadratic dedupe took about 300 ms).
func BenchmarkParseScopeHuge(b *testing.B) {
	var sb strings.Builder
	for i := 0; sb.Len() < 64<<10; i++ {
		sb.WriteString("scope:" + strconv.Itoa(i) + " ")
	}
	s := sb.String()
	b.ReportAllocs()
	for b.Loop() {
		_ = gatehouse.ParseScope(s)
	}
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
		{"scope wins over scp and scopes", `{"scope":"a b","scp":["b","c"],"scopes":"c d"}`, []string{"a", "b"}},
		{"scp wins over scopes", `{"scp":["b","c"],"scopes":"c d admin"}`, []string{"b", "c"}},
		{"non-string members ignored", `{"scopes":["a",1,null,{"x":1},["b"],"",  "c d"]}`, []string{"a"}},
		{"wrong types ignored", `{"scope":42,"scp":{"a":true},"scopes":true}`, nil},
		{"scopes alone", `{"scopes":"c d"}`, []string{"c", "d"}},
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

// TestScopeClaimPrecedence guards against scope escalation through "scp"
// and "scopes": one claim decides, the first present of
// "scope", "scp", "scopes", and a present "scope" decides even when its
// value is empty, null, of the wrong type or holds no valid scope-token —
// it never falls through to a broader claim.
func TestScopeClaimPrecedence(t *testing.T) {
	cases := []struct {
		claims   string
		wantName string
		want     []string
	}{
		{`{"scope":"a","scp":"a b"}`, "scope", []string{"a"}},
		{`{"scope":"a","scopes":["a","b"]}`, "scope", []string{"a"}},
		{`{"scope":"","scp":"admin"}`, "scope", nil},
		{`{"scope":"   ","scp":"admin"}`, "scope", nil},
		{`{"scope":null,"scp":"admin"}`, "scope", nil},
		{`{"scope":42,"scp":"admin"}`, "scope", nil},
		{`{"scope":["a"],"scp":"admin"}`, "scope", []string{"a"}},
		{`{"scope":"bad\tone","scopes":"admin"}`, "scope", nil},
		{`{"scp":"","scopes":"admin"}`, "scp", nil},
		{`{"scp":null,"scopes":"admin"}`, "scp", nil},
		{`{"scp":"a","scopes":"a admin"}`, "scp", []string{"a"}},
		{`{"scopes":null}`, "scopes", nil},
		{`{"Scope":"admin","SCP":"admin","sub":"x"}`, "", nil},
		{`{}`, "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.claims, func(t *testing.T) {
			var claims map[string]any
			require.NoError(t, json.Unmarshal([]byte(tc.claims), &claims))
			name, v := gatehouse.ScopeClaim(claims)
			assert.Equal(t, tc.wantName, name)
			assert.Equal(t, claims[name], v)
			assert.Equal(t, tc.want, gatehouse.ScopesFromClaims(claims))
		})
	}
	name, v := gatehouse.ScopeClaim(nil)
	assert.Equal(t, "", name)
	assert.Nil(t, v)
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
		// Never more than the one deciding claim grants.
		name, v := gatehouse.ScopeClaim(claims)
		if name != "" && !slices.Equal(got, gatehouse.AppendScopes(nil, v)) {
			t.Fatalf("scopes %v are not those of %q (%v)", got, name, v)
		}
		seen := map[string]bool{}
		for _, s := range got {
			if s == "" || strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r > '~' || r == '"' || r == '\\' }) || seen[s] {
				t.Fatalf("bad scope %q in %v", s, got)
			}
			seen[s] = true
		}
	})
}

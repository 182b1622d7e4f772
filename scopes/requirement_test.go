package scopes

import (
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRequirementMatching(t *testing.T) {
	exact := must(New(Config{}))
	implied := must(New(Config{
		Wildcards: true,
		Implies: map[string][]string{
			"products:write": {"products:read"},
			"admin":          {"settings:write"},
			"settings:write": {"settings:read"},
		},
	}))
	tests := []struct {
		name    string
		e       *Enforcer
		rule    Rule
		granted []string
		want    bool
	}{
		{"exact match", exact, Rule{All: []string{"orders:write"}}, []string{"orders:read", "orders:write"}, true},
		{"missing", exact, Rule{All: []string{"orders:write"}}, []string{"orders:read"}, false},
		{"no scopes granted", exact, Rule{All: []string{"orders:write"}}, nil, false},
		{"case sensitive", exact, Rule{All: []string{"orders:write"}}, []string{"Orders:Write", "ORDERS:WRITE"}, false},
		{"no prefix match", exact, Rule{All: []string{"read"}}, []string{"read:users"}, false},
		{"no prefix match reversed", exact, Rule{All: []string{"read:users"}}, []string{"read"}, false},
		{"no substring match", exact, Rule{All: []string{"admin"}}, []string{"administrator"}, false},
		{"no substring match reversed", exact, Rule{All: []string{"administrator"}}, []string{"admin"}, false},
		{"whitespace is not trimmed", exact, Rule{All: []string{"admin"}}, []string{" admin", "admin "}, false},
		{"all of, all present", exact, Rule{All: []string{"a", "b", "c"}}, []string{"c", "b", "a"}, true},
		{"all of, one missing", exact, Rule{All: []string{"a", "b", "c"}}, []string{"a", "c"}, false},
		{"any of, first", exact, Rule{Any: []string{"a", "b"}}, []string{"a"}, true},
		{"any of, last", exact, Rule{Any: []string{"a", "b"}}, []string{"b"}, true},
		{"any of, none", exact, Rule{Any: []string{"a", "b"}}, []string{"c"}, false},
		{"all and any", exact, Rule{All: []string{"a"}, Any: []string{"b", "c"}}, []string{"a", "c"}, true},
		{"all and any, any missing", exact, Rule{All: []string{"a"}, Any: []string{"b", "c"}}, []string{"a"}, false},
		{"empty rule", exact, Rule{}, nil, true},
		{"implication off by default", exact, Rule{All: []string{"products:read"}}, []string{"products:write"}, false},
		{"wildcard off by default", exact, Rule{All: []string{"orders:read"}}, []string{"orders:*"}, false},
		{"wildcard literal still exact", exact, Rule{All: []string{"orders:*"}}, []string{"orders:*"}, true},
		{"implied", implied, Rule{All: []string{"products:read"}}, []string{"products:write"}, true},
		{"implication is one-way", implied, Rule{All: []string{"products:write"}}, []string{"products:read"}, false},
		{"transitive", implied, Rule{All: []string{"settings:read"}}, []string{"admin"}, true},
		{"wildcard", implied, Rule{All: []string{"orders:read"}}, []string{"orders:*"}, true},
		{"nested wildcard", implied, Rule{All: []string{"orders:refunds:write"}}, []string{"orders:*"}, true},
		{"inner wildcard", implied, Rule{All: []string{"orders:refunds:write"}}, []string{"orders:refunds:*"}, true},
		{"wildcard needs the colon", implied, Rule{All: []string{"ordersx:read"}}, []string{"orders:*"}, false},
		{"wildcard does not grant the bare prefix", implied, Rule{All: []string{"orders"}}, []string{"orders:*"}, false},
		{"bare star is not a wildcard", implied, Rule{All: []string{"orders:read"}}, []string{"*"}, false},
		{"implied still case sensitive", implied, Rule{All: []string{"products:read"}}, []string{"Products:write"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := tt.e.compile(tt.rule)
			require.NoError(t, err)
			assert.Equal(t, tt.want, checkRequirement(q, tt.granted) == nil)
		})
	}
}

func TestRequirementNamesFirstMissingScope(t *testing.T) {
	q, err := must(New(Config{Realm: "api"})).compile(Rule{All: []string{"a", "b", "c", "b"}})
	require.NoError(t, err)
	require.Len(t, q.all, 3, "duplicates removed")

	err = checkRequirement(q, []string{"a"})
	require.Error(t, err)
	got := checkRequirement(q, []string{"a"})
	assert.Equal(t, "Token does not have the required scope: b", got.Message)
	assert.Equal(t, `Bearer realm="api", error="insufficient_scope", scope="a b c"`, got.Challenge)
	assert.Same(t, got, checkRequirement(q, []string{"a", "c"}), "errors are prebuilt, not rebuilt per call")
}

// checkRequirement returns nil when granted satisfies q, else the
// prebuilt 403 naming the first missing scope.
func checkRequirement(q *requirement, granted []string) *envelope.Error {
	if f := q.unmet(granted); f != nil {
		return f.err
	}
	return nil
}

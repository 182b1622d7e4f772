package scopes

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewValidation(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
	}{
		{name: "zero config", cfg: Config{}},
		{name: "implies ok", cfg: Config{Implies: map[string][]string{"a:write": {"a:read"}}}},
		{name: "implies empty key", cfg: Config{Implies: map[string][]string{"": {"a"}}}, wantErr: "empty scope"},
		{name: "implies value with space", cfg: Config{Implies: map[string][]string{"a": {"b c"}}}, wantErr: "invalid character"},
		{name: "route ok", cfg: Config{Routes: map[string]Rule{"GET /x": {All: []string{"x:read"}}}}},
		{name: "route bad scope", cfg: Config{Routes: map[string]Rule{"GET /x": {All: []string{"x\"read"}}}}, wantErr: "invalid character"},
		{name: "route empty any", cfg: Config{Routes: map[string]Rule{"GET /x": {Any: []string{}}}}, wantErr: "empty Any list"},
		{name: "route bad pattern", cfg: Config{Routes: map[string]Rule{"GET x": {}}}, wantErr: "invalid pattern"},
		{name: "route conflicting patterns", cfg: Config{Routes: map[string]Rule{
			"GET /a/{x}": {}, "GET /{y}/b": {},
		}}, wantErr: "invalid pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := New(tt.cfg)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				assert.Nil(t, e)
				return
			}
			require.NoError(t, err)
			assert.NotNil(t, e)
		})
	}
}

func TestNewErrConfig(t *testing.T) {
	_, err := New(Config{Implies: map[string][]string{"": nil}})
	assert.ErrorIs(t, err, ErrConfig)
	_, err = New(Config{})
	assert.NoError(t, err)
}

// TestNewReportsEveryProblem: New lists every problem of a Config at once.
func TestNewReportsEveryProblem(t *testing.T) {
	_, err := New(Config{
		Implies:   map[string][]string{"a b": {"c"}},
		Challenge: "Bearer\x00",
		Routes:    map[string]Rule{"GET /x": {Any: []string{}}, "GET y": {}},
	})
	require.ErrorIs(t, err, ErrConfig)
	for _, want := range []string{"Implies key", "control characters", `Routes["GET /x"]: empty Any list`, `Routes["GET y"]: invalid pattern`} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestValidScope(t *testing.T) {
	for _, s := range []string{"a", "orders:write", "https://api.example.com/read", "a!#[]^~", "orders:*"} {
		assert.NoError(t, validScope(s), s)
	}
	for _, s := range []string{"", " ", "a b", "a\tb", "a\"", `a\b`, "é", "a\x7f", "a\x00"} {
		assert.Error(t, validScope(s), "%q", s)
	}
}

func TestClosure(t *testing.T) {
	reach := closure(map[string][]string{
		"admin":          {"orders:write", "settings:write"},
		"orders:write":   {"orders:read"},
		"settings:write": {"settings:read", "admin"}, // a cycle back to admin
	})
	assert.ElementsMatch(t, []string{"orders:write", "settings:write", "orders:read", "settings:read"}, reach["admin"])
	assert.ElementsMatch(t, []string{"orders:read"}, reach["orders:write"])
	assert.ElementsMatch(t, []string{"settings:read", "admin", "orders:write", "orders:read"}, reach["settings:write"])
	assert.Nil(t, closure(nil))
}

func TestWildcardsFor(t *testing.T) {
	assert.Equal(t, []string{"a:*", "a:b:*"}, wildcardsFor("a:b:c"))
	assert.Equal(t, []string{"orders:*"}, wildcardsFor("orders:read"))
	assert.Nil(t, wildcardsFor("orders"))
	assert.Nil(t, wildcardsFor(":x"), "no empty prefix")
	assert.Nil(t, wildcardsFor("orders:"), "nothing after the colon")
}

func TestSatisfiers(t *testing.T) {
	e := must(New(Config{
		Wildcards: true,
		Implies: map[string][]string{
			"admin":          {"orders:*"},
			"products:write": {"products:read"},
		},
	}))
	assert.Equal(t, []string{"orders:write", "admin", "orders:*"}, e.satisfiers("orders:write"))
	assert.Equal(t, []string{"products:read", "products:*", "products:write"}, e.satisfiers("products:read"))
	assert.Equal(t, []string{"settings"}, e.satisfiers("settings"))
}

package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const secret = "sst_secret_value_never_echoed"

func TestParseTokens(t *testing.T) {
	cases := []struct {
		name, json, err string
	}{
		{"valid", `[{"token":"` + secret + `","store":"acme","scopes":["products:read","orders:write"]}]`, ""},
		{"not JSON", `{`, "want a JSON list"},
		{"an object, not a list", `{"token":"` + secret + `"}`, "want a JSON list"},
		{"unknown member", `[{"token":"` + secret + `","store":"acme","scope":["products:read"]}]`, `unknown field "scope"`},
		{"trailing data", `[] []`, "unexpected data"},
		{"trailing close bracket", `[{"token":"` + secret + `","store":"acme","scopes":["products:read"]}]]`, "unexpected data"},
		{"trailing close brace", `[{"token":"` + secret + `","store":"acme","scopes":["products:read"]}]}`, "unexpected data"},
		{"empty list", `[]`, "holds no token"},
		{"short token", `[{"token":"short","store":"acme","scopes":["products:read"]}]`, "entry 1: token must be at least 16 characters"},
		{"token with space", `[{"token":"sst_with space_inside!","store":"acme","scopes":["products:read"]}]`, "entry 1: token must be printable ASCII"},
		{"no store", `[{"token":"` + secret + `","scopes":["products:read"]}]`, "entry 1: store must be a lower-case DNS label"},
		{"upper-case store", `[{"token":"` + secret + `","store":"Acme","scopes":["products:read"]}]`, "entry 1: store must be"},
		{"no scopes", `[{"token":"` + secret + `","store":"acme","scopes":[]}]`, "entry 1: scopes must list at least one scope"},
		{"unknown scope", `[{"token":"` + secret + `","store":"acme","scopes":["products:delete"]}]`, `entry 1: unknown scope "products:delete"`},
		{"scopes are case-sensitive", `[{"token":"` + secret + `","store":"acme","scopes":["Products:Read"]}]`, `unknown scope "Products:Read"`},
		{"expires_at not RFC 3339", `[{"token":"` + secret + `","store":"acme","scopes":["products:read"]},{"token":"` + secret + `x","store":"acme","scopes":["products:read"],"expires_at":"2026-12-31"}]`,
			"entry 2: expires_at must be an RFC 3339 time such as 2026-12-31T23:59:59Z"},
		{"expires_at not a string", `[{"token":"` + secret + `","store":"acme","scopes":["products:read"],"expires_at":1798761599}]`, "want a JSON list"},
		{"duplicate token", `[{"token":"` + secret + `","store":"acme","scopes":["products:read"]},{"token":"` + secret + `","store":"globex","scopes":["products:read"]}]`, "entry 2: same token as entry 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			specs, err := server.ParseTokens(strings.NewReader(c.json))
			if c.err == "" {
				require.NoError(t, err)
				assert.Equal(t, []server.TokenSpec{{Token: secret, Store: "acme", Scopes: []string{"products:read", "orders:write"}}}, specs)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestParseTokensExpiresAt(t *testing.T) {
	specs, err := server.ParseTokens(strings.NewReader(`[
		{"token":"` + secret + `1","store":"acme","scopes":["products:read"],"expires_at":"2026-12-31T23:59:59-05:00"},
		{"token":"` + secret + `2","store":"acme","scopes":["products:read"],"expires_at":null},
		{"token":"` + secret + `3","store":"acme","scopes":["products:read"],"expires_at":"2001-01-01T00:00:00Z"}]`))
	require.NoError(t, err, "a past expires_at is loaded: the token is expired, not the file wrong")
	assert.Equal(t, time.Date(2027, 1, 1, 4, 59, 59, 0, time.UTC), specs[0].ExpiresAt)
	assert.True(t, specs[1].ExpiresAt.IsZero(), "null: never expires")
	assert.Equal(t, time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC), specs[2].ExpiresAt)
}

func TestFromEnv(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "tokens.json")
	require.NoError(t, os.WriteFile(good, []byte(`[{"token":"`+secret+`","store":"initech","scopes":["settings:read"]}]`), 0o600))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`[{"token":"`+secret+`","store":"initech","scopes":["settings:delete"]}]`), 0o600))

	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

	t.Run("demo tokens", func(t *testing.T) {
		cfg, demo, err := server.FromEnv(env(nil))
		require.NoError(t, err)
		assert.True(t, demo)
		assert.Zero(t, cfg.RateLimit)
		require.Len(t, cfg.Tokens, 3)
		assert.Equal(t, server.ScopeNames(), cfg.Tokens[0].Scopes)
		assert.Equal(t, server.ReadOnlyScopes(), cfg.Tokens[1].Scopes)
		assert.Equal(t, []string{"acme", "acme", "globex"}, []string{cfg.Tokens[0].Store, cfg.Tokens[1].Store, cfg.Tokens[2].Store})
		for _, tok := range cfg.Tokens {
			assert.Regexp(t, `^sst_[A-Za-z0-9_-]{43}$`, tok.Token)
		}
		again, _, _ := server.FromEnv(env(nil))
		assert.NotEqual(t, cfg.Tokens[0].Token, again.Tokens[0].Token, "generated per start")
	})
	t.Run("tokens file and rate limit", func(t *testing.T) {
		cfg, demo, err := server.FromEnv(env(map[string]string{"TOKENS_FILE": good, "RATE_LIMIT": "120"}))
		require.NoError(t, err)
		assert.False(t, demo)
		assert.Equal(t, 120, cfg.RateLimit)
		assert.Equal(t, []server.TokenSpec{{Token: secret, Store: "initech", Scopes: []string{"settings:read"}}}, cfg.Tokens)
		s, err := server.New(cfg)
		require.NoError(t, err)
		assert.Equal(t, []string{"initech"}, s.Stores())
	})
	for name, c := range map[string]struct {
		vars map[string]string
		err  string
	}{
		"missing file":      {map[string]string{"TOKENS_FILE": filepath.Join(dir, "nope.json")}, "TOKENS_FILE: open"},
		"invalid file":      {map[string]string{"TOKENS_FILE": bad}, "TOKENS_FILE " + bad + `: entry 1: unknown scope "settings:delete"`},
		"rate not a number": {map[string]string{"RATE_LIMIT": "fast"}, "RATE_LIMIT must be a positive number"},
		"rate zero":         {map[string]string{"RATE_LIMIT": "0"}, "RATE_LIMIT must be a positive number"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := server.FromEnv(env(c.vars))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]server.Config{
		"negative rate": {RateLimit: -1, Tokens: standardTokens()},
		"bad scope":     {Tokens: []server.TokenSpec{{Token: secret, Store: "acme", Scopes: []string{"admin"}}}},
		"bad store":     {Tokens: []server.TokenSpec{{Token: secret, Store: "a.b", Scopes: []string{"products:read"}}}},
		"short token":   {Tokens: []server.TokenSpec{{Token: "x", Store: "acme", Scopes: []string{"products:read"}}}},
		"reused token":  {Tokens: []server.TokenSpec{{Token: secret, Store: "acme", Scopes: []string{"products:read"}}, {Token: secret, Store: "globex", Scopes: []string{"products:read"}}}},
		"empty scopes":  {Tokens: []server.TokenSpec{{Token: secret, Store: "acme"}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := server.New(cfg)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

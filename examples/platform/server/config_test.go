package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/examples/platform/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*server.Config)
		want string
	}{
		{"short JWT secret", func(c *server.Config) { c.JWTSecret = []byte("short") }, "at least 32 bytes"},
		{"no reseller password", func(c *server.Config) { c.Reseller.Password = "" }, "reseller account"},
		{"no customer e-mail", func(c *server.Config) { c.Customer.Username = "" }, "customer account"},
		{"no supplier key", func(c *server.Config) { c.SupplierKey = "" }, "supplier API key"},
		{"payment key with a space", func(c *server.Config) { c.PaymentKey = "ak live 5e2d7c9a1b3f4e6d8c0a" }, "payment API key"},
		{"short key", func(c *server.Config) { c.PaymentKey = "ABCD" }, "payment API key"},
		{"same key twice", func(c *server.Config) { c.PaymentKey = c.SupplierKey }, "must differ"},
		{"bad tenant", func(c *server.Config) { c.Tenant = "Acme Corp" }, "tenant"},
		{"sub-second TTL", func(c *server.Config) { c.TokenTTL = time.Millisecond }, "lifetime"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig()
			tc.edit(&cfg)
			_, err := server.New(cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			for _, secret := range []string{seedKey, paymentKey, jwtSecret, resellerPass, customerPass} {
				assert.NotContains(t, err.Error(), secret)
			}
		})
	}
}

func TestFromEnv(t *testing.T) {
	t.Run("defaults and generated keys", func(t *testing.T) {
		cfg, err := server.FromEnv(env(nil))
		require.NoError(t, err)
		assert.Equal(t, "acme", cfg.Tenant)
		assert.Nil(t, cfg.JWTSecret)
		assert.Equal(t, server.DefaultTokenTTL, cfg.TokenTTL)
		assert.Equal(t, server.DefaultResellerUsername, cfg.Reseller.Username)
		assert.Equal(t, server.DefaultResellerPassword, cfg.Reseller.Password)
		assert.Equal(t, server.DefaultCustomerEmail, cfg.Customer.Username)
		assert.Equal(t, server.DefaultCustomerPassword, cfg.Customer.Password)
		assert.Equal(t, []string{"orders:read", "orders:write"}, cfg.Reseller.Scopes)
		assert.Equal(t, []string{"account:read", "orders:read"}, cfg.Customer.Scopes)
		for _, k := range []string{cfg.SupplierKey, cfg.PaymentKey} {
			env, err := apikey.ParseKey(k)
			require.NoError(t, err)
			assert.Equal(t, "live", env)
		}
		assert.NotEqual(t, cfg.SupplierKey, cfg.PaymentKey)
	})
	t.Run("every variable", func(t *testing.T) {
		cfg, err := server.FromEnv(env(map[string]string{
			"JWT_SECRET": jwtSecret, "PLATFORM_TENANT": "globex",
			"SUPPLIER_API_KEY": seedKey, "PAYMENT_API_KEY": paymentKey,
			"RESELLER_USERNAME": "r", "RESELLER_PASSWORD": "rp", "RESELLER_SCOPES": " orders:read ",
			"CUSTOMER_EMAIL": "c@globex.example", "CUSTOMER_PASSWORD": "cp", "CUSTOMER_SCOPES": "account:read",
			"TOKEN_TTL": "15m",
		}))
		require.NoError(t, err)
		assert.Equal(t, server.Config{
			Tenant: "globex", JWTSecret: []byte(jwtSecret), TokenTTL: 15 * time.Minute, LoginAttempts: 10, KeyAttempts: 10,
			Reseller:    server.Account{Username: "r", Password: "rp", ID: server.DefaultResellerID, Scopes: []string{"orders:read"}},
			Customer:    server.Account{Username: "c@globex.example", Password: "cp", ID: server.DefaultCustomerID, Scopes: []string{"account:read"}},
			SupplierKey: seedKey, PaymentKey: paymentKey,
		}, func() server.Config { cfg.Now = nil; return cfg }())
	})
	for _, tc := range []struct{ name, key, value, want string }{
		{"bad TTL", "TOKEN_TTL", "an hour", "TOKEN_TTL"},
		{"short secret", "JWT_SECRET", "s3cret", "32 bytes"},
		{"bad tenant", "PLATFORM_TENANT", "ACME", "tenant"},
		{"bad key", "PAYMENT_API_KEY", "x", "payment API key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := server.FromEnv(env(map[string]string{tc.key: tc.value}))
			require.Error(t, err)
			assert.True(t, strings.Contains(err.Error(), tc.want), err.Error())
		})
	}
}

func TestIssueKey(t *testing.T) {
	p := newPlatform(t)
	_, _, err := p.srv.IssueKey(t.Context(), "acme", []string{"reseller"}, time.Time{})
	assert.Error(t, err, "JWT surfaces take no API keys")
	_, _, err = p.srv.IssueKey(t.Context(), "", []string{server.SurfacePayment}, time.Time{})
	assert.Error(t, err)
	key, rec, err := p.srv.IssueKey(t.Context(), "acme", []string{server.SurfaceSupplier}, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, apikey.DisplayPrefix(key), rec.Prefix)
	assert.Equal(t, []string{server.ScopeProductsRead, server.ScopeProductsWrite}, rec.Scopes)
	got, err := p.srv.Keys().Get(t.Context(), rec.ID)
	require.NoError(t, err)
	assert.Equal(t, [32]byte{}, got.Hash, "the store never hands out hashes")
}

package gatehousetest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	gt "github.com/gatehouse-go/gatehouse/gatehousetest"
)

// TestAPIKeys: fixtures authenticate through the real apikey middleware,
// and its refusals follow the records.
func TestAPIKeys(t *testing.T) {
	keys := gt.NewAPIKeys(t)
	log := &gt.AuditLog{}
	auth := keys.Authenticator(t, apikey.Config{Audit: log})
	key := keys.Add(t, apikey.Record{Subject: "svc-billing", Tenant: "acme", Scopes: []string{"orders:read"}, Name: "billing"})
	env, err := apikey.ParseKey(key)
	require.NoError(t, err)
	assert.Equal(t, "test", env)

	rec := keys.Record(t, key)
	assert.NotEmpty(t, rec.ID)
	assert.Equal(t, apikey.DisplayPrefix(key), rec.Prefix)
	assert.WithinDuration(t, time.Now(), rec.Created, time.Minute)
	assert.Equal(t, "billing", rec.Name)

	p, err := auth.Check(gt.Request(t, "GET", "/orders", gt.WithAPIKey(key)))
	require.NoError(t, err)
	assert.Equal(t, "svc-billing", p.Subject)
	assert.Equal(t, "acme", p.Tenant)
	assert.Equal(t, []string{"orders:read"}, p.Scopes)
	assert.Equal(t, gatehouse.MethodAPIKey, p.Method)
	assert.Equal(t, rec.ID, p.TokenID)

	h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	assert.Equal(t, http.StatusNoContent, gt.Serve(h, gt.Request(t, "GET", "/orders", gt.WithAPIKey(key))).Code)

	unstored, _, err := apikey.Generate("test")
	require.NoError(t, err)
	expired := keys.Add(t, apikey.Record{ExpiresAt: time.Now().Add(-time.Minute)})
	revoked := keys.Add(t, apikey.Record{Tenant: "acme"})
	keys.Revoke(t, revoked)
	assert.True(t, keys.Record(t, revoked).Revoked)
	for name, c := range map[string]struct {
		key    string
		err    error
		reason gatehouse.Reason
	}{
		"not stored": {unstored, apikey.ErrKeyNotFound, apikey.ReasonUnknownAPIKey},
		"expired":    {expired, apikey.ErrKeyExpired, apikey.ReasonKeyExpired},
		"revoked":    {revoked, apikey.ErrKeyRevoked, apikey.ReasonKeyRevoked},
		"malformed":  {key[:len(key)-1] + "x", apikey.ErrMalformedKey, apikey.ReasonMalformedKey},
	} {
		_, err := auth.Check(gt.Request(t, "GET", "/orders", gt.WithAPIKey(c.key)))
		assert.ErrorIs(t, err, c.err, name)
		res := gt.Serve(h, gt.Request(t, "GET", "/orders", gt.WithAPIKey(c.key)))
		assert.Equal(t, http.StatusUnauthorized, res.Code, name)
		assert.Equal(t, c.reason, log.Last().Reason, name)
	}
}

func TestAPIKeysConfig(t *testing.T) {
	keys := gt.NewAPIKeys(t)
	live := keys.AddEnv(t, "live", apikey.Record{ID: "key_live", Surfaces: []string{"payment"}})
	test := keys.Add(t, apikey.Record{Surfaces: []string{"payment"}})
	other := keys.AddEnv(t, "live", apikey.Record{Surfaces: []string{"supplier"}})
	assert.Equal(t, "key_live", keys.Record(t, live).ID, "a given ID is kept")

	auth := keys.Authenticator(t, apikey.Config{Header: "X-API-Key", Environments: []string{"live"}, Surface: "payment"})
	_, err := auth.Check(gt.Request(t, "GET", "/pay", gt.WithHeader("X-API-Key", live)))
	assert.NoError(t, err)
	_, err = auth.Check(gt.Request(t, "GET", "/pay", gt.WithAPIKey(live)))
	assert.ErrorIs(t, err, apikey.ErrMissingKey, "the configured header only")
	_, err = auth.Check(gt.Request(t, "GET", "/pay", gt.WithHeader("X-API-Key", test)))
	assert.ErrorIs(t, err, apikey.ErrWrongEnv)
	_, err = auth.Check(gt.Request(t, "GET", "/pay", gt.WithHeader("X-API-Key", other)))
	assert.ErrorIs(t, err, apikey.ErrSurfaceDenied)

	// An application's own store is kept.
	own := apikey.NewMemoryStore()
	_, err = keys.Authenticator(t, apikey.Config{Store: own}).Check(gt.Request(t, "GET", "/", gt.WithAPIKey(test)))
	assert.ErrorIs(t, err, apikey.ErrKeyNotFound)
	assert.Same(t, keys.Store(), keys.Store())

	for name, f := range map[string]func(tb gt.TB){
		"duplicate ID":   func(tb gt.TB) { keys.Add(tb, apikey.Record{ID: "key_live"}) },
		"bad env":        func(tb gt.TB) { keys.AddEnv(tb, "Prod!", apikey.Record{}) },
		"unknown key":    func(tb gt.TB) { keys.Record(tb, "ak_test_nope") },
		"revoke unknown": func(tb gt.TB) { keys.Revoke(tb, "ak_test_nope") },
		"bad config":     func(tb gt.TB) { keys.Authenticator(tb, apikey.Config{MaxLength: -1}) },
	} {
		assert.Contains(t, fatal(t, f), "gatehousetest: ", name)
	}
}

package contender

import (
	"context"
	"net/http"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bench/fixture"
	"github.com/gatehouse-go/gatehouse/ipallow"
)

// GatehouseBearer is gatehouse's bearer middleware for a (the default
// configuration a user would write: algorithm allowlist, one key, issuer,
// audience). With cache false the verified-token cache is disabled
// (CacheSize 0), so every request is a first sight: full signature and
// claim verification. With cache true it has the default cache, so a
// reused token costs a lookup.
func GatehouseBearer(a *fixture.Alg, cache bool) (http.Handler, error) {
	cfg := bearer.Config{
		Realm:      fixture.Realm,
		Algorithms: []string{a.Name},
		Issuers:    []bearer.Issuer{{URL: fixture.Issuer, Keys: []bearer.Key{{ID: a.KeyID, Algorithm: a.Name, Key: a.Verify}}}},
		Audiences:  []string{fixture.Audience},
	}
	if !cache {
		cfg.CacheSize = new(0)
	}
	auth, err := bearer.New(cfg)
	if err != nil {
		return nil, err
	}
	return auth.Middleware(fixture.NoContent), nil
}

// GatehouseAPIKey is gatehouse's API-key middleware reading
// fixture.APIKeyHeader, over a memory store holding every key of ks.
func GatehouseAPIKey(ks *fixture.APIKeys) (http.Handler, error) {
	store := apikey.NewMemoryStore()
	ctx := context.Background()
	for i, k := range ks.Keys {
		rec := apikey.Record{ID: "key-" + itoa(i), Hash: apikey.Hash(k), Tenant: fixture.Tenant}
		if err := store.Put(ctx, rec); err != nil {
			return nil, err
		}
	}
	auth, err := apikey.New(apikey.Config{Store: store, Header: fixture.APIKeyHeader, Realm: "api"})
	if err != nil {
		return nil, err
	}
	return auth.Middleware(fixture.NoContent), nil
}

// GatehouseAllowlist is gatehouse's static IP allowlist over p, reading the
// connection's peer address (no proxy in front).
func GatehouseAllowlist(p *fixture.Prefixes) (http.Handler, error) {
	al, err := ipallow.New(ipallow.Config{Allow: p.List})
	if err != nil {
		return nil, err
	}
	return al.Middleware(fixture.NoContent), nil
}

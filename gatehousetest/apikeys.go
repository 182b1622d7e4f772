package gatehousetest

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
)

// APIKeys are API-key fixtures: keys generated as apikey.Generate makes
// them, stored in an [apikey.MemoryStore] that an [apikey.Authenticator]
// reads. Its methods are safe for concurrent use.
type APIKeys struct {
	store *apikey.MemoryStore
}

// NewAPIKeys returns an empty set of API-key fixtures.
func NewAPIKeys(t TB) *APIKeys {
	t.Helper()
	return &APIKeys{store: apikey.NewMemoryStore()}
}

// Store returns the store holding the keys, for an application's own
// apikey.Config.
func (k *APIKeys) Store() *apikey.MemoryStore { return k.store }

// Add generates a key of the environment "test", stores rec for it and
// returns the key to send. rec is the record as the application would
// store it (Tenant, Scopes, Surfaces, ExpiresAt, Revoked…); an empty ID
// or Created is generated, Prefix and Hash always are. It fails the test
// if the store refuses the record (an ID already used).
func (k *APIKeys) Add(t TB, rec apikey.Record) string {
	t.Helper()
	return k.AddEnv(t, "test", rec)
}

// AddEnv is Add for a key of the environment env ("live", …), for an
// Authenticator whose Config.Environments is set.
func (k *APIKeys) AddEnv(t TB, env string, rec apikey.Record) string {
	t.Helper()
	key, gen, err := apikey.Generate(env)
	if err != nil {
		t.Fatalf("gatehousetest: generating an API key: %v", err)
	}
	if rec.ID == "" {
		rec.ID = gen.ID
	}
	if rec.Created.IsZero() {
		rec.Created = gen.Created
	}
	rec.Prefix, rec.Hash = gen.Prefix, gen.Hash
	if err := k.store.Put(context.Background(), rec); err != nil {
		t.Fatalf("gatehousetest: storing an API key: %v", err)
	}
	return key
}

// Record returns the stored record of key (its Hash zero, as a store
// returns it). It fails the test if key is not stored.
func (k *APIKeys) Record(t TB, key string) apikey.Record {
	t.Helper()
	rec, err := k.store.Lookup(context.Background(), apikey.Hash(key))
	if err != nil {
		t.Fatalf("gatehousetest: looking up an API key: %v", err)
	}
	return *rec
}

// Revoke revokes key now. It fails the test if key is not stored.
func (k *APIKeys) Revoke(t TB, key string) {
	t.Helper()
	if err := k.store.Revoke(context.Background(), k.Record(t, key).ID, time.Now()); err != nil {
		t.Fatalf("gatehousetest: revoking an API key: %v", err)
	}
}

// Authenticator returns an [apikey.Authenticator] built from cfg with
// the fixtures' store as Store when cfg has none. An error of apikey.New
// fails the test.
func (k *APIKeys) Authenticator(t TB, cfg apikey.Config) *apikey.Authenticator {
	t.Helper()
	if cfg.Store == nil {
		cfg.Store = k.store
	}
	auth, err := apikey.New(cfg)
	if err != nil {
		t.Fatalf("gatehousetest: apikey.New: %v", err)
	}
	return auth
}

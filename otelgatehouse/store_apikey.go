package otelgatehouse

import (
	"context"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
)

// APIKeyStore returns s with every call timed and every failure counted
// (gatehouse.store "apikeys"); a key not found, a duplicate or an invalid
// record is an answer, not a failure. Other methods of s are not
// forwarded.
//
// The in-memory store (apikey.MemoryStore) shares one Principal per key
// with every request; through the wrapper the middleware builds one per
// request instead, an allocation more. Wrap network stores, whose round
// trip is worth timing, and leave a MemoryStore as it is.
func (t *Telemetry) APIKeyStore(s apikey.Store) apikey.Store {
	return &apiKeys{
		s:      s,
		lookup: t.storeOp(StoreAPIKeys, "Lookup", apikey.ErrKeyNotFound),
		put:    t.storeOp(StoreAPIKeys, "Put", apikey.ErrInvalidRecord, apikey.ErrDuplicateKey),
		revoke: t.storeOp(StoreAPIKeys, "Revoke", apikey.ErrKeyNotFound),
		touch:  t.storeOp(StoreAPIKeys, "Touch", apikey.ErrKeyNotFound),
		del:    t.storeOp(StoreAPIKeys, "Delete", apikey.ErrKeyNotFound),
	}
}

type apiKeys struct {
	s                               apikey.Store
	lookup, put, revoke, touch, del *storeOp
}

func (a *apiKeys) Lookup(ctx context.Context, hash [32]byte) (*apikey.Record, error) {
	start := time.Now()
	rec, err := a.s.Lookup(ctx, hash)
	a.lookup.done(ctx, start, err)
	return rec, err
}

func (a *apiKeys) Put(ctx context.Context, rec apikey.Record) error {
	start := time.Now()
	err := a.s.Put(ctx, rec)
	a.put.done(ctx, start, err)
	return err
}

func (a *apiKeys) Revoke(ctx context.Context, id string, at time.Time) error {
	start := time.Now()
	err := a.s.Revoke(ctx, id, at)
	a.revoke.done(ctx, start, err)
	return err
}

func (a *apiKeys) Touch(ctx context.Context, id string, at time.Time) error {
	start := time.Now()
	err := a.s.Touch(ctx, id, at)
	a.touch.done(ctx, start, err)
	return err
}

func (a *apiKeys) Delete(ctx context.Context, id string) error {
	start := time.Now()
	err := a.s.Delete(ctx, id)
	a.del.done(ctx, start, err)
	return err
}

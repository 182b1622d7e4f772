package redisstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/apikey"
)

// APIKeys is the Redis [apikey.Store]. A key's record lives in a hash under
// the key's SHA-256 ("<prefix>key:<hex>"), with an index from its ID
// ("<prefix>keyid:<id>"); the key itself never reaches Redis, and Lookup
// never returns the hash. Lookup is one HGETALL by the full hash, so its
// time does not depend on how much of a stored hash matches. Revoke, Touch
// and Delete are Lua scripts, atomic across instances. Records do not
// expire in Redis: an expired key stays visible (and refused) until it is
// deleted. It is safe for concurrent use; while Redis is unreachable its
// methods fail and the middleware answers 503.
type APIKeys struct{ s *Store }

var _ apikey.Store = (*APIKeys)(nil)

// putKeyScript stores a new record. KEYS: record, id index. ARGV: hex hash,
// then field/value pairs.
var putKeyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 'dup' end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('SET', KEYS[2], ARGV[1])
return 'ok'
`)

// keyByIDScript applies one change to the record of an id. KEYS: id index.
// ARGV: record-key prefix, operation, time (timeLayout).
var keyByIDScript = redis.NewScript(`
local h = redis.call('GET', KEYS[1])
if not h then return 'nf' end
local k = ARGV[1] .. h
if redis.call('EXISTS', k) == 0 then return 'nf' end
local op = ARGV[2]
if op == 'revoke' then
  if redis.call('HGET', k, 'rev') ~= '1' then
    redis.call('HSET', k, 'rev', '1', 'revat', ARGV[3])
  end
elseif op == 'touch' then
  local cur = redis.call('HGET', k, 'used') or ''
  if ARGV[3] > cur then redis.call('HSET', k, 'used', ARGV[3]) end
elseif op == 'delete' then
  redis.call('DEL', k, KEYS[1])
end
return 'ok'
`)

// Lookup implements [apikey.Store]. The returned record is the caller's.
func (a *APIKeys) Lookup(ctx context.Context, hash [32]byte) (*apikey.Record, error) {
	ctx, cancel := a.s.ctx(ctx)
	defer cancel()
	m, err := a.s.client.HGetAll(ctx, a.s.hashKey("key:", hash)).Result()
	if err != nil {
		return nil, wrap("lookup key", err)
	}
	if len(m) == 0 {
		return nil, apikey.ErrKeyNotFound
	}
	rec := &apikey.Record{
		ID: m["id"], Prefix: m["pfx"], Name: m["name"], Subject: m["sub"], Tenant: m["ten"],
		Revoked: m["rev"] == "1",
	}
	if rec.Scopes, err = decStrings(m["scp"]); err != nil {
		return nil, err
	}
	if rec.Surfaces, err = decStrings(m["srf"]); err != nil {
		return nil, err
	}
	err = timeFields(m, map[string]*time.Time{
		"created": &rec.Created, "expires": &rec.Expires, "revat": &rec.RevokedAt, "used": &rec.LastUsed,
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Put implements [apikey.Store]. Only rec.Hash is written, never a key.
func (a *APIKeys) Put(ctx context.Context, rec apikey.Record) error {
	if rec.ID == "" || rec.Hash == ([32]byte{}) {
		return fmt.Errorf("%w: a record needs an ID and a Hash", apikey.ErrInvalidRecord)
	}
	rev := "0"
	if rec.Revoked {
		rev = "1"
	}
	hx := hex.EncodeToString(rec.Hash[:])
	ctx, cancel := a.s.ctx(ctx)
	defer cancel()
	res, err := putKeyScript.Run(ctx, a.s.client,
		[]string{a.s.key("key:", hx), a.s.key("keyid:", rec.ID)}, hx,
		"id", rec.ID, "pfx", rec.Prefix, "name", rec.Name, "sub", rec.Subject, "ten", rec.Tenant,
		"scp", encStrings(rec.Scopes), "srf", encStrings(rec.Surfaces),
		"created", encTime(rec.Created), "expires", encTime(rec.Expires),
		"rev", rev, "revat", encTime(rec.RevokedAt), "used", encTime(rec.LastUsed),
	).Text()
	if err != nil {
		return wrap("put key", err)
	}
	if res == "dup" {
		return fmt.Errorf("%w: id or hash already stored", apikey.ErrDuplicateKey)
	}
	return nil
}

// Revoke implements [apikey.Store]; the first RevokedAt is kept.
func (a *APIKeys) Revoke(ctx context.Context, id string, at time.Time) error {
	return a.byID(ctx, "revoke", id, at)
}

// Touch implements [apikey.Store]; LastUsed never moves backwards.
func (a *APIKeys) Touch(ctx context.Context, id string, at time.Time) error {
	return a.byID(ctx, "touch", id, at)
}

// Delete implements [apikey.Store].
func (a *APIKeys) Delete(ctx context.Context, id string) error {
	return a.byID(ctx, "delete", id, time.Time{})
}

func (a *APIKeys) byID(ctx context.Context, op, id string, at time.Time) error {
	ctx, cancel := a.s.ctx(ctx)
	defer cancel()
	res, err := keyByIDScript.Run(ctx, a.s.client, []string{a.s.key("keyid:", id)}, a.s.key("key:", ""), op, encTime(at)).Text()
	if err != nil {
		return wrap(op+" key", err)
	}
	if res == "nf" {
		return fmt.Errorf("%w: %s", apikey.ErrKeyNotFound, id)
	}
	return nil
}

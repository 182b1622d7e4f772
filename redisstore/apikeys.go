package redisstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
)

// APIKeys is the Redis [apikey.Store]. A key's record lives in a hash under
// the key's SHA-256 ("<prefix>key:<hex>"), with an id index from its ID
// ("<prefix>keyid:<id>") to that hash; the key itself never reaches Redis,
// and Lookup never returns the hash. Lookup is one HGETALL by the full
// hash, so its time does not depend on how much of a stored hash matches.
// The record and its index are single keys in different hash slots, so the
// store works on a Redis Cluster: Put claims the ID (one script on the
// index) before it creates the record (one script on the record), and
// Revoke, Touch and Delete read the index, then change the record in one
// script that checks it still carries the ID — two round trips each, every
// step atomic across instances, and a stored record always reachable by
// its ID. A record with ExpiresAt is dropped by Redis apiKeySlack (an hour)
// after it, its index a minute later; until then an expired key is found
// and refused as expired. A record without ExpiresAt stays until Delete. It
// is safe for concurrent use; while Redis is unreachable its methods fail
// and the middleware answers 503.
type APIKeys struct{ s *Store }

// apiKeySlack keeps an expired API key's record this long past ExpiresAt, so
// that it is refused as expired (and can be inspected) rather than unknown
// for a while before Redis reclaims it.
const apiKeySlack = time.Hour

var _ apikey.Store = (*APIKeys)(nil)

// putKeyScript creates a record. KEYS: record. ARGV: TTL in ms (0: none),
// then field/value pairs.
var putKeyScript = newScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'dup' end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 'ok'
`)

// keyByIDScript applies one change to a record if it carries the ID.
// KEYS: record. ARGV: id, operation, time (timeLayout).
var keyByIDScript = newScript(`
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'nf' end
local op = ARGV[2]
if op == 'revoke' then
  if redis.call('HGET', KEYS[1], 'rev') ~= '1' then
    redis.call('HSET', KEYS[1], 'rev', '1', 'revat', ARGV[3])
  end
elseif op == 'touch' then
  local cur = redis.call('HGET', KEYS[1], 'used') or ''
  if ARGV[3] > cur then redis.call('HSET', KEYS[1], 'used', ARGV[3]) end
elseif op == 'delete' then
  redis.call('DEL', KEYS[1])
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
		"created": &rec.Created, "expires": &rec.ExpiresAt, "revat": &rec.RevokedAt, "used": &rec.LastUsed,
	})
	if err != nil {
		return nil, err
	}
	return rec, nil
}

// Put implements [apikey.Store]. Only rec.Hash is written, never a key. It
// claims the ID's index, then creates the record; when the hash is already
// stored it releases an index it created. A Put refused as a duplicate of
// the record stored under the same ID and hash (with another ExpiresAt,
// say) never shortens that ID's index, so the stored key stays revocable
// by its ID; the index's TTL may be lengthened. An ID whose index outlived
// an interrupted Put is a duplicate until Delete(id) removes the index.
func (a *APIKeys) Put(ctx context.Context, rec apikey.Record) error {
	if rec.ID == "" || rec.Hash == ([32]byte{}) {
		return fmt.Errorf("%w: a record needs an ID and a Hash", apikey.ErrInvalidRecord)
	}
	rev := "0"
	if rec.Revoked {
		rev = "1"
	}
	var ttl time.Duration
	if !rec.ExpiresAt.IsZero() {
		ttl = a.s.ttl(rec.ExpiresAt, apiKeySlack)
	}
	hx := hex.EncodeToString(rec.Hash[:])
	index := a.s.key("keyid:", rec.ID)
	ctx, cancel := a.s.ctx(ctx)
	defer cancel()
	claim, err := a.s.claimIndex(ctx, index, hx, ttl, claimExtend)
	if err != nil {
		return wrap("put key", err)
	}
	if claim == "dup" {
		return fmt.Errorf("%w: id already stored", apikey.ErrDuplicateKey)
	}
	res, err := putKeyScript.Run(ctx, a.s.client, []string{a.s.key("key:", hx)}, ttl.Milliseconds(),
		"id", rec.ID, "pfx", rec.Prefix, "name", rec.Name, "sub", rec.Subject, "ten", rec.Tenant,
		"scp", encStrings(rec.Scopes), "srf", encStrings(rec.Surfaces),
		"created", encTime(rec.Created), "expires", encTime(rec.ExpiresAt),
		"rev", rev, "revat", encTime(rec.RevokedAt), "used", encTime(rec.LastUsed),
	).Text()
	if err != nil {
		return wrap("put key", err)
	}
	if res == "dup" {
		if claim == "new" {
			if err := a.s.releaseIndex(ctx, index, hx); err != nil {
				return wrap("put key", err)
			}
		}
		return fmt.Errorf("%w: id or hash already stored", apikey.ErrDuplicateKey)
	}
	return nil
}

// Revoke implements [apikey.Store]; the first RevokedAt is kept. With
// Config.MinReplicas it waits for that many replicas to acknowledge the
// revocation, and otherwise fails with an error wrapping
// [ErrNotReplicated] (the key was revoked on the master).
func (a *APIKeys) Revoke(ctx context.Context, id string, at time.Time) error {
	return a.byID(ctx, "revoke", id, at)
}

// Touch implements [apikey.Store]; LastUsed never moves backwards.
func (a *APIKeys) Touch(ctx context.Context, id string, at time.Time) error {
	return a.byID(ctx, "touch", id, at)
}

// Delete implements [apikey.Store]. It deletes the record, then its index
// (an index left by an interrupted Put or Delete too, returning
// apikey.ErrKeyNotFound). With Config.MinReplicas the record's deletion
// waits for the replicas as Revoke's does; a deletion too few acknowledge
// fails with an error wrapping [ErrNotReplicated] and leaves the index.
func (a *APIKeys) Delete(ctx context.Context, id string) error {
	return a.byID(ctx, "delete", id, time.Time{})
}

func (a *APIKeys) byID(ctx context.Context, op, id string, at time.Time) error {
	ctx, cancel := a.s.ctx(ctx)
	defer cancel()
	index := a.s.key("keyid:", id)
	hx, err := a.s.lookupIndex(ctx, index)
	if err != nil {
		return wrap(op+" key", err)
	}
	if hx == "" {
		return fmt.Errorf("%w: %s", apikey.ErrKeyNotFound, id)
	}
	keys, args := []string{a.s.key("key:", hx)}, []any{id, op, encTime(at)}
	var res string
	if op == "touch" {
		res, err = keyByIDScript.Run(ctx, a.s.client, keys, args...).Text()
	} else {
		// Revoke and Delete take access away: with Config.MinReplicas
		// they wait for the replicas.
		res, err = a.s.runScript(ctx, keyByIDScript, keys, args...).Text()
	}
	if err != nil {
		return wrap(op+" key", err)
	}
	if op == "delete" {
		if err := a.s.releaseIndex(ctx, index, hx); err != nil {
			return wrap(op+" key", err)
		}
	}
	if res == "nf" {
		return fmt.Errorf("%w: %s", apikey.ErrKeyNotFound, id)
	}
	return nil
}

package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Tokens is the Redis [bearer.TokenStore] for opaque bearer tokens. A
// record lives in a hash under the token's SHA-256 ("<prefix>tok:<hex>"),
// with an id index from its ID ("<prefix>tokid:<id>") to that hash for
// revocation; the token itself is never written. A record with an expiry
// is dropped by Redis MaxLeeway after it, its index a minute later; a
// record without one stays until DeleteToken. LookupToken is one HGETALL.
// The record and its index are single keys in different hash slots, so the
// store works on a Redis Cluster: Put claims the ID, then writes the record
// and releases the index of the ID the hash carried before; RevokeToken and
// DeleteToken read the index, then change the record in one script that
// checks it still carries the ID. It is safe for concurrent use; while
// Redis is unreachable its methods fail.
type Tokens struct{ s *Store }

var _ bearer.TokenStore = (*Tokens)(nil)

var (
	errEmptyToken = errors.New("redisstore: empty token")
	errEmptyID    = errors.New("redisstore: token record has no ID")
)

// putTokenScript replaces a token record. KEYS: record. ARGV: TTL in ms
// (0: none), field/value pairs. It returns the ID the record had, or "".
var putTokenScript = newScript(`
local old = redis.call('HGET', KEYS[1], 'id') or ''
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
if tonumber(ARGV[1]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return old
`)

// tokenByIDScript revokes or deletes a record if it carries the ID. KEYS:
// record. ARGV: id, operation ('revoke' or 'delete').
var tokenByIDScript = newScript(`
if redis.call('HGET', KEYS[1], 'id') ~= ARGV[1] then return 'nf' end
if ARGV[2] == 'revoke' then
  redis.call('HSET', KEYS[1], 'rev', '1')
else
  redis.call('DEL', KEYS[1])
end
return 'ok'
`)

// LookupToken implements [bearer.TokenStore]: the record stored under
// hash, or bearer.ErrTokenNotFound. The lookup is by the full hash as the
// key, so its time does not depend on how much of a stored hash matches.
func (t *Tokens) LookupToken(ctx context.Context, hash [32]byte) (bearer.TokenRecord, error) {
	ctx, cancel := t.s.ctx(ctx)
	defer cancel()
	m, err := t.s.client.HGetAll(ctx, t.s.hashKey("tok:", hash)).Result()
	if err != nil {
		return bearer.TokenRecord{}, wrap("lookup token", err)
	}
	if len(m) == 0 {
		return bearer.TokenRecord{}, bearer.ErrTokenNotFound
	}
	rec := bearer.TokenRecord{ID: m["id"], Subject: m["sub"], Tenant: m["ten"], ClientID: m["cid"], Revoked: m["rev"] == "1"}
	if rec.Scopes, err = decStrings(m["scp"]); err != nil {
		return bearer.TokenRecord{}, err
	}
	if rec.ExpiresAt, err = decTime(m["exp"]); err != nil {
		return bearer.TokenRecord{}, err
	}
	return rec, nil
}

// Put stores rec under hash, replacing the record of the same hash. rec.ID
// must be non-empty and not used by another token
// (bearer.ErrDuplicateTokenID). A record with an ExpiresAt expires from
// Redis bearer.MaxLeeway after it; one without stays until DeleteToken.
func (t *Tokens) Put(ctx context.Context, hash [32]byte, rec bearer.TokenRecord) error {
	if rec.ID == "" {
		return errEmptyID
	}
	var ttl time.Duration
	if !rec.ExpiresAt.IsZero() {
		ttl = t.s.ttl(rec.ExpiresAt, bearer.MaxLeeway)
	}
	rev := "0"
	if rec.Revoked {
		rev = "1"
	}
	hx := hex.EncodeToString(hash[:])
	ctx, cancel := t.s.ctx(ctx)
	defer cancel()
	claim, err := t.s.claimIndex(ctx, t.s.key("tokid:", rec.ID), hx, ttl, claimSet)
	if err != nil {
		return wrap("put token", err)
	}
	if claim == "dup" {
		return bearer.ErrDuplicateTokenID
	}
	old, err := putTokenScript.Run(ctx, t.s.client, []string{t.s.key("tok:", hx)}, ttl.Milliseconds(),
		"id", rec.ID, "sub", rec.Subject, "ten", rec.Tenant, "cid", rec.ClientID,
		"scp", encStrings(rec.Scopes), "exp", encTime(rec.ExpiresAt), "rev", rev,
	).Text()
	if err != nil {
		return wrap("put token", err)
	}
	if old != "" && old != rec.ID {
		return wrap("put token", t.s.releaseIndex(ctx, t.s.key("tokid:", old), hx))
	}
	return nil
}

// Add stores rec for the plaintext token, keeping only its hash: it is
// Put(ctx, bearer.HashToken(token), rec).
func (t *Tokens) Add(ctx context.Context, token string, rec bearer.TokenRecord) error {
	if token == "" {
		return errEmptyToken
	}
	return t.Put(ctx, bearer.HashToken(token), rec)
}

// RevokeToken marks the token with record id revoked, or returns
// bearer.ErrTokenNotFound. With Config.MinReplicas it waits for that many
// replicas to acknowledge the revocation, and otherwise fails with an
// error wrapping [ErrNotReplicated] (the token was revoked on the master).
func (t *Tokens) RevokeToken(ctx context.Context, id string) error {
	return t.byID(ctx, "revoke", id)
}

// DeleteToken removes the token with record id, then its index, or returns
// bearer.ErrTokenNotFound (removing an index left by an interrupted write).
// With Config.MinReplicas the removal waits for the replicas as
// RevokeToken's does; a removal too few acknowledge fails with an error
// wrapping [ErrNotReplicated] and leaves the index.
func (t *Tokens) DeleteToken(ctx context.Context, id string) error {
	return t.byID(ctx, "delete", id)
}

func (t *Tokens) byID(ctx context.Context, op, id string) error {
	ctx, cancel := t.s.ctx(ctx)
	defer cancel()
	index := t.s.key("tokid:", id)
	hx, err := t.s.lookupIndex(ctx, index)
	if err != nil {
		return wrap(op+" token", err)
	}
	if hx == "" {
		return bearer.ErrTokenNotFound
	}
	res, err := t.s.runScript(ctx, tokenByIDScript, []string{t.s.key("tok:", hx)}, id, op).Text()
	if err != nil {
		return wrap(op+" token", err)
	}
	if op == "delete" {
		if err := t.s.releaseIndex(ctx, index, hx); err != nil {
			return wrap(op+" token", err)
		}
	}
	if res == "nf" {
		return bearer.ErrTokenNotFound
	}
	return nil
}

package redisstore

import (
	"context"
	"encoding/hex"
	"errors"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Tokens is the Redis [bearer.TokenStore] for opaque bearer tokens. A
// record lives in a hash under the token's SHA-256 ("<prefix>tok:<hex>"),
// with an index from its ID ("<prefix>tokid:<id>") for revocation; the
// token itself is never written. A record with an expiry is dropped by
// Redis MaxLeeway after it. LookupToken is one HGETALL. It is safe for
// concurrent use; while Redis is unreachable its methods fail.
type Tokens struct{ s *Store }

var _ bearer.TokenStore = (*Tokens)(nil)

var (
	errEmptyToken = errors.New("redisstore: empty token")
	errEmptyID    = errors.New("redisstore: token record has no ID")
)

// putTokenScript stores a token record. KEYS: record, id index. ARGV: hex
// hash, id-index prefix, id, TTL ms (0: none), field/value pairs.
var putTokenScript = redis.NewScript(`
local owner = redis.call('GET', KEYS[2])
if owner and owner ~= ARGV[1] then return 'dup' end
local old = redis.call('HGET', KEYS[1], 'id')
if old and old ~= ARGV[3] then redis.call('DEL', ARGV[2] .. old) end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('SET', KEYS[2], ARGV[1])
local ttl = tonumber(ARGV[4])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 'ok'
`)

// revokeTokenScript marks the record of id revoked. KEYS: id index. ARGV:
// record-key prefix.
var revokeTokenScript = redis.NewScript(`
local h = redis.call('GET', KEYS[1])
if not h then return 'nf' end
local k = ARGV[1] .. h
if redis.call('EXISTS', k) == 0 then return 'nf' end
redis.call('HSET', k, 'rev', '1')
return 'ok'
`)

// deleteTokenScript removes the record of id. KEYS: id index. ARGV:
// record-key prefix.
var deleteTokenScript = redis.NewScript(`
local h = redis.call('GET', KEYS[1])
if not h then return 'nf' end
redis.call('DEL', KEYS[1], ARGV[1] .. h)
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
// (bearer.ErrDuplicateTokenID).
func (t *Tokens) Put(ctx context.Context, hash [32]byte, rec bearer.TokenRecord) error {
	if rec.ID == "" {
		return errEmptyID
	}
	var ttl int64
	if !rec.ExpiresAt.IsZero() {
		ttl = t.s.ttl(rec.ExpiresAt, bearer.MaxLeeway).Milliseconds()
	}
	rev := "0"
	if rec.Revoked {
		rev = "1"
	}
	hx := hex.EncodeToString(hash[:])
	ctx, cancel := t.s.ctx(ctx)
	defer cancel()
	res, err := putTokenScript.Run(ctx, t.s.client,
		[]string{t.s.key("tok:", hx), t.s.key("tokid:", rec.ID)},
		hx, t.s.key("tokid:", ""), rec.ID, ttl,
		"id", rec.ID, "sub", rec.Subject, "ten", rec.Tenant, "cid", rec.ClientID,
		"scp", encStrings(rec.Scopes), "exp", encTime(rec.ExpiresAt), "rev", rev,
	).Text()
	if err != nil {
		return wrap("put token", err)
	}
	if res == "dup" {
		return bearer.ErrDuplicateTokenID
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
// bearer.ErrTokenNotFound.
func (t *Tokens) RevokeToken(ctx context.Context, id string) error {
	return t.byID(ctx, "revoke token", revokeTokenScript, id)
}

// DeleteToken removes the token with record id, or returns
// bearer.ErrTokenNotFound.
func (t *Tokens) DeleteToken(ctx context.Context, id string) error {
	return t.byID(ctx, "delete token", deleteTokenScript, id)
}

func (t *Tokens) byID(ctx context.Context, op string, script *redis.Script, id string) error {
	ctx, cancel := t.s.ctx(ctx)
	defer cancel()
	res, err := script.Run(ctx, t.s.client, []string{t.s.key("tokid:", id)}, t.s.key("tok:", "")).Text()
	if err != nil {
		return wrap(op, err)
	}
	if res == "nf" {
		return bearer.ErrTokenNotFound
	}
	return nil
}

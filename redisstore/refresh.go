package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/bearer/issuer"
)

// refreshSlack keeps refresh keys a minute past their expiry, so that a
// token presented just after it (by a clock slightly behind) still finds
// its record and is refused as expired, not unknown.
const refreshSlack = time.Minute

// Refresh is the Redis [issuer.RefreshStore]. Each refresh token, current
// or rotated, is a hash under its SHA-256 ("<prefix>rt:<hex>": its family
// and expiry); each family is a hash ("<prefix>fam:<id>": the session, the
// current token's hash and the revoked flag). The family's access tokens
// are not listed: the issuer revokes them all through their "sid" (see
// issuer.Family).
// Rotate is one Lua script that reads the token, checks the family and
// either rotates (capping the new token's expiry at the family's absolute
// lifetime, RefreshRecord.MaxAge, and refusing past it), reports the
// revoked family, or — for a token that was already rotated — revokes the
// family in the same step: two instances rotating one token at once have
// exactly one winner, and the loser's attempt counts as reuse. Keys expire
// a minute after the tokens they describe (after next.ExpiresAt when the
// cap shortened a token: the key outlives it, refused as expired, by at
// most RefreshTTL). Every method is one round trip; while Redis is
// unreachable they fail and the issuer answers 503. It is safe for
// concurrent use.
type Refresh struct{ s *Store }

var _ issuer.RefreshStore = (*Refresh)(nil)

// createFamilyScript stores a family and its first token. KEYS: family,
// token. ARGV: family id, token expiry, TTL (ms), family field/value pairs.
var createFamilyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('HSET', KEYS[2], 'fam', ARGV[1], 'exp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 'ok'
`)

// lookupRefreshScript returns the token's expiry followed by its family's
// fields, or nil. KEYS: token. ARGV: family-key prefix.
var lookupRefreshScript = redis.NewScript(`
local t = redis.call('HMGET', KEYS[1], 'fam', 'exp')
if not t[1] then return false end
local f = redis.call('HGETALL', ARGV[1] .. t[1])
if #f == 0 then return false end
table.insert(f, 1, t[2])
return f
`)

// rotateScript is Rotate, atomically. KEYS: old token, new token. ARGV:
// family-key prefix, now, old hash, new hash, new expiry, TTL (ms), and the
// family's maximum age as whole seconds and nanoseconds ("" and "" for
// none). Times are in timeLayout, so they compare as strings; the cap
// (the family's created time plus its maximum age) is the one sum the
// script computes, through days since the epoch, since only the script
// sees the created time. It returns a status ('ok', 'revoked', 'reused',
// 'notfound', 'exists') followed by the family's fields. A family whose
// created time does not parse has no valid cap and is refused as
// 'notfound' (fail closed).
var rotateScript = redis.NewScript(`
local function addTime(s, dsec, dns)
  if type(s) ~= 'string' then return nil end
  local y, mo, d, h, mi, se, ns = string.match(s, '^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)%.(%d%d%d%d%d%d%d%d%d)Z$')
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local doe = yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy
  local days = era * 146097 + doe - 719468
  ns = tonumber(ns) + dns
  local sec = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(se) + dsec + math.floor(ns / 1000000000)
  ns = ns % 1000000000
  days = math.floor(sec / 86400)
  local rem = sec - days * 86400
  local z = days + 719468
  era = math.floor(z / 146097)
  doe = z - era * 146097
  yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
  doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  d = doy - math.floor((153 * mp + 2) / 5) + 1
  if mp < 10 then mo = mp + 3 else mo = mp - 9 end
  y = yoe + era * 400
  if mo <= 2 then y = y + 1 end
  if y > 9999 then return '9999-12-31T23:59:59.999999999Z' end
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%09dZ', y, mo, d,
    math.floor(rem / 3600), math.floor(rem % 3600 / 60), rem % 60, ns)
end
local now = ARGV[2]
local t = redis.call('HMGET', KEYS[1], 'fam', 'exp')
if not t[1] or not (now < t[2]) then return {'notfound'} end
local fk = ARGV[1] .. t[1]
if redis.call('EXISTS', fk) == 0 then return {'notfound'} end
local f = redis.call('HMGET', fk, 'rev', 'cur', 'created')
local status = 'ok'
if f[1] == '1' then
  status = 'revoked'
elseif f[2] ~= ARGV[3] then
  redis.call('HSET', fk, 'rev', '1')
  status = 'reused'
else
  local exp = ARGV[5]
  if ARGV[7] ~= '' then
    local cap = addTime(f[3], tonumber(ARGV[7]), tonumber(ARGV[8]))
    if not cap or not (now < cap) then return {'notfound'} end
    if cap < exp then exp = cap end
  end
  if redis.call('EXISTS', KEYS[2]) == 1 then return {'exists'} end
  redis.call('HSET', fk, 'cur', ARGV[4], 'exp', exp)
  redis.call('HSET', KEYS[2], 'fam', t[1], 'exp', exp)
  redis.call('PEXPIRE', KEYS[2], ARGV[6])
  if redis.call('PTTL', fk) < tonumber(ARGV[6]) then redis.call('PEXPIRE', fk, ARGV[6]) end
end
local out = redis.call('HGETALL', fk)
table.insert(out, 1, status)
return out
`)

// revokeFamilyScript marks a family revoked and returns its fields, or nil.
// KEYS: family.
var revokeFamilyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'rev', '1')
return redis.call('HGETALL', KEYS[1])
`)

// Create implements [issuer.RefreshStore].
func (r *Refresh) Create(ctx context.Context, f issuer.Family, rec issuer.RefreshRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	res, err := createFamilyScript.Run(ctx, r.s.client,
		[]string{r.s.key("fam:", f.ID), r.s.hashKey("rt:", rec.Hash)},
		f.ID, encTime(rec.ExpiresAt), refreshTTL(rec),
		"id", f.ID, "sub", f.Subject, "ten", f.Tenant, "cid", f.ClientID, "scp", encStrings(f.Scopes),
		"created", encTime(f.CreatedAt), "exp", encTime(rec.ExpiresAt), "rev", "0",
		"cur", hex.EncodeToString(rec.Hash[:]),
	).Text()
	if err != nil {
		return wrap("create family", err)
	}
	if res == "exists" {
		return issuer.ErrFamilyExists
	}
	return nil
}

// Lookup implements [issuer.RefreshStore].
func (r *Refresh) Lookup(ctx context.Context, hash [32]byte, now time.Time) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	reply, err := lookupRefreshScript.Run(ctx, r.s.client, []string{r.s.hashKey("rt:", hash)}, r.s.key("fam:", "")).Slice()
	if errors.Is(err, redis.Nil) {
		return issuer.Family{}, issuer.ErrRefreshNotFound
	}
	if err != nil {
		return issuer.Family{}, wrap("lookup refresh", err)
	}
	exp, _ := reply[0].(string)
	expires, err := decTime(exp)
	if err != nil {
		return issuer.Family{}, err
	}
	if !now.Before(expires) {
		return issuer.Family{}, issuer.ErrRefreshNotFound
	}
	return decodeFamily(reply[1:])
}

// Rotate implements [issuer.RefreshStore] in one Lua script.
func (r *Refresh) Rotate(ctx context.Context, oldHash [32]byte, next issuer.RefreshRecord) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	var maxAgeSec, maxAgeNsec string
	if next.MaxAge > 0 {
		maxAgeSec = strconv.FormatInt(int64(next.MaxAge/time.Second), 10)
		maxAgeNsec = strconv.FormatInt(int64(next.MaxAge%time.Second), 10)
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	reply, err := rotateScript.Run(ctx, r.s.client,
		[]string{r.s.hashKey("rt:", oldHash), r.s.hashKey("rt:", next.Hash)},
		r.s.key("fam:", ""), encTime(next.IssuedAt), hex.EncodeToString(oldHash[:]), hex.EncodeToString(next.Hash[:]),
		encTime(next.ExpiresAt), refreshTTL(next), maxAgeSec, maxAgeNsec,
	).Slice()
	if err != nil {
		return issuer.Family{}, wrap("rotate", err)
	}
	status, _ := reply[0].(string)
	switch status {
	case "notfound":
		return issuer.Family{}, issuer.ErrRefreshNotFound
	case "exists":
		return issuer.Family{}, issuer.ErrFamilyExists
	}
	f, err := decodeFamily(reply[1:])
	if err != nil {
		return issuer.Family{}, err
	}
	switch status {
	case "ok":
		return f, nil
	case "revoked":
		return f, issuer.ErrFamilyRevoked
	case "reused":
		return f, issuer.ErrRefreshReused
	}
	return issuer.Family{}, wrap("rotate", errReply)
}

// RevokeFamily implements [issuer.RefreshStore].
func (r *Refresh) RevokeFamily(ctx context.Context, id string) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	reply, err := revokeFamilyScript.Run(ctx, r.s.client, []string{r.s.key("fam:", id)}).Slice()
	if errors.Is(err, redis.Nil) {
		return issuer.Family{}, issuer.ErrFamilyNotFound
	}
	if err != nil {
		return issuer.Family{}, wrap("revoke family", err)
	}
	return decodeFamily(reply)
}

// refreshTTL is how long Redis keeps rec's keys, in ms: its lifetime, on
// the caller's clock, plus refreshSlack.
func refreshTTL(rec issuer.RefreshRecord) int64 {
	return max(rec.ExpiresAt.Sub(rec.IssuedAt), 0).Milliseconds() + refreshSlack.Milliseconds()
}

// decodeFamily builds a Family from its hash fields.
func decodeFamily(reply []any) (issuer.Family, error) {
	m := fields(reply)
	f := issuer.Family{
		ID:      m["id"],
		Session: issuer.Session{Subject: m["sub"], Tenant: m["ten"], ClientID: m["cid"]},
		Revoked: m["rev"] == "1",
	}
	var err error
	if f.Scopes, err = decStrings(m["scp"]); err != nil {
		return issuer.Family{}, err
	}
	if err = timeFields(m, map[string]*time.Time{"created": &f.CreatedAt, "exp": &f.ExpiresAt}); err != nil {
		return issuer.Family{}, err
	}
	return f, nil
}

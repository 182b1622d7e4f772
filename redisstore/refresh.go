package redisstore

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/issuer"
)

// refreshSlack keeps refresh keys a minute past their expiry, so that a
// token presented just after it (by a clock slightly behind) still finds
// its record and is refused as expired, not unknown.
const refreshSlack = time.Minute

// Refresh is the Redis [issuer.RefreshStore]. Each family is one hash,
// "<prefix>rf:{<family id>}", whose hash tag puts it in a Redis Cluster
// slot of its own: families spread over every slot, and every method
// touches one key, named before the call (the issuer reads the family id
// from the presented token). The hash holds the session (id, sub, ten,
// cid, scp, created), the current token's expiry (exp), the revoked flag
// (rev), the thumbprint of the DPoP key a bound family is bound to (jkt,
// only when set: issuer.Family.JKT), the SHA-256 of the current token (cur, 32 raw bytes), a ring of
// the issuer.RefreshRing tokens rotated last (r0…r15: a SHA-256 and its
// token's expiry, 62 bytes, written round-robin at ri) and the state of
// the reuse grace and of repeated calls (gp, rot, gu, par: see
// rotateScript), so a family costs the
// same memory after a thousand rotations as after sixteen. The
// family's access tokens are not listed: the issuer revokes them all
// through their "sid" (see issuer.Family).
//
// Rotate is one Lua script that checks the presented hash against the
// current token and the ring and either rotates (capping the new token's
// expiry at the family's absolute lifetime, RefreshRecord.MaxAge, and
// refusing past it; rotating once more for the one retry the reuse grace,
// RefreshRecord.ReuseGrace, allows), reports the revoked family, or — for
// a token that was already rotated — revokes the family in the same step: two instances
// rotating one token at once have exactly one winner, and the loser's
// attempt counts as reuse. The key expires a minute after the family's
// newest token (after next.ExpiresAt when the cap shortened a token: the
// key outlives it, refused as expired, by at most RefreshTTL). Every
// method is one round trip; while Redis is unreachable they fail and the
// issuer answers 503. It is safe for concurrent use.
type Refresh struct{ s *Store }

var _ issuer.RefreshStore = (*Refresh)(nil)

// familyFields are the session fields of a family hash, in the order the
// scripts return them after their status.
var familyFields = []any{"id", "sub", "ten", "cid", "scp", "created", "exp", "rev", "jkt"}

// hmgetFamily is the Lua call reading familyFields of KEYS[1], written
// once for the scripts that return a family.
var hmgetFamily = func() string {
	var b strings.Builder
	b.WriteString("redis.call('HMGET', KEYS[1]")
	for _, f := range familyFields {
		b.WriteString(", '" + f.(string) + "'")
	}
	return b.String() + ")"
}()

// createFamilyScript stores a family and its first token. KEYS: family.
// ARGV: TTL (ms), then the family's field/value pairs.
var createFamilyScript = newScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 'ok'
`)

// rotateScript is Rotate, atomically. KEYS: family. ARGV: now, old hash,
// new hash (raw bytes), new expiry, TTL (ms), the family's maximum age as
// whole seconds and nanoseconds ("" and "" for none), the ring size, and
// the reuse grace as whole seconds and nanoseconds ("" and "" for none).
// Times are in timeLayout, so they compare as strings; the cap (the
// family's created time plus its maximum age) and the grace's end (the
// last rotation's time, rot, plus the grace) are the sums the script
// computes, through days since the epoch, since only the script sees the
// times they start from. The fields gp, rot and gu are the token the last
// rotation that was not a grace rotation replaced, its time, and whether
// a grace rotation used it; par is the token the last rotation replaced,
// so that the same call repeated is recognised. It returns a status ('ok', 'revoked', 'reused',
// 'notfound', 'exists') followed by the family's fields (familyFields). A
// family whose created time does not parse has no valid cap and is refused
// as 'notfound' (fail closed).
var rotateScript = newScript(`
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
local now, old, new = ARGV[1], ARGV[2], ARGV[3]
local f = redis.call('HMGET', KEYS[1], 'rev', 'cur', 'exp', 'created', 'ri', 'gp', 'rot', 'gu', 'par')
if not f[2] then return {'notfound'} end
local size = tonumber(ARGV[8])
local names = {}
for k = 0, size - 1 do names[k + 1] = 'r' .. k end
local ring = redis.call('HMGET', KEYS[1], unpack(names))
local current = f[2] == old
if current then
  if not (now < f[3]) then return {'notfound'} end
else
  local known = false
  for k = 1, size do
    local e = ring[k]
    if e and string.sub(e, 1, 32) == old then
      if not (now < string.sub(e, 33)) then return {'notfound'} end
      known = true
      break
    end
  end
  if not known then return {'notfound'} end
end
local grace = false
if not current and ARGV[9] ~= '' and f[8] ~= '1' and f[6] == old then
  local deadline = addTime(f[7], tonumber(ARGV[9]), tonumber(ARGV[10]))
  grace = deadline ~= nil and now < deadline
end
local status = 'ok'
if f[1] == '1' then
  status = 'revoked'
elseif not current and new == f[2] and old == f[9] then
  -- this very rotation, repeated: the family as it is
elseif not current and not grace then
  redis.call('HSET', KEYS[1], 'rev', '1')
  status = 'reused'
else
  local exp = ARGV[4]
  if ARGV[6] ~= '' then
    local cap = addTime(f[4], tonumber(ARGV[6]), tonumber(ARGV[7]))
    if not cap or not (now < cap) then return {'notfound'} end
    if cap < exp then exp = cap end
  end
  if new == f[2] then return {'exists'} end
  for k = 1, size do
    if ring[k] and string.sub(ring[k], 1, 32) == new then return {'exists'} end
  end
  local ri = tonumber(f[5]) or 0
  redis.call('HSET', KEYS[1], 'r' .. ri, f[2] .. f[3], 'ri', (ri + 1) % size, 'cur', new, 'exp', exp, 'par', old)
  if grace then
    redis.call('HSET', KEYS[1], 'gu', '1')
  else
    redis.call('HSET', KEYS[1], 'gp', old, 'rot', now, 'gu', '0')
  end
  if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[5]) then redis.call('PEXPIRE', KEYS[1], ARGV[5]) end
end
local out = ` + hmgetFamily + `
table.insert(out, 1, status)
return out
`)

// revokeFamilyScript marks a family revoked and returns its fields
// (familyFields), or nil. KEYS: family.
var revokeFamilyScript = newScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
redis.call('HSET', KEYS[1], 'rev', '1')
return ` + hmgetFamily + `
`)

// familyKey is the key of family id: "<prefix>rf:{<id>}".
func (r *Refresh) familyKey(id string) string {
	return r.s.prefix + "rf:{" + id + "}"
}

// Create implements [issuer.RefreshStore].
func (r *Refresh) Create(ctx context.Context, f issuer.Family, rec issuer.RefreshRecord) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	args := []any{refreshTTL(rec),
		"id", f.ID, "sub", f.Subject, "ten", f.Tenant, "cid", f.ClientID, "scp", encStrings(f.Scopes),
		"created", encTime(f.CreatedAt), "exp", encTime(rec.ExpiresAt), "rev", "0",
		"cur", string(rec.Hash[:]), "ri", "0",
	}
	if f.JKT != "" {
		args = append(args, "jkt", f.JKT) // the binding, when there is one
	}
	res, err := createFamilyScript.Run(ctx, r.s.client, []string{r.familyKey(f.ID)}, args...).Text()
	if err != nil {
		return wrap("create family", err)
	}
	if res == "exists" {
		return issuer.ErrFamilyExists
	}
	return nil
}

// lookupFields are the fields Lookup reads: familyFields, the current
// token and the ring.
var lookupFields = func() []string {
	names := make([]string, 0, len(familyFields)+1+issuer.RefreshRing)
	for _, f := range familyFields {
		names = append(names, f.(string))
	}
	names = append(names, "cur")
	for k := range issuer.RefreshRing {
		names = append(names, "r"+strconv.Itoa(k))
	}
	return names
}()

// Lookup implements [issuer.RefreshStore] with one HMGET.
func (r *Refresh) Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	vals, err := r.s.client.HMGet(ctx, r.familyKey(familyID), lookupFields...).Result()
	if err != nil {
		return issuer.Family{}, wrap("lookup refresh", err)
	}
	if len(vals) != len(lookupFields) {
		return issuer.Family{}, wrap("lookup refresh", errReply)
	}
	cur, ok := vals[len(familyFields)].(string)
	if !ok {
		return issuer.Family{}, issuer.ErrRefreshNotFound
	}
	f, err := decodeFamily(vals[:len(familyFields)])
	if err != nil {
		return issuer.Family{}, err
	}
	expires, found := f.ExpiresAt, cur == string(hash[:])
	for _, v := range vals[len(familyFields)+1:] {
		if found {
			break
		}
		if e, _ := v.(string); len(e) > 32 && e[:32] == string(hash[:]) {
			if expires, err = decTime(e[32:]); err != nil {
				return issuer.Family{}, err
			}
			found = true
		}
	}
	if !found || !now.Before(expires) {
		return issuer.Family{}, issuer.ErrRefreshNotFound
	}
	return f, nil
}

// Rotate implements [issuer.RefreshStore] in one Lua script. When it finds
// a reused token and revokes the family, with Config.MinReplicas it waits
// for that many replicas to acknowledge the revocation, and otherwise
// fails with an error wrapping [ErrNotReplicated] rather than
// [issuer.ErrRefreshReused] (the family was revoked on the master, and is
// returned): a failover could undo a revocation no replica has.
func (r *Refresh) Rotate(ctx context.Context, oldHash [32]byte, next issuer.RefreshRecord) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	maxAgeSec, maxAgeNsec := secNsec(next.MaxAge)
	graceSec, graceNsec := secNsec(next.ReuseGrace)
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	reply, err := rotateScript.Run(ctx, r.s.client, []string{r.familyKey(next.FamilyID)},
		encTime(next.IssuedAt), string(oldHash[:]), string(next.Hash[:]),
		encTime(next.ExpiresAt), refreshTTL(next), maxAgeSec, maxAgeNsec, issuer.RefreshRing,
		graceSec, graceNsec,
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
		if r.s.minReplicas > 0 {
			// The script revoked the family on a connection that
			// cannot be told to WAIT: the revocation is written again
			// with a WAIT after it, which covers the first write too.
			if err := r.s.runScript(ctx, revokeFamilyScript, []string{r.familyKey(next.FamilyID)}).Err(); err != nil {
				return f, wrap("rotate", err)
			}
		}
		return f, issuer.ErrRefreshReused
	}
	return issuer.Family{}, wrap("rotate", errReply)
}

// RevokeFamily implements [issuer.RefreshStore]. With Config.MinReplicas
// it waits for that many replicas to acknowledge the revocation, and
// otherwise fails with an error wrapping [ErrNotReplicated] (the family
// was revoked on the master).
func (r *Refresh) RevokeFamily(ctx context.Context, id string) (issuer.Family, error) {
	if err := ctx.Err(); err != nil {
		return issuer.Family{}, err
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	reply, err := r.s.runScript(ctx, revokeFamilyScript, []string{r.familyKey(id)}).Slice()
	if errors.Is(err, redis.Nil) {
		return issuer.Family{}, issuer.ErrRefreshNotFound
	}
	if err != nil {
		return issuer.Family{}, wrap("revoke family", err)
	}
	return decodeFamily(reply)
}

// secNsec splits a positive d into whole seconds and nanoseconds, as
// script arguments; "" and "" for zero or less.
func secNsec(d time.Duration) (string, string) {
	if d <= 0 {
		return "", ""
	}
	return strconv.FormatInt(int64(d/time.Second), 10), strconv.FormatInt(int64(d%time.Second), 10)
}

// refreshTTL is how long Redis keeps rec's keys, in ms: its lifetime, on
// the caller's clock, plus refreshSlack.
func refreshTTL(rec issuer.RefreshRecord) int64 {
	return max(rec.ExpiresAt.Sub(rec.IssuedAt), 0).Milliseconds() + refreshSlack.Milliseconds()
}

// decodeFamily builds a Family from its fields' values, in the order of
// familyFields.
func decodeFamily(vals []any) (issuer.Family, error) {
	if len(vals) != len(familyFields) {
		return issuer.Family{}, wrap("family", errReply)
	}
	m := make(map[string]string, len(familyFields))
	for k, name := range familyFields {
		v, _ := vals[k].(string)
		m[name.(string)] = v
	}
	f := issuer.Family{
		ID:      m["id"],
		Session: issuer.Session{Subject: m["sub"], Tenant: m["ten"], ClientID: m["cid"]},
		Revoked: m["rev"] == "1",
		JKT:     m["jkt"],
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

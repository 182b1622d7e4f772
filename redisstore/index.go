package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// An id index is a string key from a record's ID to the hex SHA-256 under
// which the record itself is stored (opaque tokens, API keys). The record
// is found by its hash on the hot path, and by its ID to revoke, touch or
// delete it; the two keys hash to different slots of a Redis Cluster, so no
// script touches both. Instead, every writer orders its steps so that a
// record is never stored without an index pointing at it: the index is
// claimed first and released last, and a record is changed by ID only
// after checking that it still carries that ID. An interrupted write can
// leave an index without its record, which refuses the ID to other records
// (a duplicate) until Delete of that ID, or the index's TTL, removes it.

// indexSlack keeps an id index this much longer than its record, so that a
// record that still exists can always be reached by its ID.
const indexSlack = time.Minute

// claimIndexScript points an id index at a record. KEYS: the index. ARGV:
// hex hash, TTL in ms (0: none), mode. It returns 'new' when it created
// the index (with that TTL), 'dup' when the index points at another
// record (and changes nothing), or 'same' when the index already pointed
// at the hash. Then, in mode 'set', the index's TTL is set again (a
// record replaced under its hash and ID carries the new TTL); in mode
// 'extend' it is only ever lengthened — kept when it already lasts at
// least that long, removed for a TTL of 0 — so that a claim for a record
// that turns out to be a duplicate never shortens the index of the record
// stored (which would leave that record unreachable by its ID), while a
// record created after an interrupted Put is still covered.
var claimIndexScript = newScript(`
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 'dup' end
local ms = tonumber(ARGV[2])
if cur and ARGV[3] == 'extend' then
  if ms == 0 then
    redis.call('PERSIST', KEYS[1])
  else
    local left = redis.call('PTTL', KEYS[1])
    if left >= 0 and left < ms then redis.call('PEXPIRE', KEYS[1], ms) end
  end
  return 'same'
end
if ms > 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
else
  redis.call('SET', KEYS[1], ARGV[1])
end
if cur then return 'same' end
return 'new'
`)

// releaseIndexScript deletes an id index if it still points at a record.
// KEYS: the index. ARGV: hex hash.
var releaseIndexScript = newScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
`)

// The modes of claimIndex for an index that already points at the hash:
// set its TTL again (a record replaced under the same hash), or only
// lengthen it (a record created only if absent, which may be a
// duplicate).
const (
	claimSet    = "set"
	claimExtend = "extend"
)

// claimIndex runs claimIndexScript in mode (claimSet or claimExtend); ttl
// 0 means none, otherwise the index lives indexSlack longer than ttl (or
// the largest Duration, for a ttl that close to it).
func (s *Store) claimIndex(ctx context.Context, index, hash string, ttl time.Duration, mode string) (string, error) {
	ms := int64(0)
	if ttl > 0 {
		ms = addTTL(ttl, indexSlack).Milliseconds()
	}
	return claimIndexScript.Run(ctx, s.client, []string{index}, hash, ms, mode).Text()
}

// releaseIndex runs releaseIndexScript.
func (s *Store) releaseIndex(ctx context.Context, index, hash string) error {
	return releaseIndexScript.Run(ctx, s.client, []string{index}, hash).Err()
}

// lookupIndex returns the hash an id index points at, or "" when there is
// none.
func (s *Store) lookupIndex(ctx context.Context, index string) (string, error) {
	h, err := s.client.Get(ctx, index).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return h, err
}

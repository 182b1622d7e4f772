package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// counterSlack keeps counter keys a little past the moment their state
// stops mattering, so that instances whose clocks differ slightly still
// see it.
const counterSlack = 5 * time.Second

// nowArg is the time argument of the counter scripts: the caller's time
// in Unix microseconds, or "" for the Redis server's clock.
func (s *Store) nowArg(now time.Time) string {
	if s.server {
		return ""
	}
	return strconv.FormatInt(now.UnixMicro(), 10)
}

// scriptNow is the Lua preamble that sets now (µs) from ARGV[1].
const scriptNow = `
local now
if ARGV[1] == '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
else
  now = tonumber(ARGV[1])
end
`

// RateLimit is the Redis [ratelimit.Store]: the Generic Cell Rate
// Algorithm, the token bucket written as one "theoretical arrival time"
// per key ("<prefix>rl:<key>"), charged by a Lua script so that every
// instance draws from the same bucket. Its results — capacity, remaining
// requests, Retry-After as the time to the next token, reset as the time
// to a full bucket — are those of ratelimit.MemoryStore, so the Limiter
// sends the same 429 and headers. When a key's limit changes, the bucket
// keeps its level, never emptier than empty under the new limit. A key
// disappears from Redis once its bucket has refilled. One EVALSHA per
// request; while Redis is unreachable Take fails and the Limiter answers
// 503. It is safe for concurrent use.
type RateLimit struct{ s *Store }

var _ ratelimit.Store = (*RateLimit)(nil)

// gcraScript charges one request. KEYS: the bucket. ARGV: now (µs or ""),
// period (µs), events, capacity, slack (ms). It returns allowed (0/1),
// remaining, retry-after (µs) and reset-after (µs). Times are µs in
// doubles: absolute ones are exact integers, and comparisons allow 1 µs
// for rounding.
var gcraScript = newScript(scriptNow + `
local interval = tonumber(ARGV[2]) / tonumber(ARGV[3])
local cap = tonumber(ARGV[4])
local burst = cap * interval
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat < now then tat = now end
if tat > now + burst then tat = now + burst end
local newtat = tat + interval
local allowed, retry = 0, 0
if newtat - now <= burst + 1 then
  allowed = 1
  tat = newtat
  redis.call('SET', KEYS[1], string.format('%.3f', tat), 'PX', math.ceil((tat - now) / 1000) + tonumber(ARGV[5]))
else
  retry = newtat - now - burst
end
local reset = tat - now
local remaining = math.floor((burst - reset + 1) / interval)
if remaining < 0 then remaining = 0 end
return {allowed, remaining, math.ceil(retry), math.ceil(reset)}
`)

// Take implements [ratelimit.Store].
func (r *RateLimit) Take(ctx context.Context, key string, limit ratelimit.Limit, now time.Time) (ratelimit.Result, error) {
	if err := limit.Validate(); err != nil {
		return ratelimit.Result{}, err
	}
	capacity := limit.Capacity()
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	v, err := gcraScript.Run(ctx, r.s.client, []string{r.s.key("rl:", key)},
		r.s.nowArg(now), limit.Period.Microseconds(), limit.Events, capacity, counterSlack.Milliseconds(),
	).Int64Slice()
	if err != nil {
		return ratelimit.Result{}, wrap("take", err)
	}
	if len(v) != 4 {
		return ratelimit.Result{}, wrap("take", errReply)
	}
	return ratelimit.Result{
		Allowed:    v[0] == 1,
		Limit:      capacity,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
		ResetAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}

// Failures is the Redis [ratelimit.FailureStore] for
// ratelimit.FailureThrottle: per key one hash ("<prefix>fail:<key>") with
// the count (n), the end of its window (reset), opened by the first
// failure, and one field per attempt of the window ("a:<id>": "1" while
// counted, "0" once taken back before it was counted), so that a write
// whose reply was lost can be repeated or taken back by id. Redis drops
// the key after the window, or when RemoveFailure takes its count to zero
// and no taken-back mark is left; a key holding only marks expires
// ratelimit.TakeBackMemory after the last. Each method is one round trip
// (one script, or DEL) on one key and counts exactly under concurrency
// across instances, so the throttle's count-then-check reservation holds
// fleet-wide; the batches of [ratelimit.FailureBatcher] (AddFailures,
// SettleFailures) send those of several keys in one pipeline. While Redis is unreachable its methods fail and the
// throttle answers 503 (and takes its attempts back once Redis answers).
// It is safe for concurrent use.
type Failures struct{ s *Store }

var _ ratelimit.FailureStore = (*Failures)(nil)

// failuresScript reads (ARGV[2] empty) or counts an attempt (ARGV[2] the
// window in µs). KEYS: the counter. ARGV: now, window, slack (ms), the
// attempt's field. It returns the count and the window's end (µs), or 0,
// 0. An attempt already counted or taken back changes nothing. A new
// window drops the previous window's attempts and keeps the taken-back
// marks.
var failuresScript = newScript(scriptNow + `
local v = redis.call('HMGET', KEYS[1], 'n', 'reset')
local n = tonumber(v[1]) or 0
local reset = tonumber(v[2]) or 0
local open = now < reset and n > 0
if ARGV[2] == '' or redis.call('HEXISTS', KEYS[1], ARGV[4]) == 1 then
  if not open then return {0, 0} end
  return {n, reset}
end
if not open then
  local all = redis.call('HGETALL', KEYS[1])
  for i = 1, #all, 2 do
    if all[i + 1] ~= '0' then redis.call('HDEL', KEYS[1], all[i]) end
  end
  n = 0
  reset = now + tonumber(ARGV[2])
end
n = n + 1
redis.call('HSET', KEYS[1], 'n', string.format('%d', n), 'reset', string.format('%d', reset), ARGV[4], '1')
local ttl = math.ceil((reset - now) / 1000) + tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return {n, reset}
`)

// Failures implements [ratelimit.FailureStore].
func (f *Failures) Failures(ctx context.Context, key string, now time.Time) (int, time.Time, error) {
	return f.run(ctx, "failures", key, now, "", "")
}

// AddFailure implements [ratelimit.FailureStore].
func (f *Failures) AddFailure(ctx context.Context, key, attempt string, window time.Duration, now time.Time) (int, time.Time, error) {
	return f.run(ctx, "add failure", key, now, strconv.FormatInt(max(window.Microseconds(), 1), 10), attempt)
}

// removeFailureScript takes back an attempt. KEYS: the counter. ARGV: now
// (µs or ""), the attempt's field, how long a taken-back mark lasts (ms).
// A counted attempt is dropped (and uncounted if its window is open); a
// count reaching zero deletes the key unless marks remain. An attempt not
// counted yet is marked taken back.
var removeFailureScript = newScript(scriptNow + `
local state = redis.call('HGET', KEYS[1], ARGV[2])
if state == '0' then return 0 end
if state == '1' then
  redis.call('HDEL', KEYS[1], ARGV[2])
  local v = redis.call('HMGET', KEYS[1], 'n', 'reset')
  local n = tonumber(v[1]) or 0
  if now >= (tonumber(v[2]) or 0) or n <= 0 then return 0 end
  n = n - 1
  if n == 0 and redis.call('HLEN', KEYS[1]) <= 2 then
    redis.call('DEL', KEYS[1])
    return 0
  end
  redis.call('HSET', KEYS[1], 'n', string.format('%d', n))
  return n
end
redis.call('HSET', KEYS[1], ARGV[2], '0')
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 0
`)

// RemoveFailure implements [ratelimit.FailureStore].
func (f *Failures) RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error {
	ctx, cancel := f.s.ctx(ctx)
	defer cancel()
	err := removeFailureScript.Run(ctx, f.s.client, []string{f.s.key("fail:", key)},
		f.s.nowArg(now), "a:"+attempt, ratelimit.TakeBackMemory.Milliseconds()).Err()
	return wrap("remove failure", err)
}

// ResetFailures implements [ratelimit.FailureStore].
func (f *Failures) ResetFailures(ctx context.Context, key string) error {
	ctx, cancel := f.s.ctx(ctx)
	defer cancel()
	return wrap("reset failures", f.s.client.Del(ctx, f.s.key("fail:", key)).Err())
}

func (f *Failures) run(ctx context.Context, op, key string, now time.Time, window, attempt string) (int, time.Time, error) {
	ctx, cancel := f.s.ctx(ctx)
	defer cancel()
	v, err := failuresScript.Run(ctx, f.s.client, []string{f.s.key("fail:", key)},
		f.s.nowArg(now), window, counterSlack.Milliseconds(), "a:"+attempt).Int64Slice()
	if err != nil {
		return 0, time.Time{}, wrap(op, err)
	}
	if len(v) != 2 {
		return 0, time.Time{}, wrap(op, errReply)
	}
	if v[0] == 0 {
		return 0, time.Time{}, nil
	}
	return int(v[0]), time.UnixMicro(v[1]), nil
}

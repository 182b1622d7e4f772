package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// Replay is the Redis [tokenendpoint.ReplayStore]: single-use keys such as the
// notificationKey of a jwt-bearer assertion, one SET NX PX per use, so of
// many concurrent uses of one pair on any number of instances exactly one
// is fresh. The pair is stored under the SHA-256 of its length-prefixed
// encoding ("<prefix>replay:<hex>"), which keeps key names short and pairs
// unambiguous. The use and the epoch record of its slot are checked in one
// script, so a use spent before Redis lost its data is never called fresh
// again (see [Store.Establish]): with the epoch record missing, Use fails
// with [ErrStateLost]; and while the epoch is younger than the ttl asked
// for (Redis's clock, TIME, against the epoch's start, which Establish
// takes from the Store's clock), Use fails with an error wrapping
// ErrStateLost too, since a key spent before the loss would still be alive
// had Redis kept it. So after Establish writes a new epoch record — after
// a loss, and on a Redis's first start — single-use keys are refused for
// one ttl (the token endpoint's AssertionWindow + AssertionLeeway and a
// margin, for jwt-bearer assertions; the DPoP verifier's proof lifetime,
// for DPoP proofs), and those requests answer 503. While Redis is
// unreachable Use fails (the token endpoint answers 503). It is safe for
// concurrent use.
type Replay struct{ s *Store }

var _ tokenendpoint.ReplayStore = (*Replay)(nil)

// Use implements [tokenendpoint.ReplayStore]. The key lives ttl, at least
// 1 ms. It fails with an error wrapping [ErrStateLost] while its slot's
// epoch record is missing or younger than ttl (see [Replay]).
func (r *Replay) Use(ctx context.Context, clientID, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, tokenendpoint.ErrReplayTTL
	}
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(clientID)))])
	h.Write([]byte(clientID))
	h.Write([]byte(key))
	var sum [32]byte
	h.Sum(sum[:0])
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	k := r.s.hashKey("replay:", sum)
	ms := max(ttl, time.Millisecond).Milliseconds()
	res, err := useScript.Run(ctx, r.s.client, []string{k, r.s.epochKey(k)}, ms).Int64()
	switch {
	case err != nil:
		return false, wrap("use", err)
	case res == useNoEpoch:
		return false, wrap("use", ErrStateLost)
	case res == useCorruptEpoch:
		return false, wrap("use", errCorruptEpoch)
	case res < 0:
		// -res is how long, in ms, the epoch has yet to run before it is
		// ttl old.
		return false, wrap("use", &youngEpochError{ttl: time.Duration(ms) * time.Millisecond, left: time.Duration(-res) * time.Millisecond})
	}
	return res == 1, nil
}

// The replies of useScript that are neither 1 (fresh) nor 0 (used), and
// not a negative wait (whose magnitude, in ms, is at most the largest
// Duration's, below 2^44): numbers exact in a Lua double.
const (
	useNoEpoch      = -(1 << 50)
	useCorruptEpoch = useNoEpoch - 1
)

// useScript marks KEYS[1] used for ARGV[1] ms unless it is, and unless the
// epoch KEYS[2] (the record of KEYS[1]'s slot: a Unix time in ns) is
// missing or younger than ARGV[1] ms on Redis's clock, since a use
// recorded before Redis lost its data may be gone while it would still be
// alive. It returns 1 when the key was fresh, 0 when it was used,
// useNoEpoch or useCorruptEpoch, or minus the ms for which the epoch is
// still too young (at least 1).
var useScript = newScript(`
local e = redis.call('GET', KEYS[2])
if not e then return ` + strconv.FormatInt(useNoEpoch, 10) + ` end
local epoch = tonumber(e)
if not epoch then return ` + strconv.FormatInt(useCorruptEpoch, 10) + ` end
local t = redis.call('TIME')
local age = (tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)) - math.floor(epoch / 1000000)
local ttl = tonumber(ARGV[1])
if age < ttl then return age - ttl end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`)

// A youngEpochError is Use's error while the epoch is younger than the
// key's ttl. It wraps ErrStateLost.
type youngEpochError struct{ ttl, left time.Duration }

func (e *youngEpochError) Error() string {
	return fmt.Sprintf("redisstore: the epoch began less than the single-use key's ttl (%v) ago, and a use spent before Redis lost its data may have been lost with it: keys with this ttl are refused for another %v", e.ttl, e.left)
}

func (e *youngEpochError) Unwrap() error { return ErrStateLost }

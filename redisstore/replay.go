package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"time"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// Replay is the Redis [tokenendpoint.ReplayStore]: single-use keys such as the
// notificationKey of a jwt-bearer assertion, one SET NX PX per use, so of
// many concurrent uses of one pair on any number of instances exactly one
// is fresh. The pair is stored under the SHA-256 of its length-prefixed
// encoding ("<prefix>replay:<hex>"), which keeps key names short and pairs
// unambiguous. The use and the epoch record of its slot are checked in one
// script: with the epoch record missing (Redis lost its data, see
// [Store.Establish]) Use fails with [ErrStateLost] rather than call a
// replayed key fresh. While Redis is unreachable Use fails (the token
// endpoint answers 503). It is safe for concurrent use.
type Replay struct{ s *Store }

var _ tokenendpoint.ReplayStore = (*Replay)(nil)

// Use implements [tokenendpoint.ReplayStore]. The key lives ttl, at least 1 ms.
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
	res, err := useScript.Run(ctx, r.s.client, []string{k, r.s.epochKey(k)}, max(ttl, time.Millisecond).Milliseconds()).Int()
	switch {
	case err != nil:
		return false, wrap("use", err)
	case res < 0:
		return false, wrap("use", ErrStateLost)
	}
	return res == 1, nil
}

// useScript marks KEYS[1] used for ARGV[1] ms unless it is: 1 when it was
// fresh, 0 when it was used, -1 when the epoch record KEYS[2] is missing
// (a use recorded before Redis lost its data may be gone).
var useScript = newScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return 1 end
return 0
`)

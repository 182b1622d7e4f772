package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/bearer/issuer"
)

// Replay is the Redis [issuer.ReplayStore]: single-use keys such as the
// notificationKey of a jwt-bearer assertion, one SET NX PX per use, so of
// many concurrent uses of one pair on any number of instances exactly one
// is fresh. The pair is stored under the SHA-256 of its length-prefixed
// encoding ("<prefix>replay:<hex>"), which keeps key names short and pairs
// unambiguous. While Redis is unreachable Use fails (the token endpoint
// answers 503). It is safe for concurrent use.
type Replay struct{ s *Store }

var _ issuer.ReplayStore = (*Replay)(nil)

// Use implements [issuer.ReplayStore]. The key lives ttl, at least 1 ms.
func (r *Replay) Use(ctx context.Context, clientID, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, issuer.ErrReplayTTL
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
	err := r.s.client.SetArgs(ctx, r.s.hashKey("replay:", sum), "1", redis.SetArgs{Mode: "NX", TTL: max(ttl, time.Millisecond)}).Err()
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, redis.Nil):
		return false, nil
	}
	return false, wrap("use", err)
}

package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// Revocations is the Redis [bearer.MultiRevocationStore], which is also the
// issuer's Revoker: one key per revoked id ("<prefix>rev:<jti>", or
// "<prefix>rev:sid:<sid>" for a whole session), expiring at the token's
// expiry plus bearer.MaxLeeway. IsRevoked is one EXISTS, and so is
// RevokedAny for a token's jti and session together: a single round trip on
// every authenticated request, cache hits included. Its methods fail (and
// the middleware answers 503) while Redis is unreachable. It is safe for
// concurrent use.
type Revocations struct{ s *Store }

var _ bearer.MultiRevocationStore = (*Revocations)(nil)

var errEmptyJTI = errors.New("redisstore: empty token id")

// revokeScript sets KEYS[1], keeping the later of its current expiry and
// ARGV[1] milliseconds (0: forever).
var revokeScript = redis.NewScript(`
local ttl = tonumber(ARGV[1])
if ttl == 0 then
  redis.call('SET', KEYS[1], '1')
  return 1
end
local cur = redis.call('PTTL', KEYS[1])
if cur == -1 then return 1 end
if cur < ttl then redis.call('SET', KEYS[1], '1', 'PX', ttl) end
return 1
`)

// Revoke implements [bearer.RevocationStore]: jti stays revoked until
// until+MaxLeeway (forever when until is zero); revoking again keeps the
// later expiry.
func (r *Revocations) Revoke(ctx context.Context, jti string, until time.Time) error {
	if jti == "" {
		return errEmptyJTI
	}
	var ms int64
	if !until.IsZero() {
		ms = max(r.s.ttl(until.Add(bearer.MaxLeeway), 0).Milliseconds(), 1000)
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	return wrap("revoke", revokeScript.Run(ctx, r.s.client, []string{r.s.key("rev:", jti)}, ms).Err())
}

// IsRevoked implements [bearer.RevocationStore] with one EXISTS.
func (r *Revocations) IsRevoked(ctx context.Context, jti string) (bool, error) {
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	n, err := r.s.client.Exists(ctx, r.s.key("rev:", jti)).Result()
	if err != nil {
		return false, wrap("is revoked", err)
	}
	return n == 1, nil
}

// RevokedAny implements [bearer.MultiRevocationStore] with one EXISTS over
// every id's key: one round trip however many ids.
func (r *Revocations) RevokedAny(ctx context.Context, ids ...string) (bool, error) {
	switch len(ids) {
	case 0:
		return false, nil
	case 1:
		return r.IsRevoked(ctx, ids[0])
	}
	var buf [2]string
	keys := buf[:0]
	for _, id := range ids {
		keys = append(keys, r.s.key("rev:", id))
	}
	ctx, cancel := r.s.ctx(ctx)
	defer cancel()
	n, err := r.s.client.Exists(ctx, keys...).Result()
	if err != nil {
		return false, wrap("revoked any", err)
	}
	return n > 0, nil
}

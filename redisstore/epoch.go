package redisstore

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStateLost is wrapped by the errors of the stores whose missing keys
// would widen access (revocations, allowlists, replay keys) when Redis no
// longer holds gatehouse's epoch record for the keys they read: Redis was
// emptied (FLUSHALL, a restart without persistence, a master that came
// back empty) and a missing revocation or allowlist can no longer be told
// from one that never existed. The middleware answers 503 until an
// operator re-seeds what the application keeps in Redis (allowlists,
// accounts, API keys) and calls [Store.Establish]. [Replay.Use] also
// fails with an error wrapping it for one ttl after Establish wrote a new
// record, while a key spent before the loss would still be alive.
var ErrStateLost = errors.New("redisstore: Redis lost gatehouse's state (epoch record missing); re-seed it and call Store.Establish")

// epochKey returns the key of the epoch record that shares key's hash
// slot. On a single node (or Sentinel) there is one record; on a cluster
// there is one per hash slot, so that a command reading key reads its
// epoch in the same step.
func (s *Store) epochKey(key string) string {
	if !s.cluster {
		return s.epoch
	}
	return epochSlotKey(s.prefix, keySlot(key))
}

// epochSlotKey returns the key of the epoch record of a cluster's hash
// slot, under prefix.
func epochSlotKey(prefix string, slot int) string {
	return prefix + "epoch:{" + slotTag(slot) + "}"
}

// Establish writes the epoch records that are missing and keeps those
// that exist: run it once the state the application keeps in Redis is in
// place — at every start, after seeding, is right — and after a loss of
// data, once that state is seeded again. Until then the stores that guard
// access fail with [ErrStateLost].
//
// A new record holds the next whole second, and Establish waits for it
// (at most a second) before it writes: the revocation store refuses every
// token issued before that second ("iat" earlier than it), since a
// revocation made before the loss may be gone, while tokens issued from
// it on — after Establish returns — pass. The replay store refuses every
// single-use key while the epoch is younger than the key's ttl (see
// [Replay]). On a cluster it writes one record per hash slot, 16,384 SET
// NX in one pipeline per node. It then tells the local copy of every
// Store on the same prefix (see [LocalCache]) to drop all it holds, and
// fails if it cannot.
func (s *Store) Establish(ctx context.Context) error {
	now := s.now()
	at := now.Truncate(time.Second).Add(time.Second)
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(at.Sub(now)):
	}
	v := strconv.FormatInt(at.UnixNano(), 10)
	ctx, cancel := context.WithTimeout(ctx, 10*s.timeout)
	defer cancel()
	defer s.invalidateLocal(invalAll[0], "")
	var err error
	if !s.cluster {
		err = s.client.SetNX(ctx, s.epoch, v, 0).Err()
	} else {
		_, err = s.client.Pipelined(ctx, func(p redis.Pipeliner) error {
			for slot := range slotCount {
				p.SetNX(ctx, epochSlotKey(s.prefix, slot), v, 0)
			}
			return nil
		})
	}
	if err == nil {
		err = s.client.Publish(ctx, s.inval, invalAll).Err()
	}
	return wrap("establish", err)
}

// errCorruptEpoch reports an epoch record that is not a decimal number.
var errCorruptEpoch = errors.New("redisstore: corrupt epoch record")

// parseEpoch reads an epoch record's value as MGET returns it (a string,
// or nil for a missing record, which is ErrStateLost) and returns its
// time.
func parseEpoch(v any) (time.Time, error) {
	str, ok := v.(string)
	if !ok {
		return time.Time{}, ErrStateLost
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		return time.Time{}, errCorruptEpoch
	}
	return time.Unix(0, n), nil
}

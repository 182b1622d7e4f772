package redisstore

import "context"

// SetLocalCacheAfterRead makes f run in s's local copy after every read
// from Redis and before its answer is stored.
func SetLocalCacheAfterRead(s *Store, f func()) { s.local.afterRead = f }

// LocalCacheGeneration returns the generation of s's local copy, which
// changes on every invalidation it receives.
func LocalCacheGeneration(s *Store) uint64 {
	gen, _ := s.local.begin()
	return gen
}

// SetLocalCacheBeforeSession makes f run in s's local copy before the
// confirmation of each new subscription (on the node at addr) is read.
func SetLocalCacheBeforeSession(s *Store, f func(addr string)) {
	s.local.mu.Lock()
	s.local.beforeSession = f
	s.local.mu.Unlock()
}

// InvalMessage returns the tagged invalidation message a write publishes
// for subject.
func InvalMessage(subject string) string { return invalMessage(invalSubject, subject) }

// EpochKey returns the key of the epoch record that guards key.
func EpochKey(s *Store, key string) string { return s.epochKey(key) }

// LocalCacheHolds reports whether s's local copy holds an answer of
// subject's revocations or account's allowlist ("" names none).
func LocalCacheHolds(s *Store, subject, account string) bool {
	if s.local == nil {
		return false
	}
	s.local.mu.RLock()
	defer s.local.mu.RUnlock()
	_, rev := s.local.subjects[subject]
	_, list := s.local.accounts[account]
	return subject != "" && rev || account != "" && list
}

// IsLocalCacheBackground reports whether ctx is that of a command a local
// copy sent on its own (a subscription, a check of the epoch records or of
// a cluster's masters).
func IsLocalCacheBackground(ctx context.Context) bool { return ctx.Value(backgroundKey{}) != nil }

// EpochRecordKeys returns the keys of every epoch record of s: one on a
// single Redis, one per hash slot on a cluster.
func EpochRecordKeys(s *Store) []string {
	if !s.cluster {
		return []string{s.epoch}
	}
	keys := make([]string, slotCount)
	for slot := range keys {
		keys[slot] = epochSlotKey(s.prefix, slot)
	}
	return keys
}

package redisstore

// SetLocalCacheAfterRead makes f run in s's local copy after every read
// from Redis and before its answer is stored.
func SetLocalCacheAfterRead(s *Store, f func()) { s.local.afterRead = f }

// LocalCacheGeneration returns the generation of s's local copy, which
// changes on every invalidation it receives.
func LocalCacheGeneration(s *Store) uint64 {
	gen, _ := s.local.begin()
	return gen
}

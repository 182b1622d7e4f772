package bearer

import (
	"sync"
	"time"

	"github.com/gatehouse-go/gatehouse"
)

// DefaultCacheSize is the number of verified tokens an Authenticator keeps
// when Config.CacheSize is nil.
const DefaultCacheSize = 10_000

// DefaultCacheMaxAge is how long a verified token stays cached when
// Config.CacheMaxAge is zero.
const DefaultCacheMaxAge = 10 * time.Minute

// cacheEntry is one verified JWT: the Principal built from it, the Unix
// second at which the entry expires (the token's "exp", or earlier: see
// Config.CacheMaxAge), the key it was verified with and what a
// revocation check asks about. An entry is immutable once built (its
// claim map aside, built once on first use): every request presenting the
// token shares &e.p (gatehouse.WithPrincipalRef, which gives each request
// its own copy of the Scopes), and e.p.Claims is a read-only Claims.
type cacheEntry struct {
	p gatehouse.Principal
	// claims is the claim set p.Claims hands out, decoded into a map
	// only when something reads it.
	claims claimSet
	// scopesIn holds p.Scopes when there are few.
	scopesIn [entryScopes]string
	exp      int64
	// kid and key name the remote (JWKS) key that verified the token, so
	// that a hit can confirm the key is still published; key is nil for a
	// static key, which cannot be withdrawn.
	kid string
	key *remoteKey
	// ref is what a revocation check asks about, built once (only when
	// revocations are checked), so that a hit hands the store a pointer
	// without allocating.
	ref TokenRef
	// bound is set when the token is bound to a key or a certificate
	// (p.Confirmation): each request must prove it.
	bound bool
	// text holds the bytes of p's strings (see keep): textIn when they
	// fit, else a buffer of their own.
	text   []byte
	textIn [entryText]byte
}

// entryScopes is the number of scopes a cache entry holds in place.
const entryScopes = 4

// tokenCache is a bounded map from the exact bytes of a verified token to
// its Principal, split into shards to keep lock contention low. It never
// holds a token past its "exp". When a shard is full, an expired entry is
// dropped if one is found among a few sampled, otherwise a random one.
type tokenCache struct {
	shards   []cacheShard
	mask     uint32
	perShard int
}

type cacheShard struct {
	mu sync.RWMutex
	m  map[string]*cacheEntry
	_  [32]byte // keep neighbouring shards' locks off one cache line
}

func newTokenCache(size int) *tokenCache {
	if size <= 0 {
		return nil
	}
	n := 1
	for n < 16 && size/(n*2) >= 64 {
		n *= 2
	}
	c := &tokenCache{shards: make([]cacheShard, n), mask: uint32(n - 1), perShard: (size + n - 1) / n}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*cacheEntry)
	}
	return c
}

// shard picks a shard from the token's last bytes: a JWT ends in its
// signature, whose encoding is uniformly distributed.
func (c *tokenCache) shard(tok string) *cacheShard {
	var h uint32
	for i := max(0, len(tok)-4); i < len(tok); i++ {
		h = h<<8 | uint32(tok[i])
	}
	return &c.shards[(h*0x9E3779B1)>>28&c.mask]
}

// get returns the entry for tok if it is present and unexpired at nowUnix.
func (c *tokenCache) get(tok string, nowUnix int64) (*cacheEntry, bool) {
	s := c.shard(tok)
	s.mu.RLock()
	e := s.m[tok]
	s.mu.RUnlock()
	if e == nil || nowUnix >= e.exp {
		return nil, false
	}
	return e, true
}

// put stores e for tok until e.exp, unless it is already expired at nowUnix.
func (c *tokenCache) put(tok string, e *cacheEntry, nowUnix int64) {
	if nowUnix >= e.exp {
		return
	}
	// tok is kept as is: it is a substring of the Authorization value,
	// which net/http allocates on its own, so no copy is needed.
	key := tok
	s := c.shard(tok)
	s.mu.Lock()
	if _, ok := s.m[key]; !ok && len(s.m) >= c.perShard {
		s.evictLocked(nowUnix)
	}
	s.m[key] = e
	s.mu.Unlock()
}

func (s *cacheShard) evictLocked(nowUnix int64) {
	var victim string
	n := 0
	for k, e := range s.m { // map iteration starts at a random entry
		if nowUnix >= e.exp {
			victim = k
			break
		}
		if n == 0 {
			victim = k
		}
		if n++; n == 8 {
			break
		}
	}
	delete(s.m, victim)
}

// remove drops tok.
func (c *tokenCache) remove(tok string) {
	s := c.shard(tok)
	s.mu.Lock()
	delete(s.m, tok)
	s.mu.Unlock()
}

// flush drops every entry.
func (c *tokenCache) flush() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.m)
		s.mu.Unlock()
	}
}

// len returns the number of entries, expired ones included.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

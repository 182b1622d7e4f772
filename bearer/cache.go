package bearer

import (
	"hash/maphash"
	"math/rand/v2"
	"sync"
	"sync/atomic"
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
// revocation check asks about. An entry is immutable once cached (its
// claim map aside, built once on first use): every request presenting the
// token shares &e.p (gatehouse.WithPrincipalRef, which gives each request
// its own copy of the Scopes), and e.p.Claims is a read-only Claims.
type cacheEntry struct {
	// A hit reads the entry's first three cache lines, one after the
	// other: scopesIn (the handoff copies p.Scopes), the lookup's fields
	// and the start of p (see TestEntryLayout).

	// scopesIn holds p.Scopes when there are few.
	scopesIn [entryScopes]string
	// hash is the token's hash and tok the token the entry is cached
	// for, set by tokenCache.put before the entry is shared.
	hash uint64
	exp  int64
	tok  string
	// key and kid name the remote (JWKS) key that verified the token, so
	// that a hit can confirm the key is still published; key is nil for a
	// static key, which cannot be withdrawn.
	key *remoteKey
	// bound is set when the token is bound to a key or a certificate
	// (p.Confirmation): each request must prove it.
	bound bool
	// p is the Principal every request that presents the token shares.
	p gatehouse.Principal
	// kid is key's ID, read only when key is set.
	kid string
	// claims is the claim set p.Claims hands out, decoded into a map
	// only when something reads it.
	claims claimSet
	// ref is what a revocation check asks about, built once (only when
	// revocations are checked), so that a hit hands the store a pointer
	// without allocating.
	ref TokenRef
	// text holds the bytes of p's strings (see keep): textIn when they
	// fit, else a buffer of their own.
	text   []byte
	textIn [entryText]byte
}

// entryScopes is the number of scopes a cache entry holds in place.
const entryScopes = 4

// tokenCache is a bounded map from the exact bytes of a verified token to
// its entry, split into shards. It never hands out an entry past its
// "exp". When a shard is full, it drops an expired entry if it finds one
// among up to eight sampled from a random slot on, otherwise the first of
// them.
//
// A lookup takes no lock and writes no shared memory, so that lookups on
// many cores do not contend: each shard is an open-addressing table of
// atomic pointers to entries, which are immutable once stored. Writers,
// serialised by the shard's mutex, store an entry in a free slot, replace a
// removed one with a tombstone, or move the live entries to a new table,
// which they publish whole. A lookup concurrent with a write sees the
// cache as it was before the write or as it is after it.
type tokenCache struct {
	seed     maphash.Seed
	shards   []cacheShard
	shift    uint // a hash's top bits pick its shard: hash >> shift
	perShard int
}

// A cacheShard takes two 64-byte cache lines: the table, which lookups
// read, and what writers change. The shards' array (a power of two of
// them) is a size class of the allocator, which aligns it to its size.
type cacheShard struct {
	table atomic.Pointer[cacheTable]
	_     [56]byte
	mu    sync.Mutex
	live  int // entries in table, under mu
	used  int // slots of table holding an entry or a tombstone, under mu
	_     [40]byte
}

// A cacheTable is one shard's slots, a power of two of them, probed
// linearly from a token's hash. At most three quarters are used (entries
// and tombstones), so that a probe always ends at an empty slot.
type cacheTable struct {
	slots []atomic.Pointer[cacheEntry]
	mask  uint64
}

// tombstone fills the slot of a removed entry, so that the probes that
// passed it still reach the entries stored after it.
var tombstone = new(cacheEntry)

// minTableSlots is the size of a new or emptied shard's table.
const minTableSlots = 8

func newTokenCache(size int) *tokenCache {
	if size <= 0 {
		return nil
	}
	n, bits := 1, uint(0)
	for n < 16 && size/(n*2) >= 64 {
		n, bits = n*2, bits+1
	}
	c := &tokenCache{seed: maphash.MakeSeed(), shards: make([]cacheShard, n), shift: 64 - bits, perShard: (size + n - 1) / n}
	for i := range c.shards {
		c.shards[i].table.Store(newCacheTable(minTableSlots))
	}
	return c
}

func newCacheTable(slots int) *cacheTable {
	return &cacheTable{slots: make([]atomic.Pointer[cacheEntry], slots), mask: uint64(slots - 1)}
}

// hash returns tok's hash, which picks its shard (top bits) and its first
// slot there (bottom bits). It is seeded per cache and hashes the token's
// last hashedTail bytes: a cached token is a verified JWT, which ends in
// its signature, and no one can choose a signature's bytes without the
// signing key. So the tail spreads tokens as well as the whole token
// would, in a fraction of the time, and an unverified token's tail, which
// anyone can choose, picks a slot no one can predict. A lookup still
// compares whole tokens.
func (c *tokenCache) hash(tok string) (*cacheShard, uint64) {
	h := maphash.String(c.seed, tok[max(0, len(tok)-hashedTail):])
	return &c.shards[h>>c.shift], h // a shift by 64 (one shard) is 0
}

// hashedTail is the number of a token's last bytes its hash reads: 192
// bits of an HMAC, RSA, ECDSA or EdDSA signature in base64url.
const hashedTail = 32

// get returns the entry for tok if it is present and unexpired at nowUnix.
func (c *tokenCache) get(tok string, nowUnix int64) (*cacheEntry, bool) {
	s, h := c.hash(tok)
	_, e := s.table.Load().find(tok, h)
	if e == nil || nowUnix >= e.exp {
		return nil, false
	}
	return e, true
}

// put stores e for tok until e.exp, unless it is already expired at
// nowUnix. It sets e.tok and e.hash: e must not be shared yet.
func (c *tokenCache) put(tok string, e *cacheEntry, nowUnix int64) {
	if nowUnix >= e.exp {
		return
	}
	s, h := c.hash(tok)
	// tok is kept as is: it is a substring of the Authorization value,
	// which net/http allocates on its own, so no copy is needed.
	e.tok, e.hash = tok, h
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	if i, old := t.find(tok, h); old != nil {
		t.slots[i].Store(e)
		return
	}
	if s.live >= c.perShard {
		s.evictLocked(t, nowUnix)
	}
	if 4*(s.used+1) > 3*len(t.slots) {
		t = c.rebuildLocked(s, t)
	}
	for i, n := h&t.mask, uint64(0); n <= t.mask; i, n = (i+1)&t.mask, n+1 {
		if x := t.slots[i].Load(); x == nil || x == tombstone {
			if x == nil {
				s.used++
			}
			t.slots[i].Store(e)
			s.live++
			return
		}
	}
	// Not reached: at most three quarters of the slots are used. Were it
	// reached, the token would merely not be cached.
}

// find returns tok's entry and the slot it was read from, or a nil entry.
func (t *cacheTable) find(tok string, h uint64) (uint64, *cacheEntry) {
	for i, n := h&t.mask, uint64(0); n <= t.mask; i, n = (i+1)&t.mask, n+1 {
		switch e := t.slots[i].Load(); {
		case e == nil:
			return 0, nil
		case e.hash == h && e != tombstone && e.tok == tok:
			return i, e
		}
	}
	return 0, nil
}

// rebuildLocked moves s's live entries to a new table with room for twice
// as many as will be live after one more is stored, leaving its tombstones
// behind, publishes it and returns it.
func (c *tokenCache) rebuildLocked(s *cacheShard, old *cacheTable) *cacheTable {
	n := minTableSlots
	for n < 2*(s.live+1) {
		n *= 2
	}
	t := newCacheTable(n)
	for i := range old.slots {
		e := old.slots[i].Load()
		if e == nil || e == tombstone {
			continue
		}
		j := e.hash & t.mask
		for t.slots[j].Load() != nil {
			j = (j + 1) & t.mask
		}
		t.slots[j].Store(e)
	}
	s.table.Store(t)
	s.used = s.live
	return t
}

// evictLocked drops one of s's entries, s being full: the first expired
// one among up to eight sampled from a random slot on, else the first
// sampled.
func (s *cacheShard) evictLocked(t *cacheTable, nowUnix int64) {
	victim, sampled := uint64(0), 0
	found := false
	for i, n := rand.Uint64()&t.mask, uint64(0); n <= t.mask && sampled < 8; i, n = (i+1)&t.mask, n+1 {
		e := t.slots[i].Load()
		if e == nil || e == tombstone {
			continue
		}
		if nowUnix >= e.exp {
			victim, found = i, true
			break
		}
		if sampled == 0 {
			victim, found = i, true
		}
		sampled++
	}
	if found {
		t.slots[victim].Store(tombstone)
		s.live--
	}
}

// remove drops tok.
func (c *tokenCache) remove(tok string) {
	s, h := c.hash(tok)
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.table.Load()
	if i, old := t.find(tok, h); old != nil {
		t.slots[i].Store(tombstone)
		s.live--
	}
}

// flush drops every entry.
func (c *tokenCache) flush() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.table.Store(newCacheTable(minTableSlots))
		s.live, s.used = 0, 0
		s.mu.Unlock()
	}
}

// len returns the number of entries, expired ones included.
func (c *tokenCache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += s.live
		s.mu.Unlock()
	}
	return n
}

package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

const (
	shardCount = 16
	// sweepMax bounds the idle entries one insertion evicts, so that no
	// single request pays for a long quiet period.
	sweepMax = 32
)

// A table is a bounded, sharded map from keys to values in least-recently
// used order. Every insertion first evicts idle entries from the cold end of
// its shard — unused for minIdle and carrying no state — and, if the shard
// is still full, the entry victim picks (by default the least recently
// used), so memory never exceeds the cap however many distinct keys arrive.
// When victim picks none the insertion is refused. minIdle keeps a hot key
// whose bucket happens to be full from being evicted and rebuilt on every
// insertion. Callers hold the shard's lock while they use a value.
//
// A shard keeps its entries on two recency lists: root, the entries the
// default victim may take, and held, the entries set aside with
// [shard.hold] (the failure store's lockouts). Acquiring an entry moves it
// to the front of root; a caller that may hold it uses [table.get].
type table[V any] struct {
	seed     maphash.Seed
	perShard int
	minIdle  time.Duration
	idle     func(v V, now time.Time) bool // whether v carries no state any more
	// victim picks the entry a full shard gives up for a new key, or nil to
	// refuse the new key; nil selects the least recently used entry.
	victim func(s *shard[V], now time.Time) *node[V]
	shards [shardCount]shard[V]
}

// A shard maps each key's seeded hash to its node. The key is hashed once
// per request: the hash picks the shard, then serves as the shard's map
// key, an integer the runtime hashes far more cheaply than a string. Two
// keys may share a hash (unlikely at 64 bits, and not steerable: the seed
// is secret and per table), so a map entry is the head of a chain of the
// nodes with that hash, linked by node.same, and lookups compare the key.
type shard[V any] struct {
	mu   sync.Mutex
	m    map[uint64]*node[V]
	size int     // nodes in the shard; len(m) would miss those sharing a hash
	root node[V] // sentinel: root.next is the most recent, root.prev the least
	held node[V] // sentinel of the entries set aside by hold, in the same order
}

type node[V any] struct {
	key        string
	hash       uint64   // maphash of key under the table's seed
	same       *node[V] // next node whose key has the same hash, rarely any
	val        V
	used       int64 // when the node was last acquired, in Unix nanoseconds
	prev, next *node[V]
}

func newTable[V any](maxKeys int, minIdle time.Duration, idle func(V, time.Time) bool, victim func(*shard[V], time.Time) *node[V]) *table[V] {
	per := maxKeys / shardCount
	if per < 1 {
		per = 1
	}
	t := &table[V]{seed: maphash.MakeSeed(), perShard: per, minIdle: minIdle, idle: idle, victim: victim}
	for i := range t.shards {
		s := &t.shards[i]
		s.m = make(map[uint64]*node[V])
		s.root.next, s.root.prev = &s.root, &s.root
		s.held.next, s.held.prev = &s.held, &s.held
	}
	return t
}

// acquire locks key's shard and returns key's node, created with mk when
// absent, or nil when the shard is full and its victim policy refuses the
// key. The caller must unlock s.mu when done with the node.
func (t *table[V]) acquire(key string, now time.Time, mk func() V) (s *shard[V], n *node[V]) {
	h := maphash.String(t.seed, key)
	s = t.lock(h)
	if n = s.find(h, key); n != nil {
		s.use(n, now)
		return s, n
	}
	return s, t.insertLocked(s, h, key, now, mk)
}

// get is acquire without marking a node it finds as used: the caller
// places it with s.use or s.hold, moving it once. A node it inserts is the
// most recently used.
func (t *table[V]) get(key string, now time.Time, mk func() V) (s *shard[V], n *node[V]) {
	h := maphash.String(t.seed, key)
	s = t.lock(h)
	if n = s.find(h, key); n != nil {
		return s, n
	}
	return s, t.insertLocked(s, h, key, now, mk)
}

// acquireBytes is acquire for a key in a byte slice, which it does not
// retain: looking the key up allocates nothing, only inserting it copies
// it into a string. It reaches the same node as acquire(string(key)):
// maphash.Bytes and maphash.String agree on equal contents.
func (t *table[V]) acquireBytes(key []byte, now time.Time, mk func() V) (s *shard[V], n *node[V]) {
	h := maphash.Bytes(t.seed, key)
	s = t.lock(h)
	// The loop is find's, comparing string(key) in place: that conversion
	// copies nothing, where passing it to find would.
	for n = s.m[h]; n != nil && n.key != string(key); n = n.same {
	}
	if n != nil {
		s.use(n, now)
		return s, n
	}
	return s, t.insertLocked(s, h, string(key), now, mk)
}

// shard returns key's shard, unlocked (tests use it to aim keys at one shard).
func (t *table[V]) shard(key string) *shard[V] {
	return &t.shards[maphash.String(t.seed, key)%shardCount]
}

// lock locks and returns the shard of the keys with hash h.
func (t *table[V]) lock(h uint64) *shard[V] {
	s := &t.shards[h%shardCount]
	s.mu.Lock()
	return s
}

// find returns the node of key, whose hash is h, or nil.
func (s *shard[V]) find(h uint64, key string) *node[V] {
	n := s.m[h]
	for n != nil && n.key != key {
		n = n.same
	}
	return n
}

// insertLocked adds key, absent from s, with a value from mk, after
// evicting idle entries and, if s is still full, the victim; it returns
// nil, adding nothing, when there is no victim.
func (t *table[V]) insertLocked(s *shard[V], h uint64, key string, now time.Time, mk func() V) *node[V] {
	t.sweep(s, &s.root, now)
	t.sweep(s, &s.held, now)
	if s.size >= t.perShard {
		victim := s.root.prev
		if t.victim != nil {
			victim = t.victim(s, now)
		}
		if victim == nil || victim == &s.root {
			return nil
		}
		s.remove(victim)
	}
	n := &node[V]{key: key, hash: h, same: s.m[h], val: mk(), used: now.UnixNano()}
	s.m[h] = n
	s.size++
	pushFront(&s.root, n)
	return n
}

// sweep evicts up to sweepMax idle entries from the cold end of the list
// whose sentinel is root.
func (t *table[V]) sweep(s *shard[V], root *node[V], now time.Time) {
	for i := 0; i < sweepMax; i++ {
		cold := root.prev
		if cold == root || time.Duration(now.UnixNano()-cold.used) < t.minIdle || !t.idle(cold.val, now) {
			return
		}
		s.remove(cold)
	}
}

// lookup locks key's shard and returns key's node or nil. The caller must
// unlock s.mu.
func (t *table[V]) lookup(key string) (s *shard[V], n *node[V]) {
	h := maphash.String(t.seed, key)
	s = t.lock(h)
	return s, s.find(h, key)
}

// delete removes key.
func (t *table[V]) delete(key string) {
	h := maphash.String(t.seed, key)
	s := t.lock(h)
	if n := s.find(h, key); n != nil {
		s.remove(n)
	}
	s.mu.Unlock()
}

// len returns the number of entries.
func (t *table[V]) len() int {
	total := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		total += s.size
		s.mu.Unlock()
	}
	return total
}

// use marks n as acquired at now: the most recently used, on root's list
// (taken off held's if it was there).
func (s *shard[V]) use(n *node[V], now time.Time) {
	n.used = now.UnixNano()
	s.moveToFront(&s.root, n)
}

// hold marks n as used at now and moves it to the front of the held list:
// the default victim never takes it, and a victim function sees it only by
// walking s.held.
func (s *shard[V]) hold(n *node[V], now time.Time) {
	n.used = now.UnixNano()
	s.moveToFront(&s.held, n)
}

// pushFront links n at the front of the list whose sentinel is root.
func pushFront[V any](root, n *node[V]) {
	n.prev, n.next = root, root.next
	root.next.prev = n
	root.next = n
}

// moveToFront moves n, on either list, to the front of root's list.
func (s *shard[V]) moveToFront(root, n *node[V]) {
	if root.next == n {
		return
	}
	n.prev.next, n.next.prev = n.next, n.prev
	pushFront(root, n)
}

// remove unlinks n from the recency list and from its hash chain.
func (s *shard[V]) remove(n *node[V]) {
	n.prev.next, n.next.prev = n.next, n.prev
	n.prev, n.next = nil, nil
	switch head := s.m[n.hash]; {
	case head != n:
		for head.same != n {
			head = head.same
		}
		head.same = n.same
	case n.same != nil:
		s.m[n.hash] = n.same
	default:
		delete(s.m, n.hash)
	}
	n.same = nil
	s.size--
}

package bearer

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-go/gatehouse"
)

// cacheKeys are the tokens the cache tests store: more than the small
// caches hold, of several lengths, some shorter than the hashed tail, and
// pairs that share their last hashedTail bytes (a forged payload under a
// verified token's signature hashes as that token does).
var cacheKeys = func() []string {
	keys := make([]string, 0, 48)
	for i := range 40 {
		keys = append(keys, fmt.Sprintf("eyJ.%0*d.sig", 1+i%7*40, i))
	}
	sig := strings.Repeat("S", hashedTail+8)
	for i := range 8 {
		keys = append(keys, fmt.Sprintf("eyJ.claims-%d.%s", i, sig))
	}
	return keys
}()

// held returns every entry c holds, by token, expired ones included.
func held(c *tokenCache) map[string]*cacheEntry {
	out := map[string]*cacheEntry{}
	for i := range c.shards {
		t := c.shards[i].table.Load()
		for j := range t.slots {
			if e := t.slots[j].Load(); e != nil && e != tombstone {
				out[e.tok] = e
			}
		}
	}
	return out
}

// checkCacheOps runs ops on a cache of size entries and checks, after
// each, that the cache holds exactly what the operation leaves (a put of
// a new token into a full shard drops one other entry of that shard),
// that its shards' counts and load are right, and that a lookup of every
// token finds its entry, unless expired, or nothing. ops are read two
// bytes at a time: an operation (put, remove, a step of the clock, flush)
// and its token or amount.
func checkCacheOps(t *testing.T, size int, ops []byte) {
	t.Helper()
	c := newTokenCache(size)
	now := int64(1)
	for len(ops) >= 2 {
		op, arg := ops[0], ops[1]
		ops = ops[2:]
		tok := cacheKeys[int(arg)%len(cacheKeys)]
		before := held(c)
		want := maps.Clone(before)
		mayDrop := 0 // entries the operation may evict
		switch op % 8 {
		case 0, 1, 2, 3:
			e := &cacheEntry{exp: now + int64(op>>3%8), p: gatehouse.Principal{Subject: tok}}
			s, _ := c.hash(tok)
			_, present := before[tok]
			full := s.live >= c.perShard
			c.put(tok, e, now)
			if now < e.exp {
				want[tok] = e
				if !present && full {
					mayDrop = 1
				}
				if got, ok := c.get(tok, now); !ok || got != e {
					t.Fatalf("a put entry is not found right after: %v %p %p", ok, got, e)
				}
			}
		case 4, 5:
			c.remove(tok)
			delete(want, tok)
		case 6:
			now += int64(arg % 4)
		case 7:
			if arg%4 == 0 {
				c.flush()
				clear(want)
			}
		}
		got := held(c)
		dropped := 0
		for k, e := range want {
			switch {
			case got[k] == e:
			case got[k] == nil && mayDrop > 0 && k != tok:
				dropped++
			default:
				t.Fatalf("after op %d on %.12q: %.12q holds %p, want %p", op%8, tok, k, got[k], e)
			}
		}
		if dropped > mayDrop || len(got) != len(want)-dropped {
			t.Fatalf("after op %d on %.12q: %d entries held, %d expected, %d dropped", op%8, tok, len(got), len(want), dropped)
		}
		checkShards(t, c)
		for _, k := range cacheKeys {
			e, ok := c.get(k, now)
			if want := got[k]; ok != (want != nil && now < want.exp) || ok && e != want {
				t.Fatalf("get(%.12q) = %p, %v; the cache holds %p", k, e, ok, want)
			}
		}
	}
}

// checkShards checks each shard's counts against its table, its bounds,
// and that each entry lies where a lookup of its token reaches it.
func checkShards(t *testing.T, c *tokenCache) {
	t.Helper()
	for i := range c.shards {
		s := &c.shards[i]
		tab := s.table.Load()
		live, used := 0, 0
		for j := range tab.slots {
			switch e := tab.slots[j].Load(); {
			case e == nil:
			case e == tombstone:
				used++
			default:
				live, used = live+1, used+1
				if k, found := tab.find(e.tok, e.hash); found != e || tab.slots[k].Load() != e {
					t.Fatalf("an entry is stored where its lookup does not reach")
				}
				if sh, h := c.hash(e.tok); sh != s || h != e.hash {
					t.Fatalf("an entry is in the wrong shard or carries the wrong hash")
				}
			}
		}
		if live != s.live || used != s.used || live > c.perShard || 4*used > 3*len(tab.slots) {
			t.Fatalf("shard %d: live %d (counted %d, bound %d), used %d (counted %d) of %d slots",
				i, live, s.live, c.perShard, used, s.used, len(tab.slots))
		}
	}
}

// TestTokenCacheModel runs random operations on caches that hold fewer
// tokens than are used (so that they evict), as many, and more.
func TestTokenCacheModel(t *testing.T) {
	for _, size := range []int{1, 3, 10, 48, 5000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(size), 1))
			for range 20 {
				ops := make([]byte, 2000)
				for i := range ops {
					ops[i] = byte(r.Uint32())
				}
				checkCacheOps(t, size, ops)
			}
		})
	}
}

func FuzzTokenCache(f *testing.F) {
	f.Add(uint8(3), []byte{0, 1, 0, 2, 0, 3, 0, 4, 4, 2, 0, 5, 6, 3, 0, 1})
	f.Add(uint8(1), []byte{0, 1, 8, 1, 0, 2, 6, 1, 0, 3, 7, 0, 0, 1})
	f.Add(uint8(5), []byte{0, 40, 0, 41, 0, 42, 4, 41, 0, 43, 0, 41, 6, 2, 0, 40})
	f.Fuzz(func(t *testing.T, size uint8, ops []byte) {
		checkCacheOps(t, 1+int(size)%64, ops)
	})
}

// TestTokenCacheConcurrent has lookups run while other goroutines store,
// remove and flush (run it with -race): a lookup returns the entry stored
// for its token or nothing, never another token's, and always finds a
// token that no writer removes while it looks.
func TestTokenCacheConcurrent(t *testing.T) {
	for _, size := range []int{4, 5000} {
		for _, flush := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d/flush=%v", size, flush), func(t *testing.T) {
				c := newTokenCache(size)
				// Without flushes, the last key of each shard stays: the
				// writers never touch it and the shard never fills.
				stay := map[string]bool{}
				if !flush && size > 100 {
					for _, k := range cacheKeys[len(cacheKeys)-4:] {
						c.put(k, &cacheEntry{exp: 100, p: gatehouse.Principal{Subject: k}}, 1)
						stay[k] = true
					}
				}
				var wg sync.WaitGroup
				for w := range 4 {
					wg.Go(func() {
						r := rand.New(rand.NewPCG(uint64(w), 2))
						for i := range 20_000 {
							tok := cacheKeys[r.IntN(len(cacheKeys))]
							switch {
							case w < 2:
								e, ok := c.get(tok, 1)
								if ok && e.p.Subject != tok || stay[tok] && !ok {
									t.Errorf("get(%.12q) = %v, %v", tok, ok, e != nil && e.p.Subject == tok)
									return
								}
							case stay[tok]:
							case flush && i%500 == 499:
								c.flush()
							case r.IntN(4) == 0:
								c.remove(tok)
							default:
								c.put(tok, &cacheEntry{exp: 100, p: gatehouse.Principal{Subject: tok}}, 1)
							}
						}
					})
				}
				wg.Wait()
			})
		}
	}
}

// BenchmarkTokenCacheGet measures a lookup of cached tokens of a typical
// length, on one goroutine and on every P at once: lookups write no shared
// memory, so they do not slow each other down.
func BenchmarkTokenCacheGet(b *testing.B) {
	c := newTokenCache(DefaultCacheSize)
	toks := make([]string, 64)
	for i := range toks {
		toks[i] = fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.%0300d.%043x", i, rand.Uint64())
		c.put(toks[i], &cacheEntry{exp: 1 << 40}, 1)
	}
	lookups := func(start int, next func() bool) {
		for i := start; next(); i++ {
			if _, ok := c.get(toks[i%len(toks)], 2); !ok {
				panic("a cached token was not found")
			}
		}
	}
	b.Run("serial", func(b *testing.B) { lookups(0, b.Loop) })
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) { lookups(rand.IntN(len(toks)), pb.Next) })
	})
}

package bearer

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/gatehouse-go/gatehouse"
)

// cacheKeys are the tokens the cache tests store: more than the small
// caches hold, of several lengths.
var cacheKeys = func() []string {
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = fmt.Sprintf("eyJ.%0*d.sig", 1+i%7*40, i)
	}
	return keys
}()

// checkCacheOps runs ops on a cache of size entries and checks, after
// each, everything a caller relies on, against a model of what was last
// stored for each token. ops are read two bytes at a time: an operation
// (put, remove, a step of the clock, flush) and its token or amount.
func checkCacheOps(t *testing.T, size int, ops []byte) {
	t.Helper()
	c := newTokenCache(size)
	model := map[string]*cacheEntry{} // the entry last stored, until removed
	now := int64(1)
	for len(ops) >= 2 {
		op, arg := ops[0], ops[1]
		ops = ops[2:]
		tok := cacheKeys[int(arg)%len(cacheKeys)]
		switch op % 8 {
		case 0, 1, 2, 3:
			e := &cacheEntry{exp: now + int64(op>>3%8), p: gatehouse.Principal{Subject: tok}}
			c.put(tok, e, now)
			if now < e.exp {
				model[tok] = e
				if got, ok := c.get(tok, now); !ok || got != e {
					t.Fatalf("a put entry is not found right after: %v %p %p", ok, got, e)
				}
			}
		case 4, 5:
			c.remove(tok)
			delete(model, tok)
		case 6:
			now += int64(arg % 4)
		case 7:
			if arg%4 == 0 {
				c.flush()
				clear(model)
			}
		}
		checkCache(t, c, model, now)
	}
}

// checkCache checks c's shards (their counts, their load, each entry where
// a lookup finds it) and that a lookup of every token finds the model's
// entry or nothing, and never an expired one.
func checkCache(t *testing.T, c *tokenCache, model map[string]*cacheEntry, now int64) {
	t.Helper()
	total := 0
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
				if model[e.tok] != e {
					t.Fatalf("the cache holds an entry for %.12q that is not the last stored", e.tok)
				}
				if got, _ := tab.find(e.tok, maphash64(c, e.tok)); tab.slots[got].Load() != e {
					t.Fatalf("an entry is stored where its lookup does not reach")
				}
			}
		}
		if live != s.live || used != s.used || live > c.perShard || 4*used > 3*len(tab.slots) {
			t.Fatalf("shard %d: live %d (counted %d, bound %d), used %d (counted %d) of %d slots",
				i, live, s.live, c.perShard, used, s.used, len(tab.slots))
		}
		total += live
	}
	if n := c.len(); n != total {
		t.Fatalf("len %d, %d entries", n, total)
	}
	for _, tok := range cacheKeys {
		e, ok := c.get(tok, now)
		if ok && (e != model[tok] || now >= e.exp || e.p.Subject != tok) {
			t.Fatalf("get(%.12q) returned an entry that is not the last stored for it, or expired", tok)
		}
	}
}

// maphash64 is the hash c files tok under.
func maphash64(c *tokenCache, tok string) uint64 {
	_, h := c.hash(tok)
	return h
}

// TestTokenCacheModel runs random operations on caches that hold fewer
// tokens than are used (so that they evict), as many, and more.
func TestTokenCacheModel(t *testing.T) {
	for _, size := range []int{1, 3, 10, 40, 5000} {
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
	f.Fuzz(func(t *testing.T, size uint8, ops []byte) {
		checkCacheOps(t, 1+int(size)%64, ops)
	})
}

// TestTokenCacheConcurrent has lookups run while other goroutines store,
// remove and flush (run it with -race): a lookup returns the entry stored
// for its token or nothing, never another token's.
func TestTokenCacheConcurrent(t *testing.T) {
	for _, size := range []int{4, 5000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := newTokenCache(size)
			var wg sync.WaitGroup
			for w := range 4 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(w), 2))
					for i := range 20_000 {
						tok := cacheKeys[r.IntN(len(cacheKeys))]
						switch {
						case w < 2:
							if e, ok := c.get(tok, 1); ok && (e.tok != tok || e.p.Subject != tok) {
								t.Errorf("get(%.12q) returned the entry of %.12q", tok, e.p.Subject)
								return
							}
						case i%500 == 499:
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

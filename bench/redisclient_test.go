package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// The Redis client comparison: go-redis v9 (the client redisstore uses)
// against rueidis on the read of gatehouse's hot path, the revocation check
// (redisstore Revocations.Revoked): one MGET of four keys that share a hash
// slot, a token's jti and session keys (absent: not revoked), the subject's
// not-before and the slot's epoch record (present). lists.go's allowlist read
// is the same command with two keys. Every case runs on the single node
// (GATEHOUSE_REDIS_ADDR, default 127.0.0.1:6379) and on the Redis Cluster
// (GATEHOUSE_REDIS_CLUSTER, comma-separated), under a prefix of its own that
// it deletes at the end.

// redisClientParallel is the number of goroutines of the parallel cases: a
// server handling 32 requests at once.
const redisClientParallel = 32

// redisClientTTL is the client-side TTL of the cached reads: long enough
// that only an invalidation from Redis ends an entry during a benchmark.
const redisClientTTL = time.Minute

// redisTarget is one Redis deployment under test.
type redisTarget struct {
	name  string
	addrs []string // one address: a single node; more: cluster seeds
}

// redisTargets returns the deployments the environment names. The single
// node is always tried; the cluster only when GATEHOUSE_REDIS_CLUSTER is
// set, and under CI=true its absence fails the benchmark.
func redisTargets(tb testing.TB) []redisTarget {
	tb.Helper()
	addr := os.Getenv("GATEHOUSE_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	ts := []redisTarget{{name: "node", addrs: []string{addr}}}
	if c := os.Getenv("GATEHOUSE_REDIS_CLUSTER"); c != "" {
		ts = append(ts, redisTarget{name: "cluster", addrs: strings.Split(c, ",")})
	}
	return ts
}

// requireRedis skips (or, under CI=true, fails) when t's first address does
// not accept connections within a second.
func requireRedis(tb testing.TB, t redisTarget) {
	tb.Helper()
	c, err := net.DialTimeout("tcp", t.addrs[0], time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("Redis %s at %s: %v", t.name, t.addrs[0], err)
		}
		tb.Skipf("Redis %s at %s unreachable: %v", t.name, t.addrs[0], err)
	}
	c.Close()
}

// clusterOrSkip reports the cluster's absence in a "cluster" sub-benchmark:
// a skip outside CI, a failure under CI=true.
func clusterOrSkip(b *testing.B, ts []redisTarget) {
	b.Helper()
	if len(ts) > 1 {
		return
	}
	b.Run("cluster", func(b *testing.B) {
		if os.Getenv("CI") == "true" {
			b.Fatal("GATEHOUSE_REDIS_CLUSTER is unset under CI=true: the cluster cases cannot run")
		}
		b.Skip("GATEHOUSE_REDIS_CLUSTER is unset: the cluster cases are skipped")
	})
}

// newGoRedis returns a go-redis client with the options redisstore's
// NewClient and NewClusterClient use (500 ms timeouts, deadlines from
// contexts, one retry).
func newGoRedis(t redisTarget) redis.UniversalClient {
	const timeout = 500 * time.Millisecond
	if len(t.addrs) == 1 {
		return redis.NewClient(&redis.Options{
			Addr: t.addrs[0], DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout,
			ContextTimeoutEnabled: true, MaxRetries: 1,
		})
	}
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs: slices.Clone(t.addrs), DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout,
		ContextTimeoutEnabled: true, MaxRetries: 1, ClusterStateReloadInterval: time.Second,
	})
}

// newGoRedisCache returns a go-redis client for a single node with its
// experimental client-side cache (RESP3, CLIENT TRACKING; go-redis offers it
// on the standalone client only, not on ClusterClient), redisstore's options
// otherwise.
func newGoRedisCache(t redisTarget) *redis.Client {
	const timeout = 500 * time.Millisecond
	return redis.NewClient(&redis.Options{
		Addr: t.addrs[0], DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout,
		ContextTimeoutEnabled: true, MaxRetries: 1, Protocol: 3,
		ClientSideCacheConfig: &redis.ClientSideCacheConfig{},
	})
}

// newRueidis returns a rueidis client for t with its defaults (RESP3,
// CLIENT TRACKING ON OPTIN, auto-pipelining), or with
// DisableAutoPipelining (every command on a pooled connection of its own).
func newRueidis(tb testing.TB, t redisTarget, pool bool) rueidis.Client {
	tb.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{
		InitAddress:           slices.Clone(t.addrs),
		DisableAutoPipelining: pool,
		ConnWriteTimeout:      500 * time.Millisecond,
		Dialer:                net.Dialer{Timeout: 500 * time.Millisecond},
	})
	if err != nil {
		tb.Fatalf("rueidis on %s: %v", t.name, err)
	}
	tb.Cleanup(c.Close)
	return c
}

// revocationKeys writes one subject's revocation keys under a fresh prefix,
// as redisstore lays them out (README key schema): jti and sid absent, the
// not-before and the slot's epoch record present. The keys are deleted when
// tb ends.
func revocationKeys(tb testing.TB, w redis.UniversalClient) []string {
	tb.Helper()
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		tb.Fatal(err)
	}
	p := "gatehouse-bench:redisclient:" + hex.EncodeToString(rnd[:]) + ":rev:{alice}:"
	keys := []string{p + "jti:tok-1", p + "sid:sess-1", p + "nbf", p + "epoch"}
	ctx := context.Background()
	if err := w.MSet(ctx, keys[2], "1700000000", keys[3], "1700000000000000000").Err(); err != nil {
		tb.Fatalf("writing the revocation keys: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := w.Del(ctx, keys...).Err(); err != nil {
			tb.Errorf("deleting the benchmark's keys: %v", err)
		}
	})
	return keys
}

// readGoRedis is the revocation read as redisstore does it.
func readGoRedis(ctx context.Context, c redis.UniversalClient, keys []string) ([]any, error) {
	return c.MGet(ctx, keys...).Result()
}

// readRueidis is the same MGET, sent directly.
func readRueidis(ctx context.Context, c rueidis.Client, keys []string) ([]rueidis.RedisMessage, error) {
	return c.Do(ctx, c.B().Mget().Key(keys...).Build()).ToArray()
}

// readRueidisCache is the same MGET through the client-side cache: rueidis
// keeps one entry per key (a GET each) and asks Redis for the missing ones
// only.
func readRueidisCache(ctx context.Context, c rueidis.Client, keys []string) ([]rueidis.RedisMessage, error) {
	return c.DoCache(ctx, c.B().Mget().Key(keys...).Cache(), redisClientTTL).ToArray()
}

// readRueidisMultiCache reads the keys as four cacheable GETs in one
// DoMultiCache call; it returns how many were served from the local cache.
func readRueidisMultiCache(ctx context.Context, c rueidis.Client, keys []string) (hits int, err error) {
	cts := make([]rueidis.CacheableTTL, 0, len(keys))
	for _, k := range keys {
		cts = append(cts, rueidis.CT(c.B().Get().Key(k).Cache(), redisClientTTL))
	}
	for _, r := range c.DoMultiCache(ctx, cts...) {
		if err := r.Error(); err != nil && !rueidis.IsRedisNil(err) {
			return hits, err
		}
		if r.IsCacheHit() {
			hits++
		}
	}
	return hits, nil
}

// checkRevocationRead fails tb unless vals is what revocationKeys wrote:
// two nils, then the not-before and the epoch.
func checkRevocationRead(tb testing.TB, vals []string) {
	tb.Helper()
	want := []string{"<nil>", "<nil>", "1700000000", "1700000000000000000"}
	if !slices.Equal(vals, want) {
		tb.Fatalf("revocation read = %q, want %q", vals, want)
	}
}

func goRedisStrings(vals []any) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = s
		} else {
			out[i] = "<nil>"
		}
	}
	return out
}

func rueidisStrings(vals []rueidis.RedisMessage) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		if s, err := v.ToString(); err == nil {
			out[i] = s
		} else {
			out[i] = "<nil>"
		}
	}
	return out
}

// runParallel runs body in b.RunParallel on redisClientParallel goroutines.
func runParallel(b *testing.B, body func()) {
	b.Helper()
	p := (redisClientParallel + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0)
	b.SetParallelism(p)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body()
		}
	})
}

// BenchmarkRedisClient compares go-redis and rueidis on the revocation read:
// sequential (one request at a time) and with 32 goroutines, direct and
// through rueidis's client-side cache (warm: every read is served locally
// until Redis invalidates a key). "rueidis-pool" is rueidis without
// auto-pipelining, which isolates what pipelining concurrent commands on one
// connection brings over go-redis's pool of connections.
func BenchmarkRedisClient(b *testing.B) {
	ts := redisTargets(b)
	clusterOrSkip(b, ts)
	for _, t := range ts {
		b.Run(t.name, func(b *testing.B) {
			requireRedis(b, t)
			ctx := context.Background()
			gr := newGoRedis(t)
			b.Cleanup(func() { gr.Close() })
			keys := revocationKeys(b, gr)
			ru := newRueidis(b, t, false)
			rp := newRueidis(b, t, true)

			goRedis := func(b *testing.B) func() {
				vals, err := readGoRedis(ctx, gr, keys)
				if err != nil {
					b.Fatal(err)
				}
				checkRevocationRead(b, goRedisStrings(vals))
				return func() {
					if _, err := readGoRedis(ctx, gr, keys); err != nil {
						b.Error(err)
					}
				}
			}
			direct := func(c rueidis.Client) func(b *testing.B) func() {
				return func(b *testing.B) func() {
					vals, err := readRueidis(ctx, c, keys)
					if err != nil {
						b.Fatal(err)
					}
					checkRevocationRead(b, rueidisStrings(vals))
					return func() {
						if _, err := readRueidis(ctx, c, keys); err != nil {
							b.Error(err)
						}
					}
				}
			}
			cached := func(b *testing.B) func() {
				// The first read fills the cache; the warm case then checks that
				// every key is a hit.
				vals, err := readRueidisCache(ctx, ru, keys)
				if err != nil {
					b.Fatal(err)
				}
				checkRevocationRead(b, rueidisStrings(vals))
				if hits, err := readRueidisMultiCache(ctx, ru, keys); err != nil || hits != len(keys) {
					b.Fatalf("warm cache: %d of %d keys hit, err %v", hits, len(keys), err)
				}
				return func() {
					if _, err := readRueidisCache(ctx, ru, keys); err != nil {
						b.Error(err)
					}
				}
			}
			multiCached := func(b *testing.B) func() {
				if _, err := readRueidisMultiCache(ctx, ru, keys); err != nil {
					b.Fatal(err)
				}
				return func() {
					if _, err := readRueidisMultiCache(ctx, ru, keys); err != nil {
						b.Error(err)
					}
				}
			}
			goRedisCache := func(b *testing.B) func() {
				if len(t.addrs) > 1 {
					b.Skip("go-redis has no client-side cache on ClusterClient")
				}
				gc := newGoRedisCache(t)
				b.Cleanup(func() { gc.Close() })
				for range 2 {
					vals, err := readGoRedis(ctx, gc, keys)
					if err != nil {
						b.Fatal(err)
					}
					checkRevocationRead(b, goRedisStrings(vals))
				}
				before := gc.CSCStats().Hits
				if _, err := readGoRedis(ctx, gc, keys); err != nil || gc.CSCStats().Hits == before {
					b.Fatalf("go-redis warm cache: no hit (err %v)", err)
				}
				return func() {
					if _, err := readGoRedis(ctx, gc, keys); err != nil {
						b.Error(err)
					}
				}
			}
			cases := []struct {
				name     string
				setup    func(*testing.B) func()
				parallel bool // only in the parallel group
			}{
				{"go-redis", goRedis, false},
				{"rueidis", direct(ru), false},
				{"rueidis-pool", direct(rp), true},
				{"go-redis-cache", goRedisCache, false},
				{"rueidis-cache-mget", cached, false},
				{"rueidis-cache-multiget", multiCached, false},
			}
			b.Run("seq", func(b *testing.B) {
				for _, c := range cases {
					if c.parallel {
						continue
					}
					b.Run(c.name, func(b *testing.B) {
						read := c.setup(b)
						b.ReportAllocs()
						for b.Loop() {
							read()
						}
					})
				}
			})
			b.Run("par32", func(b *testing.B) {
				for _, c := range cases {
					b.Run(c.name, func(b *testing.B) { runParallel(b, c.setup(b)) })
				}
			})
		})
	}
}

// BenchmarkRedisClientInvalidation measures how long a write by another
// client takes to reach rueidis's client-side cache. Each iteration reads the
// revocation keys through the cache (tracking them again), writes a new value
// to the jti key with go-redis (another connection, as another instance
// would), and waits for Redis's invalidation of that key to reach the caching
// client (rueidis drops the entry, then calls OnInvalidations). It reports the
// p50 and p99 of that delay over the b.N writes, measured from just before the
// write is sent (so it includes the write's round trip), and the fraction of
// writes whose first cached read after the write's acknowledgement still
// returned the old value. It fails if a cached read after the invalidation
// does not return the written value; nothing is asserted on timings.
func BenchmarkRedisClientInvalidation(b *testing.B) {
	ts := redisTargets(b)
	clusterOrSkip(b, ts)
	for _, t := range ts {
		b.Run(t.name+"/go-redis-cache", func(b *testing.B) {
			if len(t.addrs) > 1 {
				b.Skip("go-redis has no client-side cache on ClusterClient")
			}
			requireRedis(b, t)
			goRedisInvalidation(b, t)
		})
		b.Run(t.name+"/rueidis", func(b *testing.B) {
			requireRedis(b, t)
			ctx := context.Background()
			gr := newGoRedis(t)
			b.Cleanup(func() { gr.Close() })
			keys := revocationKeys(b, gr)
			invalidated := make(chan string, 64)
			ru, err := rueidis.NewClient(rueidis.ClientOption{
				InitAddress: slices.Clone(t.addrs),
				OnInvalidations: func(ms []rueidis.RedisMessage) {
					for _, m := range ms {
						if k, err := m.ToString(); err == nil {
							select {
							case invalidated <- k:
							default:
							}
						}
					}
				},
			})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(ru.Close)
			var delays []time.Duration
			staleAfterAck := 0
			for i := 0; b.Loop(); i++ {
				if _, err := readRueidisCache(ctx, ru, keys); err != nil {
					b.Fatal(err)
				}
				want := strconv.Itoa(i)
				start := time.Now()
				if err := gr.Set(ctx, keys[0], want, time.Minute).Err(); err != nil {
					b.Fatal(err)
				}
				vals, err := readRueidisCache(ctx, ru, keys)
				if err != nil {
					b.Fatal(err)
				}
				if s, _ := vals[0].ToString(); s != want {
					staleAfterAck++
				}
				timeout := time.After(5 * time.Second)
			wait:
				for {
					select {
					case k := <-invalidated:
						if k == keys[0] {
							break wait
						}
					case <-timeout:
						b.Fatal("no invalidation of the written key within 5 s")
					}
				}
				delays = append(delays, time.Since(start))
				vals, err = readRueidisCache(ctx, ru, keys)
				if err != nil {
					b.Fatal(err)
				}
				if s, _ := vals[0].ToString(); s != want {
					b.Fatalf("cached read after the invalidation = %q, want %q", s, want)
				}
			}
			slices.Sort(delays)
			us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
			b.ReportMetric(us(delays[len(delays)/2]), "p50-us")
			b.ReportMetric(us(delays[(len(delays)*99)/100]), "p99-us")
			b.ReportMetric(float64(staleAfterAck)/float64(len(delays)), "stale-after-ack/write")
			b.ReportMetric(0, "ns/op") // the loop's time is three round trips; the delays above are the result
		})
	}
}

// goRedisInvalidation is BenchmarkRedisClientInvalidation for go-redis's own
// client-side cache, which has no invalidation callback: after each write the
// caching client reads in a loop (10 µs sleeps between reads, so the delay's
// resolution is about 0.1 ms) until the new value shows.
func goRedisInvalidation(b *testing.B, t redisTarget) {
	ctx := context.Background()
	gr := newGoRedis(t)
	b.Cleanup(func() { gr.Close() })
	keys := revocationKeys(b, gr)
	gc := newGoRedisCache(t)
	b.Cleanup(func() { gc.Close() })
	var delays []time.Duration
	staleAfterAck := 0
	for i := 0; b.Loop(); i++ {
		if _, err := readGoRedis(ctx, gc, keys); err != nil {
			b.Fatal(err)
		}
		want := strconv.Itoa(i)
		start := time.Now()
		if err := gr.Set(ctx, keys[0], want, time.Minute).Err(); err != nil {
			b.Fatal(err)
		}
		deadline := start.Add(5 * time.Second)
		for n := 0; ; n++ {
			vals, err := readGoRedis(ctx, gc, keys)
			if err != nil {
				b.Fatal(err)
			}
			if s, _ := vals[0].(string); s == want {
				break
			}
			if n == 0 {
				staleAfterAck++
			}
			if time.Now().After(deadline) {
				b.Fatal("the cached read did not show the write within 5 s")
			}
			time.Sleep(10 * time.Microsecond)
		}
		delays = append(delays, time.Since(start))
	}
	slices.Sort(delays)
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
	b.ReportMetric(us(delays[len(delays)/2]), "p50-us")
	b.ReportMetric(us(delays[(len(delays)*99)/100]), "p99-us")
	b.ReportMetric(float64(staleAfterAck)/float64(len(delays)), "stale-after-ack/write")
	b.ReportMetric(0, "ns/op")
}

package redisstore_test

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// cachedStore returns a Store on c under prefix with a local copy, once
// the copy is live, closed when t ends.
func cachedStore(t testing.TB, c redis.UniversalClient, prefix string, lc redisstore.LocalCache) *redisstore.Store {
	t.Helper()
	lc.Enabled = true
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second, LocalCache: lc, SkipServerCheck: true, Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	waitLive(t, s, true)
	return s
}

// cachePair returns, on the deployment d and under one prefix of t's own,
// an established Store without a local copy (the writer a fleet's other
// instances are) and a Store with the copy lc, and the counter of the
// commands their client sends.
func cachePair(t *testing.T, d deployment, lc redisstore.LocalCache) (plain, cached *redisstore.Store, counter *commandCounter) {
	t.Helper()
	c := d.client(t)
	counter = &commandCounter{}
	c.AddHook(counter)
	prefix := redistest.Prefix(t, c)
	plain, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, plain)
	return plain, cachedStore(t, c, prefix, lc), counter
}

func waitLive(t testing.TB, s *redisstore.Store, live bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for s.LocalCacheLive() != live {
		if time.Now().After(deadline) {
			t.Fatalf("local copy live=%v not reached within 5 s", live)
		}
		time.Sleep(time.Millisecond)
	}
}

// steady runs measure (a cold read, then the same read warm, returning
// the commands of each) once s's copy is live, and again, at most five
// times in all, while the copy's generation changed during a run. A health
// check or a subscription's ping that the machine's load delays past
// HealthCheck drops the copy, and a run across that drop counts direct
// reads that say nothing of the copy; the drop is seen as a change of
// generation, since the test writes nothing during measure. A drop
// empties the copy, so the next run's read is cold again.
func steady(t *testing.T, s *redisstore.Store, measure func() (cold, warm int64)) (cold, warm int64) {
	t.Helper()
	for range 5 {
		waitLive(t, s, true)
		gen := redisstore.LocalCacheGeneration(s)
		cold, warm = measure()
		if redisstore.LocalCacheGeneration(s) == gen {
			return cold, warm
		}
		t.Log("the copy changed during a measurement: measured again")
	}
	t.Fatal("the copy changed during each of 5 measurements")
	return cold, warm
}

// cacheDeployments are the deployments the local copy is tested on.
var cacheDeployments = slices.DeleteFunc(slices.Clone(deployments), func(d deployment) bool { return d.name == "sentinel" })

// TestLocalCacheRoundTrips: with the local copy, a bearer check and an
// allowlist read make one command the first time and none while nothing
// changed; a write by another Store reaches the copy.
func TestLocalCacheRoundTrips(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			plain, s, counter := cachePair(t, d, redisstore.LocalCache{})
			ctx := context.Background()
			now := time.Now()
			rev := s.Revocations()
			gen := redisstore.LocalCacheGeneration(s)
			require.NoError(t, plain.Revocations().RevokeToken(ctx, "alice", "j-revoked", now.Add(time.Hour)))
			require.NoError(t, plain.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
			// Their invalidations arrive: a read under way when one does
			// is not stored.
			eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) >= gen+2 })

			revokedCommands := func(ref bearer.TokenRef, want bool) int64 {
				t.Helper()
				before := counter.n.Load()
				got, err := rev.Revoked(ctx, &ref)
				require.NoError(t, err)
				assert.Equal(t, want, got, "%+v", ref)
				return counter.n.Load() - before
			}
			check := func(ref bearer.TokenRef, want bool, commands int64) {
				t.Helper()
				assert.Equal(t, commands, revokedCommands(ref, want), "commands for %+v", ref)
			}
			// checkWarm: the first check of ref reads Redis, the second
			// the copy.
			checkWarm := func(ref bearer.TokenRef, want bool) {
				t.Helper()
				cold, warm := steady(t, s, func() (int64, int64) { return revokedCommands(ref, want), revokedCommands(ref, want) })
				assert.Equal(t, int64(1), cold, "commands for %+v, cold", ref)
				assert.Equal(t, int64(0), warm, "commands for %+v, warm", ref)
			}
			live := bearer.TokenRef{Subject: "alice", ID: "j-live", SessionID: "s1", IssuedAt: now.Unix()}
			revoked := bearer.TokenRef{Subject: "alice", ID: "j-revoked", SessionID: "s1", IssuedAt: now.Unix()}
			checkWarm(live, false)
			checkWarm(revoked, true)

			listCommands := func() int64 {
				t.Helper()
				before := counter.n.Load()
				set, err := s.Lists().AllowSet(ctx, "acct")
				require.NoError(t, err)
				assert.True(t, set.Contains(netip.MustParseAddr("192.0.2.7")))
				return counter.n.Load() - before
			}
			cold, warm := steady(t, s, func() (int64, int64) { return listCommands(), listCommands() })
			assert.Equal(t, int64(1), cold)
			assert.Equal(t, int64(0), warm, "a warm allowlist read")

			// Writes by a Store without a copy invalidate this one's.
			require.NoError(t, plain.Revocations().RevokeSession(ctx, "alice", "s1", now.Add(time.Hour)))
			require.NoError(t, plain.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}))
			eventually(t, func() bool {
				got, err := rev.Revoked(ctx, &live)
				return err == nil && got
			})
			eventually(t, func() bool {
				set, err := s.Lists().AllowSet(ctx, "acct")
				return err == nil && set.Contains(netip.MustParseAddr("198.51.100.7"))
			})
			// A subject's not-before.
			other := bearer.TokenRef{Subject: "bob", ID: "j", IssuedAt: now.Unix()}
			checkWarm(other, false)
			require.NoError(t, plain.Revocations().RevokeSubject(ctx, "bob", now, now.Add(time.Hour)))
			eventually(t, func() bool {
				got, err := rev.Revoked(ctx, &other)
				return err == nil && got
			})
			// Establish drops everything.
			checkWarm(bearer.TokenRef{Subject: "carol", ID: "j"}, false)
			gen = redisstore.LocalCacheGeneration(s)
			require.NoError(t, plain.Establish(ctx))
			eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) != gen })
			check(bearer.TokenRef{Subject: "carol", ID: "j"}, false, 1)
		})
	}
}

// eventually fails t unless cond holds within 2 s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 2 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// TestLocalCacheReadBeforeInvalidation: a read that started before a
// revocation and its invalidation does not store its (stale) answer.
func TestLocalCacheReadBeforeInvalidation(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			writer, s, counter := cachePair(t, d, redisstore.LocalCache{})
			ctx := context.Background()
			now := time.Now()
			ref := bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: now.Unix()}
			list := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
			gen := redisstore.LocalCacheGeneration(s)
			require.NoError(t, writer.Lists().Set(ctx, "acct", list))
			eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) > gen })

			// Between the read and the store: the write, and its
			// invalidation received.
			var once atomic.Bool
			var write func()
			redisstore.SetLocalCacheAfterRead(s, func() {
				if once.Swap(true) {
					return
				}
				gen := redisstore.LocalCacheGeneration(s)
				write()
				eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) != gen })
			})
			write = func() { require.NoError(t, writer.Revocations().RevokeToken(ctx, "alice", "j1", now.Add(time.Hour))) }
			got, err := s.Revocations().Revoked(ctx, &ref)
			require.NoError(t, err)
			assert.False(t, got, "the read ran before the revocation")
			before := counter.n.Load()
			got, err = s.Revocations().Revoked(ctx, &ref)
			require.NoError(t, err)
			assert.True(t, got, "the stale answer was stored")
			assert.Equal(t, int64(1), counter.n.Load()-before)

			once.Store(false)
			write = func() {
				require.NoError(t, writer.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}))
			}
			set, err := s.Lists().AllowSet(ctx, "acct")
			require.NoError(t, err)
			assert.True(t, set.Contains(netip.MustParseAddr("192.0.2.7")), "the read ran before the write")
			set, err = s.Lists().AllowSet(ctx, "acct")
			require.NoError(t, err)
			assert.True(t, set.Contains(netip.MustParseAddr("198.51.100.7")), "the stale list was stored")
		})
	}
}

// TestLocalCacheDroppedWithSubscription: when the invalidation connection
// breaks, the copy is dropped; a revocation written meanwhile (its
// invalidation lost) is honoured on the next request, and the copy is
// used again once the subscription is back.
func TestLocalCacheDroppedWithSubscription(t *testing.T) {
	direct := redistest.Client(t)
	prefix := redistest.Prefix(t, direct)
	writer, err := redisstore.New(redisstore.Config{Client: direct, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, writer)
	proxy := redistest.NewProxy(t, redistest.Addr())
	c := redis.NewClient(redistest.Options(proxy.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	counter := &commandCounter{}
	c.AddHook(counter)
	s := cachedStore(t, c, prefix, redisstore.LocalCache{})
	ctx := context.Background()
	now := time.Now()
	ref := bearer.TokenRef{Subject: "alice", ID: "j1", SessionID: "s1", IssuedAt: now.Unix()}
	require.NoError(t, writer.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
	warm := func() {
		t.Helper()
		for range 2 {
			got, err := s.Revocations().Revoked(ctx, &ref)
			require.NoError(t, err)
			require.False(t, got)
			_, err = s.Lists().AllowSet(ctx, "acct")
			require.NoError(t, err)
		}
		before := counter.n.Load()
		_, err := s.Revocations().Revoked(ctx, &ref)
		require.NoError(t, err)
		require.Equal(t, int64(0), counter.n.Load()-before, "warm")
	}
	warm()

	proxy.Stop()
	waitLive(t, s, false)
	require.NoError(t, writer.Revocations().RevokeSession(ctx, "alice", "s1", now.Add(time.Hour)))
	require.NoError(t, writer.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}))
	_, err = s.Revocations().Revoked(ctx, &ref)
	require.Error(t, err, "Redis is unreachable: no cached answer")
	_, err = s.Lists().AllowSet(ctx, "acct")
	require.Error(t, err, "Redis is unreachable: no cached list")

	require.NoError(t, proxy.Start())
	got, err := s.Revocations().Revoked(ctx, &ref)
	require.NoError(t, err)
	assert.True(t, got, "the revocation written while the subscription was down")
	set, err := s.Lists().AllowSet(ctx, "acct")
	require.NoError(t, err)
	assert.True(t, set.Contains(netip.MustParseAddr("198.51.100.7")), "the list written while the subscription was down")

	// Back in use once the subscription is confirmed again.
	waitLive(t, s, true)
	ref.SessionID = "s2"
	warm()
}

// TestLocalCacheHealthCheck: a subscription whose connection stays open
// but stops answering is given up within twice the health-check
// interval, and the copy with it.
func TestLocalCacheHealthCheck(t *testing.T) {
	direct := redistest.Client(t)
	prefix := redistest.Prefix(t, direct)
	writer, err := redisstore.New(redisstore.Config{Client: direct, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, writer)
	proxy := redistest.NewProxy(t, redistest.Addr())
	c := redis.NewClient(redistest.Options(proxy.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	s := cachedStore(t, c, prefix, redisstore.LocalCache{HealthCheck: 50 * time.Millisecond})
	time.Sleep(200 * time.Millisecond) // several health checks answered
	require.True(t, s.LocalCacheLive())
	proxy.Stall()
	start := time.Now()
	waitLive(t, s, false)
	t.Logf("silent subscription detected after %v", time.Since(start))
	proxy.Resume()
	waitLive(t, s, true)
}

// TestLocalCacheBounded: the copy holds at most MaxEntries answers, and an
// answer older than MaxAge is read again.
func TestLocalCacheBounded(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	prefix := redistest.Prefix(t, c)
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	s, err := redisstore.New(redisstore.Config{
		Client: c, Prefix: prefix, SkipServerCheck: true, Now: func() time.Time { return time.Unix(0, clock.Load()) },
		LocalCache: redisstore.LocalCache{Enabled: true, MaxEntries: 10, MaxAge: time.Minute}, Logger: quiet,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	established(t, s)
	waitLive(t, s, true)
	ctx := context.Background()
	commands := func(ref bearer.TokenRef) int64 {
		before := counter.n.Load()
		_, err := s.Revocations().Revoked(ctx, &ref)
		require.NoError(t, err)
		return counter.n.Load() - before
	}
	for i := range 100 {
		commands(bearer.TokenRef{Subject: string(rune('a' + i)), ID: "j"})
	}
	cached := 0
	for i := range 100 {
		if commands(bearer.TokenRef{Subject: string(rune('a' + i)), ID: "j"}) == 0 {
			cached++
		}
	}
	assert.LessOrEqual(t, cached, 10, "answers kept beyond MaxEntries")

	ref := bearer.TokenRef{Subject: "aged", ID: "j"}
	commands(ref)
	assert.Equal(t, int64(0), commands(ref))
	clock.Add(int64(time.Minute))
	assert.Equal(t, int64(1), commands(ref), "an answer older than MaxAge")
}

// TestLocalCachePropagation measures how long a revocation written by one
// Store takes to reach another Store's copy; it logs p50 and p99 and
// asserts only a generous bound.
func TestLocalCachePropagation(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			prefix := redistest.Prefix(t, c)
			establishPrefix(t, c, prefix)
			a := cachedStore(t, c, prefix, redisstore.LocalCache{})
			b := cachedStore(t, d.client(t), prefix, redisstore.LocalCache{})
			p50, p99 := propagation(t, a, b, 100)
			t.Logf("revocation propagation over %d revocations: p50 %v, p99 %v", 100, p50, p99)
			assert.Less(t, p99, 2*time.Second)
		})
	}
}

// propagation revokes n tokens on b, each cached as live by a, and
// returns the p50 and p99 of the time from the start of the write until a
// refuses the token.
func propagation(tb testing.TB, a, b *redisstore.Store, n int) (p50, p99 time.Duration) {
	tb.Helper()
	ctx := context.Background()
	took := make([]time.Duration, 0, n)
	run := rand.Text()
	for i := range n {
		ref := bearer.TokenRef{Subject: "prop-" + run + "-" + strconv.Itoa(i), ID: "j"}
		for range 2 {
			got, err := a.Revocations().Revoked(ctx, &ref)
			require.NoError(tb, err)
			require.False(tb, got)
		}
		start := time.Now()
		require.NoError(tb, b.Revocations().RevokeToken(ctx, ref.Subject, "j", start.Add(time.Hour)))
		for {
			got, err := a.Revocations().Revoked(ctx, &ref)
			require.NoError(tb, err)
			if got {
				break
			}
			if time.Since(start) > 5*time.Second {
				tb.Fatalf("revocation of %s not seen within 5 s", ref.Subject)
			}
			time.Sleep(20 * time.Microsecond)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2], took[(len(took)*99+99)/100-1]
}

// TestLocalCacheAPIRequest: an API request through the Store's read-ahead
// scope, the bearer middleware and the per-account allowlist makes one
// round trip cold (the revocation check and the allowlist in one
// pipeline) and none warm (the bearer middleware's own verified-token
// cache off, so every request asks the revocation store); a revocation
// by another Store is refused.
func TestLocalCacheAPIRequest(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			counter := &commandCounter{}
			c.AddHook(counter)
			prefix := redistest.Prefix(t, c)
			plain, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second})
			require.NoError(t, err)
			seedAllEpochs(t, plain)
			ctx := context.Background()
			s, err := redisstore.New(redisstore.Config{
				Client: c, Prefix: prefix, Timeout: 2 * time.Second, SkipServerCheck: true,
				LocalCache: redisstore.LocalCache{Enabled: true}, AllowlistAccount: ipallowAccount, Logger: quiet,
			})
			require.NoError(t, err)
			t.Cleanup(func() { _ = s.Close() })
			waitLive(t, s, true)
			// Its invalidation arrives (the only message: the epoch records
			// were written without Establish's clear-all), so none arrives
			// during the first call.
			gen := redisstore.LocalCacheGeneration(s)
			require.NoError(t, plain.Lists().Set(ctx, "alice", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
			eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) > gen })

			auth, err := bearer.New(bearer.Config{
				Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bench", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
				Revocations: s.Revocations(), CacheSize: new(0),
			})
			require.NoError(t, err)
			pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: s.Lists()})
			require.NoError(t, err)
			h := s.Middleware(auth.Middleware(pp.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))))
			tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
				"iss": "bench", "sub": "alice", "jti": "j1", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
			}).SignedString(testSecret)
			require.NoError(t, err)
			call := func() (status int, commands int64) {
				r := httptest.NewRequest(http.MethodGet, "/", nil)
				r.RemoteAddr = "192.0.2.7:1234"
				r.Header.Set("Authorization", "Bearer "+tok)
				w := httptest.NewRecorder()
				before := counter.n.Load()
				h.ServeHTTP(w, r)
				return w.Code, counter.n.Load() - before
			}
			cold, warm := steady(t, s, func() (int64, int64) {
				status, cold := call()
				assert.Equal(t, http.StatusNoContent, status)
				status, warm := call()
				assert.Equal(t, http.StatusNoContent, status)
				return cold, warm
			})
			assert.Equal(t, int64(1), cold, "cold: the revocation check and the allowlist, in one pipeline")
			assert.Equal(t, int64(0), warm, "warm")

			require.NoError(t, plain.Revocations().RevokeToken(ctx, "alice", "j1", time.Now().Add(time.Hour)))
			eventually(t, func() bool { status, _ := call(); return status == http.StatusUnauthorized })
		})
	}
}

// TestLocalCacheDroppedOnClusterKill: on a cluster the Store subscribes on
// every master. Killing one of those subscriptions (CLIENT KILL, as a
// failover does) drops the copy; it comes back live only once every
// master's subscription is confirmed again, not while one is missing.
func TestLocalCacheDroppedOnClusterKill(t *testing.T) {
	redistest.Cluster(t) // skips or fails without a cluster
	opts := redistest.ClusterOptions(redistest.ClusterAddrs())
	opts.ClientName = "gatehouse-test-" + rand.Text()
	c := redis.NewClusterClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	counter := &commandCounter{}
	c.AddHook(counter)
	prefix := redistest.Prefix(t, c)
	plain, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, plain)
	s := cachedStore(t, c, prefix, redisstore.LocalCache{})
	ctx := context.Background()
	ref := bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: time.Now().Unix()}
	commands := func() int64 {
		before := counter.n.Load()
		got, err := s.Revocations().Revoked(ctx, &ref)
		require.NoError(t, err)
		require.False(t, got)
		return counter.n.Load() - before
	}
	commands()
	require.Equal(t, int64(0), commands(), "warm")

	// subscriptions returns, per master, the IDs of the Store's
	// subscription connections.
	subscriptions := func() map[string][]string {
		var mu sync.Mutex
		subs := make(map[string][]string)
		err := c.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			list, err := node.ClientList(ctx).Result()
			if err != nil {
				return err
			}
			var ids []string
			for line := range strings.SplitSeq(list, "\n") {
				if !strings.Contains(line, " name="+opts.ClientName+" ") || !strings.Contains(line, " flags=P ") {
					continue
				}
				for f := range strings.FieldsSeq(line) {
					if id, ok := strings.CutPrefix(f, "id="); ok {
						ids = append(ids, id)
					}
				}
			}
			mu.Lock()
			subs[node.Options().Addr] = ids
			mu.Unlock()
			return nil
		})
		require.NoError(t, err)
		return subs
	}
	subs := subscriptions()
	require.GreaterOrEqual(t, len(subs), 3, "masters")
	var victim string
	for addr, ids := range subs {
		require.Len(t, ids, 1, "one subscription on master %s", addr)
		victim = addr
	}

	// The next round of subscriptions waits, on the victim, before reading
	// its confirmation, until released.
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	redisstore.SetLocalCacheBeforeSession(s, func(addr string) {
		if addr == victim {
			<-release
		}
	})

	gen := redisstore.LocalCacheGeneration(s)
	victimClient := redis.NewClient(redistest.Options(victim))
	t.Cleanup(func() { _ = victimClient.Close() })
	require.NoError(t, victimClient.Do(ctx, "client", "kill", "id", subs[victim][0]).Err())
	eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) > gen })
	require.False(t, s.LocalCacheLive(), "the copy is dropped with one master's subscription")
	assert.Equal(t, int64(1), commands(), "the copy was dropped")

	// Every master has a new subscription, all but the victim's confirmed:
	// the copy stays out of use.
	eventually(t, func() bool {
		for _, ids := range subscriptions() {
			if len(ids) != 1 {
				return false
			}
		}
		return true
	})
	time.Sleep(300 * time.Millisecond)
	assert.False(t, s.LocalCacheLive(), "live with one master's subscription unconfirmed")
	assert.Equal(t, int64(1), commands(), "not used while one master is unconfirmed")
	assert.Equal(t, int64(1), commands(), "not used while one master is unconfirmed")

	unblock()
	waitLive(t, s, true)
	cold, warm := steady(t, s, func() (int64, int64) { return commands(), commands() })
	assert.Equal(t, int64(1), cold, "cold after the resubscription")
	assert.Equal(t, int64(0), warm, "and used again")
}

// TestLocalCacheFollowsMasters: when the cluster's set of masters changes
// (here a ClusterSlots that hides one master's slots, then shows them
// again), the Store drops its copy and subscribes on the new set.
func TestLocalCacheFollowsMasters(t *testing.T) {
	redistest.Cluster(t) // skips or fails without a cluster
	base := redis.NewClusterClient(redistest.ClusterOptions(redistest.ClusterAddrs()))
	t.Cleanup(func() { _ = base.Close() })
	var hidden atomic.Pointer[string]
	opts := redistest.ClusterOptions(redistest.ClusterAddrs())
	opts.ClientName = "gatehouse-test-" + rand.Text()
	opts.ClusterSlots = func(ctx context.Context) ([]redis.ClusterSlot, error) {
		//lint:ignore SA1019 ClusterOptions.ClusterSlots wants CLUSTER SLOTS' own form
		slots, err := base.ClusterSlots(ctx).Result()
		if h := hidden.Load(); err == nil && h != nil {
			slots = slices.DeleteFunc(slots, func(s redis.ClusterSlot) bool { return s.Nodes[0].Addr == *h })
		}
		return slots, err
	}
	c := redis.NewClusterClient(opts)
	t.Cleanup(func() { _ = c.Close() })
	counter := &commandCounter{}
	c.AddHook(counter)
	prefix := redistest.Prefix(t, c)
	plain, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, plain)
	s := cachedStore(t, c, prefix, redisstore.LocalCache{HealthCheck: 100 * time.Millisecond})
	ctx := context.Background()
	ref := bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: time.Now().Unix()}
	commands := func() int64 {
		before := counter.n.Load()
		got, err := s.Revocations().Revoked(ctx, &ref)
		require.NoError(t, err)
		require.False(t, got)
		return counter.n.Load() - before
	}
	// subscribed returns the masters (of base) on which the Store has a
	// subscription connection.
	subscribed := func() []string {
		var mu sync.Mutex
		var addrs []string
		err := base.ForEachMaster(ctx, func(ctx context.Context, node *redis.Client) error {
			list, err := node.ClientList(ctx).Result()
			if err != nil {
				return err
			}
			for line := range strings.SplitSeq(list, "\n") {
				if strings.Contains(line, " name="+opts.ClientName+" ") && strings.Contains(line, " flags=P ") {
					mu.Lock()
					addrs = append(addrs, node.Options().Addr)
					mu.Unlock()
				}
			}
			return nil
		})
		require.NoError(t, err)
		slices.Sort(addrs)
		return addrs
	}
	all := subscribed()
	require.GreaterOrEqual(t, len(all), 3, "one subscription per master")
	commands()
	require.Equal(t, int64(0), commands(), "warm")

	victim := all[0]
	gen := redisstore.LocalCacheGeneration(s)
	hidden.Store(&victim)
	eventually(t, func() bool { return slices.Equal(subscribed(), all[1:]) })
	require.Greater(t, redisstore.LocalCacheGeneration(s), gen)
	cold, warm := steady(t, s, func() (int64, int64) { return commands(), commands() })
	assert.Equal(t, int64(1), cold, "the copy was dropped when the masters changed")
	assert.Equal(t, int64(0), warm, "and is used on the new set")

	hidden.Store(nil)
	eventually(t, func() bool { return slices.Equal(subscribed(), all) })
	cold, warm = steady(t, s, func() (int64, int64) { return commands(), commands() })
	assert.Equal(t, int64(1), cold, "dropped again when the master came back")
	assert.Equal(t, int64(0), warm, "and used on every master")
}

// TestLocalCacheDuplicateMessages: a write's invalidation is applied once
// however many copies of it arrive (on a cluster, one per master), and
// the invalidation of another write of the same subject is applied too.
func TestLocalCacheDuplicateMessages(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			prefix := redistest.Prefix(t, c)
			establishPrefix(t, c, prefix)
			s := cachedStore(t, c, prefix, redisstore.LocalCache{})
			ctx := context.Background()
			settled := func() uint64 {
				t.Helper()
				time.Sleep(300 * time.Millisecond) // every copy delivered
				return redisstore.LocalCacheGeneration(s)
			}
			gen := settled()
			msg := redisstore.InvalMessage("alice")
			require.NoError(t, c.Publish(ctx, prefix+"inval", msg).Err())
			require.NoError(t, c.Publish(ctx, prefix+"inval", msg).Err())
			assert.Equal(t, gen+1, settled(), "two copies of one write's message")
			require.NoError(t, c.Publish(ctx, prefix+"inval", redisstore.InvalMessage("alice")).Err())
			assert.Equal(t, gen+2, settled(), "another write of the same subject")
			require.NoError(t, c.Publish(ctx, prefix+"inval", "ralice").Err())
			assert.Greater(t, settled(), gen+2, "an untagged message (applied once per copy)")
		})
	}
}

// TestLocalCacheConfig: negative LocalCache values are refused.
func TestLocalCacheConfig(t *testing.T) {
	for _, lc := range []redisstore.LocalCache{
		{Enabled: true, MaxEntries: -1},
		{Enabled: true, MaxAge: -time.Second},
		{Enabled: true, HealthCheck: -time.Second},
	} {
		_, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:1", SkipServerCheck: true, LocalCache: lc})
		assert.ErrorIs(t, err, redisstore.ErrConfig, "%+v", lc)
	}
}

// TestLocalCacheReadsItsOwnWrites: a Store's own revocation or allowlist
// write is honoured by its next read, without waiting for the
// invalidation to come back from Redis.
func TestLocalCacheReadsItsOwnWrites(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			prefix := redistest.Prefix(t, c)
			establishPrefix(t, c, prefix)
			s := cachedStore(t, c, prefix, redisstore.LocalCache{})
			ctx := context.Background()
			now := time.Now()
			for i := range 20 {
				ref := bearer.TokenRef{Subject: "alice-" + strconv.Itoa(i), ID: "j", SessionID: "s", IssuedAt: now.Unix()}
				for range 2 {
					got, err := s.Revocations().Revoked(ctx, &ref)
					require.NoError(t, err)
					require.False(t, got)
				}
				switch i % 3 {
				case 0:
					require.NoError(t, s.Revocations().RevokeToken(ctx, ref.Subject, "j", now.Add(time.Hour)))
				case 1:
					require.NoError(t, s.Revocations().RevokeSession(ctx, ref.Subject, "s", now.Add(time.Hour)))
				case 2:
					require.NoError(t, s.Revocations().RevokeSubject(ctx, ref.Subject, now, now.Add(time.Hour)))
				}
				got, err := s.Revocations().Revoked(ctx, &ref)
				require.NoError(t, err)
				require.True(t, got, "revocation %d by the same Store", i)

				account := "acct-" + strconv.Itoa(i)
				for range 2 {
					set, err := s.Lists().AllowSet(ctx, account)
					require.NoError(t, err)
					require.Nil(t, set)
				}
				require.NoError(t, s.Lists().Set(ctx, account, []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
				set, err := s.Lists().AllowSet(ctx, account)
				require.NoError(t, err)
				require.NotNil(t, set, "list %d set by the same Store", i)
			}
		})
	}
}

// The copy keeps the answers of two tokens of one subject apart whatever
// bytes their jti and sid hold: a token whose jti and sid run together to
// the same text as another's (jti "a" with sid "b\x00", jti "a\x00b"
// without a sid) does not pass on the other's answer once it is revoked.
func TestLocalCacheTokensKeptApart(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			prefix := redistest.Prefix(t, c)
			establishPrefix(t, c, prefix)
			s := cachedStore(t, c, prefix, redisstore.LocalCache{})
			ctx := context.Background()
			now := time.Now()
			require.NoError(t, s.Revocations().RevokeToken(ctx, "alice", "a\x00b", now.Add(time.Hour)))
			other := bearer.TokenRef{Subject: "alice", ID: "a", SessionID: "b\x00", IssuedAt: now.Unix()}
			for range 2 { // from Redis, then from the copy
				got, err := s.Revocations().Revoked(ctx, &other)
				require.NoError(t, err)
				require.False(t, got)
			}
			require.True(t, redisstore.LocalCacheHolds(s, "alice", ""), "the copy holds the first token's answer")
			revoked := bearer.TokenRef{Subject: "alice", ID: "a\x00b", IssuedAt: now.Unix()}
			got, err := s.Revocations().Revoked(ctx, &revoked)
			require.NoError(t, err)
			require.True(t, got, "the revoked token is refused, not answered with the other token's answer")
		})
	}
}

// After a Sentinel failover the copy follows the new primary: go-redis
// moves the client's commands there but leaves the subscription on the old
// primary, which Sentinel demotes only seconds later and which meanwhile
// publishes nothing the new primary writes. The copy's check sees that the
// client reaches another server, drops the copy and subscribes on the new
// primary, so a revocation written there is honoured within a HealthCheck.
func TestLocalCacheFollowsSentinelFailover(t *testing.T) {
	ctx := context.Background()
	master := redistest.StartServer(t)
	_, mport, _ := net.SplitHostPort(master.Addr())
	replica := redistest.StartServer(t, "--replicaof", "127.0.0.1", mport)
	_, rport, _ := net.SplitHostPort(replica.Addr())
	rc := redis.NewClient(redistest.Options(replica.Addr()))
	defer rc.Close()
	require.Eventually(t, func() bool {
		return strings.Contains(rc.Info(ctx, "replication").Val(), "master_link_status:up")
	}, 10*time.Second, 20*time.Millisecond)
	sentinel := redistest.StartSentinel(t, "gatehouse", master)
	sc := redis.NewSentinelClient(redistest.Options(sentinel.Addr()))
	defer sc.Close()
	require.Eventually(t, func() bool {
		r, err := sc.Replicas(ctx, "gatehouse").Result()
		return err == nil && len(r) == 1
	}, 20*time.Second, 50*time.Millisecond, "the sentinel knows the replica")
	failover := func() *redis.Client {
		c := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: "gatehouse", SentinelAddrs: []string{sentinel.Addr()},
			DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, ContextTimeoutEnabled: true, MaxRetries: 1})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	ca, cb := failover(), failover()
	prefix := redistest.Prefix(t, cb)
	establishPrefix(t, cb, prefix)
	writer, err := redisstore.New(redisstore.Config{Client: cb, Prefix: prefix, Timeout: 2 * time.Second, SkipServerCheck: true})
	require.NoError(t, err)
	cached := cachedStore(t, ca, prefix, redisstore.LocalCache{})
	now := time.Now()
	tok := bearer.TokenRef{Subject: "alice", ID: "j", IssuedAt: now.Unix()}
	for range 2 {
		got, err := cached.Revocations().Revoked(ctx, &tok)
		require.NoError(t, err)
		require.False(t, got)
	}
	require.Eventually(t, func() bool { // NOGOODSLAVE until the sentinel has seen the replica's link up
		return sc.Failover(ctx, "gatehouse").Err() == nil
	}, 20*time.Second, 100*time.Millisecond, "the sentinel starts a failover")
	require.Eventually(t, func() bool {
		return strings.Contains(cb.Info(ctx, "server").Val(), "tcp_port:"+rport+"\r\n")
	}, 30*time.Second, 50*time.Millisecond, "the writer follows the failover")
	t.Logf("copy live after the switch: %v", cached.LocalCacheLive())
	require.NoError(t, writer.Revocations().RevokeToken(ctx, "alice", "j", now.Add(time.Hour)))
	start := time.Now()
	require.Eventually(t, func() bool {
		got, err := cached.Revocations().Revoked(ctx, &tok)
		return err == nil && got
	}, 3*time.Second, 10*time.Millisecond, "the revocation written on the new master reaches the copy (live: %v)", cached.LocalCacheLive())
	t.Logf("refused after %v", time.Since(start))
}

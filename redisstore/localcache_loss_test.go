package redisstore_test

import (
	"context"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// lossCheck is the LocalCache.HealthCheck of the data-loss tests, and
// lossBound the time they allow the copy to notice a loss: ten checks, a
// generous bound on a busy machine for what takes one check and a round
// trip.
const (
	lossCheck = 100 * time.Millisecond
	lossBound = 10 * lossCheck
)

// within fails t unless cond holds within bound, and returns how long it
// took.
func within(t *testing.T, bound time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > bound {
			t.Fatalf("%s: not within %v", what, bound)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// lossRig is a Store with a local copy, warm with a token's revocation
// answer and an account's allowlist, and what its tests need around it.
type lossRig struct {
	t       *testing.T
	plain   *redisstore.Store // another instance's Store, without a copy
	s       *redisstore.Store // the one with the copy
	counter *commandCounter
	ref     bearer.TokenRef // a live token of alice, issued now
}

// newLossRig warms s's copy with the answers of ref and of the allowlist of
// "acct" (192.0.2.0/24), and checks that they are served from it.
func newLossRig(t *testing.T, plain, s *redisstore.Store, counter *commandCounter) *lossRig {
	t.Helper()
	r := &lossRig{t: t, plain: plain, s: s, counter: counter,
		ref: bearer.TokenRef{Subject: "alice", ID: "j1", SessionID: "s1", IssuedAt: time.Now().Unix()}}
	gen := redisstore.LocalCacheGeneration(s)
	require.NoError(t, plain.Lists().Set(context.Background(), "acct", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}))
	eventually(t, func() bool { return redisstore.LocalCacheGeneration(s) > gen })
	for range 2 {
		revoked, err := r.revoked()
		require.NoError(t, err)
		require.False(t, revoked)
		allowed, err := r.allows()
		require.NoError(t, err)
		require.True(t, allowed)
	}
	r.warm()
	return r
}

// revoked runs the revocation check of the rig's token.
func (r *lossRig) revoked() (bool, error) {
	return r.s.Revocations().Revoked(context.Background(), &r.ref)
}

// allows reads the allowlist of "acct" and reports whether it allows
// 192.0.2.7.
func (r *lossRig) allows() (bool, error) {
	set, err := r.s.Lists().AllowSet(context.Background(), "acct")
	if err != nil {
		return false, err
	}
	return set == nil || set.Contains(netip.MustParseAddr("192.0.2.7")), nil
}

// commands returns the commands f sends.
func (r *lossRig) commands(f func()) int64 {
	before := r.counter.n.Load()
	f()
	return r.counter.n.Load() - before
}

// warm checks that the copy answers both reads without a command.
func (r *lossRig) warm() {
	r.t.Helper()
	require.Equal(r.t, int64(0), r.commands(func() {
		_, err := r.revoked()
		require.NoError(r.t, err)
		_, err = r.allows()
		require.NoError(r.t, err)
	}), "served from the copy")
}

// lost waits (within lossBound) until the copy no longer answers from what
// it held: the reads go to Redis and fail with ErrStateLost. From then on
// the copy is out of use and stores nothing: every read is a command, and
// fails.
func (r *lossRig) lost() {
	r.t.Helper()
	took := within(r.t, lossBound, "the loss reaches the copy", func() bool {
		_, err := r.revoked()
		return err != nil
	})
	r.t.Logf("the copy noticed the loss after %v (HealthCheck %v)", took, lossCheck)
	assert.False(r.t, r.s.LocalCacheLive(), "the copy is out of use")
	for range 2 {
		assert.Equal(r.t, int64(1), r.commands(func() {
			_, err := r.revoked()
			assert.ErrorIs(r.t, err, redisstore.ErrStateLost, "revocations")
		}), "read from Redis, the error not kept")
		assert.Equal(r.t, int64(1), r.commands(func() {
			_, err := r.allows()
			assert.ErrorIs(r.t, err, redisstore.ErrStateLost, "allowlist")
		}), "read from Redis, the error not kept")
	}
}

// cachesAgain waits until the copy is live again and serves the token's
// answer, want, without a command.
func (r *lossRig) cachesAgain(want bool) {
	r.t.Helper()
	waitLive(r.t, r.s, true)
	within(r.t, lossBound, "the copy serves again", func() bool {
		var revoked bool
		n := r.commands(func() {
			var err error
			revoked, err = r.revoked()
			require.NoError(r.t, err)
		})
		require.Equal(r.t, want, revoked)
		return n == 0
	})
}

// TestLocalCacheDataLoss: a loss of data that leaves the subscriptions up
// (here the epoch records and every other key under the test's prefix
// deleted, as FLUSHALL deletes them; on a cluster, on every master) reaches
// the copy within its checks: it stops answering from what it held, the
// reads fail with ErrStateLost as without a copy, and it stores nothing
// until Establish, after which it caches again.
func TestLocalCacheDataLoss(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			plain, s, counter := cachePair(t, d, redisstore.LocalCache{HealthCheck: lossCheck})
			r := newLossRig(t, plain, s, counter)

			flushPrefix(t, plain)
			r.lost()

			established(t, plain)
			r.cachesAgain(false)
		})
	}
}

// TestLocalCacheNewEpoch: epoch records written anew without the
// clear-all of Establish reaching the copy (a loss and Establish between
// two checks, its message lost) drop the copy within its checks: a token
// the new epoch refuses is refused.
func TestLocalCacheNewEpoch(t *testing.T) {
	for _, d := range cacheDeployments {
		t.Run(d.name, func(t *testing.T) {
			plain, s, counter := cachePair(t, d, redisstore.LocalCache{HealthCheck: lossCheck})
			r := newLossRig(t, plain, s, counter)

			began := strconv.FormatInt(time.Now().Truncate(time.Second).Add(time.Second).UnixNano(), 10)
			_, err := plain.Client().Pipelined(context.Background(), func(p redis.Pipeliner) error {
				for _, k := range redisstore.EpochRecordKeys(plain) {
					p.Set(context.Background(), k, began, 0)
				}
				return nil
			})
			require.NoError(t, err)
			took := within(t, lossBound, "the new epoch reaches the copy", func() bool {
				revoked, err := r.revoked()
				require.NoError(t, err)
				return revoked
			})
			t.Logf("the copy noticed the new epoch after %v (HealthCheck %v)", took, lossCheck)
			r.cachesAgain(true)
		})
	}
}

// TestLocalCacheFlushAll: a real FLUSHALL, on a Redis of the test's own,
// reaches the copy within its checks; after the re-seed step (Establish)
// the copy caches again, and the token from before the loss is refused.
func TestLocalCacheFlushAll(t *testing.T) {
	srv := redistest.StartServer(t)
	c := redis.NewClient(redistest.Options(srv.Addr()))
	t.Cleanup(func() { _ = c.Close() })
	counter := &commandCounter{}
	c.AddHook(counter)
	plain, err := redisstore.New(redisstore.Config{Client: c, Prefix: "flushall:", Timeout: 2 * time.Second})
	require.NoError(t, err)
	established(t, plain)
	s := cachedStore(t, c, "flushall:", redisstore.LocalCache{HealthCheck: lossCheck})
	r := newLossRig(t, plain, s, counter)
	r.ref.IssuedAt = time.Now().Add(-time.Second).Unix() // before the new epoch

	require.NoError(t, c.FlushAll(context.Background()).Err())
	r.lost()

	require.NoError(t, plain.Establish(context.Background()))
	r.cachesAgain(true)
}

// TestLocalCacheDataLossOneMaster: on a cluster, one master losing its
// data (here its keys under the test's prefix) takes the whole copy out of
// use: the reads of that master's slots fail with ErrStateLost, those of
// the other masters' slots go to Redis and are not stored, until
// Establish.
func TestLocalCacheDataLossOneMaster(t *testing.T) {
	var d deployment
	for _, dd := range cacheDeployments {
		if dd.name == "cluster" {
			d = dd
		}
	}
	plain, s, counter := cachePair(t, d, redisstore.LocalCache{HealthCheck: lossCheck})
	ctx := context.Background()
	cc := plain.Client().(*redis.ClusterClient)
	master := func(subject string) string {
		node, err := cc.MasterForKey(ctx, plain.Prefix()+"rev:{"+subject+"}:nbf")
		require.NoError(t, err)
		return node.Options().Addr
	}
	other := bearer.TokenRef{ID: "j1", IssuedAt: time.Now().Unix()}
	for i := 0; other.Subject == "" || master(other.Subject) == master("alice"); i++ {
		other.Subject = "bob-" + strconv.Itoa(i)
	}
	for range 2 {
		_, err := s.Revocations().Revoked(ctx, &other)
		require.NoError(t, err)
	}
	r := newLossRig(t, plain, s, counter)
	require.Equal(t, int64(0), r.commands(func() {
		_, err := s.Revocations().Revoked(ctx, &other)
		require.NoError(t, err)
	}), "the other master's answer is served from the copy")

	victim, err := cc.MasterForKey(ctx, plain.Prefix()+"rev:{alice}:nbf")
	require.NoError(t, err)
	redistest.Flush(t, victim, plain.Prefix())
	took := within(t, lossBound, "the loss reaches the copy", func() bool {
		_, err := r.revoked()
		return err != nil
	})
	t.Logf("the copy noticed the loss of master %s after %v (HealthCheck %v)", victim.Options().Addr, took, lossCheck)
	_, err = r.revoked()
	assert.ErrorIs(t, err, redisstore.ErrStateLost)
	assert.False(t, s.LocalCacheLive(), "the copy is out of use")
	for range 2 {
		assert.Equal(t, int64(1), r.commands(func() {
			revoked, err := s.Revocations().Revoked(ctx, &other)
			require.NoError(t, err, "the other master kept its data")
			assert.False(t, revoked)
		}), "read from Redis and not stored")
	}

	established(t, plain)
	r.cachesAgain(false)
}

package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/apikey/apikeytest"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ipallow/ipallowtest"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/issuer/issuertest"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/gatehouse-go/gatehouse/tokenendpoint/tokenendpointtest"
)

// newStore returns a Store on the single test Redis under a prefix of t's
// own, emptied when t ends.
func newStore(t *testing.T, now func() time.Time) *redisstore.Store {
	t.Helper()
	c := redistest.Client(t)
	return storeOn(t, c, now)
}

// storeOn returns a Store on c under a prefix of t's own, emptied when t
// ends.
func storeOn(t *testing.T, c redis.UniversalClient, now func() time.Time) *redisstore.Store {
	t.Helper()
	// A deadline well above one round trip: the kits test behaviour, not
	// speed, and CI runs them under the race detector on two cores.
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), Now: now, Timeout: 2 * time.Second})
	require.NoError(t, err)
	return s
}

// established returns s once its epoch began, an hour ago (see
// Store.Establish), as an application establishes it after seeding: the
// stores that guard access (revocations, allowlists, replay keys) fail
// with ErrStateLost before, and the revocation store refuses tokens issued
// before it. The kits' tokens are issued now, after it.
func established(t testing.TB, s *redisstore.Store) *redisstore.Store {
	t.Helper()
	establishPrefix(t, s.Client(), s.Prefix())
	return s
}

// establishPrefix establishes, as established does, the epoch of the
// Stores on c under prefix.
func establishPrefix(t testing.TB, c redis.UniversalClient, prefix string) {
	t.Helper()
	// A nanosecond before a whole second: Establish waits for it at most a
	// nanosecond.
	past := time.Now().Add(-time.Hour).Truncate(time.Second).Add(-time.Nanosecond)
	e, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Now: func() time.Time { return past }, SkipServerCheck: true})
	require.NoError(t, err)
	require.NoError(t, e.Establish(context.Background()))
}

// A deployment is a kind of Redis the stores are tested on.
type deployment struct {
	name   string
	client func(tb testing.TB) redis.UniversalClient
}

// deployments are the single Redis (GATEHOUSE_REDIS_ADDR), a Redis with a
// Sentinel of the test's own (redistest.Sentinel) and the Redis Cluster
// (GATEHOUSE_REDIS_CLUSTER; skipped when none is configured outside CI).
var deployments = []deployment{
	{"single", func(tb testing.TB) redis.UniversalClient { return redistest.Client(tb) }},
	{"sentinel", func(tb testing.TB) redis.UniversalClient { return redistest.Sentinel(tb) }},
	{"cluster", func(tb testing.TB) redis.UniversalClient { return redistest.Cluster(tb) }},
}

// onEach runs test once per deployment, as the subtests "single",
// "sentinel" and "cluster", with a newStore that returns a Store on that deployment under
// a prefix of its test's own.
func onEach(t *testing.T, test func(t *testing.T, newStore newStoreFunc)) {
	for _, d := range deployments {
		t.Run(d.name, func(t *testing.T) {
			c := d.client(t)
			test(t, func(t *testing.T, now func() time.Time) *redisstore.Store { return storeOn(t, c, now) })
		})
	}
}

// The library's conformance kits, unchanged, against the Redis stores, on
// every deployment.

type newStoreFunc = func(t *testing.T, now func() time.Time) *redisstore.Store

func TestRevocationsConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
			return established(t, newStore(t, now)).Revocations()
		})
	})
}

func TestTokensConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		bearertest.TestTokenStore(t, func(t *testing.T) bearertest.TokenStore {
			return newStore(t, nil).Tokens()
		})
	})
}

func TestAPIKeysConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		apikeytest.TestStore(t, func(t *testing.T) apikey.Store {
			return newStore(t, nil).APIKeys()
		})
	})
}

func TestListsConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor {
			return established(t, newStore(t, nil)).Lists()
		})
	})
}

func TestRateLimitConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
			return newStore(t, nil).RateLimit()
		})
	})
}

func TestFailuresConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		ratelimittest.TestFailureStore(t, func(t *testing.T) ratelimit.FailureStore {
			return newStore(t, nil).Failures()
		})
	})
}

func TestRefreshConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		issuertest.TestRefreshStore(t, func(t *testing.T) issuer.RefreshStore {
			return newStore(t, nil).Refresh()
		})
	})
}

func TestReplayConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		tokenendpointtest.TestReplayStore(t, func(t *testing.T) tokenendpoint.ReplayStore {
			return established(t, newStore(t, nil)).Replay()
		})
	})
}

func TestCredentialsConformance(t *testing.T) {
	onEach(t, func(t *testing.T, newStore newStoreFunc) {
		issuertest.TestCredentialStore(t, func(t *testing.T, accounts ...issuer.Account) issuer.CredentialStore {
			s := newStore(t, nil).Credentials()
			for _, a := range accounts {
				require.NoError(t, s.Put(t.Context(), a))
			}
			return s
		})
	})
}

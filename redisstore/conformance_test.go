package redisstore_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/apikey/apikeytest"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer/issuertest"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ipallow/ipallowtest"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// newStore returns a Store on the test Redis under a prefix of t's own,
// emptied when t ends.
func newStore(t *testing.T, now func() time.Time) *redisstore.Store {
	t.Helper()
	c := redistest.Client(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), Now: now})
	require.NoError(t, err)
	return s
}

// The library's conformance kits, unchanged, against the Redis stores.

func TestRevocationsConformance(t *testing.T) {
	bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
		return newStore(t, now).Revocations()
	})
}

func TestTokensConformance(t *testing.T) {
	bearertest.TestTokenStore(t, func(t *testing.T) bearertest.TokenStore {
		return newStore(t, nil).Tokens()
	})
}

func TestAPIKeysConformance(t *testing.T) {
	apikeytest.TestStore(t, func(t *testing.T) apikey.Store {
		return newStore(t, nil).APIKeys()
	})
}

func TestListsConformance(t *testing.T) {
	ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor {
		return newStore(t, nil).Lists()
	})
}

func TestRateLimitConformance(t *testing.T) {
	ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
		return newStore(t, nil).RateLimit()
	})
}

func TestFailuresConformance(t *testing.T) {
	ratelimittest.TestFailureStore(t, func(t *testing.T) ratelimit.FailureStore {
		return newStore(t, nil).Failures()
	})
}

func TestRefreshConformance(t *testing.T) {
	issuertest.TestRefreshStore(t, func(t *testing.T) issuer.RefreshStore {
		return newStore(t, nil).Refresh()
	})
}

func TestReplayConformance(t *testing.T) {
	issuertest.TestReplayStore(t, func(t *testing.T) issuer.ReplayStore {
		return newStore(t, nil).Replay()
	})
}

func TestCredentialsConformance(t *testing.T) {
	issuertest.TestCredentialStore(t, func(t *testing.T, accounts ...issuer.Account) issuer.CredentialStore {
		s := newStore(t, nil).Credentials()
		for _, a := range accounts {
			require.NoError(t, s.Put(t.Context(), a))
		}
		return s
	})
}

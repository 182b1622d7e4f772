package otelgatehouse_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/apikey/apikeytest"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ipallow/ipallowtest"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/issuer/issuertest"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/ratelimit/ratelimittest"
)

func storeCall(store, op string) string {
	return attrs(otelgatehouse.AttrStore.String(store), otelgatehouse.AttrOperation.String(op))
}

// tokensUnderTest is a wrapped TokenStore with the writes the conformance
// kit sets its cases up with, made on the store beneath.
type tokensUnderTest struct {
	bearer.TokenStore
	m *bearer.MemoryTokens
}

func (s tokensUnderTest) Put(ctx context.Context, hash [32]byte, rec bearer.TokenRecord) error {
	return s.m.Put(ctx, hash, rec)
}

func (s tokensUnderTest) RevokeToken(ctx context.Context, id string) error {
	return s.m.RevokeToken(ctx, id)
}

// TestStoreWrappersConform: every wrapped in-memory store still passes
// its package's conformance kit, and its calls are timed.
func TestStoreWrappersConform(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	t.Run("revocations", func(t *testing.T) {
		bearertest.TestRevocationStore(t, func(t *testing.T, now func() time.Time) bearer.RevocationStore {
			return h.tel.RevocationStore(bearer.NewMemoryRevocations(now))
		})
	})
	t.Run("tokens", func(t *testing.T) {
		bearertest.TestTokenStore(t, func(t *testing.T) bearertest.TokenStore {
			m := bearer.NewMemoryTokens()
			return tokensUnderTest{h.tel.TokenStore(m), m}
		})
	})
	t.Run("apikeys", func(t *testing.T) {
		apikeytest.TestStore(t, func(t *testing.T) apikey.Store { return h.tel.APIKeyStore(apikey.NewMemoryStore()) })
	})
	t.Run("ip lists", func(t *testing.T) {
		ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor { return h.tel.ListEditor(ipallow.NewMemoryLists()) })
	})
	t.Run("ratelimit", func(t *testing.T) {
		ratelimittest.TestStore(t, func(t *testing.T) ratelimit.Store {
			// Wrapped in a type of its own: a bare MemoryStore is returned
			// unwrapped (TestMemoryStoresStayUnwrapped).
			return h.tel.RateLimitStore(struct{ ratelimit.Store }{ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})})
		})
	})
	t.Run("failures", func(t *testing.T) {
		ratelimittest.TestFailureStore(t, func(t *testing.T) ratelimit.FailureStore {
			return h.tel.FailureStore(struct{ ratelimit.FailureStore }{ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})})
		})
	})
	t.Run("refresh", func(t *testing.T) {
		issuertest.TestRefreshStore(t, func(t *testing.T) issuer.RefreshStore {
			s, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{})
			require.NoError(t, err)
			return h.tel.RefreshStore(s)
		})
	})

	got := histograms(t, h.collect(t), otelgatehouse.MetricStoreDuration)
	for _, call := range [][2]string{
		{"revocations", "Revoked"}, {"revocations", "RevokeToken"}, {"revocations", "RevokeSession"}, {"revocations", "RevokeSubject"},
		{"tokens", "LookupToken"},
		{"apikeys", "Lookup"}, {"apikeys", "Put"}, {"apikeys", "Revoke"}, {"apikeys", "Touch"}, {"apikeys", "Delete"},
		{"ip_lists", "AllowList"}, {"ip_lists", "Set"}, {"ip_lists", "AllowSet"},
		{"ratelimit", "Take"},
		{"failures", "Failures"}, {"failures", "AddFailure"}, {"failures", "RemoveFailure"}, {"failures", "ResetFailures"},
		{"refresh", "Create"}, {"refresh", "Lookup"}, {"refresh", "Rotate"}, {"refresh", "RevokeFamily"},
	} {
		assert.Positive(t, got[storeCall(call[0], call[1])].Count, "%s.%s timed", call[0], call[1])
	}
	// The kits' not-found, duplicate, invalid-record and reuse cases are
	// answers, not failures: the stores that have only those report no
	// error but for the kits' canceled contexts. (The revocation and rate-limit kits' empty ids and invalid
	// limits are caller mistakes, and do count.)
	for key := range counts(t, h.collect(t), otelgatehouse.MetricStoreErrors) {
		if strings.Contains(key, "error.type=canceled") {
			continue // the kits' canceled contexts
		}
		for _, answersOnly := range []string{"=apikeys", "=refresh", "=tokens", "=ip_lists", "=failures"} {
			assert.NotContains(t, key, answersOnly, "%s", key)
		}
	}
}

// listOnly is a ListStore and nothing more.
type listOnly struct{ l *ipallow.MemoryLists }

func (s listOnly) AllowList(ctx context.Context, account string) ([]netip.Prefix, error) {
	return s.l.AllowList(ctx, account)
}

// batchingFailures is a FailureBatcher over the memory store, a key at a
// time.
type batchingFailures struct{ *ratelimit.MemoryFailureStore }

func (b batchingFailures) AddFailures(ctx context.Context, attempts []ratelimit.Attempt, window time.Duration, now time.Time) ([]ratelimit.FailureCount, error) {
	out := make([]ratelimit.FailureCount, len(attempts))
	for i, a := range attempts {
		n, reset, err := b.AddFailure(ctx, a.Key, a.ID, window, now)
		if err != nil {
			return nil, err
		}
		out[i] = ratelimit.FailureCount{Count: n, ResetAt: reset}
	}
	return out, nil
}

func (b batchingFailures) SettleFailures(ctx context.Context, reset []string, remove []ratelimit.Attempt, now time.Time) error {
	var errs []error
	for _, k := range reset {
		errs = append(errs, b.ResetFailures(ctx, k))
	}
	for _, a := range remove {
		errs = append(errs, b.RemoveFailure(ctx, a.Key, a.ID, now))
	}
	return errors.Join(errs...)
}

// pairRevocations revokes a token and its session in one call, as
// redisstore's store does.
type pairRevocations struct {
	*bearer.MemoryRevocations
	pairs atomic.Int32
}

func (p *pairRevocations) RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error {
	p.pairs.Add(1)
	if err := p.RevokeToken(ctx, subject, jti, tokenUntil); err != nil {
		return err
	}
	return p.RevokeSession(ctx, subject, sid, sessionUntil)
}

// TestStoreWrappersKeepOptionalInterfaces: a wrapper implements the
// optional interfaces its store implements, and only those.
func TestStoreWrappersKeepOptionalInterfaces(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})

	full := h.tel.ListStore(ipallow.NewMemoryLists())
	_, isEditor := full.(ipallow.ListEditor)
	_, isSets := full.(ipallow.SetStore)
	assert.True(t, isEditor && isSets, "MemoryLists is both")
	bare := h.tel.ListStore(listOnly{ipallow.NewMemoryLists()})
	_, isEditor = bare.(ipallow.ListEditor)
	_, isSets = bare.(ipallow.SetStore)
	assert.False(t, isEditor || isSets, "a plain ListStore stays plain")

	_, isBatcher := h.tel.FailureStore(struct{ ratelimit.FailureStore }{ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})}).(ratelimit.FailureBatcher)
	assert.False(t, isBatcher)
	batched := h.tel.FailureStore(batchingFailures{ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})})
	_, isBatcher = batched.(ratelimit.FailureBatcher)
	assert.True(t, isBatcher)
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 3, Store: batched})
	require.NoError(t, err)
	attempts, err := throttle.BeginAll(context.Background(), "ip:192.0.2.1", "user:alice")
	require.NoError(t, err)
	require.NoError(t, throttle.Settle(context.Background(), nil, attempts...))

	type pair interface {
		RevokeTokenAndSession(context.Context, string, string, time.Time, string, time.Time) error
	}
	_, isPair := h.tel.RevocationStore(bearer.NewMemoryRevocations(nil)).(pair)
	assert.False(t, isPair)
	under := &pairRevocations{MemoryRevocations: bearer.NewMemoryRevocations(nil)}
	revs := h.tel.RevocationStore(under)
	_, isPair = revs.(pair)
	require.True(t, isPair)

	// issuer's logout revokes the token and its session in one call
	// through the wrapper.
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://issuer.test", Audiences: []string{"api"}, Key: issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Credentials: mustCredentials(t), Revocations: revs, BcryptCost: 4,
	})
	require.NoError(t, err)
	pairTokens := login(t, iss, "alice", "alice-password")
	r := gatehousetest.Request(t, "POST", "/logout", gatehousetest.WithBearer(pairTokens.Access))
	assert.Equal(t, http.StatusOK, gatehousetest.Serve(http.HandlerFunc(iss.Logout), r).Code)
	assert.Equal(t, int32(1), under.pairs.Load())

	got := histograms(t, h.collect(t), otelgatehouse.MetricStoreDuration)
	assert.Equal(t, uint64(1), got[storeCall("revocations", "RevokeTokenAndSession")].Count)
	assert.Equal(t, uint64(1), got[storeCall("failures", "AddFailures")].Count)
	assert.Equal(t, uint64(1), got[storeCall("failures", "SettleFailures")].Count)
}

// slowRevocations answers Revoked with a timeout while down is set: a
// Redis that stopped answering.
type slowRevocations struct {
	*bearer.MemoryRevocations
	down atomic.Bool
}

func (s *slowRevocations) Revoked(ctx context.Context, ref *bearer.TokenRef) (bool, error) {
	if s.down.Load() {
		return false, fmt.Errorf("redisstore: revoked: %w", context.DeadlineExceeded)
	}
	return s.MemoryRevocations.Revoked(ctx, ref)
}

// TestStoreFailureCounted: a failing store call through the real bearer
// middleware is a 503, timed with error.type and counted as an error;
// an answer such as an unknown API key is not an error.
func TestStoreFailureCounted(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	p := gatehousetest.NewProvider(t, gatehousetest.WithAlgorithm("HS256"))
	revs := &slowRevocations{MemoryRevocations: bearer.NewMemoryRevocations(nil)}
	auth := p.Authenticator(t, bearer.Config{Revocations: h.tel.RevocationStore(revs)})
	api := auth.Middleware(ok200)
	tok := p.Token(t, gatehousetest.Claims{})
	assert.Equal(t, 200, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(tok))).Code)
	revs.down.Store(true)
	assert.Equal(t, 503, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(tok))).Code)
	assert.Equal(t, 503, gatehousetest.Serve(api, gatehousetest.Request(t, "GET", "/", gatehousetest.WithBearer(tok))).Code)

	keys := gatehousetest.NewAPIKeys(t)
	keyAuth := keys.Authenticator(t, apikey.Config{Store: h.tel.APIKeyStore(keys.Store())})
	unknown, _, err := apikey.Generate("test")
	require.NoError(t, err)
	assert.Equal(t, 401, gatehousetest.Serve(keyAuth.Middleware(ok200), gatehousetest.Request(t, "GET", "/", gatehousetest.WithAPIKey(unknown))).Code)

	rm := h.collect(t)
	timeout := semconv.ErrorTypeKey.String("timeout")
	failed := attrs(otelgatehouse.AttrStore.String("revocations"), otelgatehouse.AttrOperation.String("Revoked"), timeout)
	assert.Equal(t, map[string]int64{failed: 2}, counts(t, rm, otelgatehouse.MetricStoreErrors))
	got := histograms(t, rm, otelgatehouse.MetricStoreDuration)
	assert.Equal(t, uint64(1), got[storeCall("revocations", "Revoked")].Count)
	assert.Equal(t, uint64(2), got[failed].Count)
	assert.Equal(t, uint64(1), got[storeCall("apikeys", "Lookup")].Count, "key not found is an answer")
}

// TestMemoryStoresStayUnwrapped: the in-memory rate-limit and failure
// stores are returned as they are. The FailureThrottle hands a
// MemoryFailureStore its Max, which decides which keys are lockouts the
// full store never evicts: behind a wrapper, a lockout under a Max below
// the store's default could be evicted by a flood of other keys, and
// cleared.
func TestMemoryStoresStayUnwrapped(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	mem := ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{MaxKeys: 16})
	assert.Same(t, mem, h.tel.FailureStore(mem))
	lim := ratelimit.NewMemoryStore(ratelimit.MemoryConfig{})
	assert.Same(t, lim, h.tel.RateLimitStore(lim))

	// The lockout survives a flood of other keys through the store the
	// wrapper returned.
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 2, Store: h.tel.FailureStore(mem)})
	require.NoError(t, err)
	ctx := context.Background()
	for range 2 {
		_, err := throttle.Begin(ctx, "ip:victim")
		require.NoError(t, err)
	}
	for i := range 200 {
		_, _ = throttle.Begin(ctx, fmt.Sprintf("ip:flood-%d", i))
	}
	_, err = throttle.Begin(ctx, "ip:victim")
	assert.ErrorIs(t, err, ratelimit.ErrThrottled, "the victim stays locked out")
}

package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

var testSecret = []byte("0123456789abcdef0123456789abcdef")

// instance is one API server of a fleet: bearer authentication with
// revocations in Redis, then a rate limit of 3 per minute per principal in
// Redis. Each instance has its own redisstore.Store (its own connection
// pool), as separate processes would.
type instance struct {
	store *redisstore.Store
	srv   *httptest.Server
}

func newInstance(t *testing.T, addr, prefix string) *instance {
	t.Helper()
	s, err := redisstore.New(redisstore.Config{Addr: addr, Prefix: prefix, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	established(t, s)
	t.Cleanup(func() { _ = s.Close() })
	auth, err := bearer.New(bearer.Config{
		Algorithms:  []string{"HS256"},
		Issuers:     []bearer.Issuer{{URL: "fleet", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
		Revocations: s.Revocations(),
	})
	require.NoError(t, err)
	lim, err := ratelimit.New(ratelimit.Config{Limit: ratelimit.PerMinute(3), Store: s.RateLimit()})
	require.NoError(t, err)
	h := gatehouse.Chain(auth.Middleware, lim.Middleware)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		envelope.OK(w, map[string]string{"sub": p.Subject})
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &instance{store: s, srv: srv}
}

func sign(t *testing.T, sub, jti string) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "fleet", "sub": sub, "jti": jti, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(testSecret)
	require.NoError(t, err)
	return tok
}

func get(t *testing.T, in *instance, token string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, in.srv.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := in.srv.Client().Do(req)
	require.NoError(t, err)
	_ = res.Body.Close()
	return res
}

// Two instances on one Redis agree on revocations and rate limits; both
// fail closed with 503 while Redis is unreachable and recover on their own.
func TestFleetSharesStateAndFailsClosed(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	proxy := redistest.NewProxy(t, redistest.Addr())
	a := newInstance(t, proxy.Addr(), prefix)
	b := newInstance(t, proxy.Addr(), prefix)
	ctx := context.Background()

	t.Run("a revocation on A is refused on B", func(t *testing.T) {
		tok := sign(t, "alice", "jti-"+rand.Text())
		assert.Equal(t, http.StatusOK, get(t, a, tok).StatusCode)
		assert.Equal(t, http.StatusOK, get(t, b, tok).StatusCode, "B caches the verified token")
		claims := jwt.MapClaims{}
		_, _, err := jwt.NewParser().ParseUnverified(tok, claims)
		require.NoError(t, err)
		require.NoError(t, a.store.Revocations().RevokeToken(ctx, claims["sub"].(string), claims["jti"].(string), time.Now().Add(time.Hour)))
		assert.Equal(t, http.StatusUnauthorized, get(t, b, tok).StatusCode, "B refuses at once, cache hit or not")
		assert.Equal(t, http.StatusUnauthorized, get(t, a, tok).StatusCode)
	})

	t.Run("the rate limit is shared", func(t *testing.T) {
		tok := sign(t, "bob", "jti-"+rand.Text())
		for i, in := range []*instance{a, b, a} {
			require.Equal(t, http.StatusOK, get(t, in, tok).StatusCode, "request %d", i+1)
		}
		res := get(t, b, tok)
		assert.Equal(t, http.StatusTooManyRequests, res.StatusCode, "the fourth request, on B, is over the fleet's limit")
		assert.Equal(t, "20", res.Header.Get("Retry-After"), "one token per 20 s")
	})

	t.Run("outage: 503, then recovery", func(t *testing.T) {
		tok := sign(t, "carol", "jti-"+rand.Text())
		require.Equal(t, http.StatusOK, get(t, a, tok).StatusCode)
		proxy.Stop()
		for _, in := range []*instance{a, b} {
			res := get(t, in, tok)
			assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode, "fail closed, never 200")
		}
		require.NoError(t, proxy.Start())
		for _, in := range []*instance{a, b} {
			require.Eventually(t, func() bool { return get(t, in, tok).StatusCode == http.StatusOK },
				10*time.Second, 50*time.Millisecond, "the instance recovers by itself")
		}
	})
}

// Every store method returns an error while Redis is unreachable, and
// works again once it is back.
func TestOutageEveryStore(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	proxy := redistest.NewProxy(t, redistest.Addr())
	s, err := redisstore.New(redisstore.Config{Addr: proxy.Addr(), Prefix: prefix, Timeout: 200 * time.Millisecond})
	require.NoError(t, err)
	established(t, s)
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	now := time.Now()
	h := bearer.HashToken("opaque-" + rand.Text())
	pw, err := issuer.HashPassword("pw", 4)
	require.NoError(t, err)

	ops := []struct {
		name string
		op   func() error
	}{
		{"Revoked", func() error {
			_, err := s.Revocations().Revoked(ctx, &bearer.TokenRef{Subject: "u", ID: "j"})
			return err
		}},
		{"RevokeToken", func() error { return s.Revocations().RevokeToken(ctx, "u", "j", now.Add(time.Hour)) }},
		{"LookupToken", func() error {
			_, err := s.Tokens().LookupToken(ctx, h)
			if errors.Is(err, bearer.ErrTokenNotFound) {
				return nil
			}
			return err
		}},
		{"Put token", func() error { return s.Tokens().Put(ctx, h, bearer.TokenRecord{ID: "t1"}) }},
		{"Lookup key", func() error {
			_, err := s.APIKeys().Lookup(ctx, h)
			if err != nil && isNotFound(err) {
				return nil
			}
			return err
		}},
		{"AllowSet", func() error { _, err := s.Lists().AllowSet(ctx, "acct"); return err }},
		{"Set list", func() error {
			return s.Lists().Set(ctx, "acct", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
		}},
		{"Take", func() error { _, err := s.RateLimit().Take(ctx, "k", ratelimit.PerSecond(5), now); return err }},
		{"AddFailure", func() error { _, _, err := s.Failures().AddFailure(ctx, "k", "a1", time.Minute, now); return err }},
		{"RemoveFailure", func() error { return s.Failures().RemoveFailure(ctx, "k", "a1", now) }},
		{"Lookup refresh", func() error {
			_, err := s.Refresh().Lookup(ctx, "fam", h, now)
			if errors.Is(err, issuer.ErrRefreshNotFound) {
				return nil
			}
			return err
		}},
		{"Use", func() error { _, err := s.Replay().Use(ctx, "c", rand.Text(), time.Minute); return err }},
		{"Put account", func() error { return s.Credentials().Put(ctx, issuer.Account{Username: "u", PasswordHash: pw}) }},
	}
	for _, o := range ops {
		require.NoError(t, o.op(), "%s before the outage", o.name)
	}
	proxy.Stop()
	for _, o := range ops {
		start := time.Now()
		assert.Error(t, o.op(), "%s during the outage", o.name)
		assert.Less(t, time.Since(start), 2*time.Second, "%s gives up within its deadline", o.name)
	}
	require.NoError(t, proxy.Start())
	for _, o := range ops {
		require.Eventually(t, func() bool { return o.op() == nil }, 10*time.Second, 50*time.Millisecond, "%s after the outage", o.name)
	}
}

func isNotFound(err error) bool { return errors.Is(err, apikey.ErrKeyNotFound) }

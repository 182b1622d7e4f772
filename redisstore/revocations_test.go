package redisstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// commandCounter is a go-redis hook counting the round trips a client makes.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { c.n.Add(1); return next(ctx, cmd) }
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { c.n.Add(1); return next(ctx, cmds) }
}

// TestRevokedAnyOneRoundTrip: a token's jti and session are checked with
// one EXISTS.
func TestRevokedAnyOneRoundTrip(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c)})
	require.NoError(t, err)
	rev := s.Revocations()
	ctx := context.Background()
	require.NoError(t, rev.Revoke(ctx, bearer.SessionRevocationID("s1"), time.Now().Add(time.Hour)))

	for _, tc := range []struct {
		ids  []string
		want bool
	}{
		{[]string{"j1", bearer.SessionRevocationID("s1")}, true},
		{[]string{"j1", bearer.SessionRevocationID("s2")}, false},
		{[]string{bearer.SessionRevocationID("s1")}, true},
		{nil, false},
	} {
		before := counter.n.Load()
		got, err := rev.RevokedAny(ctx, tc.ids...)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, tc.ids)
		assert.LessOrEqual(t, counter.n.Load()-before, int64(1), "one round trip for %v", tc.ids)
	}
}

// TestReuseRevokesEveryAccessTokenRedis is the regression test for family
// revocation reaching only the newest 16 access tokens, on the Redis
// stores: a stolen refresh token rotated 20 times, then reuse; every one of
// the 21 access tokens is refused by the bearer middleware, whose
// revocation check stays one round trip per request.
func TestReuseRevokesEveryAccessTokenRedis(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c)})
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials()
	require.NoError(t, err)
	iss, err := issuer.New(issuer.Config{
		Issuer:      "https://rewards.example",
		Key:         issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
		Credentials: creds,
		Refresh:     s.Refresh(),
		Revocations: s.Revocations(),
		BcryptCost:  4,
	})
	require.NoError(t, err)
	auth, err := bearer.New(iss.BearerConfig(s.Revocations()))
	require.NoError(t, err)
	check := func(tok string) error {
		r := httptest.NewRequest(http.MethodGet, "/api", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		_, err := auth.Check(r)
		return err
	}
	refresh := func(rt string) (issuer.Pair, int) {
		r := httptest.NewRequest(http.MethodPost, "/auth/refresh", strings.NewReader(`{"refresh_token":"`+rt+`"}`))
		r.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		iss.Refresh(w, r)
		var body struct {
			Data struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			} `json:"data"`
		}
		_ = json.Unmarshal(w.Body.Bytes(), &body)
		return issuer.Pair{AccessToken: body.Data.AccessToken, RefreshToken: body.Data.RefreshToken}, w.Code
	}

	ctx := context.Background()
	p, err := iss.IssuePair(ctx, issuer.Session{Subject: "victim"})
	require.NoError(t, err)
	other, err := iss.IssuePair(ctx, issuer.Session{Subject: "victim"})
	require.NoError(t, err)
	var stolen string
	rt := p.RefreshToken
	access := []string{p.AccessToken}
	for k := range 20 {
		if k == 20-issuer.RefreshRing {
			stolen = rt // the oldest rotated token the store remembers
		}
		np, code := refresh(rt)
		require.Equal(t, http.StatusOK, code)
		rt = np.RefreshToken
		access = append(access, np.AccessToken)
	}
	for _, tok := range access {
		require.NoError(t, check(tok))
	}

	_, code := refresh(stolen) // reuse
	require.Equal(t, http.StatusUnauthorized, code)
	for k, tok := range access {
		before := counter.n.Load()
		assert.ErrorIs(t, check(tok), bearer.ErrTokenRevoked, "access token %d of 21", k)
		assert.Equal(t, int64(1), counter.n.Load()-before, "one round trip (cache hit)")
	}
	auth.FlushCache()
	assert.ErrorIs(t, check(access[0]), bearer.ErrTokenRevoked, "first sight too")
	assert.NoError(t, check(other.AccessToken), "another session lives on")
	_, code = refresh(rt)
	assert.Equal(t, http.StatusUnauthorized, code, "the newest refresh token died with the family")
}

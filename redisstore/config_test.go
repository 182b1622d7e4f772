package redisstore_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

func TestNewValidates(t *testing.T) {
	withDeadlines := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	withoutDeadlines := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = withDeadlines.Close(); _ = withoutDeadlines.Close() })
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
		ok   bool
	}{
		{"nothing to connect to", redisstore.Config{}, false},
		{"client and addr", redisstore.Config{Client: withDeadlines, Addr: "127.0.0.1:6379"}, false},
		{"negative timeout", redisstore.Config{Addr: "127.0.0.1:6379", Timeout: -time.Second}, false},
		{"client without context deadlines", redisstore.Config{Client: withoutDeadlines}, false},
		{"client", redisstore.Config{Client: withDeadlines}, true},
		{"addr", redisstore.Config{Addr: "127.0.0.1:6379"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := redisstore.New(tc.cfg)
			if !tc.ok {
				assert.ErrorIs(t, err, redisstore.ErrConfig)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, redisstore.DefaultPrefix, s.Prefix())
			assert.NoError(t, s.Close())
		})
	}
}

// Nothing secret reaches Redis: after storing an opaque token, an API key,
// a refresh family and an account, no key name or value contains the
// token, the key, the refresh token or the password.
func TestOnlyHashesAreWritten(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	ctx := context.Background()
	now := time.Now()

	opaque, key, refresh, password := "opaque-"+rand.Text(), "ak_live_"+rand.Text(), "rt-"+rand.Text(), "pw-"+rand.Text()
	require.NoError(t, s.Tokens().Add(ctx, opaque, bearer.TokenRecord{ID: "tok_1", Subject: "alice"}))
	require.NoError(t, s.APIKeys().Put(ctx, apikey.Record{ID: "key_1", Hash: apikey.Hash(key), Tenant: "acme"}))
	require.NoError(t, s.Refresh().Create(ctx, issuer.Family{ID: "fam-1", Session: issuer.Session{Subject: "alice"}},
		issuer.RefreshRecord{Hash: bearer.HashToken(refresh), FamilyID: "fam-1", IssuedAt: now, ExpiresAt: now.Add(time.Hour)}))
	pw, err := issuer.HashPassword(password, 4)
	require.NoError(t, err)
	require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "alice", PasswordHash: pw}))

	keys, err := c.Keys(ctx, prefix+"*").Result()
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	var dump strings.Builder
	for _, k := range keys {
		dump.WriteString(k + "\n")
		switch c.Type(ctx, k).Val() {
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				dump.WriteString(f + "=" + v + "\n")
			}
		case "string":
			dump.WriteString(c.Get(ctx, k).Val() + "\n")
		}
	}
	for _, secret := range []string{opaque, key, refresh, password} {
		assert.NotContains(t, dump.String(), secret)
	}
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, prefix), "%s is namespaced", k)
	}
}

// With ServerTime the rate limit reads Redis's clock, whatever the caller
// passes as now.
func TestRateLimitServerTime(t *testing.T) {
	c := redistest.Client(t)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), ServerTime: true})
	require.NoError(t, err)
	ctx := context.Background()
	lim := ratelimit.PerHour(2)
	for i, at := range []time.Time{{}, time.Now().Add(100 * time.Hour)} {
		res, err := s.RateLimit().Take(ctx, "k", lim, at)
		require.NoError(t, err)
		assert.True(t, res.Allowed, "request %d", i+1)
	}
	res, err := s.RateLimit().Take(ctx, "k", lim, time.Now().Add(1000*time.Hour))
	require.NoError(t, err)
	assert.False(t, res.Allowed, "a caller's clock far ahead does not refill the bucket")
	assert.InDelta(t, float64(30*time.Minute), float64(res.RetryAfter), float64(time.Second))

	n, _, err := s.Failures().AddFailure(ctx, "f", "a1", time.Minute, time.Time{})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, resetAt, err := s.Failures().Failures(ctx, "f", time.Now().Add(time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n, "the window is on the server's clock")
	assert.WithinDuration(t, time.Now().Add(time.Minute), resetAt, 5*time.Second)
}

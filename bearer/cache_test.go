package bearer

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
)

func TestCacheSkipsVerification(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	tok := hs.sign(t, claimsAt(t0), nil)

	p1, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)
	require.Equal(t, 1, a.cache.len())

	// Swap the key: a cache hit must not verify again.
	a.single.keys[""] = newStaticKey(Key{Algorithm: "HS256", Key: make([]byte, 32)})
	a.single.only = newStaticKey(Key{Algorithm: "HS256", Key: make([]byte, 32)})
	p2, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)
	assert.Equal(t, p1, p2)

	a.FlushCache()
	_, err = a.Check(bearerRequest(tok))
	assert.ErrorIs(t, err, ErrTokenInvalid, "after a flush the token is verified again")
}

func TestCacheEntryDiesAtExp(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.Leeway = time.Minute
	cfg.CacheMaxAge = 2 * time.Hour // longer than the token: exp decides
	a := mustNew(t, cfg)
	tok := hs.sign(t, claimsAt(t0), nil)
	_, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)

	c.Add(time.Hour - time.Second)
	_, ok := a.cache.get(tok, c.Now().Unix())
	assert.True(t, ok)
	c.Add(time.Second)
	_, ok = a.cache.get(tok, c.Now().Unix())
	assert.False(t, ok, "exp == now is a miss")
	_, err = a.Check(bearerRequest(tok))
	require.NoError(t, err, "re-verified within leeway")
	_, ok = a.cache.get(tok, c.Now().Unix())
	assert.False(t, ok, "a token past exp is not cached again")
}

func TestCacheBounded(t *testing.T) {
	for _, size := range []int{1, 10, 100, 5000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			cache := newTokenCache(size)
			for i := range 3 * size {
				cache.put(fmt.Sprintf("tok-%d-xyz", i), &cacheEntry{p: gatehouse.Principal{Subject: "s"}, exp: 100}, 1)
			}
			// Each shard holds at most ceil(size/shards) entries.
			assert.LessOrEqual(t, cache.len(), size+len(cache.shards))
			assert.Positive(t, cache.len())
		})
	}
}

func TestCacheEvictsExpiredFirst(t *testing.T) {
	cache := newTokenCache(2)
	cache.put("old", &cacheEntry{exp: 10}, 1)
	cache.put("live", &cacheEntry{exp: 100}, 1)
	cache.put("new", &cacheEntry{exp: 100}, 50) // "old" is expired at 50
	_, ok := cache.get("live", 50)
	assert.True(t, ok)
	_, ok = cache.get("new", 50)
	assert.True(t, ok)
}

func TestCacheDisabled(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	cfg := baseConfig(c, hs)
	cfg.CacheSize = new(0)
	a := mustNew(t, cfg)
	assert.Nil(t, a.cache)
	_, err := a.Check(bearerRequest(hs.sign(t, claimsAt(t0), nil)))
	require.NoError(t, err)
}

func TestCacheHitSharesOnePrincipal(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	a := mustNew(t, baseConfig(c, hs))
	tok := hs.sign(t, claimsAt(t0), nil)

	var got []gatehouse.Principal
	h := a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := gatehouse.PrincipalFrom(r.Context())
		require.True(t, ok)
		got = append(got, p)
		p.Subject = "changed by a handler" // a copy: the cached Principal is untouched
		w.WriteHeader(http.StatusNoContent)
	}))
	for range 3 {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, bearerRequest(tok))
		require.Equal(t, http.StatusNoContent, w.Code)
	}
	require.Len(t, got, 3)
	assert.Equal(t, "user-42", got[2].Subject)
	assert.Equal(t, got[0], got[2])
	e, ok := a.cache.get(tok, c.Now().Unix())
	require.True(t, ok)
	assert.Equal(t, got[0], e.p, "every hit hands out the entry's Principal")
}

func TestCacheMaxAge(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "")
	for _, tc := range []struct {
		name   string
		maxAge time.Duration
		want   time.Duration
	}{
		{"default", 0, DefaultCacheMaxAge},
		{"configured", 90 * time.Second, 90 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClock(t0)
			cfg := baseConfig(c, hs)
			cfg.CacheMaxAge = tc.maxAge
			a := mustNew(t, cfg)
			claims := claimsAt(t0)
			claims["exp"] = t0.AddDate(100, 0, 0).Unix() // chosen by the signer
			tok := hs.sign(t, claims, nil)
			p, err := a.Check(bearerRequest(tok))
			require.NoError(t, err)
			assert.Equal(t, t0.AddDate(100, 0, 0).Unix(), p.ExpiresAt.Unix(), "the Principal keeps the token's exp")

			c.Add(tc.want - time.Second)
			_, ok := a.cache.get(tok, c.Now().Unix())
			assert.True(t, ok)
			c.Add(time.Second)
			_, ok = a.cache.get(tok, c.Now().Unix())
			assert.False(t, ok, "the entry dies at verification + max age")

			// Past the max age the token is verified again: a swapped key
			// now refuses it.
			a.single.only = newStaticKey(Key{Algorithm: "HS256", Key: make([]byte, 32)})
			_, err = a.Check(bearerRequest(tok))
			assert.ErrorIs(t, err, ErrTokenInvalid)
		})
	}
	_, err := New(Config{Algorithms: []string{"HS256"}, Keys: []Key{hs.key()}, CacheMaxAge: -time.Second, Now: c.Now})
	assert.ErrorIs(t, err, ErrConfig, "negative CacheMaxAge")
}

package redisstore_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// commandCounter is a go-redis hook counting the round trips a client makes.
type commandCounter struct{ n atomic.Int64 }

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }
func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if !handshake(cmd) {
			c.count(ctx)
		}
		return next(ctx, cmd)
	}
}
func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if len(cmds) == 0 || slices.ContainsFunc(cmds, func(cmd redis.Cmder) bool { return !handshake(cmd) }) {
			c.count(ctx)
		}
		return next(ctx, cmds)
	}
}

// count counts a command or pipeline, unless a local copy sent it on its
// own (its checks run every HealthCheck, whatever the test does).
func (c *commandCounter) count(ctx context.Context) {
	if !redisstore.IsLocalCacheBackground(ctx) {
		c.n.Add(1)
	}
}

// handshake reports whether cmd is one that go-redis sends to set up a new
// pool connection (HELLO, then a pipeline of CLIENT SETINFO and the like),
// through the client's hooks and under the context of the command that
// needed the connection. A request's command dials one whenever a command
// of the local copy's own holds the pool's idle connection at that moment;
// the round trips the Store makes are the request's command alone. The
// Store sends none of these itself.
func handshake(cmd redis.Cmder) bool {
	switch cmd.Name() {
	case "hello", "auth", "select", "readonly":
		return true
	case "client":
		args := cmd.Args()
		if len(args) < 2 {
			return false
		}
		sub, _ := args[1].(string)
		switch strings.ToLower(sub) {
		case "setinfo", "setname", "maint_notifications", "tracking":
			return true
		}
	}
	return false
}

// TestCommandCounterHandshake: a command that has to dial a new pool
// connection counts one round trip, as one on an idle connection does.
func TestCommandCounterHandshake(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	ctx := context.Background()
	held := c.Conn() // takes the pool's idle connection at its first command
	t.Cleanup(func() { _ = held.Close() })
	require.NoError(t, held.Ping(ctx).Err())
	before := counter.n.Load()
	require.ErrorIs(t, c.Get(ctx, "gatehouse-test-none-"+t.Name()).Err(), redis.Nil)
	assert.Equal(t, int64(1), counter.n.Load()-before, "a command on a new connection")
	assert.Equal(t, uint32(2), c.PoolStats().TotalConns, "the command dialed")
}

// TestRevokedOneRoundTrip: a token's jti, session and subject not-before
// are checked with one command, whatever is revoked.
func TestRevokedOneRoundTrip(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c)})
	require.NoError(t, err)
	established(t, s)
	rev := s.Revocations()
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, rev.RevokeSession(ctx, "alice", "s1", now.Add(time.Hour)))
	require.NoError(t, rev.RevokeToken(ctx, "alice", "j2", now.Add(time.Hour)))
	require.NoError(t, rev.RevokeSubject(ctx, "bob", now, now.Add(time.Hour)))

	for _, tc := range []struct {
		ref  bearer.TokenRef
		want bool
	}{
		{bearer.TokenRef{Subject: "alice", ID: "j1", SessionID: "s1", IssuedAt: now.Unix()}, true},
		{bearer.TokenRef{Subject: "alice", ID: "j1", SessionID: "s2", IssuedAt: now.Unix()}, false},
		{bearer.TokenRef{Subject: "alice", ID: "j2", IssuedAt: now.Unix()}, true},
		{bearer.TokenRef{Subject: "bob", ID: "j1", SessionID: "s1", IssuedAt: now.Unix()}, true},
		{bearer.TokenRef{Subject: "bob", ID: "j1", SessionID: "s1", IssuedAt: now.Unix() + 1}, false},
		{bearer.TokenRef{Subject: "carol"}, false},
	} {
		before := counter.n.Load()
		got, err := rev.Revoked(ctx, &tc.ref)
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "%+v", tc.ref)
		assert.Equal(t, int64(1), counter.n.Load()-before, "one round trip for %+v", tc.ref)
	}
}

// hashTag returns the part of key Redis Cluster hashes: the text between
// the first "{" and the first "}" after it when not empty, else the key.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// TestRevocationKeysShareHashTag: every key a subject's revocations write
// has the same, non-empty hash tag (so one MGET stays in one Cluster slot),
// and different subjects — braces, percent signs and the empty subject
// included — have different tags.
func TestRevocationKeysShareHashTag(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	established(t, s)
	rev := s.Revocations()
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	subjects := []string{"alice", "", "%", "{", "}", "a}b", "a{b}c", "%7D", "}{", "user@example.com"}
	for _, sub := range subjects {
		require.NoError(t, rev.RevokeToken(ctx, sub, "j{1}", until))
		require.NoError(t, rev.RevokeSession(ctx, sub, "s}1", until))
		if sub != "" {
			require.NoError(t, rev.RevokeSubject(ctx, sub, time.Now(), until))
		}
	}
	keys, err := c.Keys(ctx, prefix+"rev:*").Result()
	require.NoError(t, err)
	assert.Len(t, keys, 3*len(subjects)-1)
	tags := map[string]int{}
	for _, k := range keys {
		tag := hashTag(k)
		assert.NotEqual(t, k, tag, "key %q has a hash tag", k)
		assert.NotContains(t, tag, prefix)
		tags[tag]++
	}
	assert.Len(t, tags, len(subjects), "one tag per subject: %v", tags)
	for tag, n := range tags {
		if tag == "%" {
			assert.Equal(t, 2, n, "the empty subject: a token and a session")
		} else {
			assert.Equal(t, 3, n, "tag %q: token, session and not-before", tag)
		}
	}
}

// TestReuseRevokesEveryAccessTokenRedis guards against family revocation
// reaching only the newest 16 access tokens, on the Redis stores: a stolen refresh token rotated 20 times, then reuse; every one of
// the 21 access tokens is refused by the bearer middleware, whose
// revocation check stays one round trip per request.
func TestReuseRevokesEveryAccessTokenRedis(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c)})
	require.NoError(t, err)
	established(t, s)
	victimHash, err := issuer.HashPassword("victim-password", 4)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "victim", PasswordHash: victimHash})
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

// TestRevokeSubjectRedis: on the Redis stores, Issuer.RevokeSubject ends
// every session of a subject in one write — its access tokens are refused
// with one round trip per request, its refresh tokens answer 401 — and a
// session started from the next second on works; deleting the account from
// the Redis credential store ends its sessions at their next refresh.
func TestRevokeSubjectRedis(t *testing.T) {
	c := redistest.Client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	clock := &testClock{t: time.Now().Truncate(time.Second)}
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: redistest.Prefix(t, c), Now: clock.Now})
	require.NoError(t, err)
	established(t, s)
	ctx := context.Background()
	hash, err := issuer.HashPassword("pw", 4)
	require.NoError(t, err)
	require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "alice", PasswordHash: hash, Subject: "user-1"}))
	require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "bob", PasswordHash: hash}))
	for _, refreshJWT := range []bool{false, true} {
		iss, err := issuer.New(issuer.Config{
			Issuer: "https://rewards.example", Audiences: []string{"api"},
			Key:         issuer.SigningKey{Key: []byte("0123456789abcdef0123456789abcdef")},
			RefreshJWT:  refreshJWT,
			Credentials: s.Credentials(), Refresh: s.Refresh(), Revocations: s.Revocations(),
			BcryptCost: 4, Now: clock.Now,
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
		refresh := func(rt string) int {
			r := httptest.NewRequest(http.MethodPost, "/auth/refresh", strings.NewReader(`{"refresh_token":"`+rt+`"}`))
			r.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			iss.Refresh(w, r)
			return w.Code
		}

		a1, err := iss.IssuePair(ctx, issuer.Session{Subject: "user-1"})
		require.NoError(t, err)
		a2, err := iss.IssuePair(ctx, issuer.Session{Subject: "user-1"})
		require.NoError(t, err)
		b, err := iss.IssuePair(ctx, issuer.Session{Subject: "bob"})
		require.NoError(t, err)
		for _, p := range []issuer.Pair{a1, a2, b} {
			require.NoError(t, check(p.AccessToken))
		}
		clock.Add(10 * time.Second)
		require.NoError(t, iss.RevokeSubject(ctx, "user-1"))
		for _, p := range []issuer.Pair{a1, a2} {
			before := counter.n.Load()
			assert.ErrorIs(t, check(p.AccessToken), bearer.ErrTokenRevoked)
			assert.Equal(t, int64(1), counter.n.Load()-before, "one round trip (cache hit)")
			assert.Equal(t, http.StatusUnauthorized, refresh(p.RefreshToken))
		}
		assert.NoError(t, check(b.AccessToken), "another subject")
		assert.Equal(t, http.StatusOK, refresh(b.RefreshToken))

		clock.Add(time.Second)
		fresh, err := iss.IssuePair(ctx, issuer.Session{Subject: "user-1"})
		require.NoError(t, err)
		assert.NoError(t, check(fresh.AccessToken), "a session started after the revocation")
		assert.Equal(t, http.StatusOK, refresh(fresh.RefreshToken))

		// Deleting the account ends its sessions at their next refresh.
		other, err := iss.IssuePair(ctx, issuer.Session{Subject: "bob"})
		require.NoError(t, err)
		require.NoError(t, s.Credentials().Delete(ctx, "bob"))
		assert.Equal(t, http.StatusUnauthorized, refresh(other.RefreshToken))
		assert.ErrorIs(t, check(other.AccessToken), bearer.ErrTokenRevoked, "the family's access tokens die with it")
		require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "bob", PasswordHash: hash}))
	}
}

// testClock is a settable clock.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestCredentialsWithoutIndex: an account stored without a subject index
// entry (as a Put that does not write the index stores it) is still found
// by its subject when that is its user name, and never under a subject it
// does not carry.
func TestCredentialsWithoutIndex(t *testing.T) {
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	established(t, s)
	ctx := context.Background()
	hash, err := issuer.HashPassword("pw", 4)
	require.NoError(t, err)
	require.NoError(t, c.HSet(ctx, prefix+"acct:alice", "pw", hash, "sub", "", "ten", "", "cid", "", "scp", "").Err())
	require.NoError(t, c.HSet(ctx, prefix+"acct:bob", "pw", hash, "sub", "user-2", "ten", "", "cid", "", "scp", "").Err())
	a, err := s.Credentials().LookupSubject(ctx, "alice")
	require.NoError(t, err)
	assert.Equal(t, "alice", a.Username)
	_, err = s.Credentials().LookupSubject(ctx, "bob")
	assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "bob's subject is user-2")
	_, err = s.Credentials().LookupSubject(ctx, "user-2")
	assert.ErrorIs(t, err, issuer.ErrAccountNotFound, "found again once Put writes its index")
	require.NoError(t, s.Credentials().Put(ctx, issuer.Account{Username: "bob", PasswordHash: hash, Subject: "user-2"}))
	a, err = s.Credentials().LookupSubject(ctx, "user-2")
	require.NoError(t, err)
	assert.Equal(t, "bob", a.Username)
}

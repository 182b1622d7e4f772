package redisstore_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// ipallowAccount is ipallow.PerPrincipal's default account: the Tenant,
// else the Subject.
func ipallowAccount(p gatehouse.Principal) string {
	if p.Tenant != "" {
		return p.Tenant
	}
	return p.Subject
}

// apiRig is an API on one Store: the Store's read-ahead scope, the bearer
// middleware with its revocations, ipallow.PerPrincipal with its lists.
type apiRig struct {
	t       *testing.T
	local   bool              // s has a local copy
	writer  *redisstore.Store // another instance's Store, without a copy
	s       *redisstore.Store // the API's
	counter *commandCounter   // round trips of both: a pipeline counts one
	h       http.Handler
}

// newAPIRig builds an apiRig on d; local turns the API Store's local copy
// on. The account "alice" may call from 192.0.2.0/24.
func newAPIRig(t *testing.T, d deployment, local bool) *apiRig {
	t.Helper()
	c := d.client(t)
	counter := &commandCounter{}
	c.AddHook(counter)
	prefix := redistest.Prefix(t, c)
	writer, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix, Timeout: 2 * time.Second})
	require.NoError(t, err)
	s, err := redisstore.New(redisstore.Config{
		Client: c, Prefix: prefix, Timeout: 2 * time.Second, SkipServerCheck: true,
		LocalCache: redisstore.LocalCache{Enabled: local}, AllowlistAccount: ipallowAccount, Logger: quiet,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	if local {
		seedAllEpochs(t, writer) // the local copy is used only while they are there
		waitLive(t, s, true)
	}
	rig := &apiRig{t: t, local: local, writer: writer, s: s, counter: counter}
	rig.establish()
	rig.setList("192.0.2.0/24")
	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "bench", Keys: []bearer.Key{{Algorithm: "HS256", Key: testSecret}}}},
		Revocations: s.Revocations(),
	})
	require.NoError(t, err)
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: s.Lists()})
	require.NoError(t, err)
	rig.h = gatehouse.Chain(s.Middleware, auth.Middleware, pp.Middleware)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	return rig
}

// The keys the rig's requests read: alice's not-before (in the slot of
// her revocations) and the allowlists of alice and bob.
func (r *apiRig) keys() []string {
	p := r.s.Prefix()
	return []string{p + "rev:{alice}:nbf", p + "ips:alice", p + "ips:bob"}
}

// establish writes the epoch records of the rig's keys (seedEpochs).
func (r *apiRig) establish() {
	r.t.Helper()
	seedEpochs(r.t, r.s, r.keys()...)
}

// seedEpochs writes the epoch records of keys, an hour old, without
// Store.Establish: its clear-all message, which reaches a cluster's
// copies once per master and the last ones late, would empty a copy (and
// keep a read's answer out of it) at a moment no test step chooses.
func seedEpochs(t testing.TB, s *redisstore.Store, keys ...string) {
	t.Helper()
	for _, k := range keys {
		require.NoError(t, s.Client().Set(context.Background(), redisstore.EpochKey(s, k), seededEpoch, 0).Err())
	}
}

// seedAllEpochs writes every epoch record of s (one per hash slot on a
// cluster), as seedEpochs does.
func seedAllEpochs(t testing.TB, s *redisstore.Store) {
	t.Helper()
	_, err := s.Client().Pipelined(context.Background(), func(p redis.Pipeliner) error {
		for _, k := range redisstore.EpochRecordKeys(s) {
			p.Set(context.Background(), k, seededEpoch, 0)
		}
		return nil
	})
	require.NoError(t, err)
}

// seededEpoch is the value seedEpochs writes: one for the whole test run,
// so that writing a record again does not begin a new epoch.
var seededEpoch = strconv.FormatInt(time.Now().Add(-time.Hour).Truncate(time.Second).UnixNano(), 10)

// synced runs write (through the writer), which changes the revocations
// of subject or the allowlist of account, and, with a local copy, waits
// until the copy has received the write's invalidation (nothing else
// writes meanwhile) and no longer holds what it changed, so that the next
// request reads the write and no invalidation arrives during that read.
func (r *apiRig) synced(subject, account string, write func() error) {
	r.t.Helper()
	if !r.local {
		require.NoError(r.t, write())
		return
	}
	gen := redisstore.LocalCacheGeneration(r.s)
	require.NoError(r.t, write())
	eventually(r.t, func() bool {
		return redisstore.LocalCacheGeneration(r.s) != gen && !redisstore.LocalCacheHolds(r.s, subject, account)
	})
}

func (r *apiRig) setList(prefixes ...string) {
	r.t.Helper()
	var list []netip.Prefix
	for _, p := range prefixes {
		list = append(list, netip.MustParsePrefix(p))
	}
	r.synced("", "alice", func() error { return r.writer.Lists().Set(context.Background(), "alice", list) })
}

// token returns a token of alice with the ID jti.
func (r *apiRig) token(jti string) string {
	r.t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "bench", "sub": "alice", "jti": jti, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(testSecret)
	require.NoError(r.t, err)
	return tok
}

// call makes an API call with tok from 192.0.2.7 and returns its status
// and the round trips it made.
func (r *apiRig) call(tok string) (status int, roundTrips int64) {
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.7:1234"
	req.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	before := r.counter.n.Load()
	r.h.ServeHTTP(w, req)
	return w.Code, r.counter.n.Load() - before
}

// twice makes two API calls with tok, each answered with status, and
// returns the round trips of each; with a local copy, through steady, so
// that a copy dropped during them (by a health check the machine's load
// delayed) does not count.
func (r *apiRig) twice(tok string, status int) (first, second int64) {
	r.t.Helper()
	calls := func() (int64, int64) {
		code, first := r.call(tok)
		assert.Equal(r.t, status, code)
		code, second := r.call(tok)
		assert.Equal(r.t, status, code)
		return first, second
	}
	if !r.local {
		return calls()
	}
	return steady(r.t, r.s, calls)
}

// TestReadAheadAPIRequest: through the bearer middleware and
// ipallow.PerPrincipal, with the Store's read-ahead scope, an API call
// makes one round trip when the local copy cannot answer (cold, or no
// copy) — the revocation check and the allowlist in one pipeline — and
// none when it can. A revocation and an allowlist change are honoured on
// the next request, and a lost epoch is a 503, in every mode, on one node
// and on a cluster.
func TestReadAheadAPIRequest(t *testing.T) {
	for _, d := range cacheDeployments {
		for _, mode := range []struct {
			name  string
			local bool
		}{{"copy", true}, {"no copy", false}} {
			t.Run(d.name+"/"+mode.name, func(t *testing.T) {
				r := newAPIRig(t, d, mode.local)
				ctx := context.Background()
				warm := int64(1)
				if mode.local {
					warm = 0
				}
				tok := r.token("j1")
				cold, n := r.twice(tok, http.StatusNoContent)
				assert.Equal(t, int64(1), cold, "cold: the revocation check and the allowlist, pipelined")
				assert.Equal(t, warm, n, "warm")

				// A changed allowlist is honoured on the next request.
				r.setList("198.51.100.0/24")
				cold, n = r.twice(tok, http.StatusForbidden)
				assert.Equal(t, int64(1), cold, "the list was invalidated: read again, with the revocation check")
				assert.Equal(t, warm, n)
				r.setList("192.0.2.0/24")
				status, _ := r.call(tok)
				assert.Equal(t, http.StatusNoContent, status)

				// So is a revocation.
				r.synced("alice", "", func() error {
					return r.writer.Revocations().RevokeToken(ctx, "alice", "j1", time.Now().Add(time.Hour))
				})
				status, n = r.call(tok)
				assert.Equal(t, http.StatusUnauthorized, status)
				assert.LessOrEqual(t, n, int64(1))
				status, _ = r.call(r.token("j2"))
				assert.Equal(t, http.StatusNoContent, status, "another token of the subject")

				// A lost epoch record: the first request that reads Redis
				// answers 503, and so does every one after it.
				c := r.s.Client()
				nbf := r.s.Prefix() + "rev:{alice}:nbf"
				require.NoError(t, c.Del(ctx, redisstore.EpochKey(r.s, nbf)).Err())
				for range 2 {
					status, n = r.call(r.token("j3"))
					assert.Equal(t, http.StatusServiceUnavailable, status, "revocations' epoch lost")
					assert.Equal(t, int64(1), n, "the error is not kept: read again")
				}
				r.establish()
				// The allowlist's epoch record alone (on a cluster, in
				// another slot than the revocations'): the read ahead
				// fails, the allowlist is read again and fails too.
				list := r.s.Prefix() + "ips:alice"
				require.NoError(t, c.Del(ctx, redisstore.EpochKey(r.s, list)).Err())
				r.synced("", "alice", func() error {
					return r.writer.Lists().Set(ctx, "alice", []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")})
				})
				status, n = r.call(r.token("j4"))
				assert.Equal(t, http.StatusServiceUnavailable, status, "allowlist's epoch lost")
				if redisstore.EpochKey(r.s, list) != redisstore.EpochKey(r.s, nbf) {
					assert.Equal(t, int64(2), n, "the read ahead's error is not kept: the allowlist is read again")
				}
				r.establish()
				status, n = r.call(r.token("j5"))
				assert.Equal(t, http.StatusNoContent, status, "re-established")
				assert.Equal(t, int64(1), n)
			})
		}
	}
}

// countRoundTrips returns the round trips f makes on r's client.
func countRoundTrips(r *apiRig, f func()) int64 {
	before := r.counter.n.Load()
	f()
	return r.counter.n.Load() - before
}

// TestReadAheadScope: what the scope reads ahead, and for whom.
func TestReadAheadScope(t *testing.T) {
	r := newAPIRig(t, deployments[0], false)
	ctx := context.Background()
	p := &gatehouse.Principal{Subject: "alice"}
	ref := func() *bearer.TokenRef {
		return &bearer.TokenRef{Subject: "alice", ID: "j1", IssuedAt: time.Now().Unix(), Principal: p}
	}
	// scoped runs f in a request with the Store's scope.
	scoped := func(f func(ctx context.Context)) {
		r.s.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { f(req.Context()) })).
			ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	}
	roundTrips := func(f func()) int64 { return countRoundTrips(r, f) }
	check := func(ctx context.Context, ref *bearer.TokenRef) {
		got, err := r.s.Revocations().Revoked(ctx, ref)
		require.NoError(t, err)
		require.False(t, got)
	}
	allows := func(ctx context.Context, account, addr string) bool {
		set, err := r.s.Lists().AllowSet(ctx, account)
		require.NoError(t, err)
		return set == nil || set.Contains(netip.MustParseAddr(addr))
	}

	assert.Equal(t, int64(2), roundTrips(func() {
		check(ctx, ref())
		assert.True(t, allows(ctx, "alice", "192.0.2.7"))
	}), "without a scope: a read each")

	scoped(func(ctx context.Context) {
		assert.Equal(t, int64(1), roundTrips(func() {
			check(ctx, ref())
			assert.True(t, allows(ctx, "alice", "192.0.2.7"))
		}), "in a scope: one pipeline")
		assert.Equal(t, int64(1), roundTrips(func() { assert.True(t, allows(ctx, "alice", "192.0.2.7")) }),
			"the answer read ahead serves one read")
		assert.Equal(t, int64(1), roundTrips(func() {
			check(ctx, &bearer.TokenRef{Subject: "alice", ID: "j1"})
		}), "no Principal: nothing read ahead")
		assert.Equal(t, int64(1), roundTrips(func() { allows(ctx, "alice", "192.0.2.7") }))

		// Another account's read is not served by it.
		check(ctx, ref())
		assert.Equal(t, int64(1), roundTrips(func() { allows(ctx, "bob", "192.0.2.7") }))
		// The request's own write drops it.
		require.NoError(t, r.s.Lists().Set(ctx, "alice", []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}))
		assert.False(t, allows(ctx, "alice", "192.0.2.7"), "the request reads its own write")
		check(ctx, ref())
		_, err := r.s.Lists().SetIfAbsent(ctx, "alice", nil)
		require.NoError(t, err)
		assert.Equal(t, int64(1), roundTrips(func() { assert.False(t, allows(ctx, "alice", "192.0.2.7")) }),
			"SetIfAbsent drops it too")

		// A principal without an account (ipallow refuses it unread).
		assert.Equal(t, int64(1), roundTrips(func() {
			check(ctx, &bearer.TokenRef{Subject: "", ID: "j1", Principal: &gatehouse.Principal{ClientID: "app"}})
		}))
	})

	// With a live local copy, the copy keeps the answer read ahead: no
	// scope is needed.
	local := newAPIRig(t, deployments[0], true)
	assert.Equal(t, int64(1), countRoundTrips(local, func() {
		got, err := local.s.Revocations().Revoked(ctx, ref())
		require.NoError(t, err)
		require.False(t, got)
		set, err := local.s.Lists().AllowSet(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, set.Contains(netip.MustParseAddr("192.0.2.7")))
	}), "one pipeline, the list kept in the copy")

	// Without AllowlistAccount, Middleware changes nothing.
	plain, err := redisstore.New(redisstore.Config{Client: r.s.Client(), Prefix: r.s.Prefix(), SkipServerCheck: true})
	require.NoError(t, err)
	next := http.NewServeMux()
	assert.Same(t, next, plain.Middleware(next))
}

// The scope's context is a context: deadlines and values of the request
// pass through it.
func TestReadAheadContext(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	s, err := redisstore.New(redisstore.Config{Client: c, SkipServerCheck: true, AllowlistAccount: ipallowAccount})
	require.NoError(t, err)
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	req := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(parent)
	s.Middleware(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		assert.Equal(t, "v", ctx.Value(key{}))
		cancel()
		<-ctx.Done()
		assert.ErrorIs(t, ctx.Err(), context.Canceled)
	})).ServeHTTP(httptest.NewRecorder(), req)
}

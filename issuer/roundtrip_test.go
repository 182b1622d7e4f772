package issuer_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// batchStore is a ratelimit.FailureBatcher over a MemoryFailureStore,
// recording the calls the throttle makes: "batch" for each batch, "single"
// for each single-key write.
type batchStore struct {
	*ratelimit.MemoryFailureStore
	mu    sync.Mutex
	calls []string
}

func (s *batchStore) note(call string) {
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
}

// take returns the calls since the last take.
func (s *batchStore) take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.calls
	s.calls = nil
	return c
}

func (s *batchStore) AddFailure(ctx context.Context, key, attempt string, window time.Duration, now time.Time) (int, time.Time, error) {
	s.note("single")
	return s.MemoryFailureStore.AddFailure(ctx, key, attempt, window, now)
}

func (s *batchStore) RemoveFailure(ctx context.Context, key, attempt string, now time.Time) error {
	s.note("single")
	return s.MemoryFailureStore.RemoveFailure(ctx, key, attempt, now)
}

func (s *batchStore) ResetFailures(ctx context.Context, key string) error {
	s.note("single")
	return s.MemoryFailureStore.ResetFailures(ctx, key)
}

func (s *batchStore) AddFailures(ctx context.Context, attempts []ratelimit.Attempt, window time.Duration, now time.Time) ([]ratelimit.FailureCount, error) {
	s.note("batch")
	out := make([]ratelimit.FailureCount, len(attempts))
	for i, a := range attempts {
		n, resetAt, err := s.MemoryFailureStore.AddFailure(ctx, a.Key, a.ID, window, now)
		if err != nil {
			return nil, err
		}
		out[i] = ratelimit.FailureCount{Count: n, ResetAt: resetAt}
	}
	return out, nil
}

func (s *batchStore) SettleFailures(ctx context.Context, reset []string, remove []ratelimit.Attempt, now time.Time) error {
	s.note("batch")
	for _, k := range reset {
		_ = s.MemoryFailureStore.ResetFailures(ctx, k)
	}
	for _, a := range remove {
		_ = s.MemoryFailureStore.RemoveFailure(ctx, a.Key, a.ID, now)
	}
	return nil
}

func (s *batchStore) count(t *testing.T, key string) int {
	t.Helper()
	n, _, err := s.Failures(context.Background(), key, time.Now())
	require.NoError(t, err)
	return n
}

// With a Throttle that batches on a store that batches, a login counts its two
// attempts with one store call and settles them with one more, with the
// counts the single-key calls leave.
func TestLoginBatchThrottle(t *testing.T) {
	store := &batchStore{MemoryFailureStore: ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})}
	thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 2, Window: time.Minute, Store: store})
	require.NoError(t, err)
	f := newFixture(t, func(c *issuer.Config) { c.Throttle = thr })
	login := func(remote, user, pw string) int {
		return f.do("POST", "/auth/login", remote, `{"username":"`+user+`","password":"`+pw+`"}`).Code
	}

	require.Equal(t, http.StatusUnauthorized, login("127.0.0.2", "demo", "wrong"))
	assert.Equal(t, []string{"batch"}, store.take(), "a failure: the count stays")
	assert.Equal(t, 1, store.count(t, "ip:127.0.0.2"))
	assert.Equal(t, 1, store.count(t, "user:demo"))

	f.login(t, "127.0.0.2", "demo", demoPassword)
	assert.Equal(t, []string{"batch", "batch"}, store.take(), "a success: counted, then settled")
	assert.Equal(t, 1, store.count(t, "ip:127.0.0.2"), "the earlier failure stays")
	assert.Zero(t, store.count(t, "user:demo"), "reset")

	require.Equal(t, http.StatusForbidden, login("127.0.0.3", "demo", demoPassword))
	assert.Equal(t, []string{"batch", "single"}, store.take(), "one attempt to take back: one call")
	assert.Equal(t, 1, store.count(t, "ip:127.0.0.3"), "an allowlist 403 stays counted against the address")
	assert.Zero(t, store.count(t, "user:demo"), "and is taken back from the user name")

	require.Equal(t, http.StatusUnauthorized, login("127.0.0.4", "partner", "wrong"))
	require.Equal(t, http.StatusUnauthorized, login("127.0.0.5", "partner", "wrong"))
	store.take()
	require.Equal(t, http.StatusTooManyRequests, login("127.0.0.6", "partner", partnerPassword))
	assert.Equal(t, []string{"batch", "batch"}, store.take(), "a refusal: counted, then taken back")
	assert.Zero(t, store.count(t, "ip:127.0.0.6"), "a refused request counts nowhere")
	assert.Equal(t, 2, store.count(t, "user:partner"))
}

// failingSettle is a Throttle that batches, whose Settle fails.
type failingSettle struct {
	*ratelimit.FailureThrottle
}

var errSettle = errors.New("throttle store: connection refused")

func (failingSettle) Settle(context.Context, []string, ...ratelimit.Attempt) error { return errSettle }

// The settlement of the throttle and the new family are written at once;
// either failing is a 503 that sends no token.
func TestLoginSettleOrCreateFails(t *testing.T) {
	t.Run("settle", func(t *testing.T) {
		thr, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{})
		require.NoError(t, err)
		f := newFixture(t, func(c *issuer.Config) { c.Throttle = failingSettle{thr} })
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"`+demoPassword+`"}`)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "token")
		assert.Equal(t, "store_unavailable", string(f.audit.Last().Reason))
	})
	t.Run("create", func(t *testing.T) {
		f := newFixture(t, func(c *issuer.Config) { c.Refresh = failingRefresh{} })
		w := f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"`+demoPassword+`"}`)
		assert.Equal(t, http.StatusServiceUnavailable, w.Code)
		assert.NotContains(t, w.Body.String(), "token")
		assert.Zero(t, f.throttle.Count("ip:127.0.0.2"), "the attempt was taken back")
		assert.Zero(t, f.throttle.Count("user:demo"))
	})
}

// pairRevoker is the fixture's revocations, also writing a token and its session in one step (RevokeTokenAndSession)
// that records its calls.
type pairRevoker struct {
	*revocations
	mu    sync.Mutex
	pairs []pairCall
}

type pairCall struct {
	subject, jti, sid        string
	tokenUntil, sessionUntil time.Time
}

func (r *pairRevoker) RevokeTokenAndSession(ctx context.Context, subject, jti string, tokenUntil time.Time, sid string, sessionUntil time.Time) error {
	r.mu.Lock()
	r.pairs = append(r.pairs, pairCall{subject, jti, sid, tokenUntil, sessionUntil})
	r.mu.Unlock()
	if err := r.MemoryRevocations.RevokeToken(ctx, subject, jti, tokenUntil); err != nil {
		return err
	}
	return r.MemoryRevocations.RevokeSession(ctx, subject, sid, sessionUntil)
}

// With a revocation store that has RevokeTokenAndSession, logout revokes the token and its session in
// one write, with the expiries the two writes would have.
func TestLogoutOneWrite(t *testing.T) {
	var rev *pairRevoker
	f := newFixture(t, func(c *issuer.Config) {
		rev = &pairRevoker{revocations: c.Revocations.(*revocations)}
		c.Revocations = rev
	})
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	w := f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, rev.pairs, 1)
	assert.Empty(t, rev.until, "no separate write")
	call := rev.pairs[0]
	exp, err := time.Parse(time.RFC3339, p.Data.AccessExpiresAt)
	require.NoError(t, err)
	assert.Equal(t, "demo", call.subject)
	assert.NotEmpty(t, call.jti)
	assert.NotEmpty(t, call.sid)
	assert.True(t, exp.Equal(call.tokenUntil), "the token until its expiry")
	assert.True(t, f.clock.Now().Add((7 * 24 * time.Hour)).Equal(call.sessionUntil), "the session as long as its refresh token")

	assert.Equal(t, http.StatusUnauthorized, f.refreshWith("127.0.0.2", p.Data.RefreshToken).Code, "the session is over")

	// An expired token revokes its session only: the separate write.
	p = f.login(t, "127.0.0.2", "demo", demoPassword)
	f.clock.Add(2 * time.Hour)
	before := len(rev.until)
	w = f.do("POST", "/auth/logout", "127.0.0.2", "", "Authorization", "Bearer "+p.Data.AccessToken)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Len(t, rev.pairs, 1)
	assert.Len(t, rev.until, before+1)
}

// countingRevoker counts the Revoker's reads and keeps what they asked.
type countingRevoker struct {
	*revocations
	mu   sync.Mutex
	refs []bearer.TokenRef
}

func (r *countingRevoker) Revoked(ctx context.Context, t *bearer.TokenRef) (bool, error) {
	r.mu.Lock()
	r.refs = append(r.refs, *t)
	r.mu.Unlock()
	return r.revocations.Revoked(ctx, t)
}

func (r *countingRevoker) take() []bearer.TokenRef {
	r.mu.Lock()
	defer r.mu.Unlock()
	refs := r.refs
	r.refs = nil
	return refs
}

// shiftedRefresh is a RefreshStore whose Lookup reports the family's
// login a minute later than it was.
type shiftedRefresh struct{ issuer.RefreshStore }

func (s shiftedRefresh) Lookup(ctx context.Context, familyID string, hash [32]byte, now time.Time) (issuer.Family, error) {
	fam, err := s.RefreshStore.Lookup(ctx, familyID, hash, now)
	fam.CreatedAt = fam.CreatedAt.Add(time.Minute)
	return fam, err
}

// A refresh reads the session's revocations once: with a refresh JWT
// from its claims (at the same time as the family), else from the family.
// When the family does not have the subject and login time the token
// names, they are read again for the family, whose answer decides.
func TestRefreshReadsRevocationsOnce(t *testing.T) {
	for _, jwtFormat := range []bool{false, true} {
		var rev *countingRevoker
		f := newFixture(t, func(c *issuer.Config) {
			rev = &countingRevoker{revocations: c.Revocations.(*revocations)}
			c.Revocations, c.RefreshJWT = rev, jwtFormat
		})
		p := f.login(t, "127.0.0.2", "demo", demoPassword)
		login := f.clock.Now().Unix()
		rev.take()
		w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		refs := rev.take()
		require.Len(t, refs, 1, "refresh JWT %v", jwtFormat)
		assert.Equal(t, "demo", refs[0].Subject)
		assert.NotEmpty(t, refs[0].SessionID)
		assert.Equal(t, login, refs[0].IssuedAt)
	}

	var rev *countingRevoker
	f := newFixture(t, func(c *issuer.Config) {
		rev = &countingRevoker{revocations: c.Revocations.(*revocations)}
		c.Revocations, c.RefreshJWT, c.Refresh = rev, true, shiftedRefresh{c.Refresh}
	})
	p := f.login(t, "127.0.0.2", "demo", demoPassword)
	login := f.clock.Now()
	// The subject's not-before covers the token's login, not the
	// family's (shifted) one.
	require.NoError(t, rev.MemoryRevocations.RevokeSubject(context.Background(), "demo", login.Add(time.Second), login.Add(time.Hour)))
	rev.take()
	w := f.refreshWith("127.0.0.2", p.Data.RefreshToken)
	require.Equal(t, http.StatusOK, w.Code, "the family's answer decides: %s", w.Body.String())
	refs := rev.take()
	require.Len(t, refs, 2)
	assert.Equal(t, login.Unix(), refs[0].IssuedAt, "read with the token's claims")
	assert.Equal(t, login.Add(time.Minute).Unix(), refs[1].IssuedAt, "and again with the family's")
}

// The allowlist of an account in memory is read while the attempt is
// counted, and applies only after the count: a throttled request is
// answered 429, not the allowlist's 403, and counts nowhere.
func TestLoginThrottleBeforeAllowlist(t *testing.T) {
	f := newFixture(t)
	for range 5 {
		require.Equal(t, http.StatusUnauthorized, f.do("POST", "/auth/login", "127.0.0.2", `{"username":"demo","password":"x"}`).Code)
	}
	w := f.do("POST", "/auth/login", "127.0.0.3", `{"username":"demo","password":"`+demoPassword+`"}`)
	assert.Equal(t, http.StatusTooManyRequests, w.Code, "127.0.0.3 is outside demo's allowlist")
	assert.Equal(t, "throttled", string(f.audit.Last().Reason))
	assert.Zero(t, f.throttle.Count("ip:127.0.0.3"))
}

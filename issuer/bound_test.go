package issuer_test

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMemoryRefreshBound inserts past MaxTokens: a full store refuses new
// families and rotations with ErrStoreFull, forgets no live token (current
// or rotated: reuse is still detected), and has room again once tokens
// expire.
func TestMemoryRefreshBound(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	m, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: 3, MaxTokensPerSubject: 3})
	require.NoError(t, err)
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	create := func(id string, at time.Time, ttl time.Duration) error {
		return m.Create(ctx, issuer.Family{ID: id, Session: issuer.Session{Subject: id}, CreatedAt: at},
			issuer.RefreshRecord{Hash: h(id + "/0"), FamilyID: id, IssuedAt: at, ExpiresAt: at.Add(ttl)})
	}
	rotate := func(old, next string, at time.Time, ttl time.Duration) (issuer.Family, error) {
		fam, _, _ := strings.Cut(old, "/")
		return m.Rotate(ctx, h(old), issuer.RefreshRecord{Hash: h(next), FamilyID: fam, IssuedAt: at, ExpiresAt: at.Add(ttl)})
	}

	require.NoError(t, create("a", base, time.Hour))
	_, err = rotate("a/0", "a/1", base, 2*time.Hour) // a/0 stays, rotated, until base+1h
	require.NoError(t, err)
	require.NoError(t, create("b", base, 3*time.Hour))
	require.Equal(t, 3, m.Len())

	require.ErrorIs(t, create("c", base.Add(time.Minute), time.Hour), issuer.ErrStoreFull, "a new login is refused")
	_, err = rotate("b/0", "b/1", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrStoreFull, "a rotation needs room too")
	fam, err := m.Lookup(ctx, "b", h("b/0"), base.Add(time.Minute))
	require.NoError(t, err, "the refused rotation left b/0 current")
	assert.False(t, fam.Revoked)
	_, err = rotate("a/0", "a/x", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrRefreshReused, "a rotated token is still known when full")
	_, err = rotate("a/1", "a/2", base.Add(time.Minute), time.Hour)
	require.ErrorIs(t, err, issuer.ErrFamilyRevoked)
	assert.Equal(t, 3, m.Len(), "nothing was forgotten")

	// At base+1h a/0 expires: its room goes to the next write.
	require.ErrorIs(t, create("c", base.Add(time.Hour-time.Nanosecond), time.Hour), issuer.ErrStoreFull)
	require.NoError(t, create("c", base.Add(time.Hour), time.Hour))
	_, err = m.Lookup(ctx, "a", h("a/1"), base.Add(time.Hour))
	require.NoError(t, err, "family a lives on with its current token")
	require.ErrorIs(t, create("d", base.Add(time.Hour), time.Hour), issuer.ErrStoreFull)

	// At base+2h a/1 expires (and family a with it), c/0 too.
	require.NoError(t, create("d", base.Add(2*time.Hour), time.Hour))
	_, err = m.RevokeFamily(ctx, "a")
	assert.ErrorIs(t, err, issuer.ErrRefreshNotFound, "a family goes with its last token")
	_, err = rotate("b/0", "b/1", base.Add(2*time.Hour), time.Hour)
	require.NoError(t, err, "room again")
	assert.Equal(t, 3, m.Len()) // b/0, b/1, d/0

	_, err = issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: -1})
	assert.Error(t, err)
}

// TestFullStoresAnswer503: the issuer maps ErrStoreFull to 503 in its
// envelope — a login when the refresh store is full — and issues nothing.
func TestFullStoresAnswer503(t *testing.T) {
	t.Run("login", func(t *testing.T) {
		refresh, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: 1})
		require.NoError(t, err)
		f := newFixture(t, func(cfg *issuer.Config) { cfg.Refresh = refresh })
		f.login(t, "127.0.0.2", "demo", demoPassword)
		w := f.do("POST", "/auth/login", "127.0.0.1", `{"username":"partner","password":"`+partnerPassword+`"}`)
		require.Equal(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
		name, code, _ := errorBody(t, w)
		assert.Equal(t, "ServiceUnavailableError", name)
		assert.Equal(t, "SERVICE_UNAVAILABLE", code)
		assert.Equal(t, 1, refresh.Len())
	})
}

// TestMemoryRefreshBoundPerSubject: the sessions of one subject — one
// family rotated in a loop, or one login after another — exhaust their
// own share; other subjects, and the same subject name in another
// tenant, still log in.
func TestMemoryRefreshBoundPerSubject(t *testing.T) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h := func(s string) [32]byte { return sha256.Sum256([]byte(s)) }
	create := func(m *issuer.MemoryRefresh, id, tenant, subject string, ttl time.Duration) error {
		return m.Create(ctx, issuer.Family{ID: id, Session: issuer.Session{Subject: subject, Tenant: tenant}, CreatedAt: base},
			issuer.RefreshRecord{Hash: h(id + "/0"), FamilyID: id, IssuedAt: base, ExpiresAt: base.Add(ttl)})
	}
	m, err := issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: 100, MaxTokensPerSubject: 3})
	require.NoError(t, err)
	require.NoError(t, create(m, "a1", "t1", "alice", time.Hour))
	_, err = m.Rotate(ctx, h("a1/0"), issuer.RefreshRecord{Hash: h("a1/1"), FamilyID: "a1", IssuedAt: base, ExpiresAt: base.Add(2 * time.Hour)})
	require.NoError(t, err)
	require.NoError(t, create(m, "a2", "t1", "alice", 2*time.Hour))
	require.ErrorIs(t, create(m, "a3", "t1", "alice", time.Hour), issuer.ErrStoreFull)
	_, err = m.Rotate(ctx, h("a1/1"), issuer.RefreshRecord{Hash: h("a1/2"), FamilyID: "a1", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
	require.ErrorIs(t, err, issuer.ErrStoreFull)
	require.NoError(t, create(m, "b1", "t1", "bob", time.Hour), "another subject has room")
	require.NoError(t, create(m, "a4", "t2", "alice", time.Hour), "alice of another tenant is another subject")
	// At base+1h a1/0 expires: alice has room for one more.
	require.NoError(t, m.Create(ctx, issuer.Family{ID: "a5", Session: issuer.Session{Subject: "alice", Tenant: "t1"}, CreatedAt: base.Add(time.Hour)},
		issuer.RefreshRecord{Hash: h("a5/0"), FamilyID: "a5", IssuedAt: base.Add(time.Hour), ExpiresAt: base.Add(3 * time.Hour)}))

	// The defaults: one session rotated in a loop holds its current token
	// and the RefreshRing rotated last, whatever the number of rotations;
	// logins of one subject in a loop fill its share and no more.
	d := mustMemoryRefresh(issuer.MemoryRefreshConfig{})
	require.NoError(t, create(d, "loop", "t1", "mallory", time.Hour))
	prev := "loop/0"
	for k := range 1000 {
		next := fmt.Sprint("loop/", k+1)
		_, err := d.Rotate(ctx, h(prev), issuer.RefreshRecord{Hash: h(next), FamilyID: "loop", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
		require.NoError(t, err)
		prev = next
	}
	assert.Equal(t, issuer.RefreshRing+1, d.Len(), "a family's tokens do not grow with its rotations")
	_, err = d.Rotate(ctx, h("loop/999"), issuer.RefreshRecord{Hash: h("x"), FamilyID: "loop", IssuedAt: base, ExpiresAt: base.Add(time.Hour)})
	require.ErrorIs(t, err, issuer.ErrRefreshReused, "reuse within the ring is detected")

	e := mustMemoryRefresh(issuer.MemoryRefreshConfig{})
	logins := 0
	for k := range (1<<17)/4 + 10 {
		if err := create(e, fmt.Sprint("m", k), "t1", "mallory", time.Hour); err != nil {
			require.ErrorIs(t, err, issuer.ErrStoreFull)
			break
		}
		logins++
	}
	assert.Equal(t, (1<<17)/4, logins)
	require.NoError(t, create(e, "other", "t1", "bob", time.Hour), "the others still log in")
}

// TestMemoryRefreshFullRingRotatesAtTheBound: over loopback, a session
// whose ring is full (its current token and RefreshRing rotated ones)
// refreshes on in a store at its bounds, in all and per subject: each such
// rotation forgets the ring's oldest token, so it takes no room. It was
// refused with 503 from its RefreshRing+1st refresh on, until tokens
// expired a RefreshTTL later. A new login still finds no room, and the
// tokens the ring still holds are still reuse.
func TestMemoryRefreshFullRingRotatesAtTheBound(t *testing.T) {
	const bound = issuer.RefreshRing + 1
	store := mustMemoryRefresh(issuer.MemoryRefreshConfig{MaxTokens: bound, MaxTokensPerSubject: bound})
	f := newFixture(t, func(c *issuer.Config) { c.Refresh = store })
	srv := httptest.NewServer(f.mux)
	defer srv.Close()
	post := func(path, body string) (int, pairBody) {
		res, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		defer res.Body.Close()
		var p pairBody
		if res.StatusCode == http.StatusOK {
			require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
		}
		return res.StatusCode, p
	}
	code, p := post("/auth/login", `{"username":"partner","password":"partner-password"}`)
	require.Equal(t, http.StatusOK, code)
	var tokens []string
	for n := 1; n <= 3*issuer.RefreshRing; n++ {
		tokens = append(tokens, p.Data.RefreshToken)
		code, p = post("/auth/refresh", `{"refresh_token":"`+p.Data.RefreshToken+`"}`)
		require.Equal(t, http.StatusOK, code, "refresh %d", n)
		require.LessOrEqual(t, store.Len(), bound)
	}
	code, _ = post("/auth/login", `{"username":"partner","password":"partner-password"}`)
	assert.Equal(t, http.StatusServiceUnavailable, code, "a new session needs room")
	code, _ = post("/auth/refresh", `{"refresh_token":"`+tokens[len(tokens)-issuer.RefreshRing]+`"}`)
	assert.Equal(t, http.StatusUnauthorized, code, "a token the ring holds is reuse")
	assert.Equal(t, issuer.ReasonRefreshReused, f.audit.Last().Reason)
}

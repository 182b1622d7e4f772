package dpop_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/gatehouse-go/gatehouse/tokenendpoint/tokenendpointtest"
)

// MemoryReplay passes the token endpoint's replay-store kit: the two
// interfaces have one method set, so one store serves both.
func TestMemoryReplayConformance(t *testing.T) {
	tokenendpointtest.TestReplayStore(t, func(t *testing.T) tokenendpoint.ReplayStore {
		m, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{})
		require.NoError(t, err)
		return m
	})
}

func TestReplaySharedStore(t *testing.T) {
	store, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{Now: fixedNow})
	require.NoError(t, err)
	a := newVerifier(t, dpop.Config{Replay: store})
	b := newVerifier(t, dpop.Config{Replay: store})
	s := newProof(t).sign(t)

	_, err = a.Verify(context.Background(), request(s), "")
	require.NoError(t, err)
	_, err = b.Verify(context.Background(), request(s), "")
	require.ErrorIs(t, err, dpop.ErrReplayed, "the second instance refuses the proof the first accepted")
	assert.Equal(t, dpop.CodeInvalidProof, dpop.ErrorCode(err))

	// The same jti under another key is another proof.
	_, _, ed, _ := keys(t)
	p := newProof(t).with("EdDSA", ed)
	p.claims["jti"] = "shared-jti"
	q := newProof(t)
	q.claims["jti"] = "shared-jti"
	c := newVerifier(t, dpop.Config{Replay: store, Algorithms: []string{"ES256", "EdDSA"}})
	_, err = c.Verify(context.Background(), request(p.sign(t)), "")
	require.NoError(t, err)
	_, err = c.Verify(context.Background(), request(q.sign(t)), "")
	require.NoError(t, err)
}

func TestReplayRememberedForTwiceTheWindow(t *testing.T) {
	now := t0
	clock := func() time.Time { return now }
	store, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{Now: clock})
	require.NoError(t, err)
	v := newVerifier(t, dpop.Config{Replay: store, Now: clock})

	// A proof dated a window ahead, used at once, stays acceptable by its
	// iat until two windows later: it is remembered as long.
	p := newProof(t)
	p.claims["iat"] = t0.Add(time.Minute).Unix()
	s := p.sign(t)
	_, err = v.Verify(context.Background(), request(s), "")
	require.NoError(t, err)
	for _, at := range []time.Duration{2*time.Minute - time.Second, 2 * time.Minute} {
		// The last instant its iat accepts it, 2*Window on, included.
		now = t0.Add(at)
		_, err = v.Verify(context.Background(), request(s), "")
		require.ErrorIs(t, err, dpop.ErrReplayed, "%v on", at)
	}
	now = t0.Add(2*time.Minute + time.Second)
	_, err = v.Verify(context.Background(), request(s), "")
	require.ErrorIs(t, err, dpop.ErrProofExpired, "by then the iat refuses it")
}

type failingStore struct{}

func (failingStore) Use(context.Context, string, string, time.Duration) (bool, error) {
	return false, errors.New("connection refused")
}

func TestReplayStoreFailure(t *testing.T) {
	v := newVerifier(t, dpop.Config{Replay: failingStore{}})
	_, err := v.Verify(context.Background(), request(newProof(t).sign(t)), "")
	require.ErrorIs(t, err, dpop.ErrUnavailable)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Empty(t, dpop.ErrorCode(err))
	r, ok := dpop.RefusalFor(err)
	require.True(t, ok)
	assert.Equal(t, 503, r.Status)
}

func TestMemoryReplayBounds(t *testing.T) {
	ctx := context.Background()
	now := t0
	m, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{MaxKeys: 4, MaxKeysPerScope: 2, Now: func() time.Time { return now }})
	require.NoError(t, err)
	use := func(scope, key string) (bool, error) { return m.Use(ctx, scope, key, time.Minute) }

	for _, k := range []string{"1", "2"} {
		fresh, err := use("a", k)
		require.NoError(t, err)
		require.True(t, fresh)
	}
	_, err = use("a", "3")
	require.ErrorIs(t, err, dpop.ErrScopeFull, "scope a's share is spent")
	fresh, err := use("a", "1")
	require.NoError(t, err)
	assert.False(t, fresh, "a replay is still recognised when full")
	for _, k := range []string{"1", "2"} {
		_, err := use("b", k)
		require.NoError(t, err)
	}
	_, err = use("c", "1")
	require.ErrorIs(t, err, dpop.ErrStoreFull, "the store is full")
	assert.Equal(t, 4, m.Len())

	now = now.Add(time.Minute)
	fresh, err = use("c", "1")
	require.NoError(t, err)
	assert.True(t, fresh, "expired keys make room")
	assert.Equal(t, 1, m.Len())

	_, err = dpop.NewMemoryReplay(dpop.MemoryReplayConfig{MaxKeys: -1})
	require.ErrorIs(t, err, dpop.ErrConfig)
}

// TestScopeFullIsARefusal: a key over its share has its proofs refused,
// not the store declared unavailable, and other keys go on.
func TestScopeFullIsARefusal(t *testing.T) {
	m, err := dpop.NewMemoryReplay(dpop.MemoryReplayConfig{MaxKeys: 100, MaxKeysPerScope: 2})
	require.NoError(t, err)
	v, err := dpop.New(dpop.Config{Replay: m})
	require.NoError(t, err)
	heavy, light := newTestSigner(t), newTestSigner(t)
	verify := func(s *dpop.Signer) error {
		p, err := s.Sign(dpop.ProofRequest{Method: "GET", URI: "http://example.com/x"})
		require.NoError(t, err)
		r := httptest.NewRequest(http.MethodGet, "http://example.com/x", nil)
		r.Header.Set("DPoP", p)
		_, err = v.Verify(context.Background(), r, "")
		return err
	}
	require.NoError(t, verify(heavy))
	require.NoError(t, verify(heavy))
	err = verify(heavy)
	assert.ErrorIs(t, err, dpop.ErrTooManyProofs)
	assert.Equal(t, dpop.CodeInvalidProof, dpop.ErrorCode(err))
	assert.NoError(t, verify(light), "another key goes on")
}

// newTestSigner returns a Signer with a fresh P-256 key.
func newTestSigner(t *testing.T) *dpop.Signer {
	t.Helper()
	s, err := dpop.GenerateSigner()
	require.NoError(t, err)
	return s
}

package bearer

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fetchResults collects the FetchResults of Fetch.OnResult.
type fetchResults struct {
	mu  sync.Mutex
	all []FetchResult
}

func (f *fetchResults) add(r FetchResult) {
	f.mu.Lock()
	f.all = append(f.all, r)
	f.mu.Unlock()
}

// snapshot returns the results so far.
func (f *fetchResults) snapshot() []FetchResult {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FetchResult(nil), f.all...)
}

// find returns the first result with outcome o, and whether there is one.
func (f *fetchResults) find(o FetchOutcome) (FetchResult, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.all {
		if r.Outcome == o {
			return r, true
		}
	}
	return FetchResult{}, false
}

// TestKeySetsAndFetchResults: KeySets describes each remote set — its URL
// redacted as in the logs, when it was fetched, its usable keys, its
// failures — and Fetch.OnResult hears every refresh, successful or not.
func TestKeySetsAndFetchResults(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	k2 := newSigner(t, "EdDSA", "k2")
	srv := newJWKSServer(t, k1, k2)
	// A password and a query (an API key, say) that must never show.
	setURL := strings.Replace(srv.URL, "http://", "http://jwks-user:pw-SECRET-1@", 1) + "/jwks?api_key=SECRET-2"
	cfg := jwksConfig(c, setURL)
	cfg.Fetch.MinRefresh, cfg.Fetch.Refresh = time.Millisecond, 5*time.Millisecond
	var results fetchResults
	cfg.Fetch.OnResult = results.add
	before := time.Now()
	a := mustNew(t, cfg)

	sets := a.KeySets()
	require.Len(t, sets, 1)
	st := sets[0]
	assert.Equal(t, "https://issuer.test", st.Issuer)
	assert.Equal(t, strings.Replace(srv.URL, "http://", "http://jwks-user:xxxxx@", 1)+"/jwks?…", st.URL)
	assert.Equal(t, 2, st.Keys)
	assert.Zero(t, st.Failures)
	assert.NoError(t, st.LastError)
	assert.False(t, st.FetchedAt.Before(before), "fetched after New began")
	assert.False(t, st.FetchedAt.After(time.Now()))

	ok, found := results.find(FetchUpdated)
	require.True(t, found, "the first fetch is reported")
	assert.Equal(t, "https://issuer.test", ok.Issuer)
	assert.Equal(t, st.URL, ok.URL)
	assert.Equal(t, 2, ok.Keys)
	assert.NoError(t, ok.Err)
	assert.Positive(t, ok.Duration)

	srv.down.Store(true)
	require.Eventually(t, func() bool { _, ok := results.find(FetchFailed); return ok }, 5*time.Second, 5*time.Millisecond)
	failed, _ := results.find(FetchFailed)
	assert.Equal(t, st.URL, failed.URL)
	assert.Equal(t, 2, failed.Keys, "the last good keys stay")
	require.Error(t, failed.Err)
	assert.Contains(t, failed.Err.Error(), "status 503")

	st = a.KeySets()[0]
	assert.Positive(t, st.Failures)
	require.Error(t, st.LastError)
	assert.Equal(t, 2, st.Keys)
	for _, r := range results.snapshot() {
		assert.NotContains(t, r.URL, "SECRET")
		if r.Err != nil {
			assert.NotContains(t, r.Err.Error(), "SECRET")
		}
	}
	assert.NotContains(t, st.LastError.Error(), "SECRET")
}

// TestFetchResultNotModified: a 304 to If-None-Match is reported as
// not_modified and counts as a success for FetchedAt.
func TestFetchResultNotModified(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	set := newJWKSServer(t, k1) // serves the body; this handler adds the ETag
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		set.mu.Lock()
		body := set.body
		set.mu.Unlock()
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=0")
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	cfg := jwksConfig(c, srv.URL)
	cfg.Fetch.MinRefresh = time.Millisecond
	var results fetchResults
	cfg.Fetch.OnResult = results.add
	a := mustNew(t, cfg)
	first := a.KeySets()[0].FetchedAt

	require.Eventually(t, func() bool { _, ok := results.find(FetchNotModified); return ok }, 5*time.Second, 5*time.Millisecond)
	nm, _ := results.find(FetchNotModified)
	assert.Equal(t, 1, nm.Keys)
	assert.NoError(t, nm.Err)
	assert.True(t, a.KeySets()[0].FetchedAt.After(first), "a 304 confirms the set: FetchedAt moves")
}

// TestFetchResultDiscoveryFailed: a discovery that finds no document is
// reported without a set URL, and KeySets shows the issuer without one.
func TestFetchResultDiscoveryFailed(t *testing.T) {
	idp := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(idp.Close)
	var results fetchResults
	cfg := Config{
		Issuers:    []Issuer{{URL: idp.URL}},
		Algorithms: []string{"ES256"},
		Fetch:      Fetch{OnResult: results.add},
		Logger:     slog.New(slog.DiscardHandler),
	}
	a := mustNew(t, cfg)
	require.Eventually(t, func() bool { _, ok := results.find(FetchFailed); return ok }, 5*time.Second, 5*time.Millisecond)
	r, _ := results.find(FetchFailed)
	assert.Equal(t, idp.URL, r.Issuer)
	assert.Empty(t, r.URL, "discovery found no set")
	assert.Zero(t, r.Keys)
	assert.True(t, errors.Is(r.Err, ErrDiscovery), "%v", r.Err)

	st := a.KeySets()
	require.Len(t, st, 1)
	assert.Empty(t, st[0].URL)
	assert.True(t, st[0].FetchedAt.IsZero())
	assert.ErrorIs(t, st[0].LastError, ErrDiscovery)
}

// TestKeySetsStaticKeys: an Authenticator with static keys only has no
// remote set to describe.
func TestKeySetsStaticKeys(t *testing.T) {
	k1 := newSigner(t, "ES256", "k1")
	a := mustNew(t, baseConfig(newClock(t0), k1))
	assert.Empty(t, a.KeySets())
}

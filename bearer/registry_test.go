package bearer_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
)

// claims returns valid claims for audience aud.
func claims(aud string) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{"sub": "user-1", "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "scope": "orders:read"}
}

// status runs tok through a's middleware and returns the status.
func status(a *bearer.Authenticator, tok string) int {
	r := httptest.NewRequest(http.MethodGet, "/api", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })).ServeHTTP(w, r)
	return w.Code
}

// newAuth builds an Authenticator over issuers that waits for their sets.
func newAuth(t testing.TB, cfg bearer.Config) *bearer.Authenticator {
	t.Helper()
	if cfg.Algorithms == nil {
		cfg.Algorithms = []string{"ES256", "RS256"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a, err := bearer.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// TestIssuerBoundKeys: a token is verified only with the keys of the
// issuer its "iss" names. Both providers publish their first key under
// the same kid, so a token claiming A signed with B's key finds a key for
// its kid, A's, and fails its signature check.
func TestIssuerBoundKeys(t *testing.T) {
	pa := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/a"})
	pb := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/b", Discovery: "oauth"})
	require.Equal(t, pa.KeyID(), pb.KeyID(), "the same kid at both providers")
	a := newAuth(t, bearer.Config{
		Issuers: []bearer.Issuer{
			{URL: pa.Issuer(), Audiences: []string{"api-a"}},
			{URL: pb.Issuer(), Audiences: []string{"api-b"}},
		},
		WaitReady: 5 * time.Second,
	})
	require.NoError(t, a.Ready(context.Background()))

	assert.Equal(t, http.StatusNoContent, status(a, pa.Sign(t, claims("api-a"))))
	assert.Equal(t, http.StatusNoContent, status(a, pb.Sign(t, claims("api-b"))), "discovered through RFC 8414")

	forged := claims("api-a")
	forged["iss"] = pa.Issuer()
	assert.Equal(t, http.StatusUnauthorized, status(a, pb.Sign(t, forged)), "A's iss, B's key under A's kid")
	assert.Equal(t, http.StatusUnauthorized, status(a, pa.Sign(t, claims("api-b"))), "B's audience in A's token")

	before := pa.Stats().JWKS + pb.Stats().JWKS
	foreign := claims("api-a")
	foreign["iss"] = "https://evil.example.com"
	for i := range 50 {
		assert.Equal(t, http.StatusUnauthorized, status(a, pa.SignWith(t, fmt.Sprintf("new-%d", i), foreign, nil)))
	}
	assert.Equal(t, before, pa.Stats().JWKS+pb.Stats().JWKS, "an unknown iss makes no request")
}

// TestDiscoveryIssuerMismatch: a discovery document naming another issuer
// makes that issuer unusable (503, not ready, reported) and leaves the
// others working.
func TestDiscoveryIssuerMismatch(t *testing.T) {
	good := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/good"})
	liar := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/liar"})
	liar.SetDocumentIssuer(good.Issuer())
	logs := &logbuf.Buffer{}
	a := newAuth(t, bearer.Config{
		Issuers: []bearer.Issuer{{URL: good.Issuer()}, {URL: liar.Issuer()}},
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	err := a.WaitReady(ctx)
	require.ErrorIs(t, err, bearer.ErrUnavailable)
	assert.ErrorIs(t, err, bearer.ErrDiscovery)
	assert.Contains(t, err.Error(), liar.Issuer())
	assert.NotContains(t, err.Error(), `issuer "`+good.Issuer()+`": `, "only the liar is not ready")
	assert.Contains(t, logs.String(), "key set fetch failed")
	assert.Equal(t, 0, liar.Stats().JWKS, "the lying document's jwks_uri is never fetched")

	assert.Equal(t, http.StatusNoContent, status(a, good.Sign(t, claims(""))))
	assert.Equal(t, http.StatusServiceUnavailable, status(a, liar.Sign(t, claims(""))))

	liar.SetDocumentIssuer("")
	require.Eventually(t, func() bool { return a.Ready(context.Background()) == nil }, 5*time.Second, 10*time.Millisecond, "discovery is retried with backoff")
	assert.Equal(t, http.StatusNoContent, status(a, liar.Sign(t, claims(""))))
	assert.Eventually(t, func() bool { return strings.Contains(logs.String(), "key set fetched again") }, 5*time.Second, 5*time.Millisecond,
		"the recovery is logged (after the set is published)")
}

// TestKeySetHTTPCaching: the set is refreshed when its max-age (clamped
// to Fetch's bounds) runs out and revalidated with If-None-Match; a 304
// keeps the keys. A Retry-After holds every fetch back, unknown kids
// included.
func TestKeySetHTTPCaching(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{MaxAge: time.Second})
	a := newAuth(t, bearer.Config{
		Issuers:   []bearer.Issuer{{URL: p.Issuer()}},
		Fetch:     bearer.Fetch{MinRefresh: 50 * time.Millisecond, MaxRefresh: 100 * time.Millisecond, UnknownKIDInterval: time.Millisecond},
		WaitReady: 5 * time.Second,
	})
	tok := p.Sign(t, claims(""))
	require.Equal(t, http.StatusNoContent, status(a, tok))
	require.Eventually(t, func() bool { return p.Stats().NotModified >= 3 }, 5*time.Second, 10*time.Millisecond,
		"max-age=1 clamped to MaxRefresh: revalidated every 100ms")
	assert.Equal(t, http.StatusNoContent, status(a, p.Sign(t, claims(""))), "a 304 keeps the set")

	// Retry-After: an unknown kid's fetch meets a 503 asking for 2 s;
	// no request starts another fetch before then.
	q := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	b := newAuth(t, bearer.Config{
		Issuers:   []bearer.Issuer{{URL: q.Issuer()}},
		Fetch:     bearer.Fetch{UnknownKIDInterval: time.Millisecond},
		WaitReady: 5 * time.Second,
	})
	q.Fail(http.StatusServiceUnavailable, 2*time.Second)
	require.Eventually(t, func() bool {
		return status(b, q.SignWith(t, "x", claims(""), nil)) == http.StatusUnauthorized && q.Stats().Failed > 0
	}, 2*time.Second, 10*time.Millisecond, "an unknown kid fetches the set, which answers 503")
	failed := q.Stats().JWKS
	for i := range 20 {
		assert.Equal(t, http.StatusUnauthorized, status(b, q.SignWith(t, fmt.Sprintf("x-%d", i), claims(""), nil)))
		time.Sleep(10 * time.Millisecond)
	}
	assert.Equal(t, failed, q.Stats().JWKS, "no fetch before the Retry-After")
	assert.Equal(t, http.StatusNoContent, status(b, q.Sign(t, claims(""))), "the last good keys stay")
}

// TestKeyRotationUnderFlood measures, with the default Fetch, what the
// registry promises: while random kids flood one issuer, its set is
// fetched at most once per UnknownKIDInterval (10s), every flood request
// is answered at once, and a key the provider publishes mid-flood is
// accepted within 15 s. It runs for about 12 s.
func TestKeyRotationUnderFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 12 s")
	}
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{MaxAge: time.Hour})
	a := newAuth(t, bearer.Config{Issuers: []bearer.Issuer{{URL: p.Issuer()}}, WaitReady: 5 * time.Second})
	srv := httptest.NewServer(a.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })))
	defer srv.Close()
	get := func(tok string) int {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := srv.Client().Do(req)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	const floodFor, workers, kids = 12 * time.Second, 4, 10_000
	flood := make([]string, kids)
	for i := range flood {
		flood[i] = p.SignWith(t, fmt.Sprintf("random-%d", i), claims(""), nil)
	}
	start := p.Stats().JWKS
	began := time.Now()
	var (
		mu        sync.Mutex
		latencies []time.Duration
		wrong     int
		wg        sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			for i := w; time.Since(began) < floodFor; i += workers {
				t0 := time.Now()
				code := get(flood[i%kids])
				d := time.Since(t0)
				mu.Lock()
				latencies = append(latencies, d)
				if code != http.StatusUnauthorized {
					wrong++
				}
				mu.Unlock()
			}
		})
	}

	time.Sleep(500 * time.Millisecond) // the flood has begun
	kid := p.Rotate(t)
	published := time.Now()
	tok := p.Sign(t, claims(""))
	var pickup time.Duration
	for time.Since(published) < 20*time.Second {
		if get(tok) == http.StatusNoContent {
			pickup = time.Since(published)
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wg.Wait()
	elapsed := time.Since(began)
	fetches := p.Stats().JWKS - start

	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	p99 := sorted[len(sorted)*99/100]
	t.Logf("flood: %d requests in %v, %d JWKS fetches, p99 %v; key %s accepted %v after publication",
		len(latencies), elapsed.Round(time.Millisecond), fetches, p99, kid, pickup.Round(time.Millisecond))
	assert.Zero(t, wrong, "every flood request is refused")
	assert.NotZero(t, pickup, "the rotated key is accepted")
	assert.LessOrEqual(t, pickup, 15*time.Second)
	assert.LessOrEqual(t, fetches, int(elapsed/(10*time.Second))+1, "at most one fetch per 10 s")
	if !raceDetector {
		assert.Less(t, p99, 50*time.Millisecond)
	}
}

// TestReadyAndWaitReady: New does not wait unless asked; Ready names the
// issuers without keys; a WaitReady that runs out fails New.
func TestReadyAndWaitReady(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	p.Fail(http.StatusServiceUnavailable, 0)
	logs := &logbuf.Buffer{}
	cfg := bearer.Config{
		Algorithms: []string{"ES256"},
		Issuers:    []bearer.Issuer{{URL: p.Issuer()}},
		Logger:     slog.New(slog.NewTextHandler(logs, nil)),
	}
	began := time.Now()
	a, err := bearer.New(cfg)
	require.NoError(t, err)
	defer a.Close()
	assert.Less(t, time.Since(began), time.Second, "New does not wait for the network")
	// The provider counts its answer before the fetcher has read it: wait
	// for the fetcher to record the failure.
	require.Eventually(t, func() bool {
		err := a.Ready(context.Background())
		return err != nil && strings.Contains(err.Error(), "status 503")
	}, 5*time.Second, 5*time.Millisecond)
	err = a.Ready(context.Background())
	require.ErrorIs(t, err, bearer.ErrUnavailable)
	assert.Contains(t, err.Error(), "status 503")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "key set fetch failed") }, time.Second, 5*time.Millisecond,
		"fetch failures reach the Logger")

	cfg.WaitReady = 100 * time.Millisecond
	_, err = bearer.New(cfg)
	require.ErrorIs(t, err, bearer.ErrUnavailable, "New fails when the sets are not ready in time")

	p.Fail(0, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, a.WaitReady(ctx), "retried with backoff")
	assert.Equal(t, http.StatusNoContent, status(a, p.Sign(t, claims(""))))
}

// TestIssuerSettings: each issuer's typ, scope claim and tenant claim,
// falling back to the Config's.
func TestIssuerSettings(t *testing.T) {
	okta := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/okta", TokenType: "application/at+jwt"})
	entra := bearertest.NewProvider(t, bearertest.ProviderConfig{Path: "/entra", TokenType: "JWT"})
	a := newAuth(t, bearer.Config{
		TokenType: "at+jwt",
		Issuers: []bearer.Issuer{
			{URL: okta.Issuer()},
			{URL: entra.Issuer(), TokenType: "JWT", ScopeClaim: "roles", TenantClaim: "tid"},
		},
		WaitReady: 5 * time.Second,
	})
	check := func(tok string) (bool, []string, string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		p, err := a.Check(r)
		return err == nil, p.Scopes, p.Tenant
	}
	c := claims("")
	c["roles"], c["tid"], c["tenant"] = []string{"Orders.Read"}, "t-1", "ignored"
	ok, scopes, tenant := check(entra.Sign(t, c))
	require.True(t, ok)
	assert.Equal(t, []string{"Orders.Read"}, scopes)
	assert.Equal(t, "t-1", tenant)
	ok, scopes, tenant = check(okta.Sign(t, c))
	require.True(t, ok)
	assert.Equal(t, []string{"orders:read"}, scopes)
	assert.Equal(t, "ignored", tenant)
	ok, _, _ = check(okta.SignWith(t, okta.KeyID(), c, map[string]any{"typ": "JWT"}))
	assert.False(t, ok, "okta's typ is the Config's at+jwt")
}

// TestIssuerConfigErrors: issuer problems are reported by New.
func TestIssuerConfigErrors(t *testing.T) {
	for name, cfg := range map[string]bearer.Config{
		"duplicate issuer":           {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "https://a.example"}, {URL: "https://a.example"}}},
		"issuer not a URL":           {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "tenant-1"}}},
		"discovery over http":        {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "http://idp.example.com"}}},
		"issuer with a query":        {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "https://idp.example.com/?x=1"}}},
		"keys beside issuers":        {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "https://a.example"}}, JWKSURL: "https://a.example/jwks"},
		"MinRefresh over MaxRefresh": {Algorithms: []string{"ES256"}, Issuers: []bearer.Issuer{{URL: "https://a.example"}}, Fetch: bearer.Fetch{MinRefresh: time.Hour, MaxRefresh: time.Minute}},
		"metadata without issuers' URLs": {Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "tenant-1", Keys: []bearer.Key{{Algorithm: "HS256", Key: make([]byte, 32)}}}},
			Metadata: bearer.ResourceMetadata{Resource: "https://api.example.com"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := bearer.New(cfg)
			assert.ErrorIs(t, err, bearer.ErrConfig)
		})
	}
}

// TestChallengeNamesMetadata: with Config.Metadata every Bearer challenge
// carries resource_metadata, and the handler serves the document with the
// issuers as authorization servers.
func TestChallengeNamesMetadata(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	meta := bearer.ResourceMetadata{Resource: "https://api.example.com/v1", ScopesSupported: []string{"orders:read"}}
	a := newAuth(t, bearer.Config{Realm: "api", Issuers: []bearer.Issuer{{URL: p.Issuer()}}, Metadata: meta})
	want := `resource_metadata="https://api.example.com/.well-known/oauth-protected-resource/v1"`
	for _, auth := range []string{"", "Bearer bad.token.x"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		a.Middleware(http.NotFoundHandler()).ServeHTTP(w, r)
		assert.Equal(t, http.StatusUnauthorized, w.Code)
		assert.Contains(t, w.Header().Get("WWW-Authenticate"), want)
		assert.True(t, strings.HasPrefix(w.Header().Get("WWW-Authenticate"), `Bearer realm="api"`))
	}
	w := httptest.NewRecorder()
	a.MetadataHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, meta.Path(), nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"resource":"https://api.example.com/v1","authorization_servers":["`+p.Issuer()+`"],
		"scopes_supported":["orders:read"],"bearer_methods_supported":["header"]}`, w.Body.String())

	none := newAuth(t, bearer.Config{Issuers: []bearer.Issuer{{URL: p.Issuer()}}})
	w = httptest.NewRecorder()
	none.MetadataHandler().ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusNotFound, w.Code)
}

// TestCloseStopsFetching: after Close no request reaches the provider and
// a token with an unknown kid is refused at once.
func TestCloseStopsFetching(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	a := newAuth(t, bearer.Config{
		Issuers:   []bearer.Issuer{{URL: p.Issuer()}},
		Fetch:     bearer.Fetch{UnknownKIDInterval: time.Millisecond},
		WaitReady: 5 * time.Second,
	})
	require.NoError(t, a.Close())
	n := p.Stats().JWKS
	began := time.Now()
	assert.Equal(t, http.StatusUnauthorized, status(a, p.SignWith(t, "new", claims(""), nil)))
	assert.Less(t, time.Since(began), time.Second, "no wait for a fetch that will not come")
	assert.Equal(t, http.StatusNoContent, status(a, p.Sign(t, claims(""))), "the keys it had stay")
	assert.Equal(t, n, p.Stats().JWKS)
}

// idp is a hand-made provider for the cases bearertest.Provider does not
// stage: its handlers are set per test.
func idp(t *testing.T, tls bool, routes map[string]http.HandlerFunc) *httptest.Server {
	mux := http.NewServeMux()
	for pattern, h := range routes {
		mux.HandleFunc(pattern, h)
	}
	var srv *httptest.Server
	if tls {
		srv = httptest.NewTLSServer(mux)
	} else {
		srv = httptest.NewServer(mux)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestDiscoveryRetryAfterSparesTheSet: a Retry-After from a discovery
// location that failed, while the other answered, does not hold back the
// fetches of the set, so a rotated key is still picked up at once.
func TestDiscoveryRetryAfterSparesTheSet(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Discovery: "none"})
	var srv *httptest.Server
	srv = idp(t, false, map[string]http.HandlerFunc{
		"/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusServiceUnavailable)
		},
		"/.well-known/oauth-authorization-server": func(w http.ResponseWriter, r *http.Request) {
			_, _ = fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, srv.URL, p.JWKSURL())
		},
	})
	a := newAuth(t, bearer.Config{
		Issuers:   []bearer.Issuer{{URL: srv.URL}},
		Fetch:     bearer.Fetch{UnknownKIDInterval: time.Millisecond},
		WaitReady: 5 * time.Second,
	})
	c := claims("")
	c["iss"] = srv.URL
	p.Rotate(t)
	time.Sleep(10 * time.Millisecond) // past the UnknownKIDInterval since the first fetch
	assert.Equal(t, http.StatusNoContent, status(a, p.Sign(t, c)), "the new kid is fetched at once, despite the hour of Retry-After")
}

// TestReadyNeedsAnAllowedKey: a set whose keys are all of algorithms the
// issuer does not allow is not ready, and its tokens are refused.
func TestReadyNeedsAnAllowedKey(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{}) // ES256
	a := newAuth(t, bearer.Config{Algorithms: []string{"RS256"}, Issuers: []bearer.Issuer{{URL: p.Issuer()}}})
	require.Eventually(t, func() bool { return p.Stats().JWKS > 0 }, 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		err := a.Ready(context.Background())
		return err != nil && strings.Contains(err.Error(), "none of the 1 keys of the set is usable")
	}, 5*time.Second, 5*time.Millisecond)
}

// TestKeySetURLsRedacted: a JWK Set URL's password and query (an API key,
// say) never reach the log or Ready's error.
func TestKeySetURLsRedacted(t *testing.T) {
	srv := idp(t, false, map[string]http.HandlerFunc{"/": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}})
	logs := &logbuf.Buffer{}
	u := strings.Replace(srv.URL, "http://", "http://svc:s3cr3t@", 1) + "/jwks?api_key=k3y"
	a := newAuth(t, bearer.Config{Algorithms: []string{"ES256"}, JWKSURL: u, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "status 500") }, 5*time.Second, 5*time.Millisecond)
	err := a.Ready(context.Background())
	require.Error(t, err)
	for _, secret := range []string{"s3cr3t", "k3y"} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Contains(t, err.Error(), "JWK Set http://svc:xxxxx@", "an issuer-less set is named by its URL")

	// A host that cannot be reached: the transport's error (a *url.Error,
	// which quotes the whole URL) is named by the redacted URL too.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	logs = &logbuf.Buffer{}
	u = strings.Replace(closed.URL, "http://", "http://svc:s3cr3t@", 1) + "/jwks?api_key=k3y"
	a = newAuth(t, bearer.Config{Algorithms: []string{"ES256"}, JWKSURL: u, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "connection refused") }, 5*time.Second, 5*time.Millisecond)
	err = a.Ready(context.Background())
	require.Error(t, err)
	for _, secret := range []string{"s3cr3t", "k3y"} {
		assert.NotContains(t, logs.String(), secret)
		assert.NotContains(t, err.Error(), secret)
	}
}

// TestUnparseableURLRedacted: a JWK Set URL that does not parse is named
// in New's error without its password or its query either.
func TestUnparseableURLRedacted(t *testing.T) {
	_, err := bearer.New(bearer.Config{Algorithms: []string{"ES256"}, JWKSURL: "https://svc:s3cr3t@idp.example.com/%zz?api_key=k3y"})
	require.ErrorIs(t, err, bearer.ErrConfig)
	for _, secret := range []string{"s3cr3t", "k3y"} {
		assert.NotContains(t, err.Error(), secret)
	}
	assert.Contains(t, err.Error(), `"xxxxx@idp.example.com/%zz?…" is not an absolute URL`)
}

// TestHTTPSIssuerKeepsHTTPSKeys: an https issuer's document naming a
// plain-http jwks_uri is refused, even on loopback.
func TestHTTPSIssuerKeepsHTTPSKeys(t *testing.T) {
	keys := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	var issuer string
	srv := idp(t, true, map[string]http.HandlerFunc{"/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, issuer, keys.JWKSURL())
	}})
	issuer = srv.URL
	a := newAuth(t, bearer.Config{Issuers: []bearer.Issuer{{URL: issuer}}, Fetch: bearer.Fetch{Client: srv.Client()}})
	require.Eventually(t, func() bool {
		err := a.Ready(context.Background())
		return err != nil && strings.Contains(err.Error(), "jwks_uri must be https")
	}, 5*time.Second, 5*time.Millisecond)
	assert.Zero(t, keys.Stats().JWKS)
}

// TestWaitReadyIgnoresStaticIssuers: an issuer with static keys is ready
// whatever its remote set does, so New does not wait for that set.
func TestWaitReadyIgnoresStaticIssuers(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{})
	p.Fail(http.StatusServiceUnavailable, 0)
	began := time.Now()
	a := newAuth(t, bearer.Config{
		Algorithms: []string{"ES256"},
		Issuers:    []bearer.Issuer{{URL: p.Issuer(), JWKSURL: p.JWKSURL(), Keys: []bearer.Key{{ID: "static", Algorithm: "ES256", Key: p.PublicKey(p.KeyID())}}}},
		WaitReady:  2 * time.Second,
	})
	assert.Less(t, time.Since(began), time.Second)
	assert.NoError(t, a.Ready(context.Background()))
}

// TestRediscovery: a discovered set URL that keeps failing is discovered
// again, so a provider that moved its set is followed.
func TestRediscovery(t *testing.T) {
	p := bearertest.NewProvider(t, bearertest.ProviderConfig{Discovery: "none"})
	var mu sync.Mutex
	jwks := "/old"
	var srv *httptest.Server
	srv = idp(t, false, map[string]http.HandlerFunc{
		"/.well-known/openid-configuration": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			defer mu.Unlock()
			_, _ = fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, srv.URL, srv.URL+jwks)
		},
		"/old": func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			moved := jwks != "/old"
			mu.Unlock()
			if moved {
				http.NotFound(w, r)
				return
			}
			http.Redirect(w, r, p.JWKSURL(), http.StatusTemporaryRedirect)
		},
		"/new": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, p.JWKSURL(), http.StatusTemporaryRedirect)
		},
	})
	a := newAuth(t, bearer.Config{
		Issuers:   []bearer.Issuer{{URL: srv.URL}},
		Fetch:     bearer.Fetch{UnknownKIDInterval: time.Millisecond},
		WaitReady: 5 * time.Second,
	})
	c := claims("")
	c["iss"] = srv.URL
	mu.Lock()
	jwks = "/new"
	mu.Unlock()
	p.Rotate(t)
	require.Eventually(t, func() bool { return status(a, p.Sign(t, c)) == http.StatusNoContent }, 5*time.Second, 20*time.Millisecond,
		"after three failures of /old the set is found at /new")
}

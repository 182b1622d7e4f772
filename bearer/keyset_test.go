package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"

	"github.com/MicahParks/jwkset"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recordLogs points cfg's Logger at a buffer and returns it.
func recordLogs(cfg *Config) *logbuf.Buffer {
	l := &logbuf.Buffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(l, nil))
	return l
}

// jwksServer is a real JWK Set endpoint on loopback whose keys and health
// tests change while it runs.
type jwksServer struct {
	*httptest.Server
	mu    sync.Mutex
	body  []byte
	down  atomic.Bool
	delay atomic.Int64 // nanoseconds
	hits  atomic.Int32
}

func newJWKSServer(t testing.TB, keys ...signer) *jwksServer {
	s := &jwksServer{}
	s.set(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		time.Sleep(time.Duration(s.delay.Load()))
		if s.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(t testing.TB, keys ...signer) {
	t.Helper()
	var set struct {
		Keys []jwkset.JWKMarshal `json:"keys"`
	}
	set.Keys = []jwkset.JWKMarshal{}
	for _, k := range keys {
		j, err := jwkset.NewJWKFromKey(k.pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig}})
		require.NoError(t, err)
		set.Keys = append(set.Keys, j.Marshal())
	}
	s.setRaw(t, set)
}

func (s *jwksServer) setRaw(t testing.TB, v any) {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	s.mu.Lock()
	s.body = b
	s.mu.Unlock()
}

func jwksConfig(c *clock, url string) Config {
	cfg := baseConfig(c)
	cfg.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	cfg.Issuers[0].JWKSURL = url
	cfg.Fetch = Fetch{UnknownKIDInterval: time.Millisecond, UnknownKIDWait: time.Second, Timeout: time.Second}
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.WaitReady = 5 * time.Second // the tests start with the set fetched
	cfg.CacheSize = new(0)
	return cfg
}

func TestJWKSRotationAndRemoval(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	k2 := newSigner(t, "EdDSA", "k2")
	srv := newJWKSServer(t, k1)
	a := mustNew(t, jwksConfig(c, srv.URL))

	_, err := a.Check(bearerRequest(k1.sign(t, claimsAt(t0), nil)))
	require.NoError(t, err)

	// Rotation: the provider publishes k2; its first token triggers a refresh.
	srv.set(t, k1, k2)
	time.Sleep(5 * time.Millisecond) // let the rate limiter refill
	_, err = a.Check(bearerRequest(k2.sign(t, claimsAt(t0), nil)))
	require.NoError(t, err)

	// Removal: k1 is withdrawn; once the set is refreshed k1 tokens fail.
	srv.set(t, k2)
	time.Sleep(5 * time.Millisecond)
	_, err = a.Check(bearerRequest(newSigner(t, "ES256", "k3").sign(t, claimsAt(t0), nil)))
	assert.ErrorIs(t, err, ErrUnknownKey) // forces a refresh
	_, err = a.Check(bearerRequest(k1.sign(t, claimsAt(t0), nil)))
	assert.ErrorIs(t, err, ErrUnknownKey)
	_, err = a.Check(bearerRequest(k2.sign(t, claimsAt(t0), nil)))
	assert.NoError(t, err)
}

func TestJWKSDownAtStart(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	srv.down.Store(true)
	cfg := jwksConfig(c, srv.URL)
	cfg.WaitReady = 0
	logs := recordLogs(&cfg)
	a := mustNew(t, cfg)
	tok := k1.sign(t, claimsAt(t0), nil)

	rec, _, _ := serve(a, bearerRequest(tok))
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code, "no key known: fail closed, as an outage")
	assert.Contains(t, logs.String(), "key set fetch failed", "the failure is reported")

	srv.down.Store(false)
	time.Sleep(5 * time.Millisecond)
	rec, _, _ = serve(a, bearerRequest(tok))
	assert.Equal(t, http.StatusNoContent, rec.Code)
}

func TestJWKSDownMidRunKeepsLastGoodKeys(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	cfg := jwksConfig(c, srv.URL)
	cfg.Fetch.MinRefresh, cfg.Fetch.Refresh = time.Millisecond, 10*time.Millisecond
	a := mustNew(t, cfg)
	tok := k1.sign(t, claimsAt(t0), nil)
	_, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)

	srv.down.Store(true)
	before := srv.hits.Load()
	require.Eventually(t, func() bool { return srv.hits.Load() >= before+2 }, 2*time.Second, 5*time.Millisecond, "background refreshes run")
	_, err = a.Check(bearerRequest(tok))
	assert.NoError(t, err, "a failed refresh keeps the last good keys")
	_, err = a.Check(bearerRequest(newSigner(t, "ES256", "kx").sign(t, claimsAt(t0), nil)))
	assert.ErrorIs(t, err, ErrUnknownKey, "unknown kid with a known set is the client's fault")
}

func TestJWKSRandomKidFlood(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	cfg := jwksConfig(c, srv.URL)
	cfg.Fetch.UnknownKIDInterval = 0 // default: one fetch per 10 s
	a := mustNew(t, cfg)
	srv.delay.Store(int64(50 * time.Millisecond))
	start := srv.hits.Load()
	attacker := newSigner(t, "ES256", "")

	began := time.Now()
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := a.Check(bearerRequest(signer{alg: "ES256", kid: fmt.Sprintf("random-%d", i), method: attacker.method, priv: attacker.priv}.sign(t, claimsAt(t0), nil)))
			assert.ErrorIs(t, err, ErrUnknownKey)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, srv.hits.Load()-start, int32(1), "at most one refresh for the whole flood")
	assert.Less(t, time.Since(began), 3*time.Second)
	_, err := a.Check(bearerRequest(k1.sign(t, claimsAt(t0), nil)))
	assert.NoError(t, err, "known keys keep working")
}

func TestJWKSRefusals(t *testing.T) {
	c := newClock(t0)
	rsa1 := newSigner(t, "RS256", "r1")

	t.Run("oversized response", func(t *testing.T) {
		srv := newJWKSServer(t, rsa1)
		cfg := jwksConfig(c, srv.URL)
		cfg.Fetch.MaxBytes = 100
		cfg.WaitReady = 0
		a := mustNew(t, cfg)
		_, err := a.Check(bearerRequest(rsa1.sign(t, claimsAt(t0), nil)))
		assert.ErrorIs(t, err, ErrUnavailable)
	})
	t.Run("symmetric key in a remote set", func(t *testing.T) {
		srv := newJWKSServer(t)
		srv.setRaw(t, map[string]any{"keys": []any{json.RawMessage(`{"kty":"oct","kid":"h","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}`)}})
		cfg := jwksConfig(c, srv.URL)
		cfg.WaitReady = 0 // no usable key: never ready
		cfg.Algorithms = append(cfg.Algorithms, "HS256")
		a := mustNew(t, cfg)
		hs := signer{alg: "HS256", kid: "h", method: jwtHS256, priv: mustB64(t, "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")}
		_, err := a.Check(bearerRequest(hs.sign(t, claimsAt(t0), nil)))
		assert.ErrorIs(t, err, ErrUnavailable, "no usable key: the issuer is not ready")
	})
	t.Run("RSA key without alg and two RSA algorithms", func(t *testing.T) {
		srv := newJWKSServer(t)
		j, err := jwkset.NewJWKFromKey(rsa1.pub, jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "r1"}})
		require.NoError(t, err)
		srv.setRaw(t, map[string]any{"keys": []any{j.Marshal()}})
		cfg := jwksConfig(c, srv.URL)
		cfg.WaitReady = 0 // no usable key: never ready
		cfg.Algorithms = []string{"RS256", "PS256"}
		a := mustNew(t, cfg)
		_, err = a.Check(bearerRequest(rsa1.sign(t, claimsAt(t0), nil)))
		assert.ErrorIs(t, err, ErrUnavailable, "ambiguous binding refused: no usable key, the issuer is not ready")

		cfg.Algorithms = []string{"RS256"}
		b := mustNew(t, cfg)
		_, err = b.Check(bearerRequest(rsa1.sign(t, claimsAt(t0), nil)))
		assert.NoError(t, err, "bound to the only RSA algorithm allowed")
	})
	t.Run("JWK alg differs from token alg", func(t *testing.T) {
		srv := newJWKSServer(t, rsa1)
		cfg := jwksConfig(c, srv.URL)
		cfg.Algorithms = []string{"RS256", "PS256"}
		a := mustNew(t, cfg)
		ps := signer{alg: "PS256", kid: "r1", method: jwtPS256, priv: rsa1.priv}
		_, err := a.Check(bearerRequest(ps.sign(t, claimsAt(t0), nil)))
		assert.ErrorIs(t, err, ErrUnknownKey)
	})
	t.Run("no kid against a remote set", func(t *testing.T) {
		k1, k2 := newSigner(t, "ES256", "k1"), newSigner(t, "ES256", "k2")
		srv := newJWKSServer(t, k1, k2)
		a := mustNew(t, jwksConfig(c, srv.URL))
		anon := signer{alg: "ES256", method: k1.method, priv: k1.priv}
		_, err := a.Check(bearerRequest(anon.sign(t, claimsAt(t0), nil)))
		assert.ErrorIs(t, err, ErrUnknownKey)
	})
	t.Run("request context is honoured", func(t *testing.T) {
		srv := newJWKSServer(t, rsa1)
		a := mustNew(t, jwksConfig(c, srv.URL))
		srv.delay.Store(int64(200 * time.Millisecond))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		r := bearerRequest(newSigner(t, "ES256", "zz").sign(t, claimsAt(t0), nil)).WithContext(ctx)
		_, err := a.Check(r)
		assert.Error(t, err)
	})
}

func TestJWKSURLRules(t *testing.T) {
	c := newClock(t0)
	for url, ok := range map[string]bool{
		"http://127.0.0.1:1/jwks":     true,
		"http://localhost:1/jwks":     true,
		"http://[::1]:1/jwks":         true,
		"http://idp.example.com/jwks": false,
		"ftp://127.0.0.1/jwks":        false,
		"/jwks":                       false,
	} {
		t.Run(strings.ReplaceAll(url, "/", "_"), func(t *testing.T) {
			cfg := jwksConfig(c, url)
			cfg.Fetch.Timeout = 50 * time.Millisecond
			cfg.WaitReady = 0
			a, err := New(cfg)
			if ok {
				require.NoError(t, err)
				_ = a.Close()
			} else {
				assert.ErrorIs(t, err, ErrConfig)
			}
		})
	}
}

// TestJWKSRemovalEndsCachedTokens guards against cached tokens outliving
// their key: with the cache on, a token whose exp is a century
// away is refused as soon as the set no longer publishes its key, without
// FlushCache, and one whose kid now names another key too.
func TestJWKSRemovalEndsCachedTokens(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	k2 := newSigner(t, "EdDSA", "k2")
	srv := newJWKSServer(t, k1, k2)
	cfg := jwksConfig(c, srv.URL)
	cfg.CacheSize = nil // the default cache
	a := mustNew(t, cfg)

	forever := claimsAt(t0)
	forever["exp"] = t0.AddDate(100, 0, 0).Unix()
	tok1, tok2 := k1.sign(t, forever, nil), k2.sign(t, forever, nil)
	for _, tok := range []string{tok1, tok2} {
		_, err := a.Check(bearerRequest(tok))
		require.NoError(t, err)
	}
	require.Equal(t, 2, a.cache.len())
	e1, ok := a.cache.get(tok1, c.Now().Unix())
	require.True(t, ok)

	// A refresh that publishes the same keys keeps the entries alive.
	srv.set(t, k1, k2)
	time.Sleep(5 * time.Millisecond) // let the unknown-kid limiter refill
	_, err := a.Check(bearerRequest(newSigner(t, "ES256", "k9").sign(t, claimsAt(t0), nil)))
	require.ErrorIs(t, err, ErrUnknownKey) // forces a refresh
	assert.True(t, e1.key.live(e1.kid), "an unchanged key keeps its identity across refreshes")
	hits := srv.hits.Load()
	_, err = a.Check(bearerRequest(tok1))
	require.NoError(t, err)
	assert.Equal(t, hits, srv.hits.Load(), "a hit does not fetch")

	// k1 is withdrawn; the next refresh ends its cached token.
	srv.set(t, k2)
	time.Sleep(5 * time.Millisecond)
	_, err = a.Check(bearerRequest(newSigner(t, "ES256", "k9").sign(t, claimsAt(t0), nil)))
	require.ErrorIs(t, err, ErrUnknownKey)
	_, err = a.Check(bearerRequest(tok1))
	assert.ErrorIs(t, err, ErrUnknownKey, "refused without FlushCache")
	_, ok = a.cache.get(tok1, c.Now().Unix())
	assert.False(t, ok, "the stale entry is dropped")
	_, err = a.Check(bearerRequest(tok2))
	assert.NoError(t, err, "tokens of the keys still published stay cached")

	// The provider reuses kid "k2" for a new key: k2's old tokens die too.
	k2b := newSigner(t, "EdDSA", "k2")
	srv.set(t, k2b)
	time.Sleep(5 * time.Millisecond)
	_, err = a.Check(bearerRequest(newSigner(t, "ES256", "k9").sign(t, claimsAt(t0), nil)))
	require.ErrorIs(t, err, ErrUnknownKey)
	_, err = a.Check(bearerRequest(tok2))
	assert.ErrorIs(t, err, ErrTokenInvalid, "verified again against the new k2, whose signature does not match")
	_, err = a.Check(bearerRequest(k2b.sign(t, forever, nil)))
	assert.NoError(t, err)
}

// TestJWKSRemovalByBackgroundRefresh shows the periodic refresh alone (no
// unknown kid) ends a withdrawn key's cached tokens.
func TestJWKSRemovalByBackgroundRefresh(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	cfg := jwksConfig(c, srv.URL)
	cfg.CacheSize = nil
	cfg.Fetch.MinRefresh, cfg.Fetch.Refresh = time.Millisecond, 20*time.Millisecond
	a := mustNew(t, cfg)
	forever := claimsAt(t0)
	forever["exp"] = t0.AddDate(100, 0, 0).Unix()
	tok := k1.sign(t, forever, nil)
	_, err := a.Check(bearerRequest(tok))
	require.NoError(t, err)

	srv.set(t, newSigner(t, "ES256", "k2"))
	require.Eventually(t, func() bool {
		_, err := a.Check(bearerRequest(tok))
		return errors.Is(err, ErrUnknownKey)
	}, 5*time.Second, 10*time.Millisecond)
}

// TestJWKSIssuerCheckedBeforeFetch: a token from a foreign issuer whose kid
// the set does not hold is refused from its unverified claims, before the
// refresh its kid would trigger. (With a kid the set holds, the signature
// is checked first: see TestJWKSClaimsCheckedBeforeRefresh.)
func TestJWKSIssuerCheckedBeforeFetch(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	a := mustNew(t, jwksConfig(c, srv.URL))
	hits := srv.hits.Load()
	claims := claimsAt(t0)
	claims["iss"] = "https://evil.test"
	_, err := a.Check(bearerRequest(newSigner(t, "ES256", "unknown").sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrIssuer)
	assert.Equal(t, hits, srv.hits.Load(), "no refresh for a foreign issuer's kid")
}

// TestJWKSForeignIssuerWhileUnready: while the issuer has no keys, a
// token without kid naming another issuer is refused as such (401), not
// answered 503 as the issuer's own tokens are: the outage is no reason to
// tell its sender to retry.
func TestJWKSForeignIssuerWhileUnready(t *testing.T) {
	srv := newJWKSServer(t)
	srv.down.Store(true)
	cfg := jwksConfig(newClock(t0), srv.URL)
	cfg.WaitReady = 0
	a := mustNew(t, cfg)
	s := newSigner(t, "ES256", "")
	claims := claimsAt(t0)
	_, err := a.Check(bearerRequest(s.sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrUnavailable, "the issuer's own token")
	claims["iss"] = "https://evil.test"
	_, err = a.Check(bearerRequest(s.sign(t, claims, nil)))
	assert.ErrorIs(t, err, ErrIssuer)
	_, err = a.Check(bearerRequest("eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln"))
	assert.ErrorIs(t, err, ErrTokenInvalid, "claims that are not a claim set")
}

// TestJWKSRedirectRules checks that a redirect obeys the rules of the
// configured URL: an https set may redirect to https, never to plain http
// (where the keys could be replaced in transit). The refused target is
// never contacted: the client refuses before it dials.
func TestJWKSRedirectRules(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	keys := newJWKSServer(t, k1)
	for name, tc := range map[string]struct {
		target string
		want   int
	}{
		"https to https":          {"/jwks", http.StatusNoContent},
		"https to plain http":     {"http://idp.example.com/jwks", http.StatusServiceUnavailable},
		"https to another scheme": {"ftp://127.0.0.1/jwks", http.StatusServiceUnavailable},
		// Refused before dialling, so the port need not exist.
		"https to plain http on loopback": {"http://127.0.0.1:1/jwks", http.StatusServiceUnavailable},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/jwks" {
					keys.Config.Handler.ServeHTTP(w, r)
					return
				}
				http.Redirect(w, r, tc.target, http.StatusFound)
			}))
			t.Cleanup(srv.Close)
			cfg := jwksConfig(c, srv.URL+"/start")
			cfg.Fetch.Client = srv.Client()
			cfg.WaitReady = 0
			logs := recordLogs(&cfg)
			a := mustNew(t, cfg)
			rec, _, _ := serve(a, bearerRequest(k1.sign(t, claimsAt(t0), nil)))
			assert.Equal(t, tc.want, rec.Code)
			if tc.want != http.StatusNoContent {
				assert.Contains(t, logs.String(), "redirect refused")
			}
		})
	}
}

// TestWaitReadyWaitsAgainAfterALoss: a set that had usable keys and lost
// them (its provider publishes an empty set) is waited for again, until a
// later fetch brings a key back.
func TestWaitReadyWaitsAgainAfterALoss(t *testing.T) {
	c := newClock(t0)
	k1 := newSigner(t, "ES256", "k1")
	srv := newJWKSServer(t, k1)
	cfg := jwksConfig(c, srv.URL)
	cfg.Fetch.Refresh, cfg.Fetch.MinRefresh = 30*time.Millisecond, 10*time.Millisecond
	a := mustNew(t, cfg)
	require.NoError(t, a.Ready(t.Context()))

	srv.set(t) // the provider publishes an empty set for a while
	deadline := time.Now().Add(2 * time.Second)
	for a.Ready(t.Context()) == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	require.Error(t, a.Ready(t.Context()), "the set never became unusable")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	type result struct {
		err  error
		took time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		err := a.WaitReady(ctx)
		done <- result{err, time.Since(start)}
	}()
	time.Sleep(20 * time.Millisecond)
	srv.set(t, k1) // the provider recovers; the next refresh (≤30 ms) has keys
	got := <-done
	assert.NoError(t, got.err, "WaitReady returned after %v without waiting for the set", got.took)
}

// TestWaitReadyLooksAgainAtEveryIssuer: an issuer that loses its keys
// while WaitReady waits for another is waited for too, so WaitReady ends
// only with every issuer ready at once, or with ctx.
func TestWaitReadyLooksAgainAtEveryIssuer(t *testing.T) {
	c := newClock(t0)
	kA := newSigner(t, "ES256", "a1")
	kB := newSigner(t, "ES256", "b1")
	srvA := newJWKSServer(t, kA)
	srvB := newJWKSServer(t) // B starts without keys
	cfg := jwksConfig(c, srvA.URL)
	cfg.Issuers = append(cfg.Issuers, Issuer{URL: "https://issuer-b.test", JWKSURL: srvB.URL})
	cfg.Fetch.Refresh, cfg.Fetch.MinRefresh = 30*time.Millisecond, 10*time.Millisecond
	cfg.WaitReady = 0
	a := mustNew(t, cfg)

	deadline := time.Now().Add(2 * time.Second)
	for len(a.Unready()) != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // A fetched, B empty
	}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.WaitReady(ctx) }()
	time.Sleep(50 * time.Millisecond) // WaitReady has passed A, waits for B

	srvA.set(t) // A loses its keys
	for a.all[0].remote.usable() == nil && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if a.all[0].remote.usable() == nil {
		t.Fatal("setup: A never lost its keys")
	}
	srvB.set(t, kB) // B gets a key
	select {
	case err := <-done:
		t.Fatalf("WaitReady returned %v with A unready and ctx not done", err)
	case <-time.After(100 * time.Millisecond):
	}
	srvA.set(t, kA) // A gets its key back: both are ready
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(4 * time.Second):
		t.Fatal("WaitReady did not return")
	}
}

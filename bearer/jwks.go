package bearer

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

// JWKS configures a remote JSON Web Key Set (an OpenID provider's
// "jwks_uri"), fetched and refreshed through MicahParks/keyfunc/v3. The zero
// value (empty URL) disables it.
type JWKS struct {
	// URL is the JWK Set endpoint. It must be https, except for a loopback
	// host or when AllowHTTP is set. Required to enable the set.
	URL string
	// AllowHTTP permits a plain-http URL to a non-loopback host. Default:
	// false.
	AllowHTTP bool
	// Client fetches the set; its transport is wrapped to enforce
	// MaxBytes. Default: a client with Timeout.
	Client *http.Client
	// Timeout bounds one fetch. Default: 10s.
	Timeout time.Duration
	// MaxBytes caps the size of a JWK Set response. Default: 1 MiB.
	MaxBytes int64
	// RefreshInterval is how often the set is refreshed in the background;
	// a failed refresh keeps the last good keys. Default: 1h.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the minimum time between refreshes triggered by
	// a token whose "kid" is unknown (key rotation). A token with an
	// unknown kid arriving sooner waits for the next allowed refresh when
	// it is at most UnknownKIDWait away, and is refused at once otherwise.
	// Default: 1m.
	UnknownKIDInterval time.Duration
	// UnknownKIDWait bounds how long a request waits for such a refresh.
	// Default: 2s.
	UnknownKIDWait time.Duration
	// OnRefreshError receives every failed fetch, for logging. Optional.
	OnRefreshError func(err error)
}

// remoteKeys resolves "kid"s against a JWK Set that keyfunc fetches and
// refreshes. The set lives in a [liveStorage], which turns every write into
// an immutable snapshot of bound keys: a lookup is one atomic load and one
// map read, and a key that stays published across refreshes keeps its
// *remoteKey, so the verified-token cache can tell with a pointer
// comparison whether the key a token was verified with is still in the set.
type remoteKeys struct {
	kf      keyfunc.Keyfunc
	rsaAlg  string // the only RSA algorithm allowed, for JWKs without "alg"
	allowed []string
	cancel  context.CancelFunc

	snap atomic.Pointer[jwkSnapshot]
}

// A remoteKey is one usable key of the remote set, bound to its algorithm.
// Its address is its identity: it changes when the provider publishes
// another key under the same kid.
type remoteKey struct{ Key }

// jwkSnapshot is the remote set as of one write.
type jwkSnapshot struct {
	byKID map[string]*remoteKey // usable keys; the first of duplicate kids wins
	size  int                   // members in the set, usable or not
	only  *remoteKey            // the usable key of a one-member set, for tokens without kid
}

// lookup returns the usable key for kid ("" only for a one-key set).
func (s *jwkSnapshot) lookup(kid string) *remoteKey {
	if kid == "" {
		return s.only
	}
	return s.byKID[kid]
}

// parseJWKSURL parses and checks JWKS.URL (see jwksURLAllowed).
func parseJWKSURL(cfg JWKS) (*url.URL, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("JWKS URL %q is not an absolute URL", cfg.URL)
	}
	if err := jwksURLAllowed(u, cfg.AllowHTTP); err != nil {
		return nil, err
	}
	return u, nil
}

// newRemoteKeys starts fetching the set at u, the URL parseJWKSURL
// returned for cfg. Its error is a configuration problem.
func newRemoteKeys(cfg JWKS, u *url.URL, allowed []string) (*remoteKeys, error) {
	timeout := orDefault(cfg.Timeout, 10*time.Second)
	maxBytes := cfg.MaxBytes
	if maxBytes <= 0 {
		maxBytes = 1 << 20
	}
	client := &http.Client{Timeout: timeout}
	if cfg.Client != nil {
		c := *cfg.Client
		client = &c
		if client.Timeout == 0 {
			client.Timeout = timeout
		}
	}
	client.Transport = capTransport{base: client.Transport, max: maxBytes}
	// A redirect must obey the rules of the configured URL, and an https
	// set may only redirect to https: plain http (even to a loopback
	// host) would let the keys be replaced in transit.
	next := client.CheckRedirect
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := jwksURLAllowed(req.URL, cfg.AllowHTTP); err != nil {
			return fmt.Errorf("JWKS redirect refused: %w", err)
		}
		if u.Scheme == "https" && req.URL.Scheme != "https" {
			return errors.New("JWKS redirect refused: an https JWKS URL redirects to https only")
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("JWKS fetch stopped after 10 redirects")
		}
		return nil
	}

	rk := &remoteKeys{allowed: allowed}
	rk.snap.Store(&jwkSnapshot{})
	for _, a := range allowed {
		if a[0] == 'R' || a[0] == 'P' {
			if rk.rsaAlg != "" {
				rk.rsaAlg = "" // several RSA algorithms: a JWK must say which
				break
			}
			rk.rsaAlg = a
		}
	}

	// What keyfunc.NewDefaultOverrideCtx builds, with our storage under the
	// HTTP client so that every refresh publishes a snapshot.
	ctx, cancel := context.WithCancel(context.Background())
	rk.cancel = cancel
	onErr := cfg.OnRefreshError
	httpStore, err := jwkset.NewStorageFromHTTP(cfg.URL, jwkset.HTTPClientStorageOptions{
		Client:                    client,
		Ctx:                       ctx,
		HTTPTimeout:               timeout,
		NoErrorReturnFirstHTTPReq: true,
		RefreshErrorHandler: func(_ context.Context, err error) {
			if onErr != nil {
				onErr(err)
			}
		},
		RefreshInterval: orDefault(cfg.RefreshInterval, time.Hour),
		Storage:         &liveStorage{MemoryJWKSet: jwkset.NewMemoryStorage(), rk: rk},
	})
	if err == nil {
		var store jwkset.Storage
		store, err = jwkset.NewHTTPClient(jwkset.HTTPClientOptions{
			HTTPURLs:          map[string]jwkset.Storage{cfg.URL: httpStore},
			RateLimitWaitMax:  orDefault(cfg.UnknownKIDWait, 2*time.Second),
			RefreshUnknownKID: rate.NewLimiter(rate.Every(orDefault(cfg.UnknownKIDInterval, time.Minute)), 1),
		})
		if err == nil {
			rk.kf, err = keyfunc.New(keyfunc.Options{Ctx: ctx, Storage: store})
		}
	}
	if err != nil {
		cancel()
		return nil, fmt.Errorf("JWKS: %w", err)
	}
	return rk, nil
}

// publish rebuilds the snapshot from the set's members, keeping the
// *remoteKey of every kid whose key and algorithm did not change.
func (rk *remoteKeys) publish(set []jwkset.JWK) {
	old := rk.snap.Load()
	next := &jwkSnapshot{byKID: make(map[string]*remoteKey, len(set)), size: len(set)}
	for _, j := range set {
		k, err := keyFromJWK(j, "", rk.rsaAlg, false)
		if err != nil {
			continue // unusable: its kid stays unknown
		}
		if _, dup := next.byKID[k.ID]; dup {
			continue
		}
		rkey := &remoteKey{k}
		if prev := old.byKID[k.ID]; prev != nil && prev.Algorithm == k.Algorithm && sameKey(prev.Key.Key, k.Key) {
			rkey = prev
		}
		next.byKID[k.ID] = rkey
		if len(set) == 1 {
			next.only = rkey
		}
	}
	rk.snap.Store(next)
}

// sameKey reports whether two bound public keys are equal.
func sameKey(a, b any) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// key returns the key for kid bound to alg. An unknown kid triggers a
// rate-limited refresh of the set (keyfunc's unknown-kid refresh) and is
// ErrUnknownKey if the refreshed set does not have it either; when the set
// holds no key at all (the provider was never reached) it is
// ErrUnavailable, so the outage is a 503 and not the client's fault.
func (rk *remoteKeys) key(ctx context.Context, kid, alg string) (*remoteKey, error) {
	snap := rk.snap.Load()
	k := snap.lookup(kid)
	if k == nil && kid != "" {
		// Not found: keyfunc refreshes (at most once per
		// UnknownKIDInterval), which publishes a new snapshot.
		_, _ = rk.kf.Storage().KeyRead(ctx, kid)
		snap = rk.snap.Load()
		k = snap.lookup(kid)
	}
	switch {
	case k != nil && k.Algorithm == alg && containsString(rk.allowed, alg):
		return k, nil
	case k == nil && snap.size == 0:
		return nil, ErrUnavailable
	}
	return nil, ErrUnknownKey
}

// holds reports whether the set, as last fetched, has a usable key for
// kid: when it does not, key refreshes the set.
func (rk *remoteKeys) holds(kid string) bool {
	return rk.snap.Load().lookup(kid) != nil
}

// live reports whether k is still the set's key for kid: the check a
// cache hit makes for a token verified with a remote key. It allocates
// nothing.
func (rk *remoteKeys) live(kid string, k *remoteKey) bool {
	return rk.snap.Load().lookup(kid) == k
}

// liveStorage is the jwkset storage behind keyfunc's HTTP client: an
// in-memory set that publishes a snapshot after every write.
type liveStorage struct {
	*jwkset.MemoryJWKSet
	rk *remoteKeys
	mu sync.Mutex // orders writes with their snapshots
}

// KeyReplaceAll replaces the set (every refresh) and publishes it.
func (s *liveStorage) KeyReplaceAll(ctx context.Context, given []jwkset.JWK) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.MemoryJWKSet.KeyReplaceAll(ctx, given); err != nil {
		return err
	}
	s.rk.publish(given)
	return nil
}

// KeyWrite adds a key and publishes the set.
func (s *liveStorage) KeyWrite(ctx context.Context, jwk jwkset.JWK) error {
	return s.write(ctx, func() error { return s.MemoryJWKSet.KeyWrite(ctx, jwk) })
}

// KeyDelete removes a key and publishes the set.
func (s *liveStorage) KeyDelete(ctx context.Context, kid string) (ok bool, err error) {
	err = s.write(ctx, func() error { ok, err = s.MemoryJWKSet.KeyDelete(ctx, kid); return err })
	return ok, err
}

func (s *liveStorage) write(ctx context.Context, op func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := op(); err != nil {
		return err
	}
	all, err := s.MemoryJWKSet.KeyReadAll(ctx)
	if err != nil {
		return err
	}
	s.rk.publish(all)
	return nil
}

func (rk *remoteKeys) close() { rk.cancel() }

// capTransport refuses responses larger than max bytes.
type capTransport struct {
	base http.RoundTripper
	max  int64
}

var errTooLarge = errors.New("bearer: JWK Set response too large")

func (t capTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.ContentLength > t.max {
		resp.Body.Close()
		return nil, errTooLarge
	}
	resp.Body = &capReader{rc: resp.Body, left: t.max}
	return resp, nil
}

type capReader struct {
	rc   io.ReadCloser
	left int64
}

func (r *capReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		// Probe for one more byte: exactly max bytes is fine.
		var one [1]byte
		if n, _ := r.rc.Read(one[:]); n > 0 {
			return 0, errTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.rc.Read(p)
	r.left -= int64(n)
	return n, err
}

func (r *capReader) Close() error { return r.rc.Close() }

// jwksURLAllowed applies the URL rules of JWKS.URL to u: https, or http
// to a loopback host or with allowHTTP.
func jwksURLAllowed(u *url.URL, allowHTTP bool) error {
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if !allowHTTP && !isLoopbackHost(u.Hostname()) {
			return errors.New("JWKS URL must be https (set JWKS.AllowHTTP to override)")
		}
		return nil
	}
	return fmt.Errorf("JWKS URL scheme %q", u.Scheme)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package bearer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
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
	// host or when AllowHTTP is set.
	URL string
	// AllowHTTP permits a plain-http URL to a non-loopback host.
	AllowHTTP bool
	// Client fetches the set; nil uses a client with Timeout. Its transport
	// is wrapped to enforce MaxBytes.
	Client *http.Client
	// Timeout bounds one fetch; zero means 10s.
	Timeout time.Duration
	// MaxBytes caps the size of a JWK Set response; zero means 1 MiB.
	MaxBytes int64
	// RefreshInterval is how often the set is refreshed in the background;
	// zero means 1h. A failed refresh keeps the last good keys.
	RefreshInterval time.Duration
	// UnknownKIDInterval is the minimum time between refreshes triggered by
	// a token whose "kid" is unknown (key rotation); zero means 1m. Tokens
	// with unknown kids arriving faster are refused without waiting.
	UnknownKIDInterval time.Duration
	// UnknownKIDWait bounds how long a request waits for such a refresh;
	// zero means 2s.
	UnknownKIDWait time.Duration
	// OnRefreshError, when set, receives every failed fetch, for logging.
	OnRefreshError func(err error)
}

// remoteKeys resolves "kid"s against a keyfunc-managed JWK Set.
type remoteKeys struct {
	kf      keyfunc.Keyfunc
	rsaAlg  string // the only RSA algorithm allowed, for JWKs without "alg"
	allowed []string
	cancel  context.CancelFunc
}

func newRemoteKeys(cfg JWKS, allowed []string) (*remoteKeys, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("%w: JWKS URL %q is not an absolute URL", ErrConfig, cfg.URL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !cfg.AllowHTTP && !isLoopbackHost(u.Hostname()) {
			return nil, fmt.Errorf("%w: JWKS URL must be https (set JWKS.AllowHTTP to override)", ErrConfig)
		}
	default:
		return nil, fmt.Errorf("%w: JWKS URL scheme %q", ErrConfig, u.Scheme)
	}
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

	rk := &remoteKeys{allowed: allowed}
	for _, a := range allowed {
		if a[0] == 'R' || a[0] == 'P' {
			if rk.rsaAlg != "" {
				rk.rsaAlg = "" // several RSA algorithms: a JWK must say which
				break
			}
			rk.rsaAlg = a
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	rk.cancel = cancel
	onErr := cfg.OnRefreshError
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.URL}, keyfunc.Override{
		Client:           client,
		HTTPTimeout:      timeout,
		RateLimitWaitMax: orDefault(cfg.UnknownKIDWait, 2*time.Second),
		RefreshErrorHandlerFunc: func(string) func(context.Context, error) {
			return func(_ context.Context, err error) {
				if onErr != nil {
					onErr(err)
				}
			}
		},
		RefreshInterval:   orDefault(cfg.RefreshInterval, time.Hour),
		RefreshUnknownKID: rate.NewLimiter(rate.Every(orDefault(cfg.UnknownKIDInterval, time.Minute)), 1),
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: JWKS: %w", ErrConfig, err)
	}
	rk.kf = kf
	return rk, nil
}

// key returns the key for kid bound to alg. An unknown kid is ErrUnknownKey;
// when the set holds no key at all (the provider was never reached) it is
// ErrUnavailable, so the outage is a 503 and not the client's fault.
func (rk *remoteKeys) key(ctx context.Context, kid, alg string) (any, error) {
	store := rk.kf.Storage()
	var j jwkset.JWK
	var err error
	if kid == "" {
		// Without a kid only a set of exactly one key is usable.
		all, aerr := store.KeyReadAll(ctx)
		switch {
		case aerr != nil:
			return nil, ErrUnavailable
		case len(all) == 0:
			return nil, ErrUnavailable
		case len(all) > 1:
			return nil, ErrUnknownKey
		}
		j = all[0]
	} else if j, err = store.KeyRead(ctx, kid); err != nil {
		if all, aerr := store.KeyReadAll(context.WithoutCancel(ctx)); aerr != nil || len(all) == 0 {
			return nil, ErrUnavailable
		}
		return nil, ErrUnknownKey
	}
	k, err := keyFromJWK(j, "", rk.rsaAlg, false)
	if err != nil || k.Algorithm != alg {
		return nil, ErrUnknownKey
	}
	if !containsString(rk.allowed, k.Algorithm) {
		return nil, ErrUnknownKey
	}
	return k.Key, nil
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

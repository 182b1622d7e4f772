package gatehousetest

import (
	"time"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	"github.com/gatehouse-go/gatehouse/dpop"
)

// TB is the part of testing.TB the kit uses: *testing.T, *testing.B and
// *testing.F satisfy it. A failure ends the test with Fatalf; servers and
// Authenticators are closed with Cleanup.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Cleanup(func())
}

// DefaultAudience is the "aud" of a [Provider]'s tokens and the audience
// its Authenticator accepts, unless [WithAudience] sets another.
const DefaultAudience = "https://api.test"

// Provider is an OpenID provider on a loopback httptest server, for tests
// of handlers behind the real bearer middleware: it serves its discovery
// document and JWK Set, mints tokens with sensible defaults ([Provider.Token])
// and their defective variants, and builds a [bearer.Authenticator] that
// trusts it ([Provider.Authenticator]).
//
// It embeds the [bearertest.Provider] that does the serving and the
// signing, whose methods are Provider's too: Issuer (the issuer URL),
// JWKSURL, KeyID (the current kid), Rotate (publish a new key and sign
// with it), Withdraw (stop publishing a key), PublicKey, Keys,
// SetDocumentIssuer, Fail (answer the JWK Set and discovery with an error
// status), Stats (requests answered), and Sign and SignWith for tokens
// of raw claims. Its methods are safe for concurrent use.
type Provider struct {
	*bearertest.Provider

	cfg      bearertest.ProviderConfig
	audience string
	now      func() time.Time // nil: time.Now
}

// A ProviderOption configures [NewProvider]. Later options override
// earlier ones.
type ProviderOption func(*Provider)

// WithAlgorithm makes the provider sign with alg: "ES256" (the default),
// "RS256", "EdDSA" or "HS256". An HS256 provider's JWK Set is empty: its
// [Provider.BearerIssuer] carries the secrets as static keys.
func WithAlgorithm(alg string) ProviderOption {
	return func(p *Provider) { p.cfg.Algorithm = alg }
}

// WithAudience sets the "aud" of the provider's tokens and the audience
// its [Provider.BearerIssuer] accepts. Default: [DefaultAudience].
func WithAudience(aud string) ProviderOption {
	return func(p *Provider) { p.audience = aud }
}

// WithClock makes the provider read the time from now: the "iat" and
// "exp" of its tokens and the variants' times are computed from it, and
// [Provider.Authenticator] hands it to bearer.Config.Now (and to the DPoP
// verifier it builds), so that a test controls the time the middleware
// judges tokens by. Default: time.Now. Key sets are still fetched and
// refreshed on the wall clock.
func WithClock(now func() time.Time) ProviderOption {
	return func(p *Provider) { p.now = now }
}

// WithProviderConfig sets everything about the provider's server: the
// issuer's path ("/realms/demo"), the JWK Set's max-age and ETag, the
// discovery locations served, the "typ" of its tokens (at+jwt by
// default). Options after it override its Algorithm.
func WithProviderConfig(cfg bearertest.ProviderConfig) ProviderOption {
	return func(p *Provider) { p.cfg = cfg }
}

// NewProvider starts a Provider with one published signing key, ES256
// unless an option says otherwise, and stops it when the test ends. It
// fails the test on an invalid option.
func NewProvider(t TB, opts ...ProviderOption) *Provider {
	t.Helper()
	p := &Provider{audience: DefaultAudience}
	for _, o := range opts {
		o(p)
	}
	if p.cfg.Algorithm == "" {
		p.cfg.Algorithm = "ES256"
	}
	if p.cfg.TokenType == "" {
		p.cfg.TokenType = "at+jwt"
	}
	if p.audience == "" {
		t.Fatalf("gatehousetest: WithAudience(\"\"): a provider's tokens name an audience")
	}
	p.Provider = bearertest.NewProvider(t, p.cfg)
	return p
}

// Now returns the provider's time: its clock's (see [WithClock]), else the
// wall clock's.
func (p *Provider) Now() time.Time {
	if p.now != nil {
		return p.now()
	}
	return time.Now()
}

// Audience returns the "aud" of the provider's tokens.
func (p *Provider) Audience() string { return p.audience }

// Algorithm returns the algorithm the provider signs with.
func (p *Provider) Algorithm() string { return p.cfg.Algorithm }

// TokenType returns the "typ" header of the provider's tokens.
func (p *Provider) TokenType() string { return p.cfg.TokenType }

// BearerIssuer returns the provider as a [bearer.Issuer], for an
// application's own bearer.Config: its URL, its algorithm, its audience,
// its token type, and its keys — found by discovery (or its JWK Set's URL
// when the provider serves no discovery document), or the static secrets
// of an HS256 provider. Clear Audiences, Algorithms or TokenType to have
// the Config's apply instead.
func (p *Provider) BearerIssuer() bearer.Issuer {
	is := bearer.Issuer{
		URL:        p.Issuer(),
		Algorithms: []string{p.cfg.Algorithm},
		Audiences:  []string{p.audience},
		TokenType:  p.cfg.TokenType,
	}
	switch {
	case p.cfg.Algorithm == "HS256":
		is.Keys = p.Keys()
	case p.cfg.Discovery == "none":
		is.JWKSURL = p.JWKSURL()
	}
	return is
}

// Authenticator returns a [bearer.Authenticator] built from cfg that
// trusts the provider, with its key set fetched: a token the provider
// signs is accepted as soon as it returns. It is closed when the test
// ends; an error of bearer.New fails the test. cfg is the application's
// own configuration, completed where it leaves a field empty:
//
//   - with no Issuers, Keys or JWKSURL, Issuers is the provider's
//     [Provider.BearerIssuer], whose audience, algorithm and token type
//     give way to cfg's Audiences, Algorithms and TokenType when set;
//   - Now is the provider's clock when [WithClock] set one;
//   - WaitReady is 10 seconds;
//   - Fetch.UnknownKIDInterval is one nanosecond, in effect none, so that
//     the first token of a key published by Rotate makes the
//     Authenticator fetch the set again and wait for it (bearer's default
//     lets 10 seconds pass between two such fetches, refusing the tokens
//     of a new key meanwhile);
//   - a DPoP mode other than DPoPOff without a Verifier gets one with the
//     zero dpop.Config on the provider's clock.
func (p *Provider) Authenticator(t TB, cfg bearer.Config) *bearer.Authenticator {
	t.Helper()
	if len(cfg.Issuers) == 0 && len(cfg.Keys) == 0 && cfg.JWKSURL == "" {
		is := p.BearerIssuer()
		if len(cfg.Audiences) > 0 {
			is.Audiences = nil
		}
		if len(cfg.Algorithms) > 0 {
			is.Algorithms = nil
		}
		if cfg.TokenType != "" {
			is.TokenType = ""
		}
		cfg.Issuers = []bearer.Issuer{is}
	}
	if cfg.Now == nil && p.now != nil {
		cfg.Now = p.now
	}
	if cfg.WaitReady == 0 {
		cfg.WaitReady = 10 * time.Second
	}
	if cfg.Fetch.UnknownKIDInterval == 0 {
		cfg.Fetch.UnknownKIDInterval = time.Nanosecond
	}
	if cfg.DPoP.Mode != bearer.DPoPOff && cfg.DPoP.Verifier == nil {
		v, err := dpop.New(dpop.Config{Now: p.now})
		if err != nil {
			t.Fatalf("gatehousetest: building the DPoP verifier: %v", err)
		}
		cfg.DPoP.Verifier = v
	}
	auth, err := bearer.New(cfg)
	if err != nil {
		t.Fatalf("gatehousetest: bearer.New: %v", err)
	}
	t.Cleanup(func() { _ = auth.Close() })
	return auth
}

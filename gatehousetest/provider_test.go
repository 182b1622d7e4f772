package gatehousetest_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/bearer/bearertest"
	gt "github.com/gatehouse-go/gatehouse/gatehousetest"
)

var algorithms = []string{"ES256", "RS256", "EdDSA", "HS256"}

// decode returns the header and claims of raw, unverified.
func decode(t *testing.T, raw string) (map[string]any, jwt.MapClaims) {
	t.Helper()
	tok, _, err := jwt.NewParser().ParseUnverified(raw, jwt.MapClaims{})
	require.NoError(t, err)
	return tok.Header, tok.Claims.(jwt.MapClaims)
}

// check authenticates a request with the bearer token tok.
func check(t *testing.T, auth *bearer.Authenticator, tok string) (gatehouse.Principal, error) {
	t.Helper()
	return auth.Check(gt.Request(t, "GET", "/orders", gt.WithBearer(tok)))
}

func TestTokenDefaultsAreAccepted(t *testing.T) {
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			op := gt.NewProvider(t, gt.WithAlgorithm(alg))
			auth := op.Authenticator(t, bearer.Config{})
			assert.NoError(t, auth.Ready(context.Background()), "ready when returned")

			before := time.Now()
			tok := op.Token(t, gt.Claims{})
			header, claims := decode(t, tok)
			assert.Equal(t, alg, header["alg"])
			assert.Equal(t, op.KeyID(), header["kid"])
			assert.Equal(t, "at+jwt", header["typ"])
			assert.Equal(t, op.Issuer(), claims["iss"])
			assert.Equal(t, gt.DefaultAudience, claims["aud"])
			assert.Equal(t, gt.DefaultSubject, claims["sub"])
			assert.NotEmpty(t, claims["jti"])
			assert.NotContains(t, claims, "nbf")
			assert.NotContains(t, claims, "scope")
			iat, exp := int64(claims["iat"].(float64)), int64(claims["exp"].(float64))
			assert.InDelta(t, before.Unix(), iat, 2)
			assert.Equal(t, int64(3600), exp-iat)
			assert.NotEqual(t, claims["jti"], decodeClaim(t, op.Token(t, gt.Claims{}), "jti"), "a fresh jti per token")

			p, err := check(t, auth, tok)
			require.NoError(t, err)
			assert.Equal(t, gt.DefaultSubject, p.Subject)
			assert.Equal(t, gatehouse.MethodJWT, p.Method)
			assert.Equal(t, claims["jti"], p.TokenID)
			assert.Equal(t, exp, p.ExpiresAt.Unix())
		})
	}
}

func decodeClaim(t *testing.T, raw, name string) any {
	t.Helper()
	_, c := decode(t, raw)
	return c[name]
}

// TestVariantsAreRefused: every variant is refused by the real bearer
// middleware, with the sentinel and the audit reason its documentation
// names, for every algorithm.
func TestVariantsAreRefused(t *testing.T) {
	variants := []struct {
		name   string
		opts   []gt.TokenOption
		claims gt.Claims
		err    error
		reason gatehouse.Reason
	}{
		{"expired", []gt.TokenOption{gt.Expired()}, gt.Claims{}, bearer.ErrTokenExpired, bearer.ReasonTokenExpired},
		{"expired, with an nbf", []gt.TokenOption{gt.Expired()}, gt.Claims{NotBefore: time.Now().Add(-time.Minute)}, bearer.ErrTokenExpired, bearer.ReasonTokenExpired},
		{"not yet valid", []gt.TokenOption{gt.NotYetValid()}, gt.Claims{}, bearer.ErrTokenNotYetValid, bearer.ReasonTokenNotYetValid},
		{"foreign", []gt.TokenOption{gt.Foreign()}, gt.Claims{}, bearer.ErrTokenInvalid, bearer.ReasonInvalidToken},
		{"tampered", []gt.TokenOption{gt.Tampered()}, gt.Claims{Scopes: []string{"orders:read"}}, bearer.ErrTokenInvalid, bearer.ReasonInvalidToken},
		{"unknown key", []gt.TokenOption{gt.UnknownKey()}, gt.Claims{}, bearer.ErrUnknownKey, bearer.ReasonUnknownSigningKey},
		{"wrong audience", []gt.TokenOption{gt.WrongAudience()}, gt.Claims{}, bearer.ErrAudience, bearer.ReasonAudienceNotAccepted},
		{"wrong issuer", []gt.TokenOption{gt.WrongIssuer()}, gt.Claims{}, bearer.ErrIssuer, bearer.ReasonIssuerNotAccepted},
		{"typ JWT", []gt.TokenOption{gt.Header("typ", "JWT")}, gt.Claims{}, bearer.ErrTokenType, bearer.ReasonTokenTypeNotAccepted},
		{"no typ", []gt.TokenOption{gt.Header("typ", nil)}, gt.Claims{}, bearer.ErrTokenType, bearer.ReasonTokenTypeNotAccepted},
		{"crit", []gt.TokenOption{gt.Header("crit", []string{"exp"})}, gt.Claims{}, bearer.ErrCritHeader, bearer.ReasonUnsupportedCrit},
		{"no exp", nil, gt.Claims{Extra: map[string]any{"exp": nil}}, bearer.ErrClaims, bearer.ReasonInvalidClaims},
		{"no iss", nil, gt.Claims{Extra: map[string]any{"iss": nil}}, bearer.ErrIssuer, bearer.ReasonIssuerNotAccepted},
		{"audience of another API", nil, gt.Claims{Audience: []string{"https://billing.test"}}, bearer.ErrAudience, bearer.ReasonAudienceNotAccepted},
	}
	for _, alg := range algorithms {
		t.Run(alg, func(t *testing.T) {
			op := gt.NewProvider(t, gt.WithAlgorithm(alg))
			log := &gt.AuditLog{}
			auth := op.Authenticator(t, bearer.Config{Realm: "api", Audit: log})
			h := auth.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				t.Error("the handler ran for a refused token")
			}))
			for _, v := range variants {
				tok := op.Token(t, v.claims, v.opts...)
				_, err := check(t, auth, tok)
				assert.ErrorIs(t, err, v.err, v.name)

				res := gt.Serve(h, gt.Request(t, "GET", "/orders", gt.WithBearer(tok)))
				assert.Equal(t, http.StatusUnauthorized, res.Code, v.name)
				assert.Contains(t, res.Header().Get("WWW-Authenticate"), `error="invalid_token"`, v.name)
				assert.Equal(t, v.reason, log.Last().Reason, v.name)
				assert.Equal(t, gatehouse.Denied, log.Last().Outcome, v.name)
			}

			// Each variant changes only what it says: the same claims
			// without it are accepted.
			_, err := check(t, auth, op.Token(t, gt.Claims{Scopes: []string{"orders:read"}}))
			assert.NoError(t, err)
		})
	}
}

func TestVariantDetails(t *testing.T) {
	op := gt.NewProvider(t)

	h, c := decode(t, op.Token(t, gt.Claims{}, gt.Foreign()))
	assert.Equal(t, op.KeyID(), h["kid"], "Foreign names the current kid")
	assert.Equal(t, op.Issuer(), c["iss"])
	h, _ = decode(t, op.Token(t, gt.Claims{}, gt.Foreign(), gt.Header("kid", "k9")))
	assert.Equal(t, "k9", h["kid"], "a Header option wins")
	h, _ = decode(t, op.Token(t, gt.Claims{}, gt.UnknownKey()))
	assert.Equal(t, gt.UnknownKeyID, h["kid"])

	_, c = decode(t, op.Token(t, gt.Claims{Scopes: []string{"a", "b"}}, gt.Tampered()))
	assert.Equal(t, "a b admin", c["scope"])
	_, c = decode(t, op.Token(t, gt.Claims{}, gt.Tampered()))
	assert.Equal(t, "admin", c["scope"])

	_, c = decode(t, op.Token(t, gt.Claims{}, gt.WrongAudience()))
	assert.Equal(t, gt.OtherAudience, c["aud"])
	_, c = decode(t, op.Token(t, gt.Claims{}, gt.WrongIssuer()))
	assert.Equal(t, gt.OtherIssuer, c["iss"])

	now := time.Now().Unix()
	_, c = decode(t, op.Token(t, gt.Claims{NotBefore: time.Now()}, gt.Expired()))
	assert.InDelta(t, now-3600, c["exp"], 2)
	assert.NotContains(t, c, "nbf")
	_, c = decode(t, op.Token(t, gt.Claims{}, gt.NotYetValid()))
	assert.InDelta(t, now+3600, c["nbf"], 2)
	assert.InDelta(t, now+7200, c["exp"], 2)

	h, _ = decode(t, op.Token(t, gt.Claims{}, gt.Header("typ", nil), gt.Header("cty", "x")))
	assert.NotContains(t, h, "typ")
	assert.Equal(t, "x", h["cty"])
}

func TestClaims(t *testing.T) {
	op := gt.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{Audiences: []string{gt.DefaultAudience, "https://billing.test"}})
	iat := time.Now().Add(-time.Minute).Truncate(time.Second)
	tok := op.Token(t, gt.Claims{
		Subject:   "ada",
		Audience:  []string{"https://billing.test", "https://other.test"},
		Scopes:    []string{"orders:read", "orders:write"},
		Tenant:    "acme",
		ClientID:  "cli-1",
		SessionID: "sess-1",
		ID:        "jti-1",
		IssuedAt:  iat,
		NotBefore: iat,
		Extra:     map[string]any{"email": "ada@example.com", "sid": nil},
	})
	_, c := decode(t, tok)
	assert.Equal(t, []any{"https://billing.test", "https://other.test"}, c["aud"])
	assert.Equal(t, "orders:read orders:write", c["scope"])
	assert.Equal(t, float64(iat.Unix()), c["iat"])
	assert.Equal(t, float64(iat.Unix()), c["nbf"])
	assert.Equal(t, float64(iat.Add(time.Hour).Unix()), c["exp"], "an hour after IssuedAt")
	assert.NotContains(t, c, "sid", "a nil Extra value removes the claim")

	p, err := check(t, auth, tok)
	require.NoError(t, err)
	assert.Equal(t, "ada", p.Subject)
	assert.Equal(t, []string{"orders:read", "orders:write"}, p.Scopes)
	assert.Equal(t, "acme", p.Tenant)
	assert.Equal(t, "cli-1", p.ClientID)
	assert.Equal(t, "", p.SessionID)
	assert.Equal(t, "jti-1", p.TokenID)
	email, _ := p.Claims.(bearer.Claims).String("email")
	assert.Equal(t, "ada@example.com", email)

	exp := time.Now().Add(10 * time.Minute).Truncate(time.Second)
	p, err = check(t, auth, op.Token(t, gt.Claims{ExpiresAt: exp, Extra: map[string]any{"permissions": []string{"x"}, "sub": "bob"}}))
	require.NoError(t, err)
	assert.Equal(t, exp, p.ExpiresAt.Local())
	assert.Equal(t, "bob", p.Subject, "Extra replaces a field's claim")
}

// TestAuthenticatorConfig: the application's Config values win over the
// provider's.
func TestAuthenticatorConfig(t *testing.T) {
	op := gt.NewProvider(t, gt.WithAudience("https://orders.test"))
	assert.Equal(t, "https://orders.test", op.Audience())
	_, err := check(t, op.Authenticator(t, bearer.Config{}), op.Token(t, gt.Claims{}))
	assert.NoError(t, err)

	other := op.Authenticator(t, bearer.Config{Audiences: []string{"https://billing.test"}, TokenType: "JWT"})
	_, err = check(t, other, op.Token(t, gt.Claims{}, gt.Header("typ", "JWT")))
	assert.ErrorIs(t, err, bearer.ErrAudience, "the Config's audiences apply")
	_, err = check(t, other, op.Token(t, gt.Claims{Audience: []string{"https://billing.test"}}))
	assert.ErrorIs(t, err, bearer.ErrTokenType, "the Config's token type applies")
	_, err = check(t, other, op.Token(t, gt.Claims{Audience: []string{"https://billing.test"}}, gt.Header("typ", "JWT")))
	assert.NoError(t, err)

	msg := fatal(t, func(tb gt.TB) {
		op.Authenticator(tb, bearer.Config{Algorithms: []string{"RS256"}, WaitReady: 300 * time.Millisecond})
	})
	assert.Contains(t, msg, "none of the 1 keys of the set is usable", "the Config's algorithms apply: the provider's ES256 key is not usable")

	// Issuers of the application's own are kept as they are.
	second := gt.NewProvider(t, gt.WithProviderConfig(bearertest.ProviderConfig{Path: "/second"}))
	both := op.Authenticator(t, bearer.Config{Issuers: []bearer.Issuer{op.BearerIssuer(), second.BearerIssuer()}})
	for _, p := range []*gt.Provider{op, second} {
		_, err = check(t, both, p.Token(t, gt.Claims{}))
		assert.NoError(t, err, p.Issuer())
	}
	_, err = check(t, both, second.Token(t, gt.Claims{Extra: map[string]any{"iss": op.Issuer()}}))
	assert.ErrorIs(t, err, bearer.ErrTokenInvalid, "each issuer's tokens verify with its own keys only")
}

// TestBearerIssuer: the issuer in an application's own bearer.New, for
// every way the provider publishes its keys.
func TestBearerIssuer(t *testing.T) {
	for name, c := range map[string]struct {
		opts    []gt.ProviderOption
		jwksURL bool
		keys    bool
	}{
		"discovery":              {},
		"RFC 8414 at a path":     {opts: []gt.ProviderOption{gt.WithProviderConfig(bearertest.ProviderConfig{Path: "/realms/demo", Discovery: "oauth"})}},
		"no discovery":           {opts: []gt.ProviderOption{gt.WithProviderConfig(bearertest.ProviderConfig{Discovery: "none"})}, jwksURL: true},
		"HS256":                  {opts: []gt.ProviderOption{gt.WithAlgorithm("HS256")}, keys: true},
		"EdDSA after the config": {opts: []gt.ProviderOption{gt.WithProviderConfig(bearertest.ProviderConfig{Algorithm: "RS256"}), gt.WithAlgorithm("EdDSA")}},
	} {
		t.Run(name, func(t *testing.T) {
			op := gt.NewProvider(t, c.opts...)
			is := op.BearerIssuer()
			assert.Equal(t, op.Issuer(), is.URL)
			assert.Equal(t, []string{op.Algorithm()}, is.Algorithms)
			assert.Equal(t, []string{gt.DefaultAudience}, is.Audiences)
			assert.Equal(t, "at+jwt", is.TokenType)
			assert.Equal(t, c.jwksURL, is.JWKSURL != "")
			assert.Equal(t, c.keys, len(is.Keys) > 0)

			auth, err := bearer.New(bearer.Config{Issuers: []bearer.Issuer{is}, WaitReady: 10 * time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = auth.Close() })
			_, err = check(t, auth, op.Token(t, gt.Claims{}))
			assert.NoError(t, err)
			_, err = check(t, auth, op.Token(t, gt.Claims{}, gt.Foreign()))
			assert.ErrorIs(t, err, bearer.ErrTokenInvalid)
		})
	}
	assert.Equal(t, "EdDSA", gt.NewProvider(t, gt.WithProviderConfig(bearertest.ProviderConfig{Algorithm: "RS256"}), gt.WithAlgorithm("EdDSA")).Algorithm())
}

// TestClock: with WithClock, tokens are minted on the test's clock and the
// Authenticator judges them on it.
func TestClock(t *testing.T) {
	now := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	op := gt.NewProvider(t, gt.WithClock(func() time.Time { return now }))
	assert.Equal(t, now, op.Now())
	auth := op.Authenticator(t, bearer.Config{})

	tok := op.Token(t, gt.Claims{})
	assert.Equal(t, float64(now.Unix()), decodeClaim(t, tok, "iat"))
	p, err := check(t, auth, tok)
	require.NoError(t, err)
	assert.Equal(t, now.Add(time.Hour), p.ExpiresAt.UTC())
	_, err = check(t, auth, op.Token(t, gt.Claims{}, gt.Expired()))
	assert.ErrorIs(t, err, bearer.ErrTokenExpired, "expired on the test's clock")

	wall := op.Authenticator(t, bearer.Config{Now: time.Now})
	_, err = check(t, wall, tok)
	assert.ErrorIs(t, err, bearer.ErrTokenNotYetValid, "an Authenticator on the wall clock sees a token of 2031")

	// The clock moves: a token expires on it.
	now = now.Add(2 * time.Hour)
	auth.FlushCache()
	_, err = check(t, auth, tok)
	assert.ErrorIs(t, err, bearer.ErrTokenExpired)
}

// TestRotation: keys published by Rotate are fetched by the real
// Authenticator at the first token that names them; a withdrawn key's
// tokens are refused once the set is fetched again.
func TestRotation(t *testing.T) {
	op := gt.NewProvider(t)
	auth := op.Authenticator(t, bearer.Config{})
	first := op.KeyID()
	tok1 := op.Token(t, gt.Claims{Subject: "first"})
	_, err := check(t, auth, tok1)
	require.NoError(t, err)
	fetches := op.Stats().JWKS

	second := op.Rotate(t)
	assert.Equal(t, second, op.KeyID())
	tok2 := op.Token(t, gt.Claims{Subject: "second"})
	h, _ := decode(t, tok2)
	assert.Equal(t, second, h["kid"])
	p, err := check(t, auth, tok2)
	require.NoError(t, err, "the new key is fetched at once")
	assert.Equal(t, "second", p.Subject)
	assert.Greater(t, op.Stats().JWKS, fetches, "through the JWK Set")
	_, err = check(t, auth, tok1)
	assert.NoError(t, err, "the first key is still published")

	op.Withdraw(first)
	op.Rotate(t)
	_, err = check(t, auth, op.Token(t, gt.Claims{}))
	require.NoError(t, err, "the third key is fetched, and the set without the first with it")
	_, err = check(t, auth, tok1)
	assert.ErrorIs(t, err, bearer.ErrUnknownKey, "a token of the withdrawn key, cached before")
	_, err = check(t, auth, op.Token(t, gt.Claims{}, gt.SignedWith(first)))
	assert.ErrorIs(t, err, bearer.ErrUnknownKey, "a new token of the withdrawn key")
	_, err = check(t, auth, op.Token(t, gt.Claims{}, gt.SignedWith(second)))
	assert.NoError(t, err, "the second key is still published")
}

// TestRotationHS256: an HS256 provider's secrets are static keys, known
// to the Authenticators built after them.
func TestRotationHS256(t *testing.T) {
	op := gt.NewProvider(t, gt.WithAlgorithm("HS256"))
	before := op.Authenticator(t, bearer.Config{})
	op.Rotate(t)
	tok := op.Token(t, gt.Claims{})
	_, err := check(t, before, tok)
	assert.ErrorIs(t, err, bearer.ErrUnknownKey)
	_, err = check(t, op.Authenticator(t, bearer.Config{}), tok)
	assert.NoError(t, err)
}

// TestProviderFailure: the provider's failure injection reaches the
// Authenticator, which then cannot be built ready.
func TestProviderFailure(t *testing.T) {
	op := gt.NewProvider(t)
	op.Fail(http.StatusServiceUnavailable, 0)
	msg := fatal(t, func(tb gt.TB) {
		op.Authenticator(tb, bearer.Config{WaitReady: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	})
	assert.Contains(t, msg, "gatehousetest: bearer.New:")
	assert.Contains(t, msg, "verification unavailable")
	assert.Positive(t, op.Stats().Failed)
}

func TestFailures(t *testing.T) {
	for name, c := range map[string]struct {
		f    func(tb gt.TB)
		want string
	}{
		"unknown algorithm": {func(tb gt.TB) { gt.NewProvider(tb, gt.WithAlgorithm("none")) }, `Algorithm "none"`},
		"empty audience":    {func(tb gt.TB) { gt.NewProvider(tb, gt.WithAudience("")) }, "WithAudience"},
		"bad path":          {func(tb gt.TB) { gt.NewProvider(tb, gt.WithProviderConfig(bearertest.ProviderConfig{Path: "realms"})) }, "Path"},
		"bad config": {func(tb gt.TB) {
			gt.NewProvider(tb).Authenticator(tb, bearer.Config{Leeway: time.Hour})
		}, "Leeway"},
		"bad request": {func(tb gt.TB) { gt.Request(tb, "GET X", "/") }, "gatehousetest: Request"},
		"bad target":  {func(tb gt.TB) { gt.Request(tb, "GET", "::") }, "gatehousetest: Request"},
	} {
		t.Run(name, func(t *testing.T) {
			assert.Contains(t, fatal(t, c.f), c.want)
		})
	}
}

func TestRequest(t *testing.T) {
	r := gt.Request(t, "POST", "https://api.example.com/orders?x=1",
		gt.WithHeader("X-Request-Id", "r1"), gt.WithBody("application/json", `{"a":1}`), gt.WithAPIKey("k"))
	assert.Equal(t, "POST", r.Method)
	assert.Equal(t, "api.example.com", r.Host)
	assert.NotNil(t, r.TLS)
	assert.Equal(t, "r1", r.Header.Get("X-Request-Id"))
	assert.Equal(t, "k", r.Header.Get("ApiKey"))
	assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
	assert.Equal(t, int64(7), r.ContentLength)
	var b strings.Builder
	res := gt.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 16)
		n, _ := r.Body.Read(buf)
		b.Write(buf[:n])
		w.WriteHeader(http.StatusTeapot)
	}), r)
	assert.Equal(t, http.StatusTeapot, res.Code)
	assert.Equal(t, `{"a":1}`, b.String())

	r = gt.Request(t, "GET", "/orders", gt.WithBearer("tok"))
	assert.Equal(t, "Bearer tok", r.Header.Get("Authorization"))
	assert.Equal(t, "example.com", r.Host)
}

func TestAuditLog(t *testing.T) {
	var log gt.AuditLog
	assert.Equal(t, gatehouse.Event{}, log.Last())
	assert.Empty(t, log.Events())
	log.Audit(context.Background(), gatehouse.Event{Reason: "a"})
	log.Audit(context.Background(), gatehouse.Event{Reason: "b"})
	assert.Equal(t, gatehouse.Reason("b"), log.Last().Reason)
	events := log.Events()
	require.Len(t, events, 2)
	events[0].Reason = "changed"
	assert.Equal(t, gatehouse.Reason("a"), log.Events()[0].Reason, "Events returns a copy")
}

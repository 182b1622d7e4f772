package refusals_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/oneof"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// A row is one refusal path: the request that takes it, through the real
// middleware or handler, and what the answer must be. Every handler runs
// inside envelope.Use(envelope.OAuth), so the body's "error" member is the
// refusal's OAuth code.
type row struct {
	pkg    string // the package directory whose sentinel cause is
	name   string
	cause  error
	status int
	// challenge is the WWW-Authenticate value a 401 must carry: exactly,
	// or followed by more auth-params (", error=…").
	challenge string
	// oauth is the OAuth error code a 403 must carry.
	oauth string
	do    func(t *testing.T) *httptest.ResponseRecorder
}

// notRefusals are the sentinels no request can make a package answer with:
// configuration, generation and store-contract errors. Each says why.
var notRefusals = map[string]string{
	"bearer.ErrDuplicateTokenID": "a TokenStore contract error (Add)",
	"bearer.ErrConfig":           "a construction error",
	"dpop.ErrConfig":             "a construction error",
	"dpop.ErrStoreFull":          "a MemoryReplay error, answered as ErrUnavailable's 503",
	"dpop.ErrScopeFull":          "a MemoryReplay error, answered as ErrTooManyProofs",
	"dpop.ErrReplayTTL":          "a MemoryReplay contract error",
	"dpop.ErrKeyType":            "a Thumbprint and NewSigner error (client side)",
	"bearer.ErrDiscovery":        "a key-set failure reported by Ready and the Logger; the issuer's tokens are answered ErrUnavailable's 503",
	"apikey.ErrConfig":           "a construction error",
	"oneof.ErrConfig":            "a construction error",
	"apikey.ErrInvalidEnv":       "a Generate error",
	"apikey.ErrInvalidRecord":    "a Store.Put error",
	"apikey.ErrDuplicateKey":     "a Store.Put error",
	"scopes.ErrConfig":           "a construction error",
	"ipallow.ErrInvalidPrefix":   "a construction / ListEditor error",
	"ipallow.ErrConfig":          "a construction error",
	"ratelimit.ErrConfig":        "a construction error",
	"ratelimit.ErrFull":          "a store contract error, answered as ErrThrottled's 429",
	"issuer.ErrConfig":           "a construction error",
	"issuer.ErrAccountNotFound":  "a CredentialStore contract error, answered as ErrInvalidCredentials",
	"issuer.ErrRefreshNotFound":  "a RefreshStore contract error, answered as ErrInvalidRefreshToken (RevokeFamily: Logout still answers 200)",
	"issuer.ErrFamilyExists":     "a RefreshStore contract error (Create)",
	"issuer.ErrSubjectTaken":     "a CredentialStore contract error (Put)",
	"issuer.ErrStoreFull":        "a RefreshStore capacity error, answered as a 503 (issuer bound_test.go)",

	"tokenendpoint.ErrConfig":              "a construction error",
	"tokenendpoint.ErrClientNotFound":      "a ClientStore contract error, answered as ErrInvalidClient",
	"tokenendpoint.ErrInvalidTokenRequest": "400 invalid_request of the token endpoint",
	"tokenendpoint.ErrInvalidAssertion":    "400 invalid_grant of the token endpoint",
	"tokenendpoint.ErrAssertionReplayed":   "400 invalid_grant of the token endpoint",
	"tokenendpoint.ErrReplayTTL":           "a ReplayStore contract error (Use), answered as a 503",
	"tokenendpoint.ErrStoreFull":           "a ReplayStore capacity error, answered as a 503 (tokenendpoint bound_test.go)",
}

var (
	t0     = time.Date(2026, 1, 15, 10, 0, 0, 0, time.UTC)
	now    = func() time.Time { return t0 }
	secret = []byte("0123456789abcdef0123456789abcdef")
)

func oauth(h http.Handler) http.Handler { return envelope.Use(envelope.OAuth)(h) }

var ok = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	if r.RemoteAddr == "192.0.2.1:1234" { // httptest's default
		r.RemoteAddr = "127.0.0.1:40000"
	}
	w := httptest.NewRecorder()
	oauth(h).ServeHTTP(w, r)
	return w
}

func get(target string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func post(target, contentType, body string, hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	return r
}

func sign(t *testing.T, edit func(claims jwt.MapClaims, header map[string]any)) string {
	t.Helper()
	c := jwt.MapClaims{
		"iss": "https://issuer.test", "aud": "api", "sub": "user-1", "tenant": "acme",
		"jti": "jti-1", "iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(), "scope": "orders:read",
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = "k1"
	tok.Header["typ"] = "at+jwt"
	if edit != nil {
		edit(c, tok.Header)
	}
	s, err := tok.SignedString(secret)
	require.NoError(t, err)
	return s
}

type failingRevocations struct{}

func (failingRevocations) RevokeToken(context.Context, string, string, time.Time) error {
	return errors.New("down")
}
func (failingRevocations) RevokeSession(context.Context, string, string, time.Time) error {
	return errors.New("down")
}
func (failingRevocations) RevokeSubject(context.Context, string, time.Time, time.Time) error {
	return errors.New("down")
}
func (failingRevocations) Revoked(context.Context, *bearer.TokenRef) (bool, error) {
	return false, errors.New("down")
}

type failingKeys struct{ apikey.Store }

// refusingThrottle is an apikey.Throttle at its limit.
type refusingThrottle struct{}

func (refusingThrottle) Begin(context.Context, string) (string, error) {
	return "", envelope.ErrTooManyRequests.WithRetryAfter(time.Minute)
}

func (refusingThrottle) Succeed(context.Context, string, string) error { return nil }

// failingThrottle is an apikey.Throttle whose store is down.
type failingThrottle struct{}

func (failingThrottle) Begin(context.Context, string) (string, error) {
	return "", errors.New("throttle store down")
}

func (failingThrottle) Succeed(context.Context, string, string) error {
	return errors.New("throttle store down")
}

func (failingKeys) Lookup(context.Context, [32]byte) (*apikey.Record, error) {
	return nil, errors.New("down")
}

// failingBuckets is a ratelimit.Store that is down.
type failingBuckets struct{}

func (failingBuckets) Take(context.Context, string, ratelimit.Limit, time.Time) (ratelimit.Result, error) {
	return ratelimit.Result{}, errors.New("down")
}

type failingLists struct{}

func (failingLists) AllowList(context.Context, string) ([]netip.Prefix, error) {
	return nil, errors.New("down")
}

func bearerRows(t *testing.T) []row {
	revs := bearer.NewMemoryRevocations(now)
	require.NoError(t, revs.RevokeToken(context.Background(), "user-1", "revoked-jti", t0.Add(time.Hour)))
	cfg := bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{ID: "k1", Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"api"}, TokenType: "at+jwt",
		RequiredClaims: []string{"tenant"}, Revocations: revs, Tokens: bearer.NewMemoryTokens(),
		Realm: "orders", Now: now,
	}
	a, err := bearer.New(cfg)
	require.NoError(t, err)
	cfg.Revocations = failingRevocations{}
	down, err := bearer.New(cfg)
	require.NoError(t, err)

	auth := func(h string) func(t *testing.T) *httptest.ResponseRecorder {
		return func(t *testing.T) *httptest.ResponseRecorder {
			return serve(a.Middleware(ok), get("/orders", "Authorization", h))
		}
	}
	proofKey := newProofKey(t)
	dpopAuth := func(nonce *dpop.NonceConfig) *bearer.Authenticator {
		v, err := dpop.New(dpop.Config{Now: now, Nonce: nonce})
		require.NoError(t, err)
		c := cfg
		c.Revocations = revs
		c.DPoP = bearer.DPoP{Mode: bearer.DPoPAllowed, Verifier: v}
		d, err := bearer.New(c)
		require.NoError(t, err)
		return d
	}
	withDPoP, withNonce := dpopAuth(nil), dpopAuth(&dpop.NonceConfig{Secret: []byte("a nonce secret of at least 32 bytes!")})
	// dpopServe sends a token bound to proofKey with a proof made by key.
	dpopServe := func(t *testing.T, d *bearer.Authenticator, key *dpop.Signer) *httptest.ResponseRecorder {
		tok := sign(t, func(c jwt.MapClaims, _ map[string]any) { c["cnf"] = map[string]any{"jkt": proofKey.Thumbprint()} })
		proof, err := key.Sign(dpop.ProofRequest{Method: "GET", URI: "http://example.com/orders", AccessToken: tok, IssuedAt: t0})
		require.NoError(t, err)
		return serve(d.Middleware(ok), get("/orders", "Authorization", "DPoP "+tok, "DPoP", proof))
	}
	tok := func(edit func(jwt.MapClaims, map[string]any)) func(t *testing.T) *httptest.ResponseRecorder {
		return func(t *testing.T) *httptest.ResponseRecorder {
			return auth("Bearer " + sign(t, edit))(t)
		}
	}
	const B = `Bearer realm="orders"`
	return []row{
		{"bearer", "no header", bearer.ErrNoToken, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(a.Middleware(ok), get("/orders"))
		}},
		{"bearer", "Bearer without a token", bearer.ErrNoToken, 401, B, "", auth("Bearer  ")},
		{"bearer", "another scheme", bearer.ErrOtherScheme, 401, B, "", auth("Basic dXNlcjpwYXNz")},
		{"bearer", "two Authorization lines", bearer.ErrMultipleHeaders, 400, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(a.Middleware(ok), get("/orders", "Authorization", "Bearer a", "Authorization", "Bearer b"))
		}},
		{"bearer", "token in the query too", bearer.ErrMultipleMethods, 400, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(a.Middleware(ok), get("/orders?access_token=x", "Authorization", "Bearer "+sign(t, nil)))
		}},
		{"bearer", "form too large to check", bearer.ErrFormTooLarge, 413, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			body := "a=" + strings.Repeat("b", bearer.MaxFormBytes)
			return serve(a.Middleware(ok), post("/orders", "application/x-www-form-urlencoded", body, "Authorization", "Bearer "+sign(t, nil)))
		}},
		{"bearer", "malformed header", bearer.ErrMalformedHeader, 401, B, "", auth("Bearer a,b")},
		{"bearer", "bad signature", bearer.ErrTokenInvalid, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			s := sign(t, nil)
			return auth("Bearer " + s[:len(s)-4] + "AAAA")(t)
		}},
		{"bearer", "unknown kid", bearer.ErrUnknownKey, 401, B, "", tok(func(_ jwt.MapClaims, h map[string]any) { h["kid"] = "k2" })},
		{"bearer", "expired", bearer.ErrTokenExpired, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { c["exp"] = t0.Add(-time.Hour).Unix() })},
		{"bearer", "not yet valid", bearer.ErrTokenNotYetValid, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { c["nbf"] = t0.Add(time.Hour).Unix() })},
		{"bearer", "issuer", bearer.ErrIssuer, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { c["iss"] = "https://evil.test" })},
		{"bearer", "audience", bearer.ErrAudience, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { c["aud"] = "other" })},
		{"bearer", "typ", bearer.ErrTokenType, 401, B, "", tok(func(_ jwt.MapClaims, h map[string]any) { h["typ"] = "JWT" })},
		{"bearer", "crit", bearer.ErrCritHeader, 401, B, "", tok(func(_ jwt.MapClaims, h map[string]any) { h["crit"] = []string{"x"}; h["x"] = 1 })},
		{"bearer", "required claim missing", bearer.ErrClaims, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { delete(c, "tenant") })},
		{"bearer", "revoked", bearer.ErrTokenRevoked, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) { c["jti"] = "revoked-jti" })},
		{"bearer", "unknown opaque token", bearer.ErrTokenNotFound, 401, B, "", auth("Bearer opaque-unknown")},
		{"bearer", "revocation store down", bearer.ErrUnavailable, 503, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(down.Middleware(ok), get("/orders", "Authorization", "Bearer "+sign(t, nil)))
		}},
		{"bearer", "DPoP-bound token as a bearer token", bearer.ErrBoundToken, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) {
			c["cnf"] = map[string]any{"jkt": proofKey.Thumbprint()}
		})},
		{"bearer", "certificate-bound token without the certificate", bearer.ErrCertificate, 401, B, "", tok(func(c jwt.MapClaims, _ map[string]any) {
			c["cnf"] = map[string]any{"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}
		})},
		{"bearer", "DPoP proof of another key", bearer.ErrDPoPProof, 401, `DPoP realm="orders"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return dpopServe(t, withDPoP, newProofKey(t))
		}},
		{"bearer", "DPoP proof without the nonce", bearer.ErrDPoPNonce, 401, `DPoP realm="orders"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return dpopServe(t, withNonce, proofKey)
		}},
	}
}

func apikeyRows(t *testing.T) []row {
	ctx := context.Background()
	store := apikey.NewMemoryStore()
	put := func(env string, edit func(*apikey.Record)) string {
		key, rec, err := apikey.Generate(env)
		require.NoError(t, err)
		rec.Tenant, rec.Surfaces, rec.ExpiresAt = "acme", []string{"payment"}, t0.Add(time.Hour)
		if edit != nil {
			edit(&rec)
		}
		if env != "" {
			require.NoError(t, store.Put(ctx, rec))
		}
		return key
	}
	valid := put("live", nil)
	revoked := put("live", func(r *apikey.Record) { r.Revoked = true })
	expired := put("live", func(r *apikey.Record) { r.ExpiresAt = t0 })
	otherTenant := put("live", func(r *apikey.Record) { r.Tenant = "globex" })
	supplier := put("live", func(r *apikey.Record) { r.Surfaces = []string{"supplier"} })
	testKey := put("test", nil)
	unknown, _, err := apikey.Generate("live")
	require.NoError(t, err)

	cfg := apikey.Config{
		Store: store, Header: "X-API-Key", Realm: "payments", Environments: []string{"live"},
		Tenant: apikey.TenantHeader("X-Tenant"), Surface: "payment", Now: now,
	}
	a, err := apikey.New(cfg)
	require.NoError(t, err)
	cfg.Store = failingKeys{store}
	down, err := apikey.New(cfg)
	require.NoError(t, err)
	cfg.Store, cfg.Throttle = store, failingThrottle{}
	throttleDown, err := apikey.New(cfg)
	require.NoError(t, err)
	cfg.Throttle = refusingThrottle{}
	throttled, err := apikey.New(cfg)
	require.NoError(t, err)

	key := func(hdr ...string) func(t *testing.T) *httptest.ResponseRecorder {
		return func(t *testing.T) *httptest.ResponseRecorder {
			return serve(a.Middleware(ok), get("/charges", hdr...))
		}
	}
	const S = `X-API-Key realm="payments"`
	return []row{
		{"apikey", "no key", apikey.ErrMissingKey, 401, S, "", key("X-Tenant", "acme")},
		{"apikey", "two key lines", apikey.ErrDuplicateHeader, 401, S, "", key("X-API-Key", valid, "X-API-Key", valid, "X-Tenant", "acme")},
		{"apikey", "empty key", apikey.ErrMalformedKey, 401, S, "", key("X-API-Key", "", "X-Tenant", "acme")},
		{"apikey", "malformed key", apikey.ErrMalformedKey, 401, S, "", key("X-API-Key", "nope", "X-Tenant", "acme")},
		{"apikey", "key too long", apikey.ErrKeyTooLong, 401, S, "", key("X-API-Key", strings.Repeat("a", 200), "X-Tenant", "acme")},
		{"apikey", "key of another environment", apikey.ErrWrongEnv, 401, S, "", key("X-API-Key", testKey, "X-Tenant", "acme")},
		{"apikey", "no tenant", apikey.ErrNoTenant, 401, S, "", key("X-API-Key", valid)},
		{"apikey", "unknown key", apikey.ErrKeyNotFound, 401, S, "", key("X-API-Key", unknown, "X-Tenant", "acme")},
		{"apikey", "revoked key", apikey.ErrKeyRevoked, 401, S, "", key("X-API-Key", revoked, "X-Tenant", "acme")},
		{"apikey", "expired key", apikey.ErrKeyExpired, 401, S, "", key("X-API-Key", expired, "X-Tenant", "acme")},
		{"apikey", "key of another tenant", apikey.ErrWrongTenant, 401, S, "", key("X-API-Key", otherTenant, "X-Tenant", "acme")},
		{"apikey", "key not for this surface", apikey.ErrSurfaceDenied, 403, S, "access_denied", key("X-API-Key", supplier, "X-Tenant", "acme")},
		{"apikey", "store down", apikey.ErrStore, 503, S, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(down.Middleware(ok), get("/charges", "X-API-Key", valid, "X-Tenant", "acme"))
		}},
		{"apikey", "throttle store down", apikey.ErrThrottleStore, 503, S, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(throttleDown.Middleware(ok), get("/charges", "X-API-Key", valid, "X-Tenant", "acme"))
		}},
		{"apikey", "throttled", apikey.ErrThrottled, 429, S, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(throttled.Middleware(ok), get("/charges", "X-API-Key", valid, "X-Tenant", "acme"))
		}},
	}
}

func withPrincipal(p gatehouse.Principal, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
	})
}

func scopesRows(t *testing.T) []row {
	e, err := scopes.New(scopes.Config{Realm: "orders", Routes: map[string]scopes.Rule{"GET /orders": {All: []string{"orders:read"}}}})
	require.NoError(t, err)
	keys, err := scopes.New(scopes.Config{OmitChallenge: true, Challenge: `ApiKey realm="api"`})
	require.NoError(t, err)
	reader := gatehouse.Principal{Subject: "u", Scopes: []string{"orders:read"}}
	return []row{
		{"scopes", "no principal", scopes.ErrNoPrincipal, 401, `Bearer realm="orders"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(e.Require("orders:write")(ok), get("/orders"))
		}},
		{"scopes", "no principal, API-key challenge", scopes.ErrNoPrincipal, 401, `ApiKey realm="api"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(keys.Require("orders:write")(ok), get("/orders"))
		}},
		{"scopes", "scope missing", scopes.ErrInsufficientScope, 403, "", "insufficient_scope", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(reader, e.Require("orders:write")(ok)), get("/orders"))
		}},
		{"scopes", "route not in the table", scopes.ErrRouteNotListed, 403, "", "access_denied", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(reader, e.Middleware(ok)), get("/admin"))
		}},
	}
}

func ipallowRows(t *testing.T) []row {
	static, err := ipallow.New(ipallow.Config{Allow: []string{"10.0.0.0/8"}})
	require.NoError(t, err)
	res, err := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: []string{"127.0.0.1/32"}, Header: "X-Forwarded-For"})
	require.NoError(t, err)
	proxied, err := ipallow.New(ipallow.Config{Allow: []string{"10.0.0.0/8"}, Resolver: res})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(context.Background(), "acme", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	ppDown, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: failingLists{}})
	require.NoError(t, err)
	acme := gatehouse.Principal{Subject: "u", Tenant: "acme"}
	const D = "access_denied"
	return []row{
		{"ipallow", "static allowlist", ipallow.ErrDenied, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(static.Middleware(ok), get("/"))
		}},
		{"ipallow", "malformed forwarding header", ipallow.ErrMalformedHeader, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(proxied.Middleware(ok), get("/", "X-Forwarded-For", "not an address"))
		}},
		{"ipallow", "no client address", ipallow.ErrNoClientAddr, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			r := get("/")
			r.RemoteAddr = "pipe"
			return serve(static.Middleware(ok), r)
		}},
		{"ipallow", "account allowlist", ipallow.ErrDenied, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(acme, pp.Middleware(ok)), get("/"))
		}},
		{"ipallow", "principal names no account", ipallow.ErrNoAccount, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(gatehouse.Principal{ClientID: "c"}, pp.Middleware(ok)), get("/"))
		}},
		{"ipallow", "no principal (misordered chain)", ipallow.ErrNoPrincipal, 500, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(pp.Middleware(ok), get("/"))
		}},
		{"ipallow", "list store down", ipallow.ErrStore, 503, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(acme, ppDown.Middleware(ok)), get("/"))
		}},
	}
}

func ratelimitRows(t *testing.T) []row {
	l, err := ratelimit.New(ratelimit.Config{Limit: ratelimit.Limit{Events: 1, Period: time.Hour}, Key: ratelimit.ByIP, Now: now})
	require.NoError(t, err)
	ft, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 1, Now: now})
	require.NoError(t, err)
	down, err := ratelimit.New(ratelimit.Config{Store: failingBuckets{}, Now: now})
	require.NoError(t, err)
	invalid, err := ratelimit.New(ratelimit.Config{Now: now, Limits: func(gatehouse.Principal) (ratelimit.Limit, bool) {
		return ratelimit.Limit{Events: -1}, true
	}})
	require.NoError(t, err)
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { envelope.Write(w, r, envelope.ErrUnauthorized) })
	return []row{
		{"ratelimit", "bucket store down", ratelimit.ErrStore, 503, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(down.Middleware(ok), get("/"))
		}},
		{"ratelimit", "Limits returns an invalid limit", ratelimit.ErrInvalidLimit, 500, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(gatehouse.Principal{Subject: "u"}, invalid.Middleware(ok)), get("/"))
		}},
		{"ratelimit", "rate limited", ratelimit.ErrLimited, 429, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			serve(l.Middleware(ok), get("/"))
			return serve(l.Middleware(ok), get("/"))
		}},
		{"ratelimit", "too many failures", ratelimit.ErrThrottled, 429, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			w := serve(ft.Middleware(deny), get("/"))
			require.Equal(t, 401, w.Code)
			require.Equal(t, envelope.DefaultChallenge, w.Header().Get("WWW-Authenticate"), "an application's own 401 gets the default challenge")
			return serve(ft.Middleware(deny), get("/"))
		}},
	}
}

func issuerRows(t *testing.T) []row {
	ctx := context.Background()
	hash, err := issuer.HashPassword("correct horse", bcrypt.MinCost)
	require.NoError(t, err)
	creds, err := issuer.NewMemoryCredentials(issuer.Account{Username: "demo", PasswordHash: hash, Tenant: "acme"},
		issuer.Account{Username: "far", PasswordHash: hash, Tenant: "globex"},
		issuer.Account{Username: "gone", PasswordHash: hash}, issuer.Account{Username: "rev", PasswordHash: hash})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(ctx, "globex", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://issuer.test", Audiences: []string{"api"}, Key: issuer.SigningKey{Key: secret},
		Credentials: creds, Revocations: bearer.NewMemoryRevocations(now),
		Accounts: pp, BcryptCost: bcrypt.MinCost, Realm: "shop", Now: now,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", iss.Login)
	mux.HandleFunc("POST /refresh", iss.Refresh)
	mux.HandleFunc("POST /logout", iss.Logout)

	const J = "application/json"
	loginAs := func(t *testing.T, user string) (access, refresh string) {
		w := serve(mux, post("/login", J, `{"username":"`+user+`","password":"correct horse"}`))
		require.Equal(t, 200, w.Code, w.Body.String())
		var p struct {
			Data struct {
				AccessToken  string `json:"access_token"`
				RefreshToken string `json:"refresh_token"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(w.Body.Bytes(), &p))
		return p.Data.AccessToken, p.Data.RefreshToken
	}
	login := func(t *testing.T) (access, refresh string) { return loginAs(t, "demo") }
	refresh := func(rt string) *httptest.ResponseRecorder {
		return serve(mux, post("/refresh", J, `{"refresh_token":"`+rt+`"}`))
	}
	const B, D = `Bearer realm="shop"`, "access_denied"
	return []row{
		{"issuer", "login: wrong password", issuer.ErrInvalidCredentials, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/login", J, `{"username":"demo","password":"wrong"}`))
		}},
		{"issuer", "login: unknown user", issuer.ErrInvalidCredentials, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/login", J, `{"username":"nobody","password":"wrong"}`))
		}},
		{"ipallow", "login: account allowlist", ipallow.ErrDenied, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/login", J, `{"username":"far","password":"correct horse"}`))
		}},
		{"issuer", "refresh: unknown token", issuer.ErrInvalidRefreshToken, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return refresh("nope")
		}},
		{"issuer", "refresh: reuse", issuer.ErrRefreshReused, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			_, rt := login(t)
			require.Equal(t, 200, refresh(rt).Code)
			return refresh(rt)
		}},
		{"issuer", "refresh: family logged out", issuer.ErrFamilyRevoked, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			at, rt := login(t)
			require.Equal(t, 200, serve(mux, post("/logout", J, "", "Authorization", "Bearer "+at)).Code)
			return refresh(rt)
		}},
		{"issuer", "refresh: subject revoked", issuer.ErrSubjectRevoked, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			_, rt := loginAs(t, "rev")
			require.NoError(t, iss.RevokeSubject(ctx, "rev"))
			return refresh(rt)
		}},
		{"issuer", "refresh: account disabled", issuer.ErrAccountDisabled, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			_, rt := loginAs(t, "gone")
			require.NoError(t, creds.Put(ctx, issuer.Account{Username: "gone", PasswordHash: hash, Disabled: true}))
			return refresh(rt)
		}},
		{"issuer", "logout: no token", issuer.ErrInvalidAccessToken, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/logout", J, ""))
		}},
		{"issuer", "logout: Bearer without a token", issuer.ErrInvalidAccessToken, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/logout", J, "", "Authorization", "Bearer "))
		}},
		{"issuer", "logout: bad token", issuer.ErrInvalidAccessToken, 401, B, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/logout", J, "", "Authorization", "Bearer a.b.c"))
		}},
		{"issuer", "logout: token in the query too", bearer.ErrMultipleMethods, 400, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			at, _ := login(t)
			return serve(mux, post("/logout?access_token="+at, J, "", "Authorization", "Bearer "+at))
		}},
		{"issuer", "logout: token in a form too", bearer.ErrMultipleMethods, 400, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			at, _ := login(t)
			return serve(mux, post("/logout", "application/x-www-form-urlencoded", "access_token="+at, "Authorization", "Bearer "+at))
		}},
		{"issuer", "logout: form too large to check", bearer.ErrFormTooLarge, 413, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			at, _ := login(t)
			body := "a=" + strings.Repeat("b", bearer.MaxFormBytes)
			return serve(mux, post("/logout", "application/x-www-form-urlencoded", body, "Authorization", "Bearer "+at))
		}},
	}
}

func tokenendpointRows(t *testing.T) []row {
	clients, err := tokenendpoint.NewMemoryClients(
		tokenendpoint.Client{ID: "c1", SecretHash: tokenendpoint.HashClientSecret("s3cret"), Scopes: []string{"read"}},
	)
	require.NoError(t, err)
	ep, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer: "https://issuer.test", Audiences: []string{"api"}, Key: tokenendpoint.SigningKey{Key: secret},
		Clients: clients, Realm: "shop", Now: now,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("POST /token", ep)
	mux.Handle("GET /m2m", tokenendpoint.RequireSession(tokenendpoint.SessionM2M)(ok))
	form := func(v url.Values) *httptest.ResponseRecorder {
		return serve(mux, post("/token", "application/x-www-form-urlencoded", v.Encode()))
	}
	const D = "access_denied"
	return []row{
		{"tokenendpoint", "token: wrong client secret", tokenendpoint.ErrInvalidClient, 401, `Basic realm="shop"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"wrong"}})
		}},
		{"tokenendpoint", "token: Bearer client authentication", tokenendpoint.ErrInvalidClient, 401, `Basic realm="shop"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", "Authorization", "Bearer x"))
		}},
		{"tokenendpoint", "token: unsupported grant", tokenendpoint.ErrUnsupportedGrant, 400, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return form(url.Values{"grant_type": {"password"}, "username": {"u"}, "password": {"p"}})
		}},
		{"tokenendpoint", "token: scope beyond the client's", tokenendpoint.ErrInvalidScope, 400, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return form(url.Values{"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"s3cret"}, "scope": {"read admin"}})
		}},
		{"tokenendpoint", "session route without a principal", tokenendpoint.ErrWrongSession, 401, "Bearer", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, get("/m2m"))
		}},
		{"tokenendpoint", "session route with another credential", tokenendpoint.ErrWrongSession, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(gatehouse.Principal{Subject: "k", Method: gatehouse.MethodAPIKey}, mux), get("/m2m"))
		}},
	}
}

func oneofRows(t *testing.T) []row {
	jwtAuth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"}, Issuers: []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences: []string{"api"}, Realm: "orders", Now: now,
	})
	require.NoError(t, err)
	keys, err := apikey.New(apikey.Config{Store: apikey.NewMemoryStore(), Header: "X-API-Key", Realm: "orders", Now: now})
	require.NoError(t, err)
	either, err := oneof.New(oneof.Config{Methods: []oneof.Method{jwtAuth, keys}, Now: now})
	require.NoError(t, err)
	return []row{
		{"oneof", "neither credential", oneof.ErrNoCredentials, 401, `Bearer realm="orders", X-API-Key realm="orders"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(either.Middleware(ok), get("/orders"))
		}},
		{"oneof", "both credentials", oneof.ErrAmbiguous, 400, "", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(either.Middleware(ok), get("/orders", "Authorization", "Bearer x", "X-API-Key", "ak_live_x"))
		}},
	}
}

// TestEveryRefusal walks every refusal path of every package. Each row's
// status is checked, every 401 must carry a challenge of the row's scheme
// (RFC 9110 §15.5.2), and every sentinel of every package must have a row
// or an entry in notRefusals.
func TestEveryRefusal(t *testing.T) {
	var rows []row
	for _, f := range []func(*testing.T) []row{bearerRows, apikeyRows, scopesRows, ipallowRows, ratelimitRows, issuerRows, tokenendpointRows, oneofRows} {
		rows = append(rows, f(t)...)
	}
	covered := map[string]bool{} // by the sentinel's text
	for _, rw := range rows {
		covered[rw.cause.Error()] = true
		t.Run(rw.pkg+"/"+rw.name, func(t *testing.T) {
			w := rw.do(t)
			require.Equal(t, rw.status, w.Code, w.Body.String())
			challenges := w.Header().Values("WWW-Authenticate")
			if w.Code == http.StatusUnauthorized {
				require.Len(t, challenges, 1, "a 401 carries one challenge")
				c := challenges[0]
				assert.True(t, c == rw.challenge || strings.HasPrefix(c, rw.challenge+", "), "want %s, got %s", rw.challenge, c)
			}
			if w.Code == http.StatusForbidden {
				// The OAuth code says what happened: insufficient_scope
				// only for a scope refusal, which alone carries the RFC
				// 6750 §3.1 challenge error.
				require.NotEmpty(t, rw.oauth, "a 403 row names its OAuth code")
				var body struct {
					Error            string `json:"error"`
					ErrorDescription string `json:"error_description"`
				}
				require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body), w.Body.String())
				assert.Equal(t, rw.oauth, body.Error)
				assert.NotEmpty(t, body.ErrorDescription)
				scoped := slices.ContainsFunc(challenges, func(c string) bool { return strings.Contains(c, `error="insufficient_scope"`) })
				assert.Equal(t, rw.oauth == "insufficient_scope", scoped, "%q", challenges)
			}
		})
	}
	for _, dir := range walked {
		for name, text := range declared(t, dir).errs {
			full := path.Base(dir) + "." + name
			if _, ok := notRefusals[full]; !ok {
				assert.True(t, covered[text], "%s has no row in TestEveryRefusal (or entry in notRefusals)", full)
			}
		}
	}
}

// walked are the packages whose every sentinel TestEveryRefusal reaches
// with a request, as a directory from the repository root.
var walked = []string{"bearer", "apikey", "scopes", "ipallow", "ratelimit", "issuer", "tokenendpoint", "oneof"}

// A table is a package's refusal table, as its Refusals function returns
// it.
type table struct {
	dir      string // the package's directory, from the repository root
	refusals func() []gatehouse.Refusal
}

// tables are the refusal tables of every package that has one: adding a
// package is one line.
var tables = []table{
	{"bearer", bearer.Refusals},
	{"apikey", apikey.Refusals},
	{"scopes", scopes.Refusals},
	{"ipallow", ipallow.Refusals},
	{"ratelimit", ratelimit.Refusals},
	{"issuer", issuer.Refusals},
	{"tokenendpoint", tokenendpoint.Refusals},
	{"oneof", oneof.Refusals},
	{"dpop", dpop.Refusals}, // reached through bearer, issuer and tokenendpoint, not walked on its own
}

// TestRefusalTables checks every package's refusal table: each row has a
// sentinel of its own package, an error status and a reason; each reason is
// an exported constant, of the package or of the root package; each
// sentinel has a row (or an entry in notRefusals); and one reason string
// has one meaning across the library: a reason of a package names one
// sentinel, a string used by two packages is a root constant, and no
// package declares a reason whose string another package or the root
// declares.
func TestRefusalTables(t *testing.T) {
	root := declared(t, ".")
	require.NotEmpty(t, root.reasons, "the root package declares the shared reasons")
	rootReasons := map[string]bool{}
	for _, v := range root.reasons {
		rootReasons[v] = true
	}
	declaredBy := map[string]string{} // a reason string → the package declaring it
	meanings := map[string]map[string]bool{}
	for _, tb := range tables {
		pkg := path.Base(tb.dir)
		d := declared(t, tb.dir)
		sentinelOf := map[string]string{} // text → name
		for name, text := range d.errs {
			sentinelOf[text] = name
		}
		ownReasons := map[string]bool{}
		for name, v := range d.reasons {
			assert.False(t, rootReasons[v], "%s.%s redeclares the root reason %q: use the root constant", pkg, name, v)
			if other, ok := declaredBy[v]; ok {
				t.Errorf("%s.%s and %s both declare the reason %q", pkg, name, other, v)
			}
			declaredBy[v] = pkg + "." + name
			ownReasons[v] = true
		}
		rows := tb.refusals()
		require.NotEmpty(t, rows, pkg)
		used := map[string]bool{}
		for i, r := range rows {
			require.NotNil(t, r.Err, "%s row %d", pkg, i)
			name, ok := sentinelOf[r.Err.Error()]
			require.True(t, ok, "%s row %d: %v is not an exported sentinel of %s", pkg, i, r.Err, pkg)
			full := pkg + "." + name
			assert.True(t, r.Status >= 400 && r.Status <= 599, "%s: status %d", full, r.Status)
			v := string(r.Reason)
			assert.True(t, ownReasons[v] || rootReasons[v], "%s: reason %q is not an exported constant of %s or gatehouse", full, v, pkg)
			used[r.Err.Error()] = true
			if meanings[v] == nil {
				meanings[v] = map[string]bool{}
			}
			meanings[v][full] = true
			ownReasons[v] = false // used
		}
		for v, unused := range ownReasons {
			assert.False(t, unused, "%s declares the reason %q but no row of its table uses it", pkg, v)
		}
		for name, text := range d.errs {
			if _, ok := notRefusals[pkg+"."+name]; !ok {
				assert.True(t, used[text], "%s.%s has no row in %s.Refusals (or entry in notRefusals)", pkg, name, pkg)
			}
		}
		rows[0].Reason = "changed"
		assert.NotEqual(t, gatehouse.Reason("changed"), tb.refusals()[0].Reason, "%s.Refusals returns the caller's own slice", pkg)
	}
	for v, sentinels := range meanings {
		if !rootReasons[v] {
			assert.Len(t, sentinels, 1, "the reason %q has one meaning: one sentinel, got %v", v, slices.Sorted(maps.Keys(sentinels)))
		}
	}
}

// A decls is what a package's non-test sources declare: its exported Err…
// sentinels (name → the text given to errors.New) and its exported
// constants of type gatehouse.Reason (name → value).
type decls struct {
	errs    map[string]string
	reasons map[string]string
}

// declared parses the non-test sources of dir, a package directory from
// the repository root.
func declared(t *testing.T, dir string) decls {
	full := filepath.Join("..", "..", dir)
	entries, err := os.ReadDir(full)
	require.NoError(t, err)
	d := decls{errs: map[string]string{}, reasons: map[string]string{}}
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(full, e.Name()), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR && g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !id.IsExported() {
						continue
					}
					switch {
					case g.Tok == token.VAR && strings.HasPrefix(id.Name, "Err"):
						text, ok := errorsNewText(vs, i)
						require.True(t, ok, "%s.%s: a sentinel is declared as errors.New(\"…\")", dir, id.Name)
						d.errs[id.Name] = text
					case g.Tok == token.CONST && isReasonType(vs.Type):
						lit, ok := vs.Values[i].(*ast.BasicLit)
						require.True(t, ok && lit.Kind == token.STRING, "%s.%s: a reason is a string literal", dir, id.Name)
						v, err := strconv.Unquote(lit.Value)
						require.NoError(t, err)
						d.reasons[id.Name] = v
					}
				}
			}
		}
	}
	return d
}

// errorsNewText returns the text of the i-th value of vs when it is
// errors.New("text").
func errorsNewText(vs *ast.ValueSpec, i int) (string, bool) {
	if i >= len(vs.Values) {
		return "", false
	}
	call, ok := vs.Values[i].(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return "", false
	}
	if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "New" {
		return "", false
	} else if x, ok := sel.X.(*ast.Ident); !ok || x.Name != "errors" {
		return "", false
	}
	lit, ok := call.Args[0].(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	text, err := strconv.Unquote(lit.Value)
	return text, err == nil
}

// isReasonType reports whether a declared type is gatehouse.Reason (or
// Reason, in the root package).
func isReasonType(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Reason"
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		return ok && x.Name == "gatehouse" && e.Sel.Name == "Reason"
	}
	return false
}

// newProofKey returns a DPoP signer with a fresh P-256 key.
func newProofKey(t *testing.T) *dpop.Signer {
	t.Helper()
	s, err := dpop.GenerateSigner()
	require.NoError(t, err)
	return s
}

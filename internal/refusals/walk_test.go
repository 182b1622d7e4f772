package refusals_test

import (
	"context"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
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
	"github.com/gatehouse-go/gatehouse/bearer/issuer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
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
	"bearer.ErrDuplicateTokenID":    "a TokenStore contract error (Add)",
	"bearer.ErrConfig":              "a construction error",
	"apikey.ErrInvalidEnv":          "a Generate error",
	"apikey.ErrInvalidRecord":       "a Store.Put error",
	"apikey.ErrDuplicateKey":        "a Store.Put error",
	"ipallow.ErrInvalidPrefix":      "a construction / ListEditor error",
	"ipallow.ErrConfig":      "a construction error",
	"ratelimit.ErrFull":             "a store contract error, answered as ErrStore's 503",
	"ratelimit.ErrInvalidLimit":     "a 500 for a Limits callback returning an invalid limit",
	"ratelimit.ErrStore":            "a 503 store failure",
	"issuer.ErrAccountNotFound":     "a CredentialStore contract error, answered as ErrInvalidCredentials",
	"issuer.ErrRefreshNotFound":     "a RefreshStore contract error, answered as ErrInvalidRefreshToken",
	"issuer.ErrFamilyNotFound":      "a RefreshStore contract error (RevokeFamily); Logout still answers 200",
	"issuer.ErrFamilyExists":        "a RefreshStore contract error (Create)",
	"issuer.ErrSubjectTaken":        "a CredentialStore contract error (Put)",
	"issuer.ErrMalformedScope":      "a construction and issue-time error (stores' Put, IssueAccess, IssuePair); a malformed requested scope is the token endpoint's 400 invalid_scope",
	"issuer.ErrClientNotFound":      "a ClientStore contract error, answered as ErrInvalidClient",
	"issuer.ErrInvalidTokenRequest": "400 invalid_request of the token endpoint",
	"issuer.ErrInvalidAssertion":    "400 invalid_grant of the token endpoint",
	"issuer.ErrAssertionReplayed":   "400 invalid_grant of the token endpoint",
	"issuer.ErrReplayTTL":           "a ReplayStore contract error (Use), answered as a 503",
	"issuer.ErrStoreFull":           "a RefreshStore / ReplayStore capacity error, answered as a 503 (bearer/issuer bound_test.go)",
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

type failingLists struct{}

func (failingLists) AllowList(context.Context, string) ([]netip.Prefix, error) {
	return nil, errors.New("down")
}

func bearerRows(t *testing.T) []row {
	revs := bearer.NewMemoryRevocations(now)
	require.NoError(t, revs.RevokeToken(context.Background(), "user-1", "revoked-jti", t0.Add(time.Hour)))
	cfg := bearer.Config{
		Algorithms: []string{"HS256"}, Keys: []bearer.Key{{ID: "k1", Algorithm: "HS256", Key: secret}},
		Issuers: []string{"https://issuer.test"}, Audiences: []string{"api"}, TokenType: "at+jwt",
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
	deny := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { envelope.Write(w, r, envelope.ErrUnauthorized) })
	return []row{
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
	clients, err := issuer.NewMemoryClients(issuer.Client{ID: "c1", SecretHash: issuer.HashClientSecret("s3cret")})
	require.NoError(t, err)
	lists := ipallow.NewMemoryLists()
	require.NoError(t, lists.Set(ctx, "globex", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
	pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: lists})
	require.NoError(t, err)
	iss, err := issuer.New(issuer.Config{
		Issuer: "https://issuer.test", Audience: []string{"api"}, Key: issuer.SigningKey{Key: secret},
		Credentials: creds, Clients: clients, Revocations: bearer.NewMemoryRevocations(now),
		Accounts: pp, BcryptCost: bcrypt.MinCost, Realm: "shop", Now: now,
	})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login", iss.Login)
	mux.HandleFunc("POST /refresh", iss.Refresh)
	mux.HandleFunc("POST /logout", iss.Logout)
	mux.HandleFunc("POST /token", iss.Token)
	mux.Handle("GET /m2m", issuer.RequireSession(issuer.SessionM2M)(ok))

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
		{"issuer", "token: wrong client secret", issuer.ErrInvalidClient, 401, `Basic realm="shop"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/token", "application/x-www-form-urlencoded", url.Values{
				"grant_type": {"client_credentials"}, "client_id": {"c1"}, "client_secret": {"wrong"}}.Encode()))
		}},
		{"issuer", "token: Bearer client authentication", issuer.ErrInvalidClient, 401, `Basic realm="shop"`, "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, post("/token", "application/x-www-form-urlencoded", "grant_type=client_credentials", "Authorization", "Bearer x"))
		}},
		{"issuer", "session route without a principal", issuer.ErrWrongSession, 401, "Bearer", "", func(t *testing.T) *httptest.ResponseRecorder {
			return serve(mux, get("/m2m"))
		}},
		{"issuer", "session route with another credential", issuer.ErrWrongSession, 403, "", D, func(t *testing.T) *httptest.ResponseRecorder {
			return serve(withPrincipal(gatehouse.Principal{Subject: "k", Method: gatehouse.MethodAPIKey}, mux), get("/m2m"))
		}},
	}
}

// TestEveryRefusal walks every refusal path of every package. Each row's
// status is checked, every 401 must carry a challenge of the row's scheme
// (RFC 9110 §15.5.2), and every sentinel of every package must have a row
// or an entry in notRefusals.
func TestEveryRefusal(t *testing.T) {
	var rows []row
	for _, f := range []func(*testing.T) []row{bearerRows, apikeyRows, scopesRows, ipallowRows, ratelimitRows, issuerRows} {
		rows = append(rows, f(t)...)
	}
	covered := map[error]bool{}
	for _, rw := range rows {
		covered[rw.cause] = true
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
	for _, s := range sentinels(t) {
		if _, ok := notRefusals[s.name]; ok {
			continue
		}
		assert.True(t, covered[s.err], "%s has no row in TestEveryRefusal (or entry in notRefusals)", s.name)
	}
}

type sentinel struct {
	name string
	err  error
}

// sentinels returns every exported package-level Err… variable of every
// package, read from the sources, with its value.
func sentinels(t *testing.T) []sentinel {
	values := map[string]error{
		"bearer.ErrNoToken": bearer.ErrNoToken, "bearer.ErrMultipleHeaders": bearer.ErrMultipleHeaders,
		"bearer.ErrMultipleMethods": bearer.ErrMultipleMethods, "bearer.ErrFormTooLarge": bearer.ErrFormTooLarge,
		"bearer.ErrMalformedHeader": bearer.ErrMalformedHeader, "bearer.ErrOtherScheme": bearer.ErrOtherScheme,
		"bearer.ErrTokenInvalid": bearer.ErrTokenInvalid, "bearer.ErrUnknownKey": bearer.ErrUnknownKey,
		"bearer.ErrTokenExpired": bearer.ErrTokenExpired, "bearer.ErrTokenNotYetValid": bearer.ErrTokenNotYetValid,
		"bearer.ErrIssuer": bearer.ErrIssuer, "bearer.ErrAudience": bearer.ErrAudience,
		"bearer.ErrTokenType": bearer.ErrTokenType, "bearer.ErrCritHeader": bearer.ErrCritHeader,
		"bearer.ErrClaims": bearer.ErrClaims, "bearer.ErrTokenRevoked": bearer.ErrTokenRevoked,
		"bearer.ErrTokenNotFound": bearer.ErrTokenNotFound, "bearer.ErrUnavailable": bearer.ErrUnavailable,
		"apikey.ErrMissingKey": apikey.ErrMissingKey, "apikey.ErrDuplicateHeader": apikey.ErrDuplicateHeader,
		"apikey.ErrKeyTooLong": apikey.ErrKeyTooLong, "apikey.ErrMalformedKey": apikey.ErrMalformedKey,
		"apikey.ErrWrongEnv": apikey.ErrWrongEnv, "apikey.ErrKeyNotFound": apikey.ErrKeyNotFound,
		"apikey.ErrKeyRevoked": apikey.ErrKeyRevoked, "apikey.ErrKeyExpired": apikey.ErrKeyExpired,
		"apikey.ErrNoTenant": apikey.ErrNoTenant, "apikey.ErrWrongTenant": apikey.ErrWrongTenant,
		"apikey.ErrSurfaceDenied": apikey.ErrSurfaceDenied, "apikey.ErrStore": apikey.ErrStore, "apikey.ErrThrottleStore": apikey.ErrThrottleStore,
		"scopes.ErrNoPrincipal": scopes.ErrNoPrincipal, "scopes.ErrInsufficientScope": scopes.ErrInsufficientScope,
		"scopes.ErrRouteNotListed": scopes.ErrRouteNotListed,
		"ipallow.ErrDenied":        ipallow.ErrDenied, "ipallow.ErrMalformedHeader": ipallow.ErrMalformedHeader,
		"ipallow.ErrNoClientAddr": ipallow.ErrNoClientAddr, "ipallow.ErrNoPrincipal": ipallow.ErrNoPrincipal,
		"ipallow.ErrNoAccount": ipallow.ErrNoAccount, "ipallow.ErrStore": ipallow.ErrStore,
		"ratelimit.ErrLimited": ratelimit.ErrLimited, "ratelimit.ErrThrottled": ratelimit.ErrThrottled,
		"issuer.ErrInvalidCredentials": issuer.ErrInvalidCredentials, "issuer.ErrInvalidRefreshToken": issuer.ErrInvalidRefreshToken,
		"issuer.ErrInvalidAccessToken": issuer.ErrInvalidAccessToken, "issuer.ErrRefreshReused": issuer.ErrRefreshReused,
		"issuer.ErrFamilyRevoked": issuer.ErrFamilyRevoked, "issuer.ErrSubjectRevoked": issuer.ErrSubjectRevoked,
		"issuer.ErrAccountDisabled": issuer.ErrAccountDisabled, "issuer.ErrSubjectTaken": issuer.ErrSubjectTaken, "issuer.ErrInvalidClient": issuer.ErrInvalidClient,
		"issuer.ErrWrongSession": issuer.ErrWrongSession,
	}
	var out []sentinel
	for _, dir := range []string{"bearer", "apikey", "scopes", "ipallow", "ratelimit", "bearer/issuer"} {
		pkg := filepath.Base(dir)
		for _, name := range exportedErrs(t, filepath.Join("..", "..", dir)) {
			full := pkg + "." + name
			if _, ok := notRefusals[full]; ok {
				continue
			}
			err, ok := values[full]
			if !assert.True(t, ok, "%s is a sentinel without a row in TestEveryRefusal (add its value to sentinels and a row, or an entry to notRefusals)", full) {
				continue
			}
			out = append(out, sentinel{full, err})
		}
	}
	return out
}

// exportedErrs parses the package's non-test sources and returns the names
// of its exported package-level variables that start with "Err".
func exportedErrs(t *testing.T, dir string) []string {
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	fset := token.NewFileSet()
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.IsExported() && strings.HasPrefix(id.Name, "Err") {
						names = append(names, id.Name)
					}
				}
			}
		}
	}
	slices.Sort(names)
	require.NotEmpty(t, names, dir)
	return names
}

// Package server is seed 003's platform on gatehouse: four API surfaces on
// one server, two authentication mechanisms.
//
//	Reseller API    JWT bearer (HS256), audience "reseller",   token from POST /Token/Generate
//	Storefront API  JWT bearer (HS256), audience "storefront", token from POST /Storefront/Login
//	Payment API     ApiKey header, surface "payment",  tenant from X-Tenant-ID
//	Supplier API    ApiKey header, surface "supplier", tenant from X-Tenant-ID
//
// Each JWT surface verifies its own audience, so a Storefront token is refused
// on the Reseller API (401) and the reverse. Each route requires a scope
// (403 without it). API keys are stored as SHA-256 digests, bound to a
// tenant and to the surfaces the tenant may call: a missing, malformed,
// expired or revoked key, or one of another tenant than the request names,
// is 401 with code -23; a valid key on a surface its tenant has no access to
// is 403. After Config.KeyAttempts refused keys from one client address
// in 15 minutes, that address's API-key requests get 429 until the window
// ends. Every error is {"code":N,"message":"..."} (see Codes).
//
// New returns the platform as an http.Handler; FromEnv reads its Config
// from the environment.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// TenantHeader is the request header that names the tenant of an API-key
// request.
const TenantHeader = "X-Tenant-ID"

// Issuer is the "iss" claim of the platform's tokens.
const Issuer = "platform"

// Server is the platform. It is safe for concurrent use.
type Server struct {
	cfg     Config
	handler http.Handler
	mux     *http.ServeMux
	keys    *apikey.MemoryStore
	issuers map[string]*issuer.Issuer
	data    *data
}

// A Route is one endpoint of the platform.
type Route struct {
	Method, Path string
	// Surface is the API the route belongs to (SurfaceReseller, …).
	Surface string
	// Auth is how callers authenticate: "credentials" (a login body),
	// "Bearer" or "ApiKey".
	Auth string
	// Scope is the scope the route requires; empty for the login routes.
	Scope string
	// Description says what the route does.
	Description string

	handler func(*Server) http.HandlerFunc
}

// Routes returns the platform's route table, the one that New mounts.
func Routes() []Route {
	return []Route{
		{"POST", "/Token/Generate", SurfaceReseller, "credentials", "", "partner credentials → Reseller API token", func(s *Server) http.HandlerFunc { return s.issuers[SurfaceReseller].Login }},
		{"POST", "/Token/Refresh", SurfaceReseller, "credentials", "", "refresh token → new Reseller API token pair", func(s *Server) http.HandlerFunc { return s.issuers[SurfaceReseller].Refresh }},
		{"POST", "/Orders/Create", SurfaceReseller, "Bearer", ScopeOrdersWrite, "create an order", func(s *Server) http.HandlerFunc { return s.createOrder }},
		{"GET", "/Orders/List", SurfaceReseller, "Bearer", ScopeOrdersRead, "list the tenant's orders", func(s *Server) http.HandlerFunc { return s.listOrders }},
		{"POST", "/Storefront/Login", SurfaceStorefront, "credentials", "", "customer credentials → Storefront API token", func(s *Server) http.HandlerFunc { return s.issuers[SurfaceStorefront].Login }},
		{"POST", "/Storefront/Refresh", SurfaceStorefront, "credentials", "", "refresh token → new Storefront API token pair", func(s *Server) http.HandlerFunc { return s.issuers[SurfaceStorefront].Refresh }},
		{"GET", "/Storefront/Account", SurfaceStorefront, "Bearer", ScopeAccountRead, "the customer's account", func(s *Server) http.HandlerFunc { return s.account }},
		{"GET", "/Storefront/Orders", SurfaceStorefront, "Bearer", ScopeOrdersRead, "the customer's orders", func(s *Server) http.HandlerFunc { return s.customerOrders }},
		{"POST", "/Payment/Charges/Create", SurfacePayment, "ApiKey", ScopeChargesWrite, "create a charge", func(s *Server) http.HandlerFunc { return s.createCharge }},
		{"GET", "/Payment/Charges/List", SurfacePayment, "ApiKey", ScopeChargesRead, "list the tenant's charges", func(s *Server) http.HandlerFunc { return s.listCharges }},
		{"POST", "/Supplier/Products/List", SurfaceSupplier, "ApiKey", ScopeProductsRead, "list the tenant's products", func(s *Server) http.HandlerFunc { return s.listProducts }},
		{"POST", "/Supplier/Products/UpdateStock", SurfaceSupplier, "ApiKey", ScopeProductsWrite, "set a product's stock", func(s *Server) http.HandlerFunc { return s.updateStock }},
	}
}

// New validates cfg and builds the platform with the routes of Routes.
// Building hashes the two passwords with bcrypt (about 50 ms each at the
// default cost).
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	secret := cfg.JWTSecret
	if secret == nil {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	s := &Server{cfg: cfg, keys: apikey.NewMemoryStore(), data: newData(cfg.Tenant, cfg.Now)}
	style := Style()

	// The API keys: one per surface, both the tenant's.
	ctx := context.Background()
	for _, k := range []struct{ key, surface, name string }{
		{cfg.SupplierKey, SurfaceSupplier, "Supplier integration"},
		{cfg.PaymentKey, SurfacePayment, "Payment integration"},
	} {
		if _, err := s.keys.Add(ctx, k.key, apikey.Record{
			Name: k.name, Tenant: cfg.Tenant, Surfaces: []string{k.surface},
			Scopes: surfaceScopes[k.surface], Created: cfg.Now(),
		}); err != nil {
			return nil, err
		}
	}
	// One failure throttle for both key surfaces, per client address: a
	// client guessing keys is stopped after KeyAttempts refusals whichever
	// surface it tries.
	keyFailures, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: cfg.KeyAttempts, Window: 15 * time.Minute, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	byKey := map[string]*apikey.Authenticator{}
	for _, surface := range []string{SurfacePayment, SurfaceSupplier} {
		a, err := apikey.New(apikey.Config{
			Store:  s.keys,
			Realm:  "api",
			Header: apikey.DefaultHeader, // "ApiKey", case-insensitive
			Format: apikey.FormatOpaque,  // keys issued elsewhere, such as seed 003's hex keys
			// X-Tenant-ID names the requested tenant; seed 003's example
			// request sends none, which asks for the platform tenant.
			Tenant: apikey.TenantHeaderOr(TenantHeader, cfg.Tenant), Surface: surface,
			Throttle: keyFailures, ThrottleKey: ratelimit.ByIP,
			Style: style, Audit: cfg.Audit, Now: cfg.Now,
		})
		if err != nil {
			return nil, err
		}
		byKey[surface] = a
	}

	// The JWT surfaces: one issuer and one verifier per audience, one
	// HS256 secret, one revocation store, one login throttle.
	revocations := bearer.NewMemoryRevocations(cfg.Now)
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: cfg.LoginAttempts, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	s.issuers = map[string]*issuer.Issuer{}
	byToken := map[string]*bearer.Authenticator{}
	for _, j := range []struct {
		surface string
		acct    Account
	}{{SurfaceReseller, cfg.Reseller}, {SurfaceStorefront, cfg.Customer}} {
		hash, err := issuer.HashPassword(j.acct.Password, cfg.BcryptCost)
		if err != nil {
			return nil, err
		}
		creds, err := issuer.NewMemoryCredentials(issuer.Account{
			Username: j.acct.Username, PasswordHash: hash,
			Subject: j.acct.ID, Tenant: cfg.Tenant, Scopes: j.acct.Scopes,
		})
		if err != nil {
			return nil, err
		}
		iss, err := issuer.New(issuer.Config{
			Issuer: Issuer, Audiences: []string{j.surface},
			Key: issuer.SigningKey{Key: secret}, // HS256
			// Seed 003's tokens show the header {"alg":"HS256","typ":"JWT"}
			// ("Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9..."); the
			// per-surface audience keeps the surfaces' tokens apart.
			// Refresh tokens stay opaque: the seed shows none.
			TokenType: "JWT",
			AccessTTL: cfg.TokenTTL, Credentials: creds, Revocations: revocations,
			Throttle: throttle, BcryptCost: cfg.BcryptCost, Realm: j.surface,
			Style: style, Audit: cfg.Audit, Now: cfg.Now,
		})
		if err != nil {
			return nil, err
		}
		bc := iss.BearerConfig(revocations) // exactly this issuer's tokens: alg, key, iss, aud, typ
		bc.Realm, bc.Style, bc.Audit, bc.Now = j.surface, style, cfg.Audit, cfg.Now
		auth, err := bearer.New(bc)
		if err != nil {
			return nil, err
		}
		s.issuers[j.surface], byToken[j.surface] = iss, auth
	}

	tokenScopes, err := scopes.New(scopes.Config{Style: style})
	if err != nil {
		return nil, err
	}
	keyScopes, err := scopes.New(scopes.Config{
		Style: style, OmitChallenge: true,
		Message: func(scope string) string { return "API key does not have the required scope: " + scope },
	})
	if err != nil {
		return nil, err
	}

	s.mux = http.NewServeMux()
	for _, rt := range Routes() {
		var h http.Handler = rt.handler(s)
		switch rt.Auth {
		case "credentials":
		case "Bearer":
			h = gatehouse.Chain(byToken[rt.Surface].Middleware, tokenScopes.Require(rt.Scope))(h)
		case "ApiKey":
			h = gatehouse.Chain(byKey[rt.Surface].Middleware, keyScopes.Require(rt.Scope))(h)
		default:
			return nil, errors.New("platform: route without authentication: " + rt.Path)
		}
		s.mux.Handle(rt.Method+" "+rt.Path, h)
	}
	s.mux.HandleFunc("/", s.noRoute)
	s.handler = envelope.Use(style)(s.mux)
	return s, nil
}

// surfaceScopes are the scopes of the tenant's API key for each surface.
var surfaceScopes = map[string][]string{
	SurfacePayment:  {ScopeChargesRead, ScopeChargesWrite},
	SurfaceSupplier: {ScopeProductsRead, ScopeProductsWrite},
}

// ServeHTTP serves the platform.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// noRoute answers requests no route matches: 405 with Allow when the path
// exists with other methods, else 404, both in the platform's style.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	allow := serve.AllowedMethods(s.mux, r)
	if len(allow) == 0 {
		envelope.Write(w, r, errRouteNotFound)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	envelope.Write(w, r, errMethodNotAllowed)
}

// Keys returns the API-key store, for administration: Lookup a key's
// record by apikey.Hash(key), Revoke, Get, Add or Put records.
func (s *Server) Keys() *apikey.MemoryStore { return s.keys }

// IssueKey generates a new "ak_live_…" key for tenant that may call the
// given surfaces (SurfacePayment, SurfaceSupplier), with their scopes,
// and stores its record. It returns the plaintext — hand it over once, it is
// not kept — and the stored record. A zero expires means the key never
// expires.
func (s *Server) IssueKey(ctx context.Context, tenant string, surfaces []string, expires time.Time) (string, apikey.Record, error) {
	if !validTenant(tenant) {
		return "", apikey.Record{}, errors.New("platform: invalid tenant")
	}
	key, rec, err := apikey.Generate("live")
	if err != nil {
		return "", apikey.Record{}, err
	}
	rec.Tenant, rec.Surfaces, rec.ExpiresAt, rec.Created = tenant, slices.Clone(surfaces), expires, s.cfg.Now()
	for _, surface := range surfaces {
		sc, ok := surfaceScopes[surface]
		if !ok {
			return "", apikey.Record{}, errors.New("platform: unknown API-key surface " + surface)
		}
		rec.Scopes = append(rec.Scopes, sc...)
	}
	if err := s.keys.Put(ctx, rec); err != nil {
		return "", apikey.Record{}, err
	}
	return key, rec, nil
}

// RotateKey issues a new key with the tenant, surfaces, scopes and expiry
// of the key id, and leaves the old key valid: deploy the new key, then
// revoke the old one with RevokeKey (seed 003: "the old key can be revoked
// instantly"). It returns the new key's plaintext and record.
func (s *Server) RotateKey(ctx context.Context, id string) (string, apikey.Record, error) {
	old, err := s.keys.Get(ctx, id)
	if err != nil {
		return "", apikey.Record{}, err
	}
	if old.Revoked {
		return "", apikey.Record{}, apikey.ErrKeyRevoked
	}
	key, rec, err := apikey.Generate("live")
	if err != nil {
		return "", apikey.Record{}, err
	}
	rec.Name, rec.Subject, rec.Tenant, rec.ExpiresAt, rec.Created = old.Name, old.Subject, old.Tenant, old.ExpiresAt, s.cfg.Now()
	rec.Scopes, rec.Surfaces = slices.Clone(old.Scopes), slices.Clone(old.Surfaces)
	if err := s.keys.Put(ctx, rec); err != nil {
		return "", apikey.Record{}, err
	}
	return key, rec, nil
}

// RevokeKey revokes the key id at once: its next request is refused with
// 401 -23.
func (s *Server) RevokeKey(ctx context.Context, id string) error {
	return s.keys.Revoke(ctx, id, s.cfg.Now())
}

// Package server is seed 004's external API (the Pixlpay "Authentication"
// guide) rebuilt on gatehouse: opaque bearer API tokens stored hashed, the
// eleven resource scopes each guarding real routes over in-memory data,
// multi-tenant stores selected by the Host header, token rotation, a
// per-token rate limit, and seed 004's flat error envelope byte for byte:
//
//	401 {"success":false,"error":"Unauthorized","message":"Invalid or missing API token"}
//	403 {"success":false,"error":"Forbidden","message":"Token does not have the required scope: orders:write"}
//	403 {"success":false,"error":"Forbidden","message":"Insufficient permissions"}
//
// A request goes through, in order: the store named by the first label of
// its Host (404 when none), bearer authentication (401), the token's own
// store (403), the token's rate limit (429), the route's scope (403), and
// the handler, which refuses ids of another store's resources (403).
//
// The command in the parent directory runs it; tests build it with [New].
package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// BasePath prefixes every API route.
const BasePath = "/api/external/v1"

// UnauthorizedMessage is seed 004's one message for every 401: a missing,
// mistyped, revoked or expired token.
const UnauthorizedMessage = "Invalid or missing API token"

// Realm is the realm of the WWW-Authenticate challenges.
const Realm = "api"

// Style is seed 004's error envelope. Every 401 carries
// UnauthorizedMessage: the bearer middleware is configured with it
// (bearer.Config.Message).
var Style envelope.Style = envelope.Flat

// A Route is one API operation and the scope it requires.
type Route struct {
	Method string // "GET", "POST", "PUT", "PATCH" or "DELETE"
	Path   string // under BasePath, with {id} wildcards
	Scope  string
}

type route struct {
	Route
	handler http.HandlerFunc
}

// routes is the API: every operation with its scope.
//
// Every update route answers PUT as well as PATCH, with the same handler and
// scope: PUT is an alias, not a full replacement. Seed 004 names PUT only in
// its header table ("Content-Type: For POST/PUT"), as the method of a
// request with a body, and never shows an update body or says that one must
// carry every field; its scopes speak of "update" alone ("update products",
// "update status", "Update customer information", "Update store settings").
// Nothing there implies replace-the-whole-resource semantics, so the
// example follows the common convention of REST frameworks of this shape
// (e.g. Laravel's apiResource routes PUT and PATCH to one update action): a
// client written for PUT and one written for PATCH both work, with the same
// partial-update body.
func (s *Server) routes() []route {
	return []route{
		{Route{"GET", "/products", ProductsRead}, s.listProducts},
		{Route{"GET", "/products/{id}", ProductsRead}, s.getProduct},
		{Route{"POST", "/products", ProductsWrite}, s.createProduct},
		{Route{"PATCH", "/products/{id}", ProductsWrite}, s.updateProduct},
		{Route{"PUT", "/products/{id}", ProductsWrite}, s.updateProduct},
		{Route{"DELETE", "/products/{id}", ProductsWrite}, s.deleteProduct},
		{Route{"GET", "/orders", OrdersRead}, s.listOrders},
		{Route{"GET", "/orders/{id}", OrdersRead}, s.getOrder},
		{Route{"POST", "/orders/{id}/fulfill", OrdersWrite}, s.fulfillOrder},
		{Route{"PATCH", "/orders/{id}", OrdersWrite}, s.updateOrder},
		{Route{"PUT", "/orders/{id}", OrdersWrite}, s.updateOrder},
		{Route{"GET", "/customers", CustomersRead}, s.listCustomers},
		{Route{"GET", "/customers/{id}", CustomersRead}, s.getCustomer},
		{Route{"PATCH", "/customers/{id}", CustomersWrite}, s.updateCustomer},
		{Route{"PUT", "/customers/{id}", CustomersWrite}, s.updateCustomer},
		{Route{"GET", "/analytics/revenue", AnalyticsRead}, s.revenue},
		{Route{"GET", "/analytics/sales", AnalyticsRead}, s.sales},
		{Route{"GET", "/webhooks", WebhooksRead}, s.listWebhooks},
		{Route{"GET", "/webhooks/{id}", WebhooksRead}, s.getWebhook},
		{Route{"POST", "/webhooks", WebhooksWrite}, s.createWebhook},
		{Route{"DELETE", "/webhooks/{id}", WebhooksWrite}, s.deleteWebhook},
		{Route{"GET", "/settings", SettingsRead}, s.getSettings},
		{Route{"PATCH", "/settings", SettingsWrite}, s.updateSettings},
		{Route{"PUT", "/settings", SettingsWrite}, s.updateSettings},
		{Route{"GET", "/tokens", SettingsRead}, s.listTokens},
		{Route{"POST", "/tokens", SettingsWrite}, s.createToken},
		{Route{"DELETE", "/tokens/{id}", SettingsWrite}, s.revokeToken},
	}
}

// Routes returns the API's operations and their scopes, in the order of the
// README's table.
func Routes() []Route {
	var s Server
	rs := s.routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// A Server is the scoped store's HTTP handler. It is safe for concurrent
// use.
type Server struct {
	handler  http.Handler
	db       *db
	tokens   *bearer.MemoryTokens
	enforcer *scopes.Enforcer
	stores   map[string]bool
	audit    gatehouse.Auditor
	now      func() time.Time
}

// New builds the scoped store from cfg: it validates and stores the tokens
// (hashed), creates every store they name with sample data, and assembles
// the middleware. It fails on an invalid token, store, scope or rate limit.
func New(cfg Config) (*Server, error) {
	s := &Server{tokens: bearer.NewMemoryTokens(), stores: make(map[string]bool), audit: cfg.Audit, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	rpm := cfg.RateLimit
	switch {
	case rpm == 0:
		rpm = DefaultRateLimit
	case rpm < 0:
		return nil, fmt.Errorf("rate limit must be positive, got %d", rpm)
	}
	stores := storesOf(cfg.Tokens)
	s.db = newDB(stores, s.now())
	for _, st := range stores {
		s.stores[st] = true
	}
	seen := make(map[[32]byte]int, len(cfg.Tokens))
	for i, spec := range cfg.Tokens {
		if err := validateSpec(spec); err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
		h := bearer.HashToken(spec.Token)
		if j, dup := seen[h]; dup {
			return nil, fmt.Errorf("token %d: same token as token %d", i+1, j+1)
		}
		seen[h] = i
		if _, err := s.addToken(spec.Token, spec.Store, "", spec.Scopes, spec.ExpiresAt); err != nil {
			return nil, fmt.Errorf("token %d: %w", i+1, err)
		}
	}

	auth, err := bearer.New(bearer.Config{Realm: Realm, Message: UnauthorizedMessage, Tokens: s.tokens, Audit: cfg.Audit, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Limit:   ratelimit.PerMinute(rpm),
		Key:     ratelimit.ByPrincipal, // one bucket per token
		Message: "Rate limit exceeded",
		Audit:   cfg.Audit,
		Now:     cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	s.enforcer, err = scopes.New(scopes.Config{Realm: Realm, Audit: cfg.Audit, Now: cfg.Now})
	if err != nil {
		return nil, err
	}

	mux := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range s.routes() {
		path := BasePath + rt.Path
		mux.Handle(rt.Method+" "+path, s.enforcer.Require(rt.Scope)(rt.handler))
		methods[path] = append(methods[path], rt.Method)
	}
	for path, ms := range methods {
		mux.Handle(path, methodNotAllowed(ms))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrNotFound.WithMessage("No such endpoint"))
	})

	s.handler = gatehouse.Chain(
		envelope.Use(Style),
		s.selectStore,
		auth.Middleware,
		s.sameStore,
		limiter.Middleware,
	)(mux)
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Stores returns the stores the server holds, sorted.
func (s *Server) Stores() []string {
	out := make([]string, 0, len(s.stores))
	for st := range s.stores {
		out = append(out, st)
	}
	slices.Sort(out)
	return out
}

// methodNotAllowed answers 405 with the Allow header for a path whose
// routes take other methods.
func methodNotAllowed(methods []string) http.Handler {
	allow := slices.Clone(methods)
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	slices.Sort(allow)
	header := strings.Join(allow, ", ")
	e := envelope.New(http.StatusMethodNotAllowed, "MethodNotAllowedError", "METHOD_NOT_ALLOWED", "Method not allowed; use "+header)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", header)
		envelope.Write(w, r, e)
	})
}

// PaidOrder returns the id of a paid, unfulfilled order of store, or "" if
// it has none: something to fulfil in a demo.
func (s *Server) PaidOrder(store string) string {
	s.db.mu.RLock()
	defer s.db.mu.RUnlock()
	for _, o := range list(s.db.orders, store, orderID) {
		if o.Status == StatusPaid {
			return o.ID
		}
	}
	return ""
}

// Package server is seed 002's API ("three authentication means") on
// gatehouse: an API key in the apikey header, client sessions opened with
// an HS256 assertion at POST /v2/token, and machine-to-machine sessions
// opened there with client_id + client_secret. New returns the whole API
// as an http.Handler for in-process use and tests.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/tokenendpoint"
)

// DefaultInternalClientID is Config.InternalClientID when it is empty.
const DefaultInternalClientID = "client-1"

// Config configures the API. ClientID, APISignature and ClientSecret are
// required.
type Config struct {
	// ClientID is the client's API key (seed 002: "API_KEY"), sent alone in
	// the apikey header and as client_id at POST /v2/token. It is a
	// secret: only its SHA-256 is kept, and tokens, vouchers and audit
	// events name the client by InternalClientID instead.
	ClientID string
	// InternalClientID is the client's non-secret, stable identifier: the
	// session tokens' "sub", "client_id" and "tenant", the vouchers'
	// clientId and the audit events' subject and tenant. Empty means
	// DefaultInternalClientID; it may not be the API key.
	InternalClientID string
	// APISignature is the client's HS256 key for assertions ("API_SIGNATURE"),
	// at least 32 bytes (RFC 7518 §3.2), or at least 8 with
	// InsecureShortAPISignature.
	APISignature []byte
	// InsecureShortAPISignature accepts an APISignature of 8 to 31 bytes,
	// such as seed 002's "monApiSignature" (tokenendpoint.Client's
	// InsecureShortAssertionKey). It violates RFC 7518 §3.2: a captured
	// assertion lets anyone search for a short key offline. Set it only to
	// keep an existing integration working while its key is rotated.
	InsecureShortAPISignature bool
	// ClientSecret is the client's m2m secret ("CLIENT_SECRET"); only its
	// SHA-256 is kept.
	ClientSecret string
	// SigningKey signs session tokens (HS256, at least 32 bytes); nil means
	// a random key, so sessions end with the process.
	SigningKey []byte
	// SessionTTL is the session-token lifetime; 0 means 1 hour.
	SessionTTL time.Duration
	// Audit receives every authentication decision; nil means none.
	Audit gatehouse.Auditor
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server is the API. It is safe for concurrent use.
type Server struct {
	handler  http.Handler
	vouchers *vouchers
}

// Stores is the demo catalogue GET /v2/stores answers.
var Stores = []Store{
	{ID: "store-paris", Name: "Jackpot Paris Opéra", City: "Paris"},
	{ID: "store-lyon", Name: "Jackpot Lyon Part-Dieu", City: "Lyon"},
}

// A Store is one point of sale.
type Store struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	City string `json:"city"`
}

// New validates cfg and builds the API:
//
//	GET  /v2/stores                 apikey header
//	POST /v2/token                  client_credentials or jwt-bearer grant
//	POST /v2/vouchers/reserve       client session
//	POST /v2/vouchers/{id}/confirm  m2m session
func New(cfg Config) (*Server, error) {
	if cfg.ClientID == "" || len(cfg.APISignature) == 0 || cfg.ClientSecret == "" {
		return nil, errors.New("vouchers: ClientID, APISignature and ClientSecret are required")
	}
	if cfg.InternalClientID == "" {
		cfg.InternalClientID = DefaultInternalClientID
	}
	if cfg.InternalClientID == cfg.ClientID {
		return nil, errors.New("vouchers: InternalClientID must not be the API key")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	signing := cfg.SigningKey
	if signing == nil {
		signing = make([]byte, 32)
		_, _ = rand.Read(signing)
	}
	ctx := context.Background()

	keys := apikey.NewMemoryStore()
	if _, err := keys.Add(ctx, cfg.ClientID, apikey.Record{Subject: cfg.InternalClientID, Tenant: cfg.InternalClientID, Name: "seed 002 client"}); err != nil {
		return nil, err
	}
	// Ten refused keys per client address in 15 minutes, then 429 with
	// Retry-After for that address's key requests until the window ends.
	keyFailures, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 10, Window: 15 * time.Minute, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	byKey, err := apikey.New(apikey.Config{
		Store: keys, Header: "apikey", Realm: "api", Format: apikey.FormatOpaque,
		Throttle: keyFailures, ThrottleKey: ratelimit.ByIP,
		TouchInterval: -1, Audit: cfg.Audit, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}

	// The token endpoint is asked for the API key (the seed's client_id)
	// and answers with the client under its internal id.
	clients, err := newKeyClients(cfg.ClientID, tokenendpoint.Client{
		ID:           cfg.InternalClientID,
		SecretHash:   tokenendpoint.HashClientSecret(cfg.ClientSecret),
		AssertionKey: cfg.APISignature,
		Tenant:       cfg.InternalClientID,

		InsecureShortAssertionKey: cfg.InsecureShortAPISignature,
	})
	if err != nil {
		return nil, err
	}
	failures, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{Max: 10, Window: 15 * time.Minute, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	// Seed 002's assertions are single-use by their notificationKey, and
	// the client session is bound to their amount, userId and
	// forceManualConfirm (assertionClaims).
	token, err := tokenendpoint.New(tokenendpoint.Config{
		Issuer:      "vouchers",
		Key:         tokenendpoint.SigningKey{Key: signing},
		AccessTTL:   cfg.SessionTTL,
		Clients:     clients,
		Throttle:    failures,
		ReplayClaim: "notificationKey",
		Assertion:   assertionClaims,
		Realm:       "vouchers",
		Audit:       cfg.Audit,
		Now:         cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	bc := token.BearerConfig(bearer.NewMemoryRevocations(nil))
	bc.Realm, bc.Audit = "vouchers", cfg.Audit
	sessions, err := bearer.New(bc)
	if err != nil {
		return nil, err
	}

	s := &Server{vouchers: newVouchers(cfg.Now)}
	clientSession := gatehouse.Chain(sessions.Middleware, token.RequireSession(tokenendpoint.SessionClient))
	m2mSession := gatehouse.Chain(sessions.Middleware, token.RequireSession(tokenendpoint.SessionM2M))

	mux := http.NewServeMux()
	mux.Handle("GET /v2/stores", byKey.Middleware(http.HandlerFunc(listStores)))
	mux.Handle("POST /v2/token", token)
	mux.Handle("POST /v2/vouchers/reserve", clientSession(http.HandlerFunc(s.vouchers.reserve)))
	mux.Handle("POST /v2/vouchers/{id}/confirm", m2mSession(http.HandlerFunc(s.vouchers.confirm)))
	mux.Handle("/", noRoute(mux))
	s.handler = mux
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// errNoRoute is the answer to a path no route serves.
var errNoRoute = envelope.ErrNotFound.WithMessage("No such endpoint")

// noRoute answers the requests no route of mux matches, in the nested
// envelope rather than net/http's text/plain: 405 with an Allow header
// when the path has routes for other methods, else 404.
func noRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := serve.AllowedMethods(mux, r)
		if len(allow) == 0 {
			envelope.Write(w, r, errNoRoute)
			return
		}
		header := strings.Join(allow, ", ")
		w.Header().Set("Allow", header)
		envelope.Write(w, r, envelope.New(http.StatusMethodNotAllowed, "MethodNotAllowedError", "METHOD_NOT_ALLOWED", "Method not allowed; use "+header))
	})
}

func listStores(w http.ResponseWriter, _ *http.Request) {
	_ = envelope.OK(w, Stores)
}

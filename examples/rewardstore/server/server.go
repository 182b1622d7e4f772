// Package server is the reward store of seed 000 ("The Popup Reward Store
// API") rebuilt on gatehouse: login, refresh with rotation, logout, and a
// small catalogue behind JWT bearer authentication, per-account IP
// whitelists and a failed-login throttle. The command in the parent
// directory runs it; tests and multi-instance setups build it with [New].
package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/issuer"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// Token claims of the reward store.
const (
	Issuer   = "rewardstore"
	Audience = "rewardstore-api"
)

// Scopes every account's tokens carry.
var Scopes = []string{"products:read", "categories:read"}

// A Server is the reward store's HTTP handler. It is safe for concurrent
// use.
type Server struct {
	handler http.Handler
	// Issuer is the token issuer, for tests and tools.
	Issuer *issuer.Issuer
	// RandomSecret reports that no JWTSecret was configured.
	RandomSecret bool

	creds *issuer.MemoryCredentials
}

// New builds the reward store from cfg. It fails on an invalid account,
// address list, lifetime or secret. Account passwords are hashed here
// (bcrypt at cfg.BcryptCost).
func New(cfg Config) (*Server, error) {
	s := &Server{}
	secret := cfg.JWTSecret
	if len(secret) == 0 {
		secret, s.RandomSecret = randomSecret(), true
	}
	if cfg.Revocations == nil {
		cfg.Revocations = bearer.NewMemoryRevocations(cfg.Now)
	}
	if cfg.Lists == nil {
		cfg.Lists = ipallow.NewMemoryLists()
	}
	if cfg.Failures == nil {
		cfg.Failures = ratelimit.NewMemoryFailureStore(ratelimit.MemoryConfig{})
	}
	if cfg.Refresh == nil {
		cfg.Refresh, _ = issuer.NewMemoryRefresh(issuer.MemoryRefreshConfig{}) // issuer's default, made here to be measured
	}
	// The stores the requests use: measured with Telemetry. cfg.Lists
	// stays as it is for seeding (redisstore's SetIfAbsent).
	revocations, lists, failures, refresh := cfg.Revocations, ipallow.ListStore(cfg.Lists), cfg.Failures, cfg.Refresh
	measure := func(_ string, mw gatehouse.Middleware) gatehouse.Middleware { return mw }
	if tel := cfg.Telemetry; tel != nil {
		cfg.Audit = gatehouse.Auditors(cfg.Audit, tel)
		revocations, lists = tel.RevocationStore(revocations), tel.ListStore(lists)
		failures, refresh = tel.FailureStore(failures), tel.RefreshStore(refresh)
		measure = tel.Measure
	}

	creds, err := credentials(cfg)
	if err != nil {
		return nil, err
	}
	s.creds = creds
	resolver, err := ipallow.NewResolver(ipallow.ResolverConfig{TrustedProxies: cfg.TrustedProxies, Audit: cfg.Audit, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("trusted proxies: %w", err)
	}
	perAccount, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{
		Lists: lists, Message: "IP address not authorized", Audit: cfg.Audit, Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	throttle, err := ratelimit.NewFailureThrottle(ratelimit.FailureConfig{
		Max: cfg.LoginFailures, Store: failures, Message: "Too many failed login attempts", Now: cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	s.Issuer, err = issuer.New(issuer.Config{
		Issuer:    Issuer,
		Audiences: []string{Audience},
		Key:       issuer.SigningKey{Key: secret},
		// Seed 000 documents "JWT (JSON Web Token) based authentication":
		// both tokens of its sample login response are JWTs with the
		// header {"alg":"HS256","typ":"JWT"}. With typ JWT the audience
		// check keeps the two apart: a refresh JWT's aud is Issuer, which
		// the API's bearer middleware never accepts.
		TokenType:   "JWT",
		RefreshJWT:  true,
		AccessTTL:   cfg.AccessTTL,
		RefreshTTL:  cfg.RefreshTTL,
		Refresh:     refresh,
		Credentials: creds,
		Revocations: revocations,
		Accounts:    perAccount,
		Throttle:    throttle,
		BcryptCost:  cfg.BcryptCost,
		Audit:       cfg.Audit,
		Now:         cfg.Now,
	})
	if err != nil {
		return nil, err
	}
	for _, a := range cfg.Accounts {
		prefixes, err := parsePrefixes(a.AllowedIPs)
		if err != nil {
			return nil, fmt.Errorf("account %q allowed IPs: %w", a.Username, err)
		}
		if err := seedList(context.Background(), cfg.Lists, a.ClientID, prefixes); err != nil {
			return nil, fmt.Errorf("account %q allowed IPs: %w", a.Username, err)
		}
	}

	bcfg := s.Issuer.BearerConfig(revocations)
	bcfg.Realm, bcfg.Audit = Issuer, cfg.Audit
	auth, err := bearer.New(bcfg)
	if err != nil {
		return nil, err
	}
	api := gatehouse.Chain(measure("bearer", auth.Middleware), measure("ipallow", perAccount.Middleware))
	if cfg.ReadAhead != nil {
		api = gatehouse.Chain(cfg.ReadAhead, api)
	}

	mux := http.NewServeMux()
	mux.Handle("/auth/login", onlyPost(http.HandlerFunc(s.Issuer.Login)))
	mux.Handle("/auth/refresh", onlyPost(http.HandlerFunc(s.Issuer.Refresh)))
	mux.Handle("/auth/logout", onlyPost(http.HandlerFunc(s.Issuer.Logout)))
	mux.Handle("GET /api/v1/products", api(scopes.Require("products:read")(http.HandlerFunc(listProducts))))
	mux.Handle("GET /api/v1/categories", api(scopes.Require("categories:read")(http.HandlerFunc(listCategories))))
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrNotFound.WithMessage("No such endpoint"))
	}))
	s.handler = gatehouse.Chain(envelope.Use(envelope.Nested), resolver.Middleware)(mux)
	return s, nil
}

// RevokeCredentials ends every session of the account username at once —
// every access and refresh token issued to it so far — for seed 001's
// "revoke old tokens" after a credential rotation, when not every old
// session has an access token at hand to log out with. The account itself
// stays: a session started from the next second on works (remove the old
// credentials from the configuration to retire them). It fails for an
// unknown user name and when a store fails.
func (s *Server) RevokeCredentials(ctx context.Context, username string) error {
	acct, err := s.creds.LookupAccount(ctx, username)
	if err != nil {
		return err
	}
	subject := acct.Subject
	if subject == "" {
		subject = acct.Username
	}
	return s.Issuer.RevokeSubject(ctx, subject)
}

// AllowlistAccount returns the account whose IP whitelist applies to an
// API call of p: its tenant, which is the client id of the account that
// logged in (or its subject, for a token without one). It is the rule
// ipallow.PerPrincipal applies by default, which the server uses; give
// it to a shared store that reads whitelists ahead
// (redisstore.Config.AllowlistAccount).
func AllowlistAccount(p gatehouse.Principal) string {
	if p.Tenant != "" {
		return p.Tenant
	}
	return p.Subject
}

// ServeHTTP serves the reward store API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func credentials(cfg Config) (*issuer.MemoryCredentials, error) {
	accounts := make([]issuer.Account, 0, len(cfg.Accounts))
	for _, a := range cfg.Accounts {
		if a.Username == "" || a.Password == "" || a.ClientID == "" {
			return nil, errors.New("every account needs a username, a password and a client id")
		}
		hash, err := issuer.HashPassword(a.Password, cfg.BcryptCost)
		if err != nil {
			return nil, fmt.Errorf("account %q: %w", a.Username, err)
		}
		accounts = append(accounts, issuer.Account{
			Username:     a.Username,
			PasswordHash: hash,
			Tenant:       a.ClientID, // the whitelist belongs to the client account
			ClientID:     a.ClientID,
			Scopes:       Scopes,
		})
	}
	return issuer.NewMemoryCredentials(accounts...)
}

func parsePrefixes(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		p, err := netip.ParsePrefix(e)
		if err != nil {
			a, aerr := netip.ParseAddr(e)
			if aerr != nil {
				return nil, fmt.Errorf("%q is neither an IP address nor a CIDR prefix", e)
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p)
	}
	return out, nil
}

var errMethod = envelope.New(http.StatusMethodNotAllowed, "MethodNotAllowedError", "METHOD_NOT_ALLOWED", "Use POST")

// onlyPost answers 405 in the envelope for anything but POST.
func onlyPost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			envelope.Write(w, r, errMethod)
			return
		}
		next.ServeHTTP(w, r)
	})
}

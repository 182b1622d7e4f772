// Command resourceserver is an API protected by bearer tokens from any
// OpenID provider (Auth0, Keycloak, Okta, …): it verifies the provider's
// JWTs against its JWK Set and serves
//
//	GET /api/v1/whoami    the caller's Principal
//	GET /api/v1/products  a product list, for tokens with scope products:read
//
// Usage:
//
//	resourceserver -jwks-url https://idp.example.com/.well-known/jwks.json \
//	    -issuer https://idp.example.com/ -audience https://api.example.com
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// options are the command-line settings.
type options struct {
	addr     string
	jwksURL  string
	issuer   string
	audience string
	algs     string
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address")
	flag.StringVar(&o.jwksURL, "jwks-url", "", "the provider's JWK Set URL (jwks_uri)")
	flag.StringVar(&o.issuer, "issuer", "", "accepted token issuer (iss), exactly as the provider writes it")
	flag.StringVar(&o.audience, "audience", "", "accepted audience (aud): this API's identifier")
	flag.StringVar(&o.algs, "algs", "RS256,ES256", "comma-separated signature algorithms to accept")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := run(o, log); err != nil {
		log.Error("resourceserver", "error", err)
		os.Exit(1)
	}
}

func run(o options, log *slog.Logger) error {
	h, auth, err := newHandler(o, log)
	if err != nil {
		return err
	}
	defer auth.Close()

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "issuer", o.issuer, "audience", o.audience)
	if err := serve.Serve(context.Background(), ln, envelope.Recover(log)(h)); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// newHandler builds the API: bearer authentication in front of a mux whose
// products route also requires a scope.
func newHandler(o options, log *slog.Logger) (http.Handler, *bearer.Authenticator, error) {
	if o.jwksURL == "" || o.issuer == "" || o.audience == "" {
		return nil, nil, fmt.Errorf("-jwks-url, -issuer and -audience are required")
	}
	var algs []string
	for a := range strings.SplitSeq(o.algs, ",") {
		if a = strings.TrimSpace(a); a != "" {
			algs = append(algs, a)
		}
	}
	auth, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: algs,
		Issuers:    []bearer.Issuer{{URL: o.issuer, JWKSURL: o.jwksURL}},
		Logger:     log,
		Audiences:  []string{o.audience},
		Leeway:     30 * time.Second,
		Audit:      gatehouse.SlogAuditor(log),
	})
	if err != nil {
		return nil, nil, err
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/whoami", whoami)
	mux.Handle("GET /api/v1/products", scopes.Require("products:read")(http.HandlerFunc(products)))
	return auth.Middleware(mux), auth, nil
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	_ = envelope.OK(w, map[string]any{
		"subject":    p.Subject,
		"tenant":     p.Tenant,
		"client_id":  p.ClientID,
		"scopes":     p.Scopes,
		"method":     p.Method,
		"token_id":   p.TokenID,
		"session_id": p.SessionID,
		"expires_at": p.ExpiresAt,
	})
}

func products(w http.ResponseWriter, r *http.Request) {
	_ = envelope.OK(w, []map[string]any{
		{"id": "p_1", "name": "Gift card", "price": 2500},
		{"id": "p_2", "name": "VIP rank", "price": 999},
	})
}

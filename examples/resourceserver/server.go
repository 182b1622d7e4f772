package main

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
	"github.com/gatehouse-go/gatehouse/scopes"
)

// routes is the scope table of the API: every route it serves and the
// scopes each needs. It feeds both the scopes.Enforcer and the
// scopes_supported member of the metadata document.
var routes = map[string]scopes.Rule{
	"GET /api/v1/whoami":   {},
	"GET /api/v1/products": {All: []string{"products:read"}},
}

// newHandler builds the API: /readyz and the metadata document (when
// o.resource is set) as they are, every other path behind bearer
// authentication and the scope table. It does not wait for the issuers'
// key sets: they are fetched in the background, and a token of an issuer
// without keys yet is answered 503.
// With tel, the decisions are measured too (beside the log), the two
// steps timed and the key-set refreshes counted.
func newHandler(o options, log *slog.Logger, tel *otelgatehouse.Telemetry) (http.Handler, *bearer.Authenticator, error) {
	audit := gatehouse.SlogAuditor(log)
	measure := func(_ string, mw gatehouse.Middleware) gatehouse.Middleware { return mw }
	var onFetch func(bearer.FetchResult)
	if tel != nil {
		audit = gatehouse.Auditors(audit, tel)
		measure, onFetch = tel.Measure, tel.KeySetFetched
	}
	var meta bearer.ResourceMetadata
	if o.resource != "" {
		meta = bearer.ResourceMetadata{Resource: o.resource, ResourceName: "gatehouse resourceserver example"}
	}
	// The 403 challenges name the metadata document too (meta.URL is ""
	// without a resource, or for an invalid one, which bearer.New refuses).
	perms, err := scopes.New(scopes.Config{Realm: "api", Routes: routes, ResourceMetadata: meta.URL(), Audit: audit})
	if err != nil {
		return nil, nil, err
	}
	if o.resource != "" {
		meta.ScopesSupported = perms.Scopes()
	}
	var proofs *dpop.Verifier
	if o.dpop != bearer.DPoPOff {
		// Proofs name the URL the client called: this API's public
		// origin, when -resource gives it.
		proofs, err = dpop.New(dpop.Config{Origin: origin(o.resource)})
		if err != nil {
			return nil, nil, err
		}
	}
	auth, err := bearer.New(bearer.Config{
		Realm:      "api",
		Algorithms: o.algs,
		Issuers:    o.issuers,
		DPoP:       bearer.DPoP{Mode: o.dpop, Verifier: proofs},
		Metadata:   meta,
		Logger:     log,
		Leeway:     30 * time.Second,
		Audit:      audit,
		Fetch:      bearer.Fetch{OnResult: onFetch},
	})
	if err != nil {
		return nil, nil, err
	}

	api := http.NewServeMux()
	api.HandleFunc("GET /api/v1/whoami", whoami)
	api.HandleFunc("GET /api/v1/products", products)

	root := http.NewServeMux()
	root.Handle("GET /readyz", readyz(auth))
	if o.resource != "" {
		root.Handle("GET "+meta.Path(), auth.MetadataHandler())
	}
	root.Handle("/", gatehouse.Chain(measure("bearer", auth.Middleware), measure("scopes", perms.Middleware))(api))
	return root, auth, nil
}

func whoami(w http.ResponseWriter, r *http.Request) {
	p, _ := gatehouse.PrincipalFrom(r.Context())
	var issuer string
	if c, ok := p.Claims.(bearer.Claims); ok {
		issuer, _ = c.String("iss")
	}
	_ = envelope.OK(w, map[string]any{
		"issuer":     issuer,
		"subject":    p.Subject,
		"tenant":     p.Tenant,
		"client_id":  p.ClientID,
		"scopes":     p.Scopes,
		"method":     p.Method,
		"token_id":   p.TokenID,
		"session_id": p.SessionID,
		"expires_at": p.ExpiresAt,
		"dpop_jkt":   p.Confirmation.JKT,
	})
}

func products(w http.ResponseWriter, r *http.Request) {
	_ = envelope.OK(w, []map[string]any{
		{"id": "p_1", "name": "Gift card", "price": 2500},
		{"id": "p_2", "name": "VIP rank", "price": 999},
	})
}

// origin returns the scheme and host of the resource identifier u, or ""
// (the request's own) when u is empty or not a URL.
func origin(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme == "" || p.Host == "" {
		return ""
	}
	return p.Scheme + "://" + p.Host
}

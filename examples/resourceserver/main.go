// Command resourceserver is an API protected by the access tokens of one or
// more OpenID providers (Auth0, Okta, Keycloak, Microsoft Entra ID, …). Given
// an issuer URL, it finds the provider's JWK Set by discovery, verifies the
// provider's JWTs against it, and serves
//
//	GET /api/v1/whoami                         the caller's Principal
//	GET /api/v1/products                       a product list; needs scope products:read
//	GET /readyz                                200 once every issuer has keys, else 503
//	GET /.well-known/oauth-protected-resource  this API's metadata (RFC 9728)
//
// Run it from the repository root:
//
//	go run ./examples/resourceserver -issuer https://TENANT.auth0.com/ -audience https://api.example.com
//
// or, to try it without a provider, with -demo: a stand-in provider on the
// same listener, whose test tokens it prints.
//
// # Flags
//
// -issuer URL names an accepted issuer, exactly as its tokens' "iss" spell
// it. Repeat it to accept several providers. The flags that follow an
// -issuer, up to the next one, configure that issuer only:
//
//	-audience AUD       an accepted "aud" (required; repeat to accept several)
//	-jwks-url URL       the issuer's JWK Set, instead of discovery
//	-typ TYPE           the "typ" header its access tokens must carry, e.g. at+jwt
//	-scope-claim NAME   the claim holding its scopes (scp, roles, permissions, …)
//
// A per-issuer flag before the first -issuer is an error: with several
// providers, each audience belongs to one of them, and a token is checked
// against the audiences of its own issuer only. For example
//
//	resourceserver \
//	    -issuer https://TENANT.auth0.com/ -audience https://api.example.com -typ at+jwt \
//	    -issuer https://login.microsoftonline.com/TENANT_ID/v2.0 -audience CLIENT_ID -scope-claim scp
//
// The other flags are global: -algs (the accepted signature algorithms,
// default RS256,ES256), -resource (this API's RFC 9728 resource identifier,
// default http://<listen address>) and -addr (default 127.0.0.1:8080).
//
// # Startup and readiness
//
// The server listens at once: key sets are discovered and fetched in the
// background, and a token of an issuer without keys yet is answered 503.
// /readyz says when every issuer has a usable key set; the log says when
// each issuer becomes ready, and bearer logs every failed fetch.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, nil)
	stop()
	serve.Exit("resourceserver", err)
}

// run parses args, starts the server and serves until ctx is done, then
// shuts down gracefully. Where it listens (and, with -demo, the test
// tokens) goes to stdout, the log to stderr. ready, when not nil, receives
// the listener's address once it accepts connections.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	if o.resource == "" {
		if o.resource, err = defaultResource(o.addr, ln.Addr()); err != nil {
			_ = ln.Close()
			return err
		}
	}
	var demo *demoProvider
	if o.demo {
		if demo, err = newDemoProvider(ln.Addr()); err != nil {
			_ = ln.Close()
			return err
		}
		o.issuers = append(o.issuers, demo.config())
		log.Warn("demo mode: the server trusts the tokens of its own stand-in provider, for a local try only", "issuer", demo.issuer)
	}
	var admin *serve.Admin
	var tel *otelgatehouse.Telemetry
	if o.metricsAddr != "" {
		if admin, err = serve.NewAdmin(o.metricsAddr, log); err != nil {
			_ = ln.Close()
			return err
		}
		tel = admin.Telemetry
	}
	h, auth, err := newHandler(o, log, tel)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer func() { _ = auth.Close() }()
	if admin != nil {
		if _, err := tel.ObserveKeySets(auth); err != nil {
			_ = ln.Close()
			return err
		}
		admin.Ready("issuers", auth.Ready)
	}
	if demo != nil {
		mux := http.NewServeMux()
		demo.handle(mux)
		mux.Handle("/", h)
		h = mux
	}

	for _, is := range o.issuers {
		attrs := []any{"url", is.URL, "audiences", is.Audiences, "keys", "discovery"}
		if is.JWKSURL != "" {
			attrs[5] = is.JWKSURL
		}
		if is.TokenType != "" {
			attrs = append(attrs, "typ", is.TokenType)
		}
		if is.ScopeClaim != "" {
			attrs = append(attrs, "scope_claim", is.ScopeClaim)
		}
		log.Info("issuer", attrs...)
	}
	log.Info("listening", "addr", ln.Addr().String(), "resource", o.resource, "algs", o.algs)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		watchReadiness(ctx, auth, o.issuers, log, time.Second, 10*time.Second)
	}()
	defer func() { cancel(); <-watched }()

	if err := serve.Banner(stdout, func(w io.Writer) error { return printBanner(w, ln.Addr().String(), demo) }); err != nil {
		_ = ln.Close()
		return err
	}
	if admin != nil {
		admin.PrintBanner(stdout)
		stop := admin.Run(ctx)
		defer stop()
	}
	if ready != nil {
		ready <- ln.Addr().String() // the listener already accepts connections
	}
	return serve.Serve(ctx, ln, envelope.Recover(log)(h))
}

// printBanner says where the server listens and, with the demo provider,
// prints its test tokens as an export line and commands to try them.
func printBanner(w io.Writer, addr string, demo *demoProvider) error {
	fmt.Fprintf(w, "resourceserver listening on http://%s\n", addr)
	if demo == nil {
		return nil
	}
	token, err := demo.token("products:read")
	if err != nil {
		return err
	}
	noScope, err := demo.token("")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `
Demo provider (-demo, for a local try only): issuer %[2]s, audience %[3]s.
Test tokens it signed, valid for an hour (TOKEN has products:read, NO_SCOPE_TOKEN no scope):
  export TOKEN=%[4]s NO_SCOPE_TOKEN=%[5]s

Try, after the export above (the first waits until the key set is found):
  curl -s --retry 10 --retry-delay 1 http://%[1]s/readyz   # → 200
  curl -H "Authorization: Bearer $TOKEN" http://%[1]s/api/v1/products   # → 200
  curl -H "Authorization: Bearer $NO_SCOPE_TOKEN" http://%[1]s/api/v1/products   # → 403

`, addr, demo.issuer, demoAudience, token, noScope)
	return nil
}

// defaultResource returns the resource identifier of an API listening on
// addr (the -addr flag; actual is the listener's address, whose port
// replaces a 0 or missing one): http://host:port, with "localhost" for an
// empty or unspecified host. Only a loopback host may be served over plain
// http, so any other needs -resource.
func defaultResource(addr string, actual net.Addr) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	if _, p, err := net.SplitHostPort(actual.String()); err == nil && (port == "" || port == "0") {
		port = p
	}
	ip := net.ParseIP(host)
	switch {
	case host == "" || ip != nil && ip.IsUnspecified():
		host = "localhost"
	case host != "localhost" && (ip == nil || !ip.IsLoopback()):
		return "", fmt.Errorf("-addr %s is not a loopback address: set -resource to this API's https URL", addr)
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", errors.New("-addr has no port")
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

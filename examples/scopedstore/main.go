// Command scopedstore rebuilds the external API of seed 004 (Pixlpay's
// "Authentication" guide) on gatehouse: opaque bearer API tokens with eleven
// resource scopes, multi-tenant stores selected by the Host header, token
// rotation, a per-token rate limit and seed 004's flat error envelope. Run it
// with
//
//	go run ./examples/scopedstore            (from the repository root)
//
// and see README.md, or -help, for its configuration.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/examples/scopedstore/server"
)

func usage() string {
	var b strings.Builder
	b.WriteString(`Usage: scopedstore [-addr host:port] [-tls-cert file -tls-key file] [-metrics-addr host:port]

Seed 004's external API (base path /api/external/v1) on gatehouse: opaque bearer
API tokens, eleven scopes, one store per Host ("acme.localhost:8080" is store
"acme"), token rotation and a per-token rate limit.

Flags:
  -addr string    listen address (default "127.0.0.1:8080")
` + serve.TLSUsage + `                  Give both or neither; without them the API is plain HTTP.
` + serve.MetricsUsage + `
Environment:
  TOKENS_FILE   JSON list of API tokens loaded at start and kept only hashed:
                  [{"token":"<at least 16 chars>","store":"acme","scopes":["products:read"],
                    "expires_at":"2026-12-31T23:59:59Z"}]
                expires_at is optional (RFC 3339; absent or null: never expires);
                from that instant the token gets 401, like a revoked one.
                Every store named there exists, with sample data. Without it,
                three demo tokens are generated and printed: acme with every
                scope, acme read-only, and globex with every scope.
  RATE_LIMIT    requests per minute per token (default 60); a 429 carries
                Retry-After and RateLimit-* headers.

Routes (Authorization: Bearer <token>):
`)
	for _, r := range server.Routes() {
		fmt.Fprintf(&b, "  %-6s %-40s %s\n", r.Method, server.BasePath+r.Path, r.Scope)
	}
	b.WriteString(`
POST /tokens takes {"name":"ci","scopes":["products:read"],"expires_at":"2026-12-31T23:59:59Z"}:
a subset of the caller's scopes and an optional expires_at (RFC 3339, in the
future; a malformed or past value is 400). An expired token gets 401.

A Host header names the store: curl -H 'Host: acme.localhost' http://127.0.0.1:8080/...
or http://acme.localhost:8080/... where *.localhost resolves to loopback.
`)
	return b.String()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr, nil)
	stop()
	serve.Exit("scopedstore", err)
}

// run starts the server and serves until ctx is done (SIGINT or SIGTERM in
// the command), then shuts down gracefully. ready, when not nil, receives the
// listener's address once it accepts connections.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := serve.NewFlagSet("scopedstore", usage(), stderr)
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	tlsFlags := serve.AddTLSFlags(fs)
	metricsAddr := serve.AddMetricsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	tlsCfg, err := tlsFlags.Config() // before listening: a bad file fails at start
	if err != nil {
		return err
	}
	cfg, demo, err := server.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	admin, err := serve.OpenAdmin(*metricsAddr, log)
	if err != nil {
		return err
	}
	cfg.Audit = admin.Auditor(gatehouse.SlogAuditor(log))
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	certFile := ""
	if tlsCfg != nil {
		certFile = tlsFlags.CertFile
	}
	if err := serve.Banner(stdout, func(w io.Writer) error {
		printBanner(w, ln.Addr().String(), certFile, cfg, srv, demo)
		return nil
	}); err != nil {
		ln.Close()
		return err
	}
	defer admin.Start(ctx, stdout)()

	if ready != nil {
		ready <- ln.Addr().String() // the listener already accepts connections
	}
	h := envelope.Recover(slog.New(slog.NewTextHandler(stderr, nil)))(srv)
	if tlsCfg != nil {
		return serve.ServeTLS(ctx, ln, h, tlsCfg)
	}
	return serve.Serve(ctx, ln, h)
}

// printBanner tells where the API listens (over HTTPS when certFile, the
// -tls-cert file, is not empty) and, for generated demo tokens, prints them
// with ready-made curl lines. Tokens from TOKENS_FILE are never printed.
func printBanner(w io.Writer, addr, certFile string, cfg server.Config, srv *server.Server, demo bool) {
	stores := srv.Stores()
	_, port, _ := net.SplitHostPort(addr)
	rpm := cfg.RateLimit
	if rpm == 0 {
		rpm = server.DefaultRateLimit
	}
	scheme, curl := "http", "curl"
	if certFile != "" {
		// The certificate itself is the trust anchor when self-signed; for
		// one issued by a CA, --cacert names that CA instead. Never -k.
		scheme, curl = "https", "curl --cacert "+certFile+" --tlsv1.2"
		fmt.Fprintf(w, "scopedstore listening on %s (HTTPS, TLS 1.2 or higher)\n", addr)
	} else {
		fmt.Fprintf(w, "scopedstore listening on %s\n", addr)
	}
	fmt.Fprintf(w, "  stores: %s (select one with the Host header, e.g. %s.localhost:%s)\n", strings.Join(stores, ", "), stores[0], port)
	fmt.Fprintf(w, "  rate limit: %d requests per minute per token\n", rpm)
	if !demo {
		now := time.Now
		if cfg.Now != nil {
			now = cfg.Now
		}
		expired := 0
		for _, t := range cfg.Tokens {
			if !t.ExpiresAt.IsZero() && !now().Before(t.ExpiresAt) {
				expired++
			}
		}
		fmt.Fprintf(w, "  TOKENS_FILE: %d token(s) loaded, kept hashed", len(cfg.Tokens))
		if expired > 0 {
			fmt.Fprintf(w, "; %d already expired (answered 401)", expired)
		}
		fmt.Fprint(w, "\n\n")
		return
	}
	fmt.Fprintln(w, "\nTOKENS_FILE not set: demo tokens generated for this run (they die with the process):")
	for _, t := range cfg.Tokens {
		kind := "every scope"
		if len(t.Scopes) < len(server.ScopeNames()) {
			kind = strings.Join(t.Scopes, " ")
		}
		fmt.Fprintf(w, "  store %-7s %s\n    scopes: %s\n", t.Store, t.Token, kind)
	}
	full, readOnly, other := cfg.Tokens[0], cfg.Tokens[1], cfg.Tokens[2]
	fmt.Fprintf(w, "\nAs shell variables (TOKEN: acme, every scope; READONLY_TOKEN: acme, read-only; GLOBEX_TOKEN: globex):\n")
	fmt.Fprintf(w, "  export TOKEN=%s READONLY_TOKEN=%s GLOBEX_TOKEN=%s\n", full.Token, readOnly.Token, other.Token)
	base := scheme + "://127.0.0.1:" + port + server.BasePath
	host := func(store string) string { return "-H 'Host: " + store + ".localhost:" + port + "' " }
	fmt.Fprintf(w, "\nTry, after the export above (curl also resolves %s://%s.localhost:%s directly):\n", scheme, full.Store, port)
	fmt.Fprintf(w, "  %s %s-H \"Authorization: Bearer $TOKEN\" %s/products   # → 200\n", curl, host(full.Store), base)
	fmt.Fprintf(w, "  %s -X POST %s-H \"Authorization: Bearer $READONLY_TOKEN\" %s/orders/%s/fulfill   # → 403: read-only token, no orders:write\n", curl, host(readOnly.Store), base, srv.PaidOrder(readOnly.Store))
	fmt.Fprintf(w, "  %s %s-H \"Authorization: Bearer $GLOBEX_TOKEN\" %s/products   # → 403: another store's token\n", curl, host(full.Store), base)
	fmt.Fprintf(w, "  %s -X POST %s-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' -d '{\"name\":\"ci\",\"scopes\":[\"products:read\"]}' %s/tokens   # → 201\n", curl, host(full.Store), base)
	fmt.Fprintf(w, "  %s %s%s/products   # → 401: no token\n\n", curl, host(full.Store), base)
}

// Command platform rebuilds seed 003's four API surfaces on gatehouse: the
// Reseller and Storefront APIs with HS256 JWT bearer tokens (one audience
// each), the Payment and Supplier APIs with an API key in the ApiKey header,
// bound to the tenant named by X-Tenant-ID. Errors are {"code":N,"message"}
// with code -23 for every 401. Run it with
//
//	go run ./examples/platform            (from the repository root)
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
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/examples/platform/server"
)

const usage = `Usage: platform [-addr host:port] [-metrics-addr host:port]

Seed 003's platform on gatehouse: four API surfaces, two mechanisms.

Routes:
%s
Flags:
  -addr string   listen address (default "127.0.0.1:8080")
` + serve.MetricsUsage + `
Environment:
  JWT_SECRET          HS256 key of both JWT surfaces, at least 32 bytes (unset: random per start)
  PLATFORM_TENANT     the tenant of the accounts and keys (default "acme")
  SUPPLIER_API_KEY    the tenant's Supplier API key (unset: generated and printed)
  PAYMENT_API_KEY     the tenant's Payment API key (unset: generated and printed)
  RESELLER_USERNAME   partner login for POST /Token/Generate (default "partner")
  RESELLER_PASSWORD   partner password (default "partner-demo-password")
  RESELLER_SCOPES     partner token scopes (default "orders:read orders:write")
  CUSTOMER_EMAIL      customer login for POST /Storefront/Login (default "jane@acme.example")
  CUSTOMER_PASSWORD   customer password (default "customer-demo-password")
  CUSTOMER_SCOPES     customer token scopes (default "account:read orders:read")
  TOKEN_TTL           access-token lifetime, a Go duration (default 1h)

Failures:
  JWT     401 (code -23) missing header, malformed token, no "Bearer " prefix, expired,
              revoked, or a token of the other JWT surface; 403 (code -24) lacking the scope
  ApiKey  401 (code -23) missing, malformed, expired, revoked, or another tenant's key;
          403 (code -24) the key's tenant has no access to the surface
  Other codes: -25 invalid request (400/413/415), -26 not found, -27 method not allowed,
               -29 too many failed logins (429), -30 internal error, -31 unavailable (503)
`

// bcryptCost is the cost the command hashes the account passwords at; 0
// means bcrypt's default. Tests lower it: under the race detector one hash
// at the default cost takes seconds.
var bcryptCost int

func main() {
	serve.Exit("platform", run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func routeTable() string {
	var b strings.Builder
	for _, r := range server.Routes() {
		auth := r.Auth
		if r.Scope != "" {
			auth += " " + r.Scope
		}
		fmt.Fprintf(&b, "  %-5s %-31s %-11s %-22s %s\n", r.Method, r.Path, r.Surface, auth, r.Description)
	}
	return b.String()
}

// run parses args, serves until ctx is done or SIGINT/SIGTERM, and prints
// the demo commands to stdout.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := serve.NewFlagSet("platform", fmt.Sprintf(usage, routeTable()), stderr)
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	metricsAddr := serve.AddMetricsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg, err := server.FromEnv(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	admin, err := serve.OpenAdmin(*metricsAddr, log)
	if err != nil {
		return err
	}
	cfg.Audit = admin.Auditor(gatehouse.SlogAuditor(log))
	cfg.BcryptCost = bcryptCost
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	if err := serve.Banner(stdout, func(w io.Writer) error {
		fmt.Fprintf(w, "platform listening on %s (tenant %s)\n", base, cfg.Tenant)
		printDemo(w, base, cfg, getenv)
		return nil
	}); err != nil {
		ln.Close()
		return err
	}
	defer admin.Start(ctx, stdout)()

	return serve.Serve(ctx, ln, envelope.Recover(slog.New(slog.NewTextHandler(stderr, nil)))(srv))
}

// printDemo prints the credentials that were defaulted or generated (never
// those set in the environment) and ready curl commands.
func printDemo(w io.Writer, base string, cfg server.Config, getenv func(string) string) {
	var exports []string
	for _, v := range []struct{ name, value string }{
		{server.EnvSupplierKey, cfg.SupplierKey}, {server.EnvPaymentKey, cfg.PaymentKey},
		{server.EnvResellerUsername, cfg.Reseller.Username}, {server.EnvResellerPassword, cfg.Reseller.Password},
		{server.EnvCustomerEmail, cfg.Customer.Username}, {server.EnvCustomerPassword, cfg.Customer.Password},
	} {
		if getenv(v.name) == "" {
			exports = append(exports, v.name+"="+v.value)
		}
	}
	if len(exports) > 0 {
		fmt.Fprintf(w, "\nDemo credentials (defaults, and API keys generated for this run; set them in the environment to keep them):\n  export %s\n", strings.Join(exports, " "))
	}
	if getenv(server.EnvJWTSecret) == "" {
		fmt.Fprintln(w, "JWT_SECRET is unset: tokens are signed with a random key and die with the process.")
	}
	fmt.Fprintf(w, `
Try, after the export above (jq extracts the token):
  RESELLER_TOKEN=$(curl -s -H "Content-Type: application/json" -d '{"username":"'"$RESELLER_USERNAME"'","password":"'"$RESELLER_PASSWORD"'"}' %[1]s/Token/Generate | jq -r .data.access_token)   # → 200
  curl -X POST -H "Authorization: Bearer $RESELLER_TOKEN" %[1]s/Orders/Create   # → 201
  curl -H "Authorization: Bearer $RESELLER_TOKEN" %[1]s/Orders/List   # → 200

  STOREFRONT_TOKEN=$(curl -s -H "Content-Type: application/json" -d '{"username":"'"$CUSTOMER_EMAIL"'","password":"'"$CUSTOMER_PASSWORD"'"}' %[1]s/Storefront/Login | jq -r .data.access_token)   # → 200
  curl -H "Authorization: Bearer $STOREFRONT_TOKEN" %[1]s/Storefront/Account   # → 200
  curl -X POST -H "Authorization: Bearer $STOREFRONT_TOKEN" %[1]s/Orders/Create   # → 401 -23: wrong audience

  curl -X POST -H "ApiKey: $SUPPLIER_API_KEY" -H "Content-Type: application/json" %[1]s/Supplier/Products/List   # → 200
  curl -X POST -H "ApiKey: $PAYMENT_API_KEY" -H "X-Tenant-ID: %[2]s" -H "Content-Type: application/json" -d '{"amount":1999,"currency":"EUR"}' %[1]s/Payment/Charges/Create   # → 201
  curl -X POST -H "ApiKey: $PAYMENT_API_KEY" %[1]s/Supplier/Products/List   # → 403 -24: no Supplier access
  curl -X POST -H "ApiKey: $SUPPLIER_API_KEY" -H "X-Tenant-ID: globex" %[1]s/Supplier/Products/List   # → 401 -23: another tenant

`, base, cfg.Tenant)
}

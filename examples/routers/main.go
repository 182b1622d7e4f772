// Command routers serves one tiny protected API on the router of your
// choice — the standard library's ServeMux, chi, gin or echo — to show that
// the same gatehouse middleware guard it on each: directly on the standard
// mux and chi, through gatehousegin.Wrap and gatehouseecho.Wrap on gin and
// echo. Run it from the repository root with
//
//	go run ./examples/routers -router gin
//
// The API:
//
//	GET /api/v1/whoami   any valid token; answers its Principal
//	GET /api/v1/orders   tokens with the "orders:read" scope
//
// It accepts HS256 tokens signed with a random key made at start and kept
// in memory only; the banner prints two test tokens, valid for 1h, as an
// export line to paste into a shell, and curl lines that use them. See
// README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

const usage = `Usage: routers [-router std|chi|gin|echo] [-addr host:port]

Serves a tiny protected API on the chosen router:
  GET /api/v1/whoami   any valid token; answers its Principal
  GET /api/v1/orders   tokens with the "orders:read" scope

The tokens are HS256 JWTs signed with a random key made at start and kept
in memory only, so they are valid while this server runs (and for 1h at
most). The banner prints two as an export line to paste, and curl lines
that use them:
  READER_TOKEN   subject "reader", scope "profile"
  CLERK_TOKEN    subject "clerk", scopes "orders:read profile"

Flags:
  -router string   std, chi, gin or echo (default "std")
  -addr string     listen address (default "127.0.0.1:8080")
`

func main() {
	serve.Exit("routers", run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx is done or the process is interrupted.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := serve.NewFlagSet("routers", usage, stderr)
	router := fs.String("router", "std", "std, chi, gin or echo")
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	build, ok := routers[*router]
	if !ok {
		return fmt.Errorf("unknown -router %q: one of %s", *router, strings.Join(routerNames(), ", "))
	}

	key := newKey()
	guards, err := newGuards(key, envelope.Recover(slog.New(slog.NewTextHandler(stderr, nil))))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := serve.Banner(stdout, func(w io.Writer) error {
		return printBanner(w, *router, ln.Addr().String(), key, time.Now())
	}); err != nil {
		ln.Close()
		return err
	}
	return serve.Serve(ctx, ln, build(guards))
}

// routerNames returns the -router values, sorted.
func routerNames() []string {
	names := make([]string, 0, len(routers))
	for name := range routers {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// printBanner prints where the API listens, an export line with a token
// of each test caller, signed with key at now, and curl lines to try, each
// with the status it gets (`# → 200`), as examples/README.md describes.
func printBanner(w io.Writer, router, addr string, key []byte, now time.Time) error {
	base := "http://" + addr
	fmt.Fprintf(w, "routers: the orders API on %s, listening on %s\n\n", router, base)
	fmt.Fprintln(w, "  GET /api/v1/whoami   any valid token; answers its Principal")
	fmt.Fprintln(w, `  GET /api/v1/orders   tokens with the "orders:read" scope`)
	fmt.Fprintln(w, "\nTwo test tokens, valid for 1h, signed with a key made for this run and kept in")
	fmt.Fprintln(w, `memory (READER_TOKEN: scope "profile"; CLERK_TOKEN: scopes "orders:read profile").`)
	fmt.Fprintln(w, "Paste the export line, then try the curl lines:")
	exports := make([]string, 0, len(users))
	for _, u := range users {
		tok, err := mint(key, u.subject, now)
		if err != nil {
			return err
		}
		exports = append(exports, u.variable+"="+tok)
	}
	fmt.Fprintf(w, "  export %s\n\n", strings.Join(exports, " "))
	try := []struct{ cmd, expect string }{
		{"curl -i " + base + "/api/v1/whoami", "401: no token"},
		{`curl -i -H "Authorization: Bearer $READER_TOKEN" ` + base + "/api/v1/whoami", "200"},
		{`curl -i -H "Authorization: Bearer $READER_TOKEN" ` + base + "/api/v1/orders", "403: reader lacks orders:read"},
		{`curl -i -H "Authorization: Bearer $CLERK_TOKEN" ` + base + "/api/v1/orders", "200"},
	}
	width := 0
	for _, t := range try {
		width = max(width, len(t.cmd))
	}
	for _, t := range try {
		fmt.Fprintf(w, "  %-*s   # → %s\n", width, t.cmd, t.expect)
	}
	fmt.Fprintln(w)
	return nil
}

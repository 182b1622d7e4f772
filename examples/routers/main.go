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
// It accepts HS256 tokens signed with a key made for the run; the banner
// prints two, and go run ./examples/routers -token reader|clerk prints a
// fresh one while the server runs. See README.md.
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
       routers -token reader|clerk [-addr host:port]

Serves a tiny protected API on the chosen router:
  GET /api/v1/whoami   any valid token; answers its Principal
  GET /api/v1/orders   tokens with the "orders:read" scope

The tokens are HS256 JWTs signed with a random key made at start. With
-token, prints a token of the server running on -addr, valid for 1h:
  reader   scope "profile"
  clerk    scope "orders:read profile"

Flags:
  -router string   std, chi, gin or echo (default "std")
  -addr string     listen address, or with -token the server's (default "127.0.0.1:8080")
  -token string    print a token for this test caller and exit
`

func main() {
	serve.Exit("routers", run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// run serves until ctx is done or the process is interrupted; with -token
// it prints a token and returns.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := serve.NewFlagSet("routers", usage, stderr)
	router := fs.String("router", "std", "std, chi, gin or echo")
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	token := fs.String("token", "", "print a token for this test caller and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -help)", fs.Arg(0))
	}
	if *token != "" {
		key, err := loadKey(*addr)
		if err != nil {
			return err
		}
		tok, err := mint(key, *token, time.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, tok)
		return nil
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
	remove, err := saveKey(keyPath(ln.Addr().String()), key)
	if err != nil {
		ln.Close()
		return err
	}
	defer remove()
	if err := printBanner(stdout, *router, ln.Addr().String(), *addr, key); err != nil {
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

// printBanner prints where the API listens, a token of each test caller and
// curl lines to try. flagAddr is the -addr given, repeated in the -token
// line when it is not the default.
func printBanner(w io.Writer, router, addr, flagAddr string, key []byte) error {
	base := "http://" + addr
	fmt.Fprintf(w, "routers: the orders API on %s, listening on %s\n\n", router, base)
	fmt.Fprintln(w, "  GET /api/v1/whoami   any valid token; answers its Principal")
	fmt.Fprintln(w, `  GET /api/v1/orders   tokens with the "orders:read" scope`)
	fmt.Fprintln(w, "\nTest tokens, valid for 1h (signed with a key made for this run):")
	tokens := map[string]string{}
	for _, u := range users {
		tok, err := mint(key, u.subject, time.Now())
		if err != nil {
			return err
		}
		tokens[u.subject] = tok
		fmt.Fprintf(w, "  %-7s scope %-22q %s\n", u.subject, u.scope, tok)
	}
	tokenCmd := "go run ./examples/routers -token clerk"
	if flagAddr != serve.DefaultAddr {
		tokenCmd += " -addr " + addr
	}
	fmt.Fprintf(w, "\nMore, while this server runs: %s\n", tokenCmd)
	fmt.Fprintf(w, "\nTry:\n")
	fmt.Fprintf(w, "  curl -i %s/api/v1/whoami   # 401\n", base)
	fmt.Fprintf(w, "  curl -i -H 'Authorization: Bearer %s' %s/api/v1/whoami   # 200\n", tokens["reader"], base)
	fmt.Fprintf(w, "  curl -i -H 'Authorization: Bearer %s' %s/api/v1/orders   # 403\n", tokens["reader"], base)
	fmt.Fprintf(w, "  curl -i -H 'Authorization: Bearer %s' %s/api/v1/orders   # 200\n\n", tokens["clerk"], base)
	return nil
}

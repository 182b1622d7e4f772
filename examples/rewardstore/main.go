// Command rewardstore is gatehouse's main example: the authentication
// surface of seed 000 ("The Popup Reward Store API") — login, refresh with
// rotation and reuse detection, logout, per-account IP whitelists — in
// front of a small in-memory catalogue. Run it with
//
//	go run ./examples/rewardstore            (from the repository root)
//
// and see README.md, or -help, for its configuration.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/monitor"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

const usage = `Usage: rewardstore [-addr host:port] [-redis-addr address] [-tls-cert file -tls-key file] [-metrics-addr host:port]

The Popup Reward Store API (seed 000) on gatehouse.

Endpoints:
  POST /auth/login          {"username","password"} -> access + refresh token pair
  POST /auth/refresh        {"refresh_token"}       -> new pair (the old refresh token dies)
  POST /auth/logout         Authorization: Bearer <access> -> revokes the session
  GET  /api/v1/products     Authorization: Bearer <access>
  GET  /api/v1/categories   Authorization: Bearer <access>

Flags:
  -addr string         listen address (default "127.0.0.1:8080")
  -redis-addr string   Redis to share refresh families, revocations, IP whitelists and
                       failed-login counts with other instances (default $REDIS_ADDR;
                       empty = in memory, this instance only). One of:
                         host:port                  a single node
                         host:port,host:port,...    the seed nodes of a Redis Cluster
                         redis://[user:password@]host:port[/db]   (rediss:// for TLS)
                                                    a single node; with addr=host:port
                                                    parameters or cluster=true, a cluster
` + serve.TLSUsage + `                  Seed 001: "Always use HTTPS". Give both or neither; without them
                  the API is plain HTTP (put it behind a TLS proxy and set
                  TRUSTED_PROXIES instead).
` + serve.MetricsUsage + `                  /readyz checks that Redis answers, with -redis-addr.

Environment:
  JWT_SECRET        HS256 signing secret, at least 32 bytes (default: random per start)
  DEMO_USERNAME     demo account user name (default "demo")
  DEMO_PASSWORD     demo account password (default "demo-password")
  DEMO_CLIENT_ID    demo account numeric client id (default 123456)
  DEMO_ALLOWED_IPS  comma list of IPs/CIDRs the demo account may use (default: empty = all)
  DEMO_NEW_USERNAME, DEMO_NEW_PASSWORD
                    seed 001's rotated credentials: a second user name of the demo
                    client (same client id and whitelist); both or neither (default: none)
  PARTNER_USERNAME  partner account user name (default "partner")
  PARTNER_PASSWORD  partner account password (default: see below)
  PARTNER_ALLOWED_IPS
                    comma list of IPs/CIDRs the partner account may use (default: empty = all)
  TRUSTED_PROXIES   comma list of proxy CIDRs whose X-Forwarded-For is believed
                    (default: empty = only the connection address counts)
  ACCESS_TTL        access token lifetime, Go duration (default 1h)
  REFRESH_TTL       refresh token lifetime, Go duration (default 168h)
  REDIS_ADDR        default of -redis-addr
  REDIS_PREFIX      prefix of the keys in Redis (default "rewardstore:"); every instance
                    of one fleet uses the same
  REDIS_MIN_REPLICAS
                    replicas that must hold a revocation before a logout answers
                    (Redis WAIT; default 0), so a failover right after it loses nothing
  REDIS_SKIP_SERVER_CHECK
                    true skips the start-up check of Redis's configuration (CONFIG
                    GET maxmemory-policy …), for a managed Redis that forbids CONFIG
  REDIS_LOCAL_CACHE true keeps revocation answers and whitelists in the instance,
                    invalidated by Redis: an unchanged API call makes no round trip

A second account, partner (client id 654321), has no IP restrictions by default. Its
password is PARTNER_PASSWORD; unset, it is the public partner-password only while
DEMO_PASSWORD is unset too (the pure demo), and otherwise there is no partner account.
`

// bcryptCost is the cost the command hashes the account passwords at; 0
// means bcrypt.DefaultCost. Tests that start many instances lower it.
var bcryptCost int

func main() {
	// go-redis's own lines (a failed dial, a cluster reloading its slots)
	// in the same format as the server's log; go-redis has one logger per
	// process, so the command, not run, sets it.
	redisstore.SetRedisLogger(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	serve.Exit("rewardstore", run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run serves until ctx is done or the process is interrupted.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := serve.NewFlagSet("rewardstore", usage, stderr)
	addr := fs.String("addr", serve.DefaultAddr, "listen address")
	redisAddr := fs.String("redis-addr", getenv("REDIS_ADDR"), "Redis address for shared state")
	tlsFlags := serve.AddTLSFlags(fs)
	metricsAddr := serve.AddMetricsFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	tlsCfg, err := tlsFlags.Config() // before anything else: a bad file fails at start
	if err != nil {
		return err
	}
	cfg, err := server.FromEnv(getenv)
	if err != nil {
		return err
	}
	// The server's log: access decisions, the failure monitor's alerts,
	// the Redis store's local copy going out of use and back.
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	store := "memory (this instance only)"
	var shared *redisstore.Store
	if strings.TrimSpace(*redisAddr) != "" {
		name := "-redis-addr"
		if !flagSet(fs, "redis-addr") {
			name = "REDIS_ADDR"
		}
		target, err := parseRedisAddr(name, *redisAddr)
		if err != nil {
			return err
		}
		rs, err := redisSettingsFromEnv(getenv)
		if err != nil {
			return err
		}
		rs.logger = logger
		rstore, closeRedis, err := useRedis(&cfg, target, rs)
		if err != nil {
			return err
		}
		shared = rstore
		defer closeRedis()
		store = fmt.Sprintf("Redis %s, %s", target.describe, rs.describe())
	}
	cfg.BcryptCost = bcryptCost
	// One audit chain logs every decision and watches the refusals: more
	// than 10 failed authentications or 5 forbidden requests from one
	// address, or from all together, within 15 minutes (seed 001's
	// thresholds) log a "gatehouse monitor alert" line, once per window.
	mon, err := monitor.New(monitor.Config{Logger: logger})
	if err != nil {
		return err
	}
	cfg.Audit = gatehouse.Auditors(gatehouse.SlogAuditor(logger), mon)
	var admin *serve.Admin
	if *metricsAddr != "" {
		if admin, err = serve.NewAdmin(*metricsAddr, logger); err != nil {
			return err
		}
		cfg.Telemetry = admin.Telemetry
		if shared != nil {
			admin.Ready("redis", shared.Ping)
		}
	}
	srv, err := server.New(cfg)
	if err != nil {
		return err
	}
	if shared != nil {
		// server.New seeded the allowlists it was given (where absent):
		// the shared state is complete, so the epoch can start — or
		// start again after Redis lost its data (see README).
		ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := shared.Establish(ectx)
		cancel()
		if err != nil {
			return fmt.Errorf("redis: %w", err)
		}
	}
	if cfg.Lists != nil {
		// A shared store keeps the lists a fleet edited (server.New seeds
		// only absent ones): show what applies, not what was asked for.
		if err := storedLists(ctx, &cfg); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	h := envelope.Recover(slog.New(slog.NewTextHandler(stderr, nil)))(srv)
	base, curl := "http://"+ln.Addr().String(), "curl"
	if tlsCfg != nil {
		// The certificate is the trust anchor when self-signed; for one
		// issued by a CA, --cacert names that CA instead. Never -k.
		base, curl = "https://"+ln.Addr().String(), "curl --cacert "+tlsFlags.CertFile+" --tlsv1.2"
	}
	if err := serve.Banner(stdout, func(w io.Writer) error {
		printBanner(w, base, curl, cfg, store, srv.RandomSecret, getenv)
		return nil
	}); err != nil {
		ln.Close()
		return err
	}
	if admin != nil {
		admin.PrintBanner(stdout)
		stop := admin.Run(ctx)
		defer stop()
	}
	if tlsCfg != nil {
		return serve.ServeTLS(ctx, ln, h, tlsCfg)
	}
	return serve.Serve(ctx, ln, h)
}

// flagSet reports whether the command line set the flag name.
func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// storedLists replaces the accounts' AllowedIPs in cfg (a copy of the
// slice) with the lists cfg.Lists holds for their client ids.
func storedLists(ctx context.Context, cfg *server.Config) error {
	accounts := slices.Clone(cfg.Accounts)
	for i, a := range accounts {
		list, err := cfg.Lists.AllowList(ctx, a.ClientID)
		if err != nil {
			return fmt.Errorf("reading the IP whitelist of client %s: %w", a.ClientID, err)
		}
		accounts[i].AllowedIPs = nil
		for _, p := range list {
			accounts[i].AllowedIPs = append(accounts[i].AllowedIPs, p.String())
		}
	}
	cfg.Accounts = accounts
	return nil
}

// printBanner prints where the server listens, its accounts, token
// lifetimes and shared-state store (described without credentials), and
// curl lines to start with, calling curl as the command curl. It prints an
// account's password only when it is the built-in public default, never
// one set in the environment (getenv, as run's): the curl line then reads
// the password from a shell variable of the same name.
func printBanner(w io.Writer, base, curl string, cfg server.Config, store string, randomSecret bool, getenv func(string) string) {
	fmt.Fprintf(w, "rewardstore listening on %s\n\n", base)
	for _, a := range cfg.Accounts {
		ips := "any"
		if len(a.AllowedIPs) > 0 {
			ips = strings.Join(a.AllowedIPs, ", ")
		}
		pw := a.Password
		if v := passwordVar(a, getenv); !publicPassword(a.Password) || v == "" || getenv(v) != "" {
			pw = "(set by " + orDefault(v, "the configuration") + ")"
		}
		fmt.Fprintf(w, "  account  %-10s password %-18s client_id %-8s allowed IPs: %s\n", a.Username, pw, a.ClientID, ips)
	}
	fmt.Fprintf(w, "  tokens   access %v, refresh %v\n", orTTL(cfg.AccessTTL, time.Hour), orTTL(cfg.RefreshTTL, 168*time.Hour))
	fmt.Fprintf(w, "  state    %s\n", store)
	if randomSecret {
		fmt.Fprintln(w, "  JWT_SECRET not set: signing with a random secret, tokens end with this process")
	}
	demo := cfg.Accounts[0]
	password := demo.Password // the public default
	fmt.Fprintf(w, "\nTry (jq reads the access token of the login's answer")
	if getenv("DEMO_PASSWORD") != "" {
		// Never the operator's password on stdout: the shell's variable,
		// which the reader exports (or already has) before pasting.
		password = `'"$DEMO_PASSWORD"'`
		fmt.Fprintf(w, "; export DEMO_PASSWORD in this shell first")
	}
	fmt.Fprintf(w, "):\n")
	fmt.Fprintf(w, "  ACCESS_TOKEN=$(%s -s -X POST %s/auth/login -H \"Content-Type: application/json\" -d '{\"username\":\"%s\",\"password\":\"%s\"}' | jq -r .data.access_token)   # → 200\n",
		curl, base, demo.Username, password)
	fmt.Fprintf(w, "  %s %s/api/v1/products -H \"Authorization: Bearer $ACCESS_TOKEN\"   # → 200\n\n", curl, base)
}

// passwordVar returns the environment variable that sets account a's
// password in server.FromEnv, or "" for an account FromEnv does not make.
func passwordVar(a server.Account, getenv func(string) string) string {
	// FromEnv keeps the names apart, but DEMO_NEW_USERNAME may be the
	// partner's default name when there is no partner account.
	switch a.Username {
	case orDefault(getenv("DEMO_USERNAME"), server.DefaultDemoUsername):
		return "DEMO_PASSWORD"
	case getenv("DEMO_NEW_USERNAME"):
		return "DEMO_NEW_PASSWORD"
	case orDefault(getenv("PARTNER_USERNAME"), server.DefaultPartnerUsername):
		return "PARTNER_PASSWORD"
	}
	return ""
}

// publicPassword reports whether pw is one of the built-in passwords the
// README and -help publish.
func publicPassword(pw string) bool {
	return pw == server.DefaultDemoPassword || pw == server.DefaultPartnerPassword
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func orTTL(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

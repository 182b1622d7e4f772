package redisstore_test

import (
	"crypto/tls"
	"log"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/gatehouse-go/gatehouse/ratelimit"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// A fleet's instances share revocations and rate limits through one Redis.
// (Compiled, not run: it needs a Redis.)
func ExampleNew() {
	rs, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:6379", Prefix: "orders-api:", Timeout: 300 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()

	auth, err := bearer.New(bearer.Config{
		Algorithms:  []string{"HS256"},
		Keys:        []bearer.Key{{Algorithm: "HS256", Key: []byte("a secret of at least thirty-two bytes")}},
		Revocations: rs.Revocations(), // a logout on any instance is refused on all
	})
	if err != nil {
		log.Fatal(err)
	}
	limiter, err := ratelimit.New(ratelimit.Config{
		Limit: ratelimit.PerMinute(600),
		Store: rs.RateLimit(), // one bucket per principal across the fleet
	})
	if err != nil {
		log.Fatal(err)
	}
	_, _ = auth, limiter
}

// A managed Redis admits an ACL user over TLS, with a client certificate:
// the Store's own clients carry both. (Compiled, not run: it needs such a
// Redis.)
func ExampleConfig_tls() {
	cert, err := tls.LoadX509KeyPair("client.pem", "client-key.pem")
	if err != nil {
		log.Fatal(err)
	}
	rs, err := redisstore.New(redisstore.Config{
		Addr:     "redis.internal:6380",
		Username: "orders-api",
		Password: os.Getenv("REDIS_PASSWORD"),
		TLS:      &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}},
		Prefix:   "orders-api:",
	})
	if err != nil {
		log.Fatal(err) // a wrong password or an unverified server: no password in the error
	}
	defer rs.Close()
}

// An API call's revocation check and account allowlist share one round
// trip: the Store reads the allowlist of the account ipallow will check
// in the revocation check's pipeline. (Compiled, not run: it needs a
// Redis.)
func ExampleStore_Middleware() {
	account := func(p gatehouse.Principal) string { return p.Tenant } // the same rule as ipallow's Account
	rs, err := redisstore.New(redisstore.Config{Addr: "127.0.0.1:6379", Prefix: "orders-api:", AllowlistAccount: account})
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()

	auth, err := bearer.New(bearer.Config{
		Algorithms:  []string{"HS256"},
		Keys:        []bearer.Key{{Algorithm: "HS256", Key: []byte("a secret of at least thirty-two bytes")}},
		Revocations: rs.Revocations(),
	})
	if err != nil {
		log.Fatal(err)
	}
	perAccount, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: rs.Lists(), Account: account})
	if err != nil {
		log.Fatal(err)
	}
	api := gatehouse.Chain(rs.Middleware, auth.Middleware, perAccount.Middleware)
	http.Handle("/orders", api(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})))
}

// go-redis's own lines (a failed dial, a cluster reloading its slots) go
// to the application's structured log, for every go-redis client of the
// process; the Store's own background reports go to Config.Logger.
// (Compiled, not run: it sets a process-wide logger.)
func ExampleSetRedisLogger() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	redisstore.SetRedisLogger(logger) // once, in main: go-redis has one logger per process
	rs, err := redisstore.New(redisstore.Config{
		Addr:       "127.0.0.1:6379",
		LocalCache: redisstore.LocalCache{Enabled: true},
		Logger:     logger, // the local copy going out of use and back
	})
	if err != nil {
		log.Fatal(err)
	}
	defer rs.Close()
}

package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-go/gatehouse/redisstore"
)

// redisFlags are the flags naming the Redis a command writes to or reads
// from, shared by every command that uses one.
type redisFlags struct {
	addr, cluster, prefix string
	timeout               time.Duration
	skipCheck             bool

	user, passwordFile           string
	tls                          bool
	ca, cert, key, tlsServerName string
}

// passwordEnv is the environment variable holding the Redis password when
// -redis-password-file is not given: a password is never a flag, since
// the command line is visible to every user of the machine.
const passwordEnv = "GATEHOUSE_REDIS_PASSWORD"

func addRedisFlags(fs *flag.FlagSet) *redisFlags {
	r := &redisFlags{}
	fs.StringVar(&r.addr, "redis", "", "`host:port` of a single Redis (the primary)")
	fs.StringVar(&r.cluster, "redis-cluster", "", "comma-separated `seeds` (host:port) of a Redis Cluster")
	fs.StringVar(&r.prefix, "redis-prefix", redisstore.DefaultPrefix, "key `prefix`: the application's redisstore Config.Prefix")
	fs.DurationVar(&r.timeout, "redis-timeout", 2*time.Second, "bound of each Redis command")
	fs.BoolVar(&r.skipCheck, "redis-skip-check", false, "skip the check of Redis's configuration (for a managed Redis that forbids CONFIG)")
	fs.StringVar(&r.user, "redis-user", "", "ACL `user` to authenticate as (its password from -redis-password-file or $"+passwordEnv+")")
	fs.StringVar(&r.passwordFile, "redis-password-file", "", "`file` holding the Redis password (one line); without it, $"+passwordEnv+" when set")
	fs.BoolVar(&r.tls, "redis-tls", false, "connect over TLS, verifying the server against the system's roots (or -redis-ca)")
	fs.StringVar(&r.ca, "redis-ca", "", "PEM `file` of the CA certificates that verify the server (implies -redis-tls)")
	fs.StringVar(&r.cert, "redis-cert", "", "PEM `file` of the client certificate, for a Redis with tls-auth-clients (implies -redis-tls; needs -redis-key)")
	fs.StringVar(&r.key, "redis-key", "", "PEM `file` of the client certificate's private key")
	fs.StringVar(&r.tlsServerName, "redis-tls-server-name", "", "`name` to verify the server's certificate under (default: the host of each address)")
	return r
}

// given reports whether a Redis was named.
func (r *redisFlags) given() bool { return r.addr != "" || r.cluster != "" }

// check returns the usage error of Redis flags that name no Redis when
// required, or two.
func (r *redisFlags) check(required bool) error {
	switch {
	case r.addr != "" && r.cluster != "":
		return usageErrorf("give -redis or -redis-cluster, not both")
	case required && !r.given():
		return usageErrorf("-redis ADDR (or -redis-cluster SEEDS) is required")
	case r.timeout <= 0:
		return usageErrorf("-redis-timeout must be positive")
	case (r.cert == "") != (r.key == ""):
		return usageErrorf("-redis-cert and -redis-key go together")
	case !r.given() && (r.user != "" || r.passwordFile != "" || r.useTLS()):
		return usageErrorf("Redis credentials and TLS flags need -redis ADDR (or -redis-cluster SEEDS)")
	}
	return nil
}

// useTLS reports whether the connection is over TLS.
func (r *redisFlags) useTLS() bool {
	return r.tls || r.ca != "" || r.cert != "" || r.tlsServerName != ""
}

// password returns the Redis password: the first line of
// -redis-password-file, else $GATEHOUSE_REDIS_PASSWORD, else none. Its
// errors never name the file: the value given may be the password itself,
// typed where its file's name belongs.
func (r *redisFlags) password() (string, error) {
	if r.passwordFile == "" {
		return os.Getenv(passwordEnv), nil
	}
	const name = "the file of -redis-password-file"
	b, err := readNamed(r.passwordFile, name)
	if err != nil {
		return "", err
	}
	pw, _, _ := strings.Cut(string(b), "\n")
	if pw = strings.TrimSuffix(pw, "\r"); pw == "" {
		return "", errors.New(name + " has an empty first line")
	}
	return pw, nil
}

// tlsConfig returns the TLS configuration of the connection, or nil for
// plain TCP.
func (r *redisFlags) tlsConfig() (*tls.Config, error) {
	if !r.useTLS() {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: r.tlsServerName}
	if r.ca != "" {
		pem, err := readFile(r.ca, "-redis-ca file")
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("-redis-ca: no PEM certificate in %s", r.ca)
		}
	}
	if r.cert != "" {
		certPEM, err := readFile(r.cert, "-redis-cert file")
		if err != nil {
			return nil, err
		}
		keyPEM, err := readFile(r.key, "-redis-key file")
		if err != nil {
			return nil, err
		}
		cert, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("-redis-cert, -redis-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// describe names the Redis for messages.
func (r *redisFlags) describe() string {
	if r.cluster != "" {
		return "Redis Cluster " + r.cluster
	}
	return "Redis " + r.addr
}

// open connects to the Redis and checks that it answers and is configured
// so that it cannot lose security state (redisstore.Store.Check, unless
// -redis-skip-check). It never calls Store.Establish: an emptied store is
// re-established by the application, once its state is seeded again.
func (r *redisFlags) open() (*redisstore.Store, error) {
	cfg := redisstore.Config{Prefix: r.prefix, Timeout: r.timeout, SkipServerCheck: r.skipCheck, Username: r.user}
	var err error
	if cfg.Password, err = r.password(); err != nil {
		return nil, fmt.Errorf("%s: %w", r.describe(), err)
	}
	if r.user != "" && cfg.Password == "" {
		return nil, fmt.Errorf("%s: -redis-user %s has no password: give -redis-password-file or set $%s", r.describe(), r.user, passwordEnv)
	}
	if cfg.TLS, err = r.tlsConfig(); err != nil {
		return nil, fmt.Errorf("%s: %w", r.describe(), err)
	}
	if r.cluster != "" {
		cfg.ClusterAddrs = words(r.cluster)
	} else {
		cfg.Addr = r.addr
	}
	s, err := redisstore.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.describe(), err)
	}
	if r.skipCheck {
		ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
		defer cancel()
		if err := s.Ping(ctx); err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("%s: %w", r.describe(), err)
		}
	}
	return s, nil
}

// storeErr turns a store error into the command's error: the lost-state
// advice for redisstore.ErrStateLost, else the error naming the Redis.
func (r *redisFlags) storeErr(what string, err error) error {
	if errors.Is(err, redisstore.ErrStateLost) {
		return r.lostState()
	}
	return fmt.Errorf("%s: %s: %w", what, r.describe(), err)
}

// lostState is the error of a read that found Redis without gatehouse's
// epoch record under the prefix.
func (r *redisFlags) lostState() error {
	return fmt.Errorf("%s holds no gatehouse epoch record under prefix %s: it lost its data (or the application never started on it), so every check that reads it fails closed; %s",
		r.describe(), quoteArg(r.prefix), reseedAdvice)
}

// reseedAdvice says what to do about a store that lost its data.
const reseedAdvice = "re-seed what the application keeps in Redis (allowlists, accounts, API keys), then restart the application or call redisstore's Store.Establish — this command never establishes a store"

// warnLost prints, after a write that succeeded, a note when the store
// reports its state lost (probe returns redisstore.ErrStateLost): the
// write is part of re-seeding, and the application answers 503 until it
// establishes the store.
func (r *redisFlags) warnLost(e *env, c *command, probe func() error) {
	if err := probe(); errors.Is(err, redisstore.ErrStateLost) {
		fmt.Fprintf(e.stderr, "gatehouse: %s: note: written, but %s holds no gatehouse epoch record under prefix %s, so the checks that read it fail closed (503): this write is part of re-seeding it; once everything is seeded, restart the application or call redisstore's Store.Establish (this command never does)\n",
			c.name, r.describe(), quoteArg(r.prefix))
	}
}

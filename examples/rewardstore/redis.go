package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse/examples/rewardstore/server"
	"github.com/gatehouse-go/gatehouse/redisstore"
)

// defaultRedisPrefix namespaces the reward store's keys in a shared Redis
// when REDIS_PREFIX is unset.
const defaultRedisPrefix = "rewardstore:"

// redisTimeout bounds every dial, read and write of the Redis clients the
// command builds, and every store method (redisstore.Config.Timeout): a
// Redis that does not answer within it turns the request into a 503.
const redisTimeout = redisstore.DefaultTimeout

// clusterReload is how often a cluster client re-reads the slot map while
// it has traffic. go-redis re-reads it at once on a MOVED or ASK reply, but
// a master that died answers nothing: until the next re-read, commands for
// its slots still go to it and fail. This interval bounds the time from a
// replica's promotion to this instance routing to it, at the cost of one
// CLUSTER SLOTS a second per instance.
const clusterReload = time.Second

// A redisTarget is the Redis that -redis-addr names: the options of the
// client to build, and how the banner and error messages name it.
type redisTarget struct {
	// single is set for a single node (or a primary behind a proxy);
	// cluster for a Redis Cluster. Exactly one is non-nil.
	single  *redis.Options
	cluster *redis.ClusterOptions
	// describe names the target without credentials or query parameters,
	// such as "single node 127.0.0.1:6379" or "cluster of 3 seeds
	// (127.0.0.1:7000, …)".
	describe string
}

// parseRedisAddr reads the value of -redis-addr, or of REDIS_ADDR; name is
// the one its errors give:
//
//   - "host:port": a single node;
//   - "host:port,host:port,…": the seed nodes of a Redis Cluster;
//   - "redis://[user:password@]host[:port][/db][?option=value…]" or
//     "rediss://…" (TLS): a single node, in go-redis's URL syntax
//     (redis.ParseURL); with one or more "addr=host:port" parameters, or
//     "cluster=true", the seeds of a cluster (redis.ParseClusterURL).
//
// Errors start with name and never contain the URL's user name or
// password.
func parseRedisAddr(name, s string) (redisTarget, error) {
	s = strings.TrimSpace(s)
	bad := func(format string, args ...any) (redisTarget, error) {
		return redisTarget{}, fmt.Errorf("%s: "+format, append([]any{name}, args...)...)
	}
	if s == "" {
		return bad("empty Redis address")
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		switch strings.ToLower(scheme) {
		case "redis", "rediss":
			return parseRedisURL(name, s)
		default:
			return bad("unsupported URL scheme %q: use redis:// or rediss://", scheme)
		}
	}
	if !strings.Contains(s, ",") {
		if err := checkHostPort(s); err != nil {
			return bad("%v", err)
		}
		return redisTarget{single: singleOptions(s), describe: "single node " + s}, nil
	}
	var seeds []string
	for i, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			return bad("cluster seed %d is empty (a comma-separated list of host:port)", i+1)
		}
		if err := checkHostPort(f); err != nil {
			return bad("cluster seed %d: %v", i+1, err)
		}
		seeds = append(seeds, f)
	}
	return redisTarget{cluster: clusterOptions(&redis.ClusterOptions{Addrs: seeds}), describe: describeCluster(seeds)}, nil
}

// checkHostPort accepts "host:port" with a non-empty host and a port in
// 1–65535.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("%q is not host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("%q: the port must be a number from 1 to 65535", s)
	}
	return nil
}

// parseRedisURL reads a redis:// or rediss:// URL. No error it returns
// contains the URL's user information: the parsers' messages are scrubbed
// of it before they are wrapped.
func parseRedisURL(name, raw string) (redisTarget, error) {
	scrub := func(err error) error {
		return fmt.Errorf("%s: invalid Redis URL: %s", name, redactUserinfo(err.Error(), raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url.Error repeats the whole URL, and its reason can quote part
		// of the password: explain with the URL minus its user information.
		if _, err2 := url.Parse(withoutUserinfo(raw)); err2 != nil {
			var ue *url.Error
			if errors.As(err2, &ue) {
				err2 = ue.Err
			}
			return redisTarget{}, scrub(err2)
		}
		return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: malformed user name or password (not shown)", name)
	}
	if u.Host == "" || u.Hostname() == "" {
		return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: no host", name)
	}
	q := u.Query()
	cluster := len(q["addr"]) > 0
	if v, ok := q["cluster"]; ok {
		on, err := strconv.ParseBool(v[len(v)-1])
		if err != nil {
			return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: cluster must be true or false", name)
		}
		if !on && cluster {
			return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: addr parameters name cluster seeds, but cluster=false", name)
		}
		cluster = on
		q.Del("cluster")
		u.RawQuery = q.Encode()
	}
	for _, opt := range []string{"read_only", "route_by_latency", "route_randomly"} {
		if v := q.Get(opt); v == "true" || v == "1" {
			return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: %s would read revocations from replicas, which can lag behind a logout", name, opt)
		}
	}
	tlsNote := ""
	if u.Scheme == "rediss" {
		tlsNote = ", TLS"
	}
	if !cluster {
		opt, err := redis.ParseURL(u.String())
		if err != nil {
			return redisTarget{}, scrub(err)
		}
		return redisTarget{
			single:   tuneSingle(opt),
			describe: fmt.Sprintf("single node %s (%s URL%s, db %d)", opt.Addr, u.Scheme, tlsNote, opt.DB),
		}, nil
	}
	if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
		return redisTarget{}, fmt.Errorf("%s: invalid Redis URL: a cluster has only database 0", name)
	}
	u.Path = ""
	opt, err := redis.ParseClusterURL(u.String())
	if err != nil {
		return redisTarget{}, scrub(err)
	}
	if opt.TLSConfig != nil {
		opt.TLSConfig.MinVersion = tls.VersionTLS12 // as redis.ParseURL sets it
	}
	return redisTarget{
		cluster:  clusterOptions(opt),
		describe: fmt.Sprintf("%s, from a %s URL%s", describeCluster(opt.Addrs), u.Scheme, tlsNote),
	}, nil
}

// userinfo returns the "user:password" part of the URL raw, or "": what
// lies between "://" and the last "@". That is wider than the URL grammar
// (a password with an unescaped "/", "?" or "#" is still all of it), so
// that redacting it never leaves a piece of a mistyped password behind.
func userinfo(raw string) string {
	_, rest, _ := strings.Cut(raw, "://")
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return ""
	}
	return rest[:at]
}

// withoutUserinfo returns the URL raw without its user information.
func withoutUserinfo(raw string) string {
	ui := userinfo(raw)
	if ui == "" {
		return raw
	}
	return strings.Replace(raw, ui+"@", "", 1)
}

// redactUserinfo replaces, in msg, the user information of the URL raw
// (its "user:password" part, and the password alone) with "xxxxx".
func redactUserinfo(msg, raw string) string {
	userinfo := userinfo(raw)
	if userinfo == "" {
		return msg
	}
	secrets := []string{userinfo}
	if _, pw, ok := strings.Cut(userinfo, ":"); ok && pw != "" {
		secrets = append(secrets, pw)
		if dec, err := url.PathUnescape(pw); err == nil && dec != pw {
			secrets = append(secrets, dec)
		}
	}
	for _, s := range secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "xxxxx")
		}
	}
	return msg
}

func describeCluster(seeds []string) string {
	noun := "seeds"
	if len(seeds) == 1 {
		noun = "seed"
	}
	return fmt.Sprintf("cluster of %d %s (%s)", len(seeds), noun, strings.Join(seeds, ", "))
}

// singleOptions are the options of a single-node client for addr, with
// the deadlines, timeouts and retry of tuneSingle. The client keeps
// go-redis's own dialer, as every client built from a URL does, rather
// than the fast-failing one of the clients redisstore builds from
// Config.Addr.
func singleOptions(addr string) *redis.Options {
	return tuneSingle(&redis.Options{Addr: addr})
}

// tuneSingle completes the options of a single-node client: command
// deadlines taken from contexts (redisstore requires it), dial, read and
// write timeouts of redisTimeout unless the URL set them, and one retry.
func tuneSingle(o *redis.Options) *redis.Options {
	o.ContextTimeoutEnabled = true
	defaultTimeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	return o
}

// defaultTimeouts sets each of the timeouts that is zero (not set by a
// URL) to redisTimeout.
func defaultTimeouts(timeouts ...*time.Duration) {
	for _, t := range timeouts {
		if *t == 0 {
			*t = redisTimeout
		}
	}
}

// clusterOptions completes the options of a cluster client for security
// state and for failover:
//
//   - ReadOnly, RouteByLatency and RouteRandomly stay false: every command,
//     reads included, goes to the master of its slot. Replication is
//     asynchronous, so a replica can lag behind a revocation just written,
//     and a read there would answer "not revoked".
//   - ContextTimeoutEnabled, and dial, read and write timeouts of
//     redisTimeout (unless the URL set them): a dead node costs one timeout,
//     not the go-redis default of 5 s per read.
//   - MaxRedirects 3 (the go-redis default): enough to follow a MOVED or
//     ASK during a resharding and to try another node after a network
//     error; the store's deadline bounds the whole loop anyway.
//   - ClusterStateReloadInterval clusterReload (1 s): see clusterReload.
//
// The node clients do not retry on their own (MaxRetries left at its
// cluster default, none): the cluster client's redirect loop does.
func clusterOptions(o *redis.ClusterOptions) *redis.ClusterOptions {
	o.ReadOnly, o.RouteByLatency, o.RouteRandomly = false, false, false
	o.ContextTimeoutEnabled = true
	defaultTimeouts(&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout)
	if o.MaxRedirects == 0 {
		o.MaxRedirects = 3
	}
	o.ClusterStateReloadInterval = clusterReload
	return o
}

// client builds the go-redis client t describes.
func (t redisTarget) client() redis.UniversalClient {
	if t.cluster != nil {
		return redis.NewClusterClient(t.cluster)
	}
	return redis.NewClient(t.single)
}

// redisSettings are the command's Redis settings besides the address.
type redisSettings struct {
	// prefix starts every key (REDIS_PREFIX, default defaultRedisPrefix).
	prefix string
	// minReplicas is redisstore.Config.MinReplicas (REDIS_MIN_REPLICAS):
	// a logout answers only once that many replicas hold its revocation.
	minReplicas int
	// skipCheck is redisstore.Config.SkipServerCheck
	// (REDIS_SKIP_SERVER_CHECK), for a managed Redis that forbids CONFIG.
	skipCheck bool
	// localCache is redisstore.Config.LocalCache.Enabled
	// (REDIS_LOCAL_CACHE): revocation answers and whitelists are kept in
	// the instance and invalidated by Redis, so that an API call whose
	// state did not change makes no round trip.
	localCache bool
	// logger is redisstore.Config.Logger: the local copy going out of use
	// and back. nil means slog.Default().
	logger *slog.Logger
}

// redisSettingsFromEnv reads REDIS_PREFIX, REDIS_MIN_REPLICAS,
// REDIS_SKIP_SERVER_CHECK and REDIS_LOCAL_CACHE through getenv; an error
// names the variable.
func redisSettingsFromEnv(getenv func(string) string) (redisSettings, error) {
	rs := redisSettings{prefix: getenv("REDIS_PREFIX")}
	if rs.prefix == "" {
		rs.prefix = defaultRedisPrefix
	}
	if v := getenv("REDIS_MIN_REPLICAS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return rs, errors.New("REDIS_MIN_REPLICAS must be a number of replicas, 0 or more")
		}
		rs.minReplicas = n
	}
	if v := getenv("REDIS_SKIP_SERVER_CHECK"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return rs, errors.New("REDIS_SKIP_SERVER_CHECK must be true or false")
		}
		rs.skipCheck = b
	}
	if v := getenv("REDIS_LOCAL_CACHE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return rs, errors.New("REDIS_LOCAL_CACHE must be true or false")
		}
		rs.localCache = b
	}
	return rs, nil
}

// describe names the settings for the banner.
func (rs redisSettings) describe() string {
	s := fmt.Sprintf("keys under %q", rs.prefix)
	switch {
	case rs.minReplicas == 1:
		s += ", revocations wait for 1 replica"
	case rs.minReplicas > 1:
		s += fmt.Sprintf(", revocations wait for %d replicas", rs.minReplicas)
	}
	if rs.skipCheck {
		s += ", server check skipped"
	}
	if rs.localCache {
		s += ", local copy invalidated by Redis"
	}
	return s
}

// useRedis points cfg's shared state — refresh families, revocations, IP
// whitelists and the failed-login counters — at the Redis t names, with
// the settings rs, so that several instances behind a load
// balancer act as one. It checks that Redis answers, that its
// configuration cannot lose security state (redisstore.Store.Check,
// unless rs.skipCheck), and that a single node is not a cluster node,
// failing start-up otherwise; it returns the function that closes the
// client. The store's read-ahead scope wraps the API (cfg.ReadAhead), so
// that an API call's revocation check and whitelist read share one round
// trip. Accounts stay in each instance's memory: every instance is
// started with the same ones.
func useRedis(cfg *server.Config, t redisTarget, rs redisSettings) (store *redisstore.Store, closeFn func() error, err error) {
	c := t.client()
	defer func() {
		if err != nil {
			_ = c.Close()
		}
	}()
	s, err := redisstore.New(redisstore.Config{
		Client: c, Prefix: rs.prefix, Timeout: redisTimeout,
		MinReplicas: rs.minReplicas, SkipServerCheck: rs.skipCheck,
		LocalCache: redisstore.LocalCache{Enabled: rs.localCache}, AllowlistAccount: server.AllowlistAccount,
		Logger: rs.logger,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("redis %s: %w", t.describe, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Ping(ctx); err != nil {
		return nil, nil, fmt.Errorf("redis %s: %w", t.describe, err)
	}
	if t.single != nil {
		// A cluster node answers a plain client too, until the first key
		// of another node's slot: refuse it at start, not with MOVED
		// errors (503s) later.
		if info, err := c.Info(ctx, "cluster").Result(); err == nil && strings.Contains(info, "cluster_enabled:1") {
			return nil, nil, fmt.Errorf("redis %s is a cluster node: give the cluster's seeds comma-separated, or a URL with cluster=true", t.describe)
		}
	}
	cfg.Refresh = s.Refresh()
	cfg.Revocations = s.Revocations()
	cfg.Lists = s.Lists()
	cfg.Failures = s.Failures()
	cfg.ReadAhead = s.Middleware
	return s, c.Close, nil
}

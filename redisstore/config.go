package redisstore

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/gatehouse-go/gatehouse"
)

// Defaults of a zero [Config].
const (
	DefaultPrefix  = "gatehouse:"
	DefaultTimeout = 500 * time.Millisecond
)

// ErrConfig is wrapped by the errors [New] returns for an unusable Config.
var ErrConfig = errors.New("redisstore: invalid configuration")

// Config configures a [Store]. Exactly one of Client, Addr and
// ClusterAddrs is required; every other zero field has the default its
// comment names.
//
// The Store is correct on one Redis (with or without replicas), on a
// Sentinel-managed primary (redis.NewFailoverClient) and on a Redis
// Cluster (or Valkey): every script and multi-key command touches one hash
// slot, and every command goes to the master that owns its key.
type Config struct {
	// Client is the Redis connection to use: a *redis.Client (one Redis,
	// or the primary that redis.NewFailoverClient finds through Sentinel)
	// or a *redis.ClusterClient. New refuses
	//   - a client without ContextTimeoutEnabled, whose command deadlines
	//     stop short of the socket;
	//   - a *redis.Ring, which shards keys over independent Redis servers
	//     with neither cross-key atomicity nor failover, so a server's
	//     restart silently forgets revocations;
	//   - a *redis.ClusterClient with ReadOnly, RouteByLatency or
	//     RouteRandomly (or the one NewFailoverClusterClient builds with
	//     them), which reads from replicas that may not yet have a
	//     revocation;
	//   - a *redis.AutoPipeliner, which runs commands on its own context
	//     (no per-command deadline) and may send a batch twice;
	//   - any other implementation, which the Store cannot vouch for.
	// The Store does not close a Client it was given. New loads the
	// scripts through it (unless SkipServerCheck), but after a Redis
	// restart each script's first run on it costs a second round trip
	// (EVALSHA answered NOSCRIPT, then EVAL); the clients built from Addr
	// and ClusterAddrs reload them on every new connection, and are tuned
	// for outages (see NewClient).
	Client redis.UniversalClient
	// Addr, when Client is nil, is the host:port of one Redis the Store
	// connects to itself with the client NewClient(Addr, Timeout) returns,
	// authenticated and over TLS as Username, Password and TLS say; Close
	// closes that client.
	Addr string
	// ClusterAddrs, when Client is nil, are seed addresses (host:port) of
	// a Redis Cluster the Store connects to itself with the client
	// NewClusterClient(ClusterAddrs, Timeout) returns, authenticated and
	// over TLS as Username, Password and TLS say; one seed is enough,
	// several survive a seed being down.
	ClusterAddrs []string
	// Username and Password, when Password is set, authenticate the
	// clients built from Addr and ClusterAddrs to Redis (AUTH, or HELLO
	// under RESP3) on every new connection: an ACL user's name and
	// password, or Password alone for the default user (requirepass).
	// Neither appears in any error or log. A Client of your own carries
	// its own credentials, so New refuses them beside Client.
	Username, Password string
	// TLS, when set, makes the clients built from Addr and ClusterAddrs
	// connect over TLS with this configuration: its RootCAs verify the
	// servers (nil means the system's roots), its Certificates are the
	// client certificate that a Redis with tls-auth-clients asks for.
	// When ServerName is empty, each connection verifies the server under
	// the host of the address it dials (a Cluster's nodes under their own
	// names, an IP address against the certificate's IP SANs). New keeps
	// a copy, so later changes to the configuration have no effect. A
	// Client of your own carries its own TLS, so New refuses it beside
	// Client.
	TLS *tls.Config
	// Prefix starts every key the stores write; empty means DefaultPrefix
	// ("gatehouse:"). Give each application (and each test) its own. It
	// must not contain '{' or '}': a Redis Cluster would read a hash tag
	// in it and put every key in one slot, on one master.
	Prefix string
	// Timeout bounds every store method (one round trip, or a few for
	// writes); 0 means DefaultTimeout (500 ms). The request context's
	// deadline applies when it is earlier. A method that runs out of time
	// returns an error, and the middleware answers 503. It is also the
	// dial, read and write timeout of the clients built from Addr and
	// ClusterAddrs: a Redis that does not answer costs a request at most
	// Timeout; one that refuses connections, a few milliseconds.
	Timeout time.Duration
	// ServerTime makes the rate-limit stores (RateLimit, Failures) read the
	// Redis server's clock instead of the time the Limiter passes in, so a
	// fleet with skewed clocks shares one. The conformance kit drives time
	// through its arguments, so it runs without ServerTime.
	ServerTime bool
	// SkipServerCheck makes New skip [Store.Check], which reads the
	// servers' configuration with CONFIG GET and INFO. Set it for a
	// managed Redis that forbids CONFIG, once its maxmemory-policy is
	// known to be noeviction.
	SkipServerCheck bool
	// RequirePersistence makes Check refuse a Redis that does not log
	// every write to an append-only file fsynced at least every second:
	// appendonly yes with appendfsync everysec or always is required.
	// A Redis that persists nothing comes back empty from a restart,
	// which the epoch records detect (see Store.Establish). One that only
	// snapshots (save) comes back from its last snapshot: the revocations
	// written since are gone while the epoch record, older, is still
	// there, so the loss is not detected and revoked tokens pass again;
	// it is refused. With appendfsync always no acknowledged write is
	// lost; with everysec a crash of the Redis process loses none either,
	// but a crash of its machine (or power loss) can lose about the last
	// second of writes (two, when the disk is slow), and a revocation
	// among them is lost undetected in the same way. Treat a restore from
	// a backup or snapshot as a loss: delete the epoch records before the
	// fleet uses the restored Redis, then re-seed and call Establish.
	// Off by default: replicas with failover (Sentinel, Cluster, with
	// MinReplicas) are another way not to lose state, and a Redis holding
	// only what can be rebuilt may run without persistence.
	RequirePersistence bool
	// MinReplicas, when positive, makes the writes that take access away
	// wait (Redis WAIT) until that many replicas have acknowledged them,
	// so that a failover right after a logout does not lose the
	// revocation: the bearer revocations (Revocations), allowlist writes
	// (Lists.Set and SetIfAbsent), API-key Revoke and Delete, opaque-token
	// RevokeToken and DeleteToken, Refresh.RevokeFamily, the revocation of
	// a family whose token Refresh.Rotate finds reused, and the account
	// writes (Credentials.Put and Delete). A write too few replicas
	// acknowledge within ReplicaTimeout fails with an error wrapping
	// ErrNotReplicated. Check also refuses a master with fewer connected
	// replicas. 0 means no waiting.
	MinReplicas int
	// ReplicaTimeout bounds that wait; 0 means half of Timeout. It must be
	// shorter than Timeout, which bounds the write and the wait together.
	// WAIT counts whole milliseconds: it is rounded up to the next one.
	ReplicaTimeout time.Duration
	// Now is the clock used to turn expiry instants into Redis TTLs (and
	// to age the local copy's answers); nil means time.Now. Expiry
	// decisions themselves use the times the library passes in.
	Now func() time.Time
	// AllowlistAccount, when set, names the account whose allowlist
	// ([Lists.AllowSet]) a request authenticated as a Principal reads: the
	// function given to ipallow.PerPrincipalConfig.Account or, when that
	// is nil, one that returns p.Tenant, or p.Subject when Tenant is
	// empty (ipallow's default). With it, a revocation check that goes to
	// Redis reads that allowlist in the same round trip, and the
	// request's allowlist check uses the answer: it is kept in the local
	// copy while that is live, and otherwise in the request's scope, which
	// [Store.Middleware] gives it. It gets a copy of the Principal and
	// runs only when the check goes to Redis. nil means no read-ahead, and
	// Middleware changes nothing.
	AllowlistAccount func(gatehouse.Principal) string
	// LocalCache, when Enabled, keeps a local copy of revocation answers
	// and allowlists that Redis invalidates, so that a request whose
	// state did not change makes no round trip (see [LocalCache]). Off by
	// default. Close stops its subscription.
	LocalCache LocalCache
	// Logger receives what the Store notices in the background, which no
	// request would report: its local copy (LocalCache) going out of use,
	// at Warn with the reason (a subscription lost, an epoch record
	// missing), and in use again, at Info. Failures of a request's own
	// commands are returned to the middleware, which answers 503 and
	// audits them. Default: slog.Default(). It does not route go-redis's
	// own log lines, which go-redis keeps process-wide: see
	// [SetRedisLogger].
	Logger *slog.Logger
}

// A Store is a Redis connection with a key prefix and a command deadline,
// from which the typed stores are taken. It is safe for concurrent use;
// the typed stores it returns share its connection pool.
type Store struct {
	client  redis.UniversalClient
	owned   bool
	prefix  string
	timeout time.Duration
	server  bool
	now     func() time.Time
	cluster bool        // client is a *redis.ClusterClient: one epoch record per hash slot
	epoch   string      // the epoch record's key, when not cluster
	local   *localCache // Config.LocalCache, or nil
	inval   string      // the local copies' invalidation channel
	// allowlistAccount is Config.AllowlistAccount.
	allowlistAccount func(gatehouse.Principal) string

	persist        bool
	minReplicas    int
	replicaTimeout time.Duration

	revocations *Revocations
	tokens      *Tokens
	apikeys     *APIKeys
	lists       *Lists
	ratelimit   *RateLimit
	failures    *Failures
	refresh     *Refresh
	creds       *Credentials
	replay      *Replay
}

// New validates cfg and returns a Store. Unless cfg.SkipServerCheck is
// set it then runs [Store.Check], which contacts Redis: a Redis that is
// unreachable or configured so that it can lose security state is an
// error here, not a stream of 503s later; and it loads every script the
// stores run into Redis (on a cluster, into every master), so that their
// first runs take one round trip each.
func New(cfg Config) (*Store, error) {
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("%w: negative Timeout", ErrConfig)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if strings.ContainsAny(cfg.Prefix, "{}") {
		return nil, fmt.Errorf("%w: Prefix %q contains '{' or '}', a Redis Cluster hash tag that would put every key in one slot", ErrConfig, cfg.Prefix)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	switch {
	case cfg.MinReplicas < 0:
		return nil, fmt.Errorf("%w: negative MinReplicas", ErrConfig)
	case cfg.ReplicaTimeout < 0:
		return nil, fmt.Errorf("%w: negative ReplicaTimeout", ErrConfig)
	case cfg.ReplicaTimeout == 0:
		cfg.ReplicaTimeout = cfg.Timeout / 2
	case cfg.ReplicaTimeout >= cfg.Timeout:
		return nil, fmt.Errorf("%w: ReplicaTimeout (%v) must be shorter than Timeout (%v)", ErrConfig, cfg.ReplicaTimeout, cfg.Timeout)
	}
	if cfg.LocalCache.Enabled {
		if err := cfg.LocalCache.validate(); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
	}
	s := &Store{
		client: cfg.Client, prefix: cfg.Prefix, timeout: cfg.Timeout, server: cfg.ServerTime, now: cfg.Now,
		persist: cfg.RequirePersistence, minReplicas: cfg.MinReplicas, replicaTimeout: cfg.ReplicaTimeout,
		allowlistAccount: cfg.AllowlistAccount,
	}
	given := 0
	for _, set := range []bool{cfg.Client != nil, cfg.Addr != "", len(cfg.ClusterAddrs) > 0} {
		if set {
			given++
		}
	}
	switch {
	case given > 1:
		return nil, fmt.Errorf("%w: set one of Client, Addr and ClusterAddrs", ErrConfig)
	case cfg.Client != nil:
		if cfg.Username != "" || cfg.Password != "" || cfg.TLS != nil {
			return nil, fmt.Errorf("%w: Username, Password and TLS configure the clients built from Addr or ClusterAddrs; give them to the Client of your own instead", ErrConfig)
		}
		if err := checkClient(cfg.Client); err != nil {
			return nil, err
		}
	case cfg.Username != "" && cfg.Password == "":
		return nil, fmt.Errorf("%w: Username without Password", ErrConfig)
	case cfg.Addr != "":
		s.client, s.owned = newClient(cfg.Addr, cfg.conn()), true
	case len(cfg.ClusterAddrs) > 0:
		if slices.Contains(cfg.ClusterAddrs, "") {
			return nil, fmt.Errorf("%w: empty address in ClusterAddrs", ErrConfig)
		}
		s.client, s.owned = newClusterClient(cfg.ClusterAddrs, cfg.conn()), true
	default:
		return nil, fmt.Errorf("%w: Client, Addr or ClusterAddrs is required", ErrConfig)
	}
	if !cfg.SkipServerCheck {
		if err := s.Check(context.Background()); err != nil {
			_ = s.Close()
			return nil, err
		}
		ctx, cancel := s.ctx(context.Background())
		err := loadScripts(ctx, s.client)
		cancel()
		if err != nil {
			_ = s.Close()
			return nil, wrap("load scripts", err)
		}
	}
	_, s.cluster = s.client.(*redis.ClusterClient)
	s.epoch = s.prefix + "epoch"
	s.inval = s.prefix + "inval"
	s.revocations = &Revocations{s: s}
	s.tokens = &Tokens{s: s}
	s.apikeys = &APIKeys{s: s}
	s.lists = newLists(s)
	s.ratelimit = &RateLimit{s: s}
	s.failures = &Failures{s: s}
	s.refresh = &Refresh{s: s}
	s.creds = &Credentials{s: s}
	s.replay = &Replay{s: s}
	if cfg.LocalCache.Enabled {
		log := cfg.Logger
		if log == nil {
			log = slog.Default()
		}
		s.local = newLocalCache(s.client, s.prefix, s.inval, cfg.LocalCache, s.now, log)
	}
	return s, nil
}

// NewClient returns a go-redis client for addr suited to the stores, as
// New builds from Config.Addr (without Config's credentials and TLS, for
// which give New the address and use [Store.Client]), tuned to fail fast
// and recover fast on an authentication hot path (see the README's
// "Timeouts and outages"):
//   - dial, read and write timeouts of timeout (0 means DefaultTimeout),
//     and command deadlines taken from contexts (ContextTimeoutEnabled);
//   - one dial attempt per connection (DialerRetries 1; go-redis tries 5
//     times, 100 ms apart, which holds the first request of an outage
//     about 430 ms);
//   - one retry of a command whose connection broke (MaxRetries 1), after
//     1 to 10 ms (go-redis waits longer), so that a connection Redis
//     closed costs no error and an outage's first error comes within
//     milliseconds;
//   - a dialer that never lets go-redis's pool stop dialing: after
//     PoolSize failed dials the pool would probe Redis only once a second
//     and answer errors meanwhile; instead a failed dial is retried by the
//     next command, at most every 20 ms, so requests succeed again within
//     about 20 ms of Redis coming back;
//   - every script loaded on each new connection (OnConnect), so that a
//     Redis restarted empty runs each script with one EVALSHA.
func NewClient(addr string, timeout time.Duration) *redis.Client {
	return newClient(addr, conn{timeout: timeout})
}

// NewClusterClient returns a go-redis Redis Cluster client for the seeds
// addrs suited to the stores, as New builds from Config.ClusterAddrs
// (without Config's credentials and TLS): every command on the master that
// owns its key, the timeouts, retries, dialer and script loading of
// NewClient on every node, and the slot map read every second.
func NewClusterClient(addrs []string, timeout time.Duration) *redis.ClusterClient {
	return newClusterClient(addrs, conn{timeout: timeout})
}

// A conn is how the clients the package builds reach Redis: Config's
// Timeout, Username, Password and TLS.
type conn struct {
	timeout            time.Duration
	username, password string
	tls                *tls.Config
}

// conn is how the clients built from cfg's Addr or ClusterAddrs reach
// Redis, with a copy of cfg.TLS.
func (cfg *Config) conn() conn {
	return conn{cfg.Timeout, cfg.Username, cfg.Password, cfg.TLS.Clone()}
}

func newClient(addr string, c conn) *redis.Client {
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return redis.NewClient(&redis.Options{
		Addr:                  addr,
		Username:              c.username,
		Password:              c.password,
		Dialer:                newDialer(c.timeout, c.tls).dial,
		OnConnect:             onConnect,
		DialTimeout:           c.timeout,
		DialerRetries:         1,
		ReadTimeout:           c.timeout,
		WriteTimeout:          c.timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		MinRetryBackoff:       time.Millisecond,
		MaxRetryBackoff:       10 * time.Millisecond,
	})
}

func newClusterClient(addrs []string, c conn) *redis.ClusterClient {
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 slices.Clone(addrs),
		Username:              c.username,
		Password:              c.password,
		Dialer:                newDialer(c.timeout, c.tls).dial,
		OnConnect:             onConnect,
		DialTimeout:           c.timeout,
		DialerRetries:         1,
		ReadTimeout:           c.timeout,
		WriteTimeout:          c.timeout,
		ContextTimeoutEnabled: true,
		MaxRetries:            1,
		MinRetryBackoff:       time.Millisecond,
		MaxRetryBackoff:       10 * time.Millisecond,
		// A failover moves slots to a promoted replica; reading the slot
		// map every second (go-redis: every minute unless a command is
		// redirected) ends the 503s it causes within about a second.
		ClusterStateReloadInterval: time.Second,
	})
}

// checkClient returns why the Store cannot be correct on c, or nil.
func checkClient(c redis.UniversalClient) error {
	noDeadlines := fmt.Errorf("%w: the client must have ContextTimeoutEnabled, or deadlines do not reach the socket", ErrConfig)
	switch c := c.(type) {
	case *redis.Client:
		if !c.Options().ContextTimeoutEnabled {
			return noDeadlines
		}
		return nil
	case *redis.ClusterClient:
		o := c.Options()
		if o.ReadOnly || o.RouteByLatency || o.RouteRandomly {
			return fmt.Errorf("%w: a cluster client with ReadOnly, RouteByLatency or RouteRandomly reads from replicas, which can miss a revocation that reached the master", ErrConfig)
		}
		if !o.ContextTimeoutEnabled {
			return noDeadlines
		}
		return nil
	case *redis.Ring:
		return fmt.Errorf("%w: a *redis.Ring shards keys over independent servers without cross-key atomicity or failover; use a Redis Cluster (*redis.ClusterClient) or one Redis", ErrConfig)
	case *redis.AutoPipeliner:
		return fmt.Errorf("%w: a *redis.AutoPipeliner ignores per-command deadlines and may send a batch twice; give the client it pipelines", ErrConfig)
	}
	return fmt.Errorf("%w: unsupported client type %T; use a *redis.Client (one Redis, or NewFailoverClient for Sentinel) or a *redis.ClusterClient", ErrConfig, c)
}

// Ping checks that Redis answers within the Store's timeout.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return wrap("ping", s.client.Ping(ctx).Err())
}

// Close stops the local copy's subscription (Config.LocalCache) and
// closes the client the Store created from Config.Addr; a client given in
// Config.Client is left open for its owner, who closes it after Close.
func (s *Store) Close() error {
	if s.local != nil {
		s.local.stop()
	}
	if s.owned {
		return s.client.Close()
	}
	return nil
}

// Client returns the underlying client.
func (s *Store) Client() redis.UniversalClient { return s.client }

// Prefix returns the key prefix.
func (s *Store) Prefix() string { return s.prefix }

// Revocations returns the bearer revocation store.
func (s *Store) Revocations() *Revocations { return s.revocations }

// Tokens returns the opaque bearer-token store.
func (s *Store) Tokens() *Tokens { return s.tokens }

// APIKeys returns the API-key store.
func (s *Store) APIKeys() *APIKeys { return s.apikeys }

// Lists returns the per-account IP allowlist store.
func (s *Store) Lists() *Lists { return s.lists }

// RateLimit returns the rate-limit counter store.
func (s *Store) RateLimit() *RateLimit { return s.ratelimit }

// Failures returns the failed-attempt counter store.
func (s *Store) Failures() *Failures { return s.failures }

// Refresh returns the refresh-token family store.
func (s *Store) Refresh() *Refresh { return s.refresh }

// Credentials returns the login-account store.
func (s *Store) Credentials() *Credentials { return s.creds }

// Replay returns the single-use key store.
func (s *Store) Replay() *Replay { return s.replay }

// ctx bounds one store method by the Store's timeout.
func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// key returns prefix+kind+name.
func (s *Store) key(kind, name string) string {
	return s.prefix + kind + name
}

// hashKey returns prefix+kind+hex(h).
func (s *Store) hashKey(kind string, h [32]byte) string {
	b := make([]byte, 0, len(s.prefix)+len(kind)+64)
	b = append(b, s.prefix...)
	b = append(b, kind...)
	b = hex.AppendEncode(b, h[:])
	return string(b)
}

// ttl returns the time from now until t plus slack, at least slack, for
// a key whose content no longer matters after t. A t too far away for a
// time.Duration (about 292 years) gives the largest Duration: the key is
// kept with that TTL.
func (s *Store) ttl(t time.Time, slack time.Duration) time.Duration {
	return addTTL(max(t.Sub(s.now()), 0), slack)
}

// addTTL returns d + slack for a non-negative d and slack, or the largest
// Duration when the sum does not fit one.
func addTTL(d, slack time.Duration) time.Duration {
	if d > math.MaxInt64-slack {
		return math.MaxInt64
	}
	return d + slack
}

// wrap prefixes a Redis error with the operation; nil stays nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("redisstore: %s: %w", op, err)
}

// errReply reports a script reply of an unexpected shape.
var errReply = errors.New("unexpected reply")

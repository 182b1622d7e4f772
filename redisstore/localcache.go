package redisstore

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Defaults of a zero [LocalCache] with Enabled set.
const (
	DefaultLocalCacheMaxEntries  = 100_000
	DefaultLocalCacheMaxAge      = time.Minute
	DefaultLocalCacheHealthCheck = time.Second
)

// LocalCache configures the Store's local copy of the answers that decide
// access on every request: the revocation check of a token (per subject,
// token ID and session ID) and the text of an account's allowlist. While
// the copy holds an answer, [Revocations.Revoked] and the [Lists] reads
// make no round trip to Redis.
//
// Redis invalidates the copy. Every write that can change a cached answer
// publishes a message on the channel "<prefix>inval" in the same script
// as the write, whether or not the writing Store has a copy of its own:
// RevokeToken, RevokeSession and RevokeSubject name the subject,
// Lists.Set and Lists.SetIfAbsent (when it writes) the account, and
// Store.Establish, after its records, everything. A write that succeeded
// has therefore published, and every Store with a copy drops the answers
// it names when the message arrives; the writing Store drops them from its
// own copy at once, so it reads its own writes.
//
// The copy is fail-safe. It is used only while the Store's subscription to
// the channel is confirmed: when the subscription's connection breaks, or
// stops answering its health check, the whole copy is dropped at once and
// every read goes to Redis until a new subscription is confirmed (the
// invalidations sent meanwhile are lost, and nothing read before is
// kept). A read from Redis stores its answer only if no invalidation
// arrived and the subscription did not change while it ran, so an answer
// read before a write never outlives that write's invalidation. Errors
// (Redis unreachable, [ErrStateLost]) are never cached.
//
// A write made to Redis other than through a Store (redis-cli, another
// program, a Store of an older version that does not publish) is seen by
// a copy only after MaxAge. So is data lost without the subscription
// breaking (FLUSHALL): a copy keeps the answers it had, which were right
// before the loss, until Establish clears them; every revocation written
// since still reaches it.
type LocalCache struct {
	// Enabled turns the local copy on. Off by default: every read goes
	// to Redis.
	Enabled bool
	// MaxEntries bounds the number of cached answers (revocation answers
	// and allowlists together); 0 means DefaultLocalCacheMaxEntries. When
	// full, the answers of an arbitrary subject or account are dropped to
	// make room.
	MaxEntries int
	// MaxAge bounds how long an answer is used before it is read again, a
	// backstop for writes that bypass the Store; 0 means
	// DefaultLocalCacheMaxAge (one minute).
	MaxAge time.Duration
	// HealthCheck is how long the subscription may stay silent before the
	// Store pings it; a ping unanswered for another HealthCheck drops the
	// copy. A connection that breaks drops it at once; HealthCheck bounds
	// the detection of one that silently stops (at most twice its value).
	// 0 means DefaultLocalCacheHealthCheck (one second).
	HealthCheck time.Duration
}

// validate fills the defaults of an enabled LocalCache and refuses
// negative values.
func (lc *LocalCache) validate() error {
	if lc.MaxEntries < 0 || lc.MaxAge < 0 || lc.HealthCheck < 0 {
		return errors.New("negative LocalCache value")
	}
	if lc.MaxEntries == 0 {
		lc.MaxEntries = DefaultLocalCacheMaxEntries
	}
	if lc.MaxAge == 0 {
		lc.MaxAge = DefaultLocalCacheMaxAge
	}
	if lc.HealthCheck == 0 {
		lc.HealthCheck = DefaultLocalCacheHealthCheck
	}
	return nil
}

// Invalidation messages: a kind byte, then the subject or account.
const (
	invalSubject = 'r'
	invalAccount = 'l'
	invalAll     = "*"
)

// revAnswer is what the revocation MGET of one token said, apart from the
// token's issue time.
type revAnswer struct {
	idRevoked bool  // the token's jti or session key exists
	hasNBF    bool  // the subject has a not-before
	nbf       int64 // the subject's not-before, Unix seconds
	began     int64 // the epoch's start, Unix seconds
	at        time.Time
}

// revoked returns the answer for a token issued at iat (0: unknown), as
// Revocations.Revoked computes it.
func (a revAnswer) revoked(iat int64) bool {
	if a.idRevoked {
		return true
	}
	if iat != 0 && iat < a.began {
		return true
	}
	return a.hasNBF && iat <= a.nbf
}

type listAnswer struct {
	raw string
	at  time.Time
}

// localCache is the Store's local copy and the subscription that keeps it.
type localCache struct {
	client  redis.UniversalClient
	channel string
	cfg     LocalCache
	now     func() time.Time

	mu       sync.RWMutex
	live     bool   // the subscription is confirmed
	gen      uint64 // changes on every invalidation and every change of live
	n        int    // cached answers
	subjects map[string]map[string]revAnswer
	accounts map[string]listAnswer
	ps       *redis.PubSub // the current subscription, closed by stop

	// afterRead, when set (by tests), runs after a read from Redis and
	// before its answer is stored.
	afterRead func()

	cancel context.CancelFunc
	done   chan struct{}
}

func newLocalCache(client redis.UniversalClient, channel string, cfg LocalCache, now func() time.Time) *localCache {
	ctx, cancel := context.WithCancel(context.Background())
	c := &localCache{
		client: client, channel: channel, cfg: cfg, now: now,
		subjects: make(map[string]map[string]revAnswer),
		accounts: make(map[string]listAnswer),
		cancel:   cancel, done: make(chan struct{}),
	}
	go c.run(ctx)
	return c
}

// stop ends the subscription and waits for it.
func (c *localCache) stop() {
	c.cancel()
	c.mu.Lock()
	if c.ps != nil {
		_ = c.ps.Close()
	}
	c.mu.Unlock()
	<-c.done
}

// run keeps a subscription to the invalidation channel until ctx ends,
// opening a new one (after a pause) whenever one fails.
func (c *localCache) run(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		ps := c.client.Subscribe(ctx, c.channel) // dials: not under mu
		c.mu.Lock()
		c.ps = ps
		c.mu.Unlock()
		c.session(ctx, ps) // returns at once if stop ran meanwhile
		c.drop(false)
		c.mu.Lock()
		c.ps = nil
		c.mu.Unlock()
		_ = ps.Close()
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// session reads ps until it fails: the copy is live from the confirmation
// of the subscription on, until session returns.
func (c *localCache) session(ctx context.Context, ps *redis.PubSub) {
	pinged := false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, c.cfg.HealthCheck)
		if err != nil {
			var ne net.Error
			if !pinged && errors.As(err, &ne) && ne.Timeout() {
				if ps.Ping(ctx) != nil {
					return
				}
				pinged = true
				continue
			}
			return
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" || m.Channel != c.channel {
				return
			}
			c.drop(true)
		case *redis.Message:
			c.invalidate(m.Payload)
		}
	}
}

// drop empties the copy and makes it live or not.
func (c *localCache) drop(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.live = live
	c.gen++
	c.clearLocked()
}

func (c *localCache) clearLocked() {
	clear(c.subjects)
	clear(c.accounts)
	c.n = 0
}

// invalidate drops what an invalidation message names.
func (c *localCache) invalidate(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	switch {
	case msg == invalAll || msg == "":
		c.clearLocked()
	case msg[0] == invalSubject:
		c.n -= len(c.subjects[msg[1:]])
		delete(c.subjects, msg[1:])
	case msg[0] == invalAccount:
		if _, ok := c.accounts[msg[1:]]; ok {
			c.n--
			delete(c.accounts, msg[1:])
		}
	default:
		c.clearLocked()
	}
}

// begin returns the generation a read starts under, and whether its answer
// may be stored at all.
func (c *localCache) begin() (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen, c.live
}

// fresh reports whether an answer stored at at may still be used.
func (c *localCache) fresh(at time.Time) bool {
	return c.now().Sub(at) < c.cfg.MaxAge
}

// tokenKey returns the key of a token's answer within its subject.
func tokenKey(buf []byte, jti, sid string) []byte {
	buf = append(buf, jti...)
	buf = append(buf, 0)
	return append(buf, sid...)
}

// revoked returns the cached answer for a token, if there is one.
func (c *localCache) revoked(subject, jti, sid string, iat int64) (revoked, ok bool) {
	var buf [128]byte
	k := tokenKey(buf[:0], jti, sid)
	c.mu.RLock()
	a, ok := c.subjects[subject][string(k)]
	live := c.live
	c.mu.RUnlock()
	if !ok || !live || !c.fresh(a.at) {
		return false, false
	}
	return a.revoked(iat), true
}

// storeRevoked stores a token's answer read under generation gen, unless
// the copy was invalidated or dropped since.
func (c *localCache) storeRevoked(gen uint64, subject, jti, sid string, a revAnswer) {
	if c.afterRead != nil {
		c.afterRead()
	}
	a.at = c.now()
	k := string(tokenKey(nil, jti, sid))
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if _, exists := c.subjects[subject][k]; !exists {
		c.makeRoomLocked() // may drop this subject's map
		c.n++
	}
	m := c.subjects[subject]
	if m == nil {
		m = make(map[string]revAnswer)
		c.subjects[subject] = m
	}
	m[k] = a
}

// list returns the cached text of an account's list, if there is one.
func (c *localCache) list(account string) (string, bool) {
	c.mu.RLock()
	a, ok := c.accounts[account]
	live := c.live
	c.mu.RUnlock()
	if !ok || !live || !c.fresh(a.at) {
		return "", false
	}
	return a.raw, true
}

// storeList stores an account's list read under generation gen, unless
// the copy was invalidated or dropped since.
func (c *localCache) storeList(gen uint64, account, raw string) {
	if c.afterRead != nil {
		c.afterRead()
	}
	a := listAnswer{raw: raw, at: c.now()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live || c.gen != gen {
		return
	}
	if _, exists := c.accounts[account]; !exists {
		c.makeRoomLocked()
		c.n++
	}
	c.accounts[account] = a
}

// makeRoomLocked drops arbitrary subjects and accounts until one more
// answer fits.
func (c *localCache) makeRoomLocked() {
	for subject, m := range c.subjects {
		if c.n < c.cfg.MaxEntries {
			return
		}
		c.n -= len(m)
		delete(c.subjects, subject)
	}
	for account := range c.accounts {
		if c.n < c.cfg.MaxEntries {
			return
		}
		c.n--
		delete(c.accounts, account)
	}
}

// invalidateLocal applies to the Store's own local copy, at once, the
// invalidation that a write of the Store publishes for every copy, so that
// the Store reads its own writes. The write paths call it whatever their
// outcome: a write that failed may still have been applied.
func (s *Store) invalidateLocal(kind byte, name string) {
	if s.local != nil {
		s.local.invalidate(string(kind) + name)
	}
}

// LocalCacheLive reports whether the Store's local copy (Config.LocalCache)
// is in use: its invalidation subscription is confirmed. It is false
// without a local copy, and while it is false every read goes to Redis.
func (s *Store) LocalCacheLive() bool {
	if s.local == nil {
		return false
	}
	_, live := s.local.begin()
	return live
}

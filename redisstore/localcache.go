package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
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
// On a Redis Cluster the Store subscribes on every master, so a message
// reaches it straight from the master that ran the write rather than over
// the cluster bus; the copies the bus also delivers are recognised (each
// write's message carries a tag of its own) and applied once. Every
// HealthCheck the Store compares the cluster's masters with the ones it
// subscribed on, and when they differ (a failover, a node added) it drops
// the copy and subscribes on the new set. On a single Redis (a Sentinel
// deployment included) the Store checks every HealthCheck that its client
// still reaches the server it subscribed on (CLIENT INFO's laddr, read with
// the epoch record): go-redis moves a client's commands to the new primary
// after a Sentinel failover, not its subscription, which would miss the
// new primary's invalidations; when the server changed, the Store drops the
// copy and subscribes again, on the new primary.
//
// The copy is fail-safe. It is used only while the Store's subscriptions
// to the channel are all confirmed: when one subscription's connection
// breaks, or stops answering its health check, the whole copy is dropped
// at once and every read goes to Redis until a new subscription on every
// master is confirmed (the invalidations sent meanwhile are lost, and
// nothing read before is kept). A read from Redis stores its answer only
// if no invalidation arrived and the subscriptions did not change while it
// ran, so an answer read before a write never outlives that write's
// invalidation. Errors
// (Redis unreachable, [ErrStateLost]) are never cached. Each time the copy
// goes out of use, and in use again, the Store says so to Config.Logger.
//
// It is also used only while Redis holds the epoch records its answers
// were read under (see [Store.Establish]). Every HealthCheck the Store
// reads the epoch record — on a cluster, that of one hash slot of every
// master (a master that loses its data loses the records of all its
// slots), one command per master, sent at once. When one is missing, the
// copy is dropped and stays out of use, serving and storing nothing,
// until a check finds every record again; when one holds a new epoch, the
// copy is dropped. A loss of data that leaves the subscriptions up
// (FLUSHALL, FLUSHDB, a master replaced by an empty one) therefore
// reaches the copy within HealthCheck and the check's round trip (a check
// that fails, or gets no answer within HealthCheck, drops the copy too);
// from then on reads go to Redis and fail with ErrStateLost, as without
// the copy, until Establish. Establish's clear-all makes the Store check
// at once, so the copy is used again as soon as the records are back.
//
// A write made to Redis other than through a Store (redis-cli, another
// program, a Store of a version that does not publish) is seen by
// a copy only after MaxAge. So are epoch records deleted one by one (a
// script, redis-cli) rather than lost with their master's data, unless
// one of them is a record the check reads.
type LocalCache struct {
	// Enabled turns the local copy on. Off by default: every read goes to
	// Redis. With it, after a loss of data that leaves the subscription
	// up (FLUSHALL), the copy answers from what it held (never more than
	// Redis allowed before the loss) until its next check of the epoch
	// records, within HealthCheck and a round trip; from then on the
	// reads of the lost state fail with ErrStateLost (503), as without
	// it.
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
	// HealthCheck is how long a subscription may stay silent before the
	// Store pings it; a ping unanswered for another HealthCheck drops the
	// copy. A connection that breaks drops it at once; HealthCheck bounds
	// the detection of one that silently stops (at most twice its value).
	// It is also the interval at which the Store reads the epoch records
	// (and, on a cluster, compares the set of masters), and how long it
	// waits for their answer: a loss of data is detected within
	// HealthCheck and a round trip, and at most twice HealthCheck when
	// Redis does not answer. 0 means DefaultLocalCacheHealthCheck (one
	// second).
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

// Invalidation messages: a kind byte, then the subject or account. A
// Store's writes publish the tagged kinds: the kind byte, a tag of
// invalTagLen bytes unique to the write, then the name. On a cluster the
// same message reaches the copy once per master (from the master that ran
// the write, and over the cluster bus from the others); the tag lets the
// copy apply it once.
const (
	invalSubject       = 'r'
	invalAccount       = 'l'
	invalSubjectTagged = 'R'
	invalAccountTagged = 'L'
	invalAll           = "*"
	invalTagLen        = 16
	// invalSeenMax is how many tags a copy remembers: a copy of a message
	// arriving after invalSeenMax others is applied again (harmless).
	invalSeenMax = 4096
)

// invalTagBase is this process's random half of every tag; invalTagSeq,
// the other half, counts the messages.
var (
	invalTagBase = sync.OnceValue(func() [8]byte {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		return b
	})
	invalTagSeq atomic.Uint64
)

// invalMessage returns the message a write publishes for the subject or
// account name, of kind invalSubject or invalAccount, tagged.
func invalMessage(kind byte, name string) string {
	base := invalTagBase()
	b := make([]byte, 0, 1+invalTagLen+len(name))
	b = append(b, kind-'a'+'A')
	b = append(b, base[:]...)
	b = binary.BigEndian.AppendUint64(b, invalTagSeq.Add(1))
	return string(append(b, name...))
}

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

// localCache is the Store's local copy and the subscriptions that keep it.
type localCache struct {
	client  redis.UniversalClient
	channel string
	prefix  string // of the epoch records the copy checks
	cfg     LocalCache
	now     func() time.Time
	log     *slog.Logger
	recheck chan struct{} // asks for an epoch check now (a clear-all arrived)
	stopped atomic.Bool   // stop has begun: changes of use are no longer reported

	mu         sync.RWMutex
	live       bool   // subscribed and epochsOK: the copy is in use
	subscribed bool   // every subscription of the current round is confirmed
	epochsOK   bool   // the round's last epoch check found every record
	gen        uint64 // changes on every invalidation and every change of live
	n          int    // cached answers
	subjects   map[string]map[string]revAnswer
	accounts   map[string]listAnswer
	seen       map[string]struct{} // tags of the messages applied
	seenRing   []string            // the same tags, a ring
	seenNext   int                 // the ring's oldest tag, once full
	round      *subRound           // the current subscriptions, closed by stop

	// afterRead, when set (by tests), runs after a read from Redis and
	// before its answer is stored.
	afterRead func()
	// beforeSession, when set (by tests, under mu), runs before the
	// confirmation of the subscription on addr is read.
	beforeSession func(addr string)

	cancel context.CancelFunc
	done   chan struct{}
}

// subRound is one set of subscriptions: one on a single Redis, one per
// master on a cluster. The copy is live only while every one of them is
// confirmed; the first that fails ends the round and drops the copy.
type subRound struct {
	subs      []*redis.PubSub
	confirmed int
	failed    bool
}

func newLocalCache(client redis.UniversalClient, prefix, channel string, cfg LocalCache, now func() time.Time, log *slog.Logger) *localCache {
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), backgroundKey{}, true))
	c := &localCache{
		client: client, channel: channel, prefix: prefix, cfg: cfg, now: now, log: log,
		recheck:  make(chan struct{}, 1),
		subjects: make(map[string]map[string]revAnswer),
		accounts: make(map[string]listAnswer),
		seen:     make(map[string]struct{}),
		cancel:   cancel, done: make(chan struct{}),
	}
	go c.run(ctx)
	return c
}

// backgroundKey marks the context of every command the copy sends on its
// own (subscriptions, checks), so that the package's tests can leave them
// out of the commands they count.
type backgroundKey struct{}

// stop ends the subscriptions and waits for them.
func (c *localCache) stop() {
	c.stopped.Store(true)
	c.cancel()
	c.mu.Lock()
	if c.round != nil {
		for _, ps := range c.round.subs {
			_ = ps.Close()
		}
	}
	c.mu.Unlock()
	<-c.done
}

// run keeps the subscriptions to the invalidation channel until ctx ends,
// opening a new round of them (after a pause) whenever one fails, a check
// of the epoch records fails or, on a cluster, the set of masters changes.
func (c *localCache) run(ctx context.Context) {
	defer close(c.done)
	for ctx.Err() == nil {
		c.subscribe(ctx)
		c.drop()
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// masters returns the clients of the nodes to subscribe on, keyed by
// address: every master of a cluster, whose PUBLISH (run by the write's
// own script, on the master of the written key) reaches its own
// subscribers directly rather than over the cluster bus; the client
// itself otherwise.
func (c *localCache) masters(ctx context.Context) (map[string]redis.UniversalClient, error) {
	cc, ok := c.client.(*redis.ClusterClient)
	if !ok {
		return map[string]redis.UniversalClient{"": c.client}, nil
	}
	var mu sync.Mutex
	nodes := make(map[string]redis.UniversalClient)
	err := cc.ForEachMaster(ctx, func(_ context.Context, node *redis.Client) error {
		mu.Lock()
		nodes[node.Options().Addr] = node
		mu.Unlock()
		return nil
	})
	if err == nil && len(nodes) == 0 {
		err = errors.New("redisstore: cluster has no master")
	}
	return nodes, err
}

// sameNodes reports whether a and b name the same addresses.
func sameNodes(a, b map[string]redis.UniversalClient) bool {
	if len(a) != len(b) {
		return false
	}
	for addr := range a {
		if _, ok := b[addr]; !ok {
			return false
		}
	}
	return true
}

// subscribe runs one round of subscriptions until one of them fails, ctx
// ends, a check fails or, on a cluster, the set of masters changes; the
// copy is dropped (not live) when it returns.
//
// The round reads the epoch records first, then subscribes, and checks
// them again every HealthCheck (and as soon as a clear-all arrives): every
// answer the round stores is read after the first check, so a record lost
// or written anew since shows at the next one.
func (c *localCache) subscribe(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nodes, err := c.masters(ctx)
	if err != nil {
		return
	}
	ec, err := c.firstCheck(ctx, nodes)
	if err != nil {
		return
	}
	r := &subRound{}
	var why error // why the round ended, reported if the copy was in use
	addrs := make([]string, 0, len(nodes))
	for addr, node := range nodes {
		addrs = append(addrs, addr)
		r.subs = append(r.subs, node.Subscribe(ctx, c.channel)) // dials: not under mu
	}
	c.mu.Lock()
	c.round = r
	hook := c.beforeSession
	c.mu.Unlock()
	defer func() {
		c.fail(r, why)
		c.mu.Lock()
		c.round = nil
		c.mu.Unlock()
	}()

	ended := make(chan error, len(r.subs))
	var wg sync.WaitGroup
	for i, ps := range r.subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if hook != nil {
				hook(addrs[i])
			}
			err := c.session(ctx, r, ps) // returns at once if stop ran meanwhile
			c.fail(r, err)
			ended <- err
		}()
	}
	defer func() {
		cancel()
		for _, ps := range r.subs {
			_ = ps.Close()
		}
		wg.Wait()
	}()

	tick := time.NewTicker(c.cfg.HealthCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case why = <-ended:
			return
		case <-tick.C:
		case <-c.recheck:
		}
		if why = c.check(ctx, nodes, ec); why != nil {
			return
		}
	}
}

// firstCheck returns the round's check of the epoch records, on the
// masters nodes, once it has read them.
func (c *localCache) firstCheck(ctx context.Context, nodes map[string]redis.UniversalClient) (*epochCheck, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HealthCheck)
	defer cancel()
	ec, err := newEpochCheck(ctx, c.client, c.prefix, nodes)
	if err != nil {
		return nil, err
	}
	state, err := ec.read(ctx)
	if err != nil {
		return nil, err
	}
	c.epochs(state)
	return ec, nil
}

// errMastersChanged ends a round on a cluster whose masters changed.
var errMastersChanged = errors.New("the cluster's masters changed")

// check reads the epoch records of ec and, on a cluster, at the same time
// compares the masters with nodes, within HealthCheck. It returns an
// error, ending the round, when a read fails or the masters changed.
func (c *localCache) check(ctx context.Context, nodes map[string]redis.UniversalClient, ec *epochCheck) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HealthCheck)
	defer cancel()
	same := true
	var wg sync.WaitGroup
	if _, ok := c.client.(*redis.ClusterClient); ok {
		wg.Go(func() {
			now, err := c.masters(ctx)
			same = err == nil && sameNodes(nodes, now)
		})
	}
	state, err := ec.read(ctx)
	wg.Wait()
	switch {
	case err != nil:
		return fmt.Errorf("checking the epoch records: %w", err)
	case !same:
		return errMastersChanged
	}
	c.epochs(state)
	return nil
}

// epochs applies what a check of the epoch records found. A missing
// record drops the copy and keeps it out of use (nothing is served or
// stored) until a check finds every record again; a record written anew
// (a new epoch) drops the copy.
func (c *localCache) epochs(state epochState) {
	c.mu.Lock()
	was := c.live
	ok := state != epochsMissing
	if ok == c.epochsOK && state != epochsChanged {
		c.mu.Unlock()
		return
	}
	c.epochsOK = ok
	c.live = c.subscribed && ok
	c.gen++
	c.clearLocked()
	now := c.live
	c.mu.Unlock()
	c.report(was, now, errEpochsMissing)
}

// errEpochsMissing takes the copy out of use while Redis lacks an epoch
// record.
var errEpochsMissing = errors.New("an epoch record is missing: Redis lost its data, or Store.Establish has not run")

// report logs a change of the copy's use: Warn, with why, when it goes
// out of use; Info when it is in use again. Nothing is reported once stop
// has begun. It runs outside c.mu.
func (c *localCache) report(was, now bool, why error) {
	switch {
	case was == now || c.stopped.Load():
	case now:
		c.log.Info("gatehouse redisstore: local copy in use", "channel", c.channel)
	default:
		msg := "unknown"
		if why != nil {
			msg = why.Error()
		}
		c.log.Warn("gatehouse redisstore: local copy out of use, reads go to Redis", "channel", c.channel, "error", msg)
	}
}

// session reads ps, one subscription of round r, until it fails, and
// returns why.
func (c *localCache) session(ctx context.Context, r *subRound, ps *redis.PubSub) error {
	pinged, confirmed := false, false
	for ctx.Err() == nil {
		msg, err := ps.ReceiveTimeout(ctx, c.cfg.HealthCheck)
		if err != nil {
			var ne net.Error
			if !pinged && errors.As(err, &ne) && ne.Timeout() {
				if err := ps.Ping(ctx); err != nil {
					return fmt.Errorf("subscription unanswered: %w", err)
				}
				pinged = true
				continue
			}
			return fmt.Errorf("subscription lost: %w", err)
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" || m.Channel != c.channel || confirmed {
				return fmt.Errorf("unexpected %s of channel %q", m.Kind, m.Channel)
			}
			confirmed = true
			c.confirm(r)
		case *redis.Message:
			c.received(m.Payload)
		}
	}
	return ctx.Err()
}

// confirm counts one confirmed subscription of round r, and makes the
// (emptied) copy live once all of them are.
func (c *localCache) confirm(r *subRound) {
	c.mu.Lock()
	was := c.live
	if !r.failed {
		r.confirmed++
		if r.confirmed == len(r.subs) {
			c.subscribed = true
			c.live = c.epochsOK
			c.gen++
			c.clearLocked()
		}
	}
	now := c.live
	c.mu.Unlock()
	c.report(was, now, errEpochsMissing)
}

// fail ends round r: the copy is dropped and stays so until a new round
// is confirmed.
func (c *localCache) fail(r *subRound, why error) {
	c.mu.Lock()
	if r.failed {
		c.mu.Unlock()
		return
	}
	was := c.live
	r.failed = true
	c.subscribed = false
	c.live = false
	c.gen++
	c.clearLocked()
	c.mu.Unlock()
	c.report(was, false, why)
}

// drop empties the copy and takes it out of use.
func (c *localCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.subscribed = false
	c.live = false
	c.gen++
	c.clearLocked()
}

func (c *localCache) clearLocked() {
	clear(c.subjects)
	clear(c.accounts)
	c.n = 0
}

// received applies an invalidation message from a subscription, once per
// tag.
func (c *localCache) received(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(msg) >= 1+invalTagLen && (msg[0] == invalSubjectTagged || msg[0] == invalAccountTagged) {
		tag := msg[1 : 1+invalTagLen]
		if _, dup := c.seen[tag]; dup {
			return
		}
		c.seen[tag] = struct{}{}
		if len(c.seenRing) < invalSeenMax {
			c.seenRing = append(c.seenRing, tag)
		} else {
			delete(c.seen, c.seenRing[c.seenNext])
			c.seenRing[c.seenNext] = tag
			c.seenNext = (c.seenNext + 1) % invalSeenMax
		}
		c.invalidateLocked(string(msg[0]-'A'+'a') + msg[1+invalTagLen:])
		return
	}
	c.invalidateLocked(msg)
}

// invalidate drops what an invalidation message names.
func (c *localCache) invalidate(msg string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateLocked(msg)
}

func (c *localCache) invalidateLocked(msg string) {
	c.gen++
	switch {
	case msg == invalAll:
		c.clearLocked()
		select { // Establish's: the epoch records may be back
		case c.recheck <- struct{}{}:
		default:
		}
	case msg == "":
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

// tokenKey returns the key of a token's answer within its subject: the
// length of jti, jti and sid, so that two tokens whose jti and sid differ
// never share a key (a jti or sid may hold any byte).
func tokenKey(buf []byte, jti, sid string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(jti)))
	buf = append(buf, jti...)
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
// is in use: its invalidation subscriptions (one per master on a cluster)
// are all confirmed, and its last check found the epoch records (see
// [LocalCache]). It is false without a local copy, and while it is false
// every read goes to Redis.
func (s *Store) LocalCacheLive() bool {
	if s.local == nil {
		return false
	}
	_, live := s.local.begin()
	return live
}

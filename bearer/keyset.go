package bearer

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/MicahParks/jwkset"
)

// A keySet is one issuer's remote JWK Set. One goroutine fetches it: at
// start, when the last response's freshness runs out, after a failure
// (with backoff) and when a token names a kid the set lacks. Fetches are
// therefore never concurrent, and requests that need a fetch share the
// one under way.
//
// The set lives in an immutable snapshot of bound keys: a lookup is one
// atomic load and one map read, and a key that stays published across
// refreshes keeps its *remoteKey, so the verified-token cache can tell
// with a pointer comparison whether the key a token was verified with is
// still in the set.
type keySet struct {
	issuer    string   // the configured issuer, "" when not checked
	issuerURL *url.URL // the issuer parsed, when its set is discovered
	fixedURL  string   // the configured JWK Set URL, if any
	fetch     *fetcher
	log       *slog.Logger
	rsaAlg    string // the only RSA algorithm allowed, for JWKs without "alg"
	allowed   []string
	onResult  func(FetchResult) // Fetch.OnResult, or nil

	minRefresh, maxRefresh, refresh time.Duration
	unknownInterval, unknownWait    time.Duration

	snap atomic.Pointer[jwkSnapshot]

	mu        sync.Mutex
	jwksURL   string        // configured or discovered; "" until discovered
	fresh     freshness     // the caching headers of the set held
	etag      string        // the validator of the set held
	lastStart time.Time     // when the last fetch started
	notBefore time.Time     // a Retry-After: no fetch before it
	fetching  bool          // a fetch is under way
	urgent    bool          // a request waits for a fetch
	pending   bool          // an unknown kid came while fetches were rate-limited
	done      chan struct{} // closed when the next fetch ends
	failures  int           // consecutive failed fetches
	lastErr   error         // the last failure, nil after a success
	fetchedAt time.Time     // when the last fetch succeeded (200 or 304)

	wake   chan struct{}
	cancel context.CancelFunc
	exited chan struct{}
}

// A remoteKey is one usable key of a remote set, bound to its algorithm.
// Its address is its identity: it changes when the provider publishes
// another key under the same kid.
type remoteKey struct {
	Key
	set *keySet
}

// jwkSnapshot is a remote set as of one fetch.
type jwkSnapshot struct {
	byKID map[string]*remoteKey // usable keys; the first of duplicate kids wins
	size  int                   // members in the set, usable or not
	only  *remoteKey            // the usable key of a one-member set, for tokens without kid
	got   bool                  // the set was fetched (it may still be empty)
}

// lookup returns the usable key for kid ("" only for a one-key set).
func (s *jwkSnapshot) lookup(kid string) *remoteKey {
	if kid == "" {
		return s.only
	}
	return s.byKID[kid]
}

// newKeySet returns the set of issuer (parsed as issuerURL when it is to
// be discovered), fetched from jwksURL or, when that is empty, from the
// "jwks_uri" discovery finds. It starts fetching in the background.
func newKeySet(issuer string, issuerURL *url.URL, jwksURL string, allowed []string, f Fetch, fetch *fetcher, log *slog.Logger) *keySet {
	ks := &keySet{
		issuer:          issuer,
		issuerURL:       issuerURL,
		fixedURL:        jwksURL,
		jwksURL:         jwksURL,
		fetch:           fetch,
		log:             log,
		onResult:        f.OnResult,
		allowed:         allowed,
		minRefresh:      orDefault(f.MinRefresh, time.Minute),
		maxRefresh:      orDefault(f.MaxRefresh, 24*time.Hour),
		refresh:         orDefault(f.Refresh, time.Hour),
		unknownInterval: orDefault(f.UnknownKIDInterval, 10*time.Second),
		unknownWait:     orDefault(f.UnknownKIDWait, 2*time.Second),
		done:            make(chan struct{}),
		wake:            make(chan struct{}, 1),
		exited:          make(chan struct{}),
	}
	ks.snap.Store(&jwkSnapshot{})
	for _, a := range allowed {
		if a[0] == 'R' || a[0] == 'P' {
			if ks.rsaAlg != "" {
				ks.rsaAlg = "" // several RSA algorithms: a JWK must say which
				break
			}
			ks.rsaAlg = a
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ks.cancel = cancel
	go ks.run(ctx)
	return ks
}

// run is the fetching goroutine.
func (ks *keySet) run(ctx context.Context) {
	defer close(ks.exited)
	timer := time.NewTimer(0)
	defer timer.Stop()
	next := time.Now() // when the set is due for its refresh
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-ks.wake:
		}
		now := time.Now()
		ks.mu.Lock()
		due := !now.Before(next) || ks.wanted(now)
		if !due {
			at := next
			if ks.pending || ks.urgent {
				at = minTime(at, ks.unknownAllowedAt())
			}
			ks.mu.Unlock()
			timer.Reset(max(at.Sub(now), time.Millisecond))
			continue
		}
		ks.lastStart, ks.fetching, ks.urgent, ks.pending = now, true, false, false
		ks.mu.Unlock()

		delay := ks.fetchOnce(ctx)

		ks.mu.Lock()
		ks.fetching = false
		done := ks.done
		ks.done = make(chan struct{})
		ks.mu.Unlock()
		close(done)
		next = time.Now().Add(delay)
		timer.Reset(delay)
	}
}

// wanted reports whether a request asked for a fetch that may start now.
// ks.mu is held.
func (ks *keySet) wanted(now time.Time) bool {
	return (ks.urgent || ks.pending) && !now.Before(ks.unknownAllowedAt())
}

// unknownAllowedAt is when a fetch for an unknown kid may next start.
// ks.mu is held.
func (ks *keySet) unknownAllowedAt() time.Time {
	return maxTime(ks.lastStart.Add(ks.unknownInterval), ks.notBefore)
}

// fetchOnce discovers the set's URL if needed, fetches the set and
// returns how long to wait before the next refresh.
func (ks *keySet) fetchOnce(ctx context.Context) time.Duration {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ks.mu.Lock()
	u, etag := ks.jwksURL, ks.etag
	ks.mu.Unlock()
	if u == "" {
		var err error
		var retryAfter time.Duration
		if u, retryAfter, err = ks.discover(ctx); err != nil {
			return ks.failed(ctx, err, retryAfter)
		}
		ks.mu.Lock()
		ks.jwksURL = u
		ks.mu.Unlock()
	}
	resp, err := ks.fetch.get(ctx, u, "application/jwk-set+json, application/json", etag)
	if err != nil {
		var retryAfter time.Duration
		if se, ok := errors.AsType[*statusError](err); ok {
			retryAfter = se.retryAfter
		}
		return ks.failed(ctx, err, retryAfter)
	}
	if !resp.notModified {
		set, err := parseJWKSet(resp.body)
		if err != nil {
			return ks.failed(ctx, fmt.Errorf("GET %s: %w", safeURL(u), err), 0)
		}
		ks.publish(set)
	}
	fresh := resp.fresh
	ks.mu.Lock()
	if resp.notModified && !fresh.known {
		fresh = ks.fresh // a 304 without Cache-Control keeps the stored one (RFC 9111 §4.3.4)
	}
	ks.etag, ks.fresh = resp.etag, fresh
	recovered := ks.lastErr != nil
	ks.failures, ks.lastErr, ks.notBefore = 0, nil, time.Time{}
	ks.fetchedAt = time.Now()
	ks.mu.Unlock()
	ks.report(u, resp.notModified, nil)
	if recovered {
		ks.log.Info("gatehouse bearer: key set fetched again", "issuer", ks.name(), "jwks_url", safeURL(u))
	}
	d := ks.refresh
	if fresh.known {
		d = fresh.maxAge
	}
	return min(max(d, ks.minRefresh), ks.maxRefresh)
}

// rediscoverAfter is the number of consecutive failures of a discovered
// JWK Set URL after which the issuer's metadata is read again, in case
// the provider moved its set.
const rediscoverAfter = 3

// failed records a failed fetch, reports it and returns the backoff: 1 s,
// 2 s, 4 s, … up to minRefresh, and never before retryAfter (the failed
// response's Retry-After, at most maxRefresh), which holds back the
// fetches unknown kids ask for too. A discovered URL that keeps failing
// is discovered again. A fetch cut short by Close is not reported.
func (ks *keySet) failed(ctx context.Context, err error, retryAfter time.Duration) time.Duration {
	if ctx.Err() != nil {
		return ks.minRefresh // closing
	}
	ks.mu.Lock()
	ks.failures++
	ks.lastErr = err
	n, u := ks.failures, ks.jwksURL
	if retryAfter > 0 {
		ks.notBefore = maxTime(ks.notBefore, time.Now().Add(min(retryAfter, ks.maxRefresh)))
	}
	wait := time.Until(ks.notBefore)
	if ks.issuerURL != nil && n%rediscoverAfter == 0 {
		ks.jwksURL, ks.etag = "", ""
	}
	ks.mu.Unlock()
	ks.log.Warn("gatehouse bearer: key set fetch failed", "issuer", ks.name(), "attempt", n, "error", err)
	ks.report(u, false, err)
	backoff := ks.minRefresh
	if n <= 16 {
		backoff = min(time.Second<<(n-1), ks.minRefresh)
	}
	return max(backoff, wait)
}

// name identifies the set in logs and errors: its issuer, or its JWK Set
// URL when the issuer is not checked.
func (ks *keySet) name() string {
	if ks.issuer != "" {
		return ks.issuer
	}
	return safeURL(ks.fixedURL)
}

// parseJWKSet decodes a JWK Set (RFC 7517 §5). A member that is not a JWK
// jwkset understands is skipped, its kid left unknown; a body that is not
// a JWK Set is an error and the last good set stays.
func parseJWKSet(body []byte) ([]jwkset.JWK, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("not a JWK Set: %w", err)
	}
	if doc.Keys == nil {
		return nil, errors.New(`not a JWK Set: no "keys" member`)
	}
	set := make([]jwkset.JWK, 0, len(doc.Keys))
	for _, raw := range doc.Keys {
		j, err := jwkset.NewJWKFromRawJSON(raw, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			set = append(set, jwkset.JWK{}) // counted, never usable
			continue
		}
		set = append(set, j)
	}
	return set, nil
}

// publish rebuilds the snapshot from the set's members, keeping the
// *remoteKey of every kid whose key and algorithm did not change.
func (ks *keySet) publish(set []jwkset.JWK) {
	old := ks.snap.Load()
	next := &jwkSnapshot{byKID: make(map[string]*remoteKey, len(set)), size: len(set), got: true}
	for _, j := range set {
		k, err := keyFromJWK(j, "", ks.rsaAlg, false)
		if err != nil || k.ID == "" && len(set) > 1 || !slices.Contains(ks.allowed, k.Algorithm) {
			continue // unusable here: its kid stays unknown
		}
		if _, dup := next.byKID[k.ID]; dup {
			continue
		}
		rkey := &remoteKey{Key: k, set: ks}
		if prev := old.byKID[k.ID]; prev != nil && prev.Algorithm == k.Algorithm && sameKey(prev.Key.Key, k.Key) {
			rkey = prev
		}
		next.byKID[k.ID] = rkey
		if len(set) == 1 {
			next.only = rkey
		}
	}
	ks.snap.Store(next)
}

// sameKey reports whether two bound public keys are equal.
func sameKey(a, b any) bool {
	ka, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && ka.Equal(b)
}

// key returns the key for kid bound to alg. An unknown kid asks for a
// fetch of the set (see refreshFor) and is ErrUnknownKey if the set does
// not have it after it either; while the set holds no usable key at all
// (the provider was never reached, or publishes none this issuer may
// use: the issuer is not ready) it is ErrUnavailable, so the outage is a
// 503 and not the client's fault.
func (ks *keySet) key(ctx context.Context, kid, alg string) (*remoteKey, error) {
	snap := ks.snap.Load()
	k := snap.lookup(kid)
	if k == nil && kid != "" {
		ks.refreshFor(ctx)
		snap = ks.snap.Load()
		k = snap.lookup(kid)
	}
	switch {
	case k != nil && k.Algorithm == alg: // publish kept only allowed algorithms
		return k, nil
	case k == nil && len(snap.byKID) == 0:
		return nil, ErrUnavailable
	}
	return nil, ErrUnknownKey
}

// refreshFor asks for a fetch because a token's kid is not in the set.
// When a fetch is under way, or one may start (the last began at least
// UnknownKIDInterval ago and no Retry-After forbids it), the request
// waits for it, at most UnknownKIDWait; otherwise it returns at once and
// the set is fetched as soon as the interval ends, so that a key published
// meanwhile is in the set by then.
func (ks *keySet) refreshFor(ctx context.Context) {
	ks.mu.Lock()
	var done chan struct{}
	switch {
	case ks.fetching:
		done = ks.done
	case !time.Now().Before(ks.unknownAllowedAt()):
		ks.urgent = true
		done = ks.done
	default:
		ks.pending = true
	}
	ks.mu.Unlock()
	select {
	case ks.wake <- struct{}{}:
	default:
	}
	if done == nil {
		return
	}
	t := time.NewTimer(ks.unknownWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	case <-ctx.Done():
	case <-ks.exited: // closed: no fetch will come
	}
}

// holds reports whether the set, as last fetched, has a usable key for
// kid: when it does not, key asks for a fetch.
func (ks *keySet) holds(kid string) bool {
	return ks.snap.Load().lookup(kid) != nil
}

// live reports whether k is still its set's key for kid: the check a
// cache hit makes for a token verified with a remote key. It allocates
// nothing.
func (k *remoteKey) live(kid string) bool {
	return k.set.snap.Load().lookup(kid) == k
}

// usable reports nil when the set has a usable key, else why not.
func (ks *keySet) usable() error {
	snap := ks.snap.Load()
	if len(snap.byKID) > 0 {
		return nil
	}
	ks.mu.Lock()
	err := ks.lastErr
	ks.mu.Unlock()
	switch {
	case err != nil:
		return err
	case snap.size > 0:
		return fmt.Errorf("none of the %d keys of the set is usable", snap.size)
	case snap.got:
		return errors.New("the key set is empty")
	}
	return errors.New("no key set fetched yet")
}

// waitUsable waits until the set has a usable key, checking again after
// each fetch, and reports whether it has one: false when ctx is done or
// the set was closed first.
func (ks *keySet) waitUsable(ctx context.Context) bool {
	for {
		ks.mu.Lock()
		done := ks.done // taken before the check: a fetch ending after it closes done
		ks.mu.Unlock()
		if ks.usable() == nil {
			return true
		}
		select {
		case <-done:
		case <-ctx.Done():
			return false
		case <-ks.exited:
			return ks.usable() == nil
		}
	}
}

// close stops the fetching goroutine and waits for it to exit.
func (ks *keySet) close() {
	ks.cancel()
	<-ks.exited
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

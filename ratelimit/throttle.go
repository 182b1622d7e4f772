package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// FailureConfig configures a [FailureThrottle]. The zero FailureConfig is
// valid: 5 failures per key in 15 minutes, in memory, keyed by client
// address in the middleware form.
type FailureConfig struct {
	// Max is how many failures a key may have in one window; the next
	// attempt is refused until the window ends. Default: 5.
	Max int
	// Window is how long failures are counted, from a key's first failure;
	// it may not exceed [MaxPeriod]. Default: 15 minutes.
	Window time.Duration
	// Store holds the counters. Default: a new [MemoryFailureStore] with
	// the default MemoryConfig.
	Store FailureStore
	// Key names the counter in the middleware form. Default: [ByIP].
	Key KeyFunc
	// Message is the 429 message. Default: "Too many failed attempts, try
	// again later".
	Message string
	// Style renders errors in the middleware form. Default: the request's
	// style (envelope.Use), else envelope.Nested.
	Style envelope.Style
	// Audit receives an event (source "ratelimit", action "throttle") for
	// each request the middleware form decides, allowed or refused.
	// Optional.
	Audit gatehouse.Auditor
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// defaultMaxFailures is FailureConfig.Max when it is zero.
const defaultMaxFailures = 5

// A FailureThrottle is the brute-force guard of login and token endpoints:
// after Max failed attempts for one key (a client address, a user name)
// within Window, further attempts are refused with 429 until the window
// ends — before any password hashing or token verification happens.
//
// Every attempt is counted before its credential is checked, in one atomic
// store step, and the count is taken back when the credential turns out
// good, so that concurrent attempts cannot all pass on one stale count:
// however many arrive at once, at most Max of them reach the credential
// check per key and window.
//
//	attempt, err := t.Begin(ctx, key)                 // 429 or 503
//	if err != nil { return err }
//	if !passwordOK { return errBadCredentials }       // the attempt stays counted
//	t.Reset(ctx, key)                                 // or t.Succeed(ctx, key, attempt)
//
// Each attempt has an id of its own, so a store write whose outcome is
// unknown never locks anyone out on its own: when the count of an attempt
// fails (a timeout: it may land in the store later) or its take-back
// fails, the throttle takes that attempt back by id in the background,
// retrying until the store answers (for at most the window), and the
// store ignores the attempt if its count lands after that. An outage of
// the store during correct logins therefore leaves no failures behind; the
// attempts it refused with 503 were never checked, so nothing is lost to
// a brute-force guess either.
//
// Attempts still in flight count against their key until they end: with
// Max in flight for one key, one more is refused until one of them ends.
// That is why its Middleware belongs on authentication endpoints only,
// never in front of a whole API (see [FailureThrottle.Middleware]). It is
// safe for concurrent use.
type FailureThrottle struct {
	max       int
	window    time.Duration
	store     FailureStore
	mem       *MemoryFailureStore // store, when it is one: told max, see Begin
	key       KeyFunc
	now       func() time.Time
	style     envelope.Style
	audit     gatehouse.Auditor
	throttled *envelope.Error
	takeBacks chan struct{} // one token per take-back running in the background
}

// maxTakeBacks bounds the take-backs a FailureThrottle retries in the
// background at once; past it, an attempt whose take-back failed stays
// counted until its window ends, the safe direction.
const maxTakeBacks = 1024

// takeBackTry bounds one background take-back call, and takeBackPause is
// the first pause between two (doubling up to takeBackMaxPause).
const (
	takeBackTry      = 2 * time.Second
	takeBackPause    = 50 * time.Millisecond
	takeBackMaxPause = 2 * time.Second
)

// NewFailureThrottle validates cfg and returns a FailureThrottle, or an
// error wrapping [ErrConfig] that lists every problem.
func NewFailureThrottle(cfg FailureConfig) (*FailureThrottle, error) {
	var problems []error
	if cfg.Max < 0 {
		problems = append(problems, fmt.Errorf("the Max %d is negative", cfg.Max))
	}
	if cfg.Window < 0 {
		problems = append(problems, fmt.Errorf("the Window %v is negative", cfg.Window))
	}
	if cfg.Window > MaxPeriod {
		problems = append(problems, fmt.Errorf("the Window %v is over MaxPeriod (%v)", cfg.Window, MaxPeriod))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	t := &FailureThrottle{
		max: cfg.Max, window: cfg.Window, store: cfg.Store, key: cfg.Key,
		now: cfg.Now, style: cfg.Style, audit: cfg.Audit,
		takeBacks: make(chan struct{}, maxTakeBacks),
	}
	if t.max == 0 {
		t.max = defaultMaxFailures
	}
	if t.window == 0 {
		t.window = 15 * time.Minute
	}
	if t.store == nil {
		t.store = NewMemoryFailureStore(MemoryConfig{})
	}
	t.mem, _ = t.store.(*MemoryFailureStore)
	if t.key == nil {
		t.key = ByIP
	}
	if t.now == nil {
		t.now = time.Now
	}
	msg := cfg.Message
	if msg == "" {
		msg = refusals[rThrottled].Message
	}
	t.throttled = envelope.ErrTooManyRequests.WithMessage(msg).WithCause(refusals[rThrottled].Err)
	return t, nil
}

// Begin counts an attempt for key before its credential is checked and
// returns the attempt's id. It returns nil when key had fewer than Max
// failures (attempts in flight included); a 429 *envelope.Error wrapping
// [ErrThrottled], with RetryAfter set to the time until the window ends
// (at least a second), when it had Max — the refused attempt is taken
// back, so refusals never add to a count; and a 503 wrapping [ErrStore]
// when the store fails — the attempt, which may still land in the store,
// is then taken back in the background. After a nil Begin, a failed
// credential needs nothing more: the attempt stays counted as the
// failure. A good one calls [FailureThrottle.Succeed] with the id, or
// [FailureThrottle.Reset].
func (t *FailureThrottle) Begin(ctx context.Context, key string) (string, error) {
	now := t.now()
	attempt := newAttemptID()
	var (
		n       int
		resetAt time.Time
		err     error
	)
	if t.mem != nil {
		// A MemoryFailureStore keeps the lockouts of this Max when full.
		n, resetAt, err = t.mem.addFailure(key, attempt, t.window, t.max, now)
	} else {
		n, resetAt, err = t.store.AddFailure(ctx, key, attempt, t.window, now)
	}
	if err != nil {
		if errors.Is(err, ErrFull) {
			return "", t.throttled.WithRetryAfter(retryAfter(resetAt, now))
		}
		t.takeBack(key, attempt)
		return "", storeError(err)
	}
	if n <= t.max {
		return attempt, nil
	}
	if err := t.store.RemoveFailure(context.WithoutCancel(ctx), key, attempt, now); err != nil {
		t.takeBack(key, attempt)
	}
	return "", t.throttled.WithRetryAfter(retryAfter(resetAt, now))
}

// Succeed takes back attempt, the id [FailureThrottle.Begin] returned for
// key, whose credential was good (or was never checked); key's earlier
// failures stay counted. Taking an attempt back twice does nothing the
// second time. It returns a 503 wrapping [ErrStore] when the store fails;
// the attempt is then taken back in the background.
func (t *FailureThrottle) Succeed(ctx context.Context, key, attempt string) error {
	if err := t.store.RemoveFailure(ctx, key, attempt, t.now()); err != nil {
		t.takeBack(key, attempt)
		return storeError(err)
	}
	return nil
}

// takeBack takes attempt back in the background, retrying with growing
// pauses until the store answers or the window has passed; at most
// maxTakeBacks run at once (past that the attempt stays counted).
func (t *FailureThrottle) takeBack(key, attempt string) {
	select {
	case t.takeBacks <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-t.takeBacks }()
		deadline := time.Now().Add(t.window)
		pause := takeBackPause
		for {
			ctx, cancel := context.WithTimeout(context.Background(), takeBackTry)
			err := t.store.RemoveFailure(ctx, key, attempt, t.now())
			cancel()
			if err == nil || time.Now().Add(pause).After(deadline) {
				return
			}
			time.Sleep(pause)
			pause = min(2*pause, takeBackMaxPause)
		}
	}()
}

// newAttemptID returns 96 random bits in base64url: an attempt's id.
func newAttemptID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it aborts the process instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// retryAfter is the time from now until resetAt, at least one second: a
// 429 always carries a Retry-After, even when the store's clock runs ahead
// of now.
func retryAfter(resetAt, now time.Time) time.Duration {
	return max(resetAt.Sub(now), time.Second)
}

func storeError(err error) error {
	return envelope.ErrUnavailable.WithMessage(refusals[rStore].Message).
		WithCause(fmt.Errorf("%w: %w", refusals[rStore].Err, err))
}

// Reset forgets key's failures, the attempt Begin counted included, after
// a successful attempt. It returns a 503 wrapping [ErrStore] when the
// store fails.
func (t *FailureThrottle) Reset(ctx context.Context, key string) error {
	if err := t.store.ResetFailures(ctx, key); err != nil {
		return storeError(err)
	}
	return nil
}

// Middleware guards next by Config.Key (the client address by default):
// every request is counted by [FailureThrottle.Begin] before next runs, so
// a key with Max failures in its window — or Max requests in flight — is
// refused with 429 before next runs, and the count is taken back
// ([FailureThrottle.Succeed]) when next answers anything but 401.
//
// Use it on authentication endpoints only (login, token, refresh), never
// in front of a whole API: because requests in flight count, keyed by
// client address it refuses the (Max+1)th concurrent request from one
// address — one NAT, one office, one mobile carrier gateway — with 429
// although no credential failed, and slow handlers make that likely. Wrap
// the authentication endpoints' handlers with it (or call Begin where a
// credential is checked), and use a [Limiter] to bound request rates
// across an API. Successful responses do not reset the count,
// so that a client cannot interleave one valid credential to keep
// guessing; counts expire with their window. A request whose key is empty
// is not guarded; a request whose handler panics stays counted. Each
// request is audited once (Config.Audit): a refusal after it is rendered,
// an allowed request before next runs.
func (t *FailureThrottle) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := t.key(r)
		if key == "" {
			if t.audit != nil {
				t.emit(r, rOK)
			}
			next.ServeHTTP(w, r)
			return
		}
		attempt, err := t.Begin(r.Context(), key)
		if err != nil {
			envelope.WriteStyle(w, r, t.style, err)
			if t.audit != nil {
				t.emit(r, throttleReason(err))
			}
			return
		}
		if t.audit != nil {
			t.emit(r, rOK)
		}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status != http.StatusUnauthorized {
			// The response is written, and the client may be gone: take the
			// attempt back regardless (in the background if the store
			// fails now).
			_ = t.Succeed(context.WithoutCancel(r.Context()), key, attempt)
		}
	})
}

// throttleReason is the reason of a refusal Begin returned: a 429 or a
// store failure.
func throttleReason(err error) reason {
	if errors.Is(err, ErrStore) {
		return rStore
	}
	return rThrottled
}

// emit reports the decision rs about r.
func (t *FailureThrottle) emit(r *http.Request, rs reason) {
	ev := gatehouse.NewEvent(r, "ratelimit", "throttle")
	ev.Time = t.now()
	ev.Conclude(refusals[rs].Status, refusals[rs].Reason)
	gatehouse.Emit(r.Context(), t.audit, ev)
}

// statusWriter records the status code next answers with. Unwrap lets
// http.ResponseController reach the underlying writer's Flush, Hijack and
// deadlines.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && (code >= 200 || code == http.StatusSwitchingProtocols) {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

package apikey

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	gatehouse "github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A Throttle limits failed key attempts per throttle key (the client
// address by default), counting every attempt before its key is checked,
// so that guesses arriving together cannot all pass on one stale count;
// ratelimit.FailureThrottle is one. Begin counts an attempt: nil under the
// limit, else the refusal to answer — a 429 *envelope.Error with
// RetryAfter when the key has too many failures, a 5xx one when the
// throttle's store failed (any other error is answered as a store
// failure) — and names the attempt it counted. A refused key leaves its
// attempt counted: the failure. Succeed takes that attempt back, by its
// name, when the key was good or was never checked; taking an attempt
// back twice changes nothing.
type Throttle interface {
	Begin(ctx context.Context, key string) (attempt string, err error)
	Succeed(ctx context.Context, key, attempt string) error
}

// An attempt is one attempt a [Throttle] counted: its throttle key and
// the name Begin gave it. The zero attempt counted nothing.
type attempt struct{ key, id string }

// clientAddrKey is the default Config.ThrottleKey: the client address
// ("ip:" + gatehouse.ClientAddr).
func clientAddrKey(r *http.Request) string {
	return "ip:" + gatehouse.ClientAddr(r).String()
}

// beginAttempt counts r's attempt with the throttle when there is one and
// r carries the key header (a request without one guesses nothing). It
// returns the attempt to settle (the zero attempt when nothing was
// counted), or the refusal to answer.
func (a *Authenticator) beginAttempt(r *http.Request) (attempt, *envelope.Error) {
	if a.throttle == nil || len(r.Header[a.header]) == 0 {
		return attempt{}, nil
	}
	key := a.throttleKey(r)
	if key == "" {
		return attempt{}, nil
	}
	id, err := a.throttle.Begin(r.Context(), key)
	if err != nil {
		return attempt{}, a.throttleError(err)
	}
	return attempt{key, id}, nil
}

// endAttempt takes back the attempt beginAttempt counted, after a good key
// or one never checked. It returns the refusal to answer when the throttle
// failed, leaving the attempt counted (the safe direction).
func (a *Authenticator) endAttempt(ctx context.Context, at attempt) *envelope.Error {
	if at.key == "" {
		return nil
	}
	// The decision is made, and the client may be gone: the count is not
	// the client's to cancel.
	if err := a.throttle.Succeed(context.WithoutCancel(ctx), at.key, at.id); err != nil {
		return a.throttleError(err)
	}
	return nil
}

// throttleError is the answer to a throttle's error: its own
// *envelope.Error when it is a 429 (its cause then wrapped with
// ErrThrottled) or a 5xx (wrapped with ErrThrottleStore), else
// Config.Unavailable wrapping ErrThrottleStore and err.
func (a *Authenticator) throttleError(err error) *envelope.Error {
	var e *envelope.Error
	if errors.As(err, &e) {
		switch {
		case e.Status == http.StatusTooManyRequests:
			return withSentinel(e, ErrThrottled)
		case e.Status >= 500:
			return withSentinel(e, ErrThrottleStore)
		}
	}
	return a.errs[rThrottleStore].WithCause(fmt.Errorf("%w: %w", ErrThrottleStore, err))
}

// throttleReason is the reason of a refusal throttleError made.
func (a *Authenticator) throttleReason(e *envelope.Error) reason {
	if e.Status == http.StatusTooManyRequests {
		return rThrottled
	}
	return rThrottleStore
}

// withSentinel returns a copy of e whose cause also wraps sentinel, so
// that the Throttle's answer is sent as it is while errors.Is finds both
// the Throttle's cause and apikey's sentinel.
func withSentinel(e *envelope.Error, sentinel error) *envelope.Error {
	if cause := e.Unwrap(); cause != nil {
		return e.WithCause(fmt.Errorf("%w: %w", sentinel, cause))
	}
	return e.WithCause(sentinel)
}

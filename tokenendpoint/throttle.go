package tokenendpoint

import (
	"context"
	"github.com/gatehouse-go/gatehouse/internal/attempts"
	"net/http"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// A Throttle limits failed client authentications per key, counting every
// attempt before its credential is checked, so that attempts arriving
// together cannot all pass on one stale count (ratelimit.FailureThrottle
// is one). Begin counts an attempt and returns its id: nil error under the
// limit, a 429 *envelope.Error with RetryAfter at it (the refused attempt
// counts nowhere). The attempt then stays counted as a failure unless
// Succeed takes it back by its id — the credential was good, or was never
// checked — or Reset forgets all of the key's failures after a good
// credential. Store failures are returned as errors (the endpoint answers
// 503); a Throttle takes back by itself an attempt whose count or
// take-back had an unknown outcome, so that a store outage never locks
// anyone out.
type Throttle interface {
	Begin(ctx context.Context, key string) (attempt string, err error)
	Succeed(ctx context.Context, key, attempt string) error
	Reset(ctx context.Context, key string) error
}

// An attempt is one key's attempt counted by the Throttle: the key and
// the id Begin returned.
type attempt = attempts.Attempt

// beginAttempt counts one attempt against each key before the client is
// looked up, filling in their ids: one BeginAll when the Throttle batches
// (ratelimit.FailureThrottle on a ratelimit.FailureBatcher), else Begin
// per key. When a key refuses, the attempts already counted are taken
// back, so a refused request counts nowhere. It returns the throttle's
// 429, or a 503 when its store fails. The caller checks that there is a
// throttle.
func (ep *Endpoint) beginAttempt(ctx context.Context, as ...*attempt) *envelope.Error {
	if err := attempts.Begin(ctx, ep.throttle, as...); err != nil {
		return passThrough(err)
	}
	return nil
}

// endAttempt takes back the attempts beginAttempt counted, for a request
// that ended without a failed credential check. It does nothing without a
// throttle.
func (ep *Endpoint) endAttempt(ctx context.Context, as ...*attempt) {
	if ep.throttle != nil {
		attempts.End(ctx, ep.throttle, as...)
	}
}

// throttleReason is the audit reason of a refusal from beginAttempt.
func throttleReason(e *envelope.Error) gatehouse.Reason {
	if e.Status >= http.StatusInternalServerError {
		return reasonStore
	}
	return gatehouse.ReasonThrottled
}

package ratelimit

import (
	"errors"
	"net/http"
	"slices"

	"github.com/gatehouse-go/gatehouse"
)

// Sentinel causes wrapped by the *envelope.Error values this package
// returns, for errors.Is checks on the server side. They are never
// rendered. [Refusals] lists the refusals.
var (
	// ErrLimited means a key used up its rate limit (429).
	ErrLimited = errors.New("ratelimit: rate limit exceeded")
	// ErrThrottled means a key has too many recent authentication failures
	// (429), see [FailureThrottle].
	ErrThrottled = errors.New("ratelimit: too many failed attempts")
	// ErrStore wraps a counter store failure; the request is refused with
	// 503, never let through.
	ErrStore = errors.New("ratelimit: store failure")
	// ErrFull means a bounded FailureStore had no room for a new key
	// without forgetting a lockout (every key of the shard has reached
	// Max); the FailureThrottle refuses the attempt with ErrThrottled's 429
	// rather than let a flood of new keys erase a lockout.
	ErrFull = errors.New("ratelimit: failure store full")
	// ErrInvalidLimit means a Limit has a non-positive Events or Period, a
	// Period over MaxPeriod or a negative Burst. New reports it for
	// Config.Limit; a Config.Limits function returning one fails the
	// request with 500.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
	// ErrConfig is wrapped by the error [New] or [NewFailureThrottle]
	// returns for an invalid configuration, which lists every problem.
	ErrConfig = errors.New("ratelimit: invalid configuration")
)

// ReasonInvalidLimit is the audit reason ([gatehouse.Event].Reason) of a
// request refused because Config.Limits returned an invalid Limit.
//
// Both 429s, a [Limiter]'s and a [FailureThrottle]'s, are
// [gatehouse.ReasonThrottled]: too many requests, or too many failed
// attempts, from one key. The event's Action tells them apart: "limit"
// for a Limiter, "throttle" for a FailureThrottle. A failing store is
// [gatehouse.ReasonStoreUnavailable].
const ReasonInvalidLimit gatehouse.Reason = "invalid_limit"

// reason classifies a decision; it indexes the refusal table.
type reason uint8

const (
	rOK reason = iota
	rLimited
	rThrottled
	rStore
	rInvalidLimit
	numReasons
)

// refusals is the refusal table of ratelimit: every refusal's sentinel,
// status, default message and audit reason. The client errors (New,
// NewFailureThrottle), the audit events and [Refusals] are all derived
// from it.
var refusals = [numReasons]gatehouse.Refusal{
	rLimited:      {Err: ErrLimited, Status: http.StatusTooManyRequests, Message: "Too many requests", Reason: gatehouse.ReasonThrottled},
	rThrottled:    {Err: ErrThrottled, Status: http.StatusTooManyRequests, Message: "Too many failed attempts, try again later", Reason: gatehouse.ReasonThrottled},
	rStore:        {Err: ErrStore, Status: http.StatusServiceUnavailable, Message: "Service temporarily unavailable", Reason: gatehouse.ReasonStoreUnavailable},
	rInvalidLimit: {Err: ErrInvalidLimit, Status: http.StatusInternalServerError, Message: "Internal server error", Reason: ReasonInvalidLimit},
}

// Refusals returns the refusal table of ratelimit: for each way a
// [Limiter] or a [FailureThrottle] refuses a request, the sentinel its
// error wraps, the status, the default client message (Config.Message and
// FailureConfig.Message replace the 429s') and the audit reason. The
// slice is the caller's own.
func Refusals() []gatehouse.Refusal { return slices.Clone(refusals[rLimited:]) }

package ratelimit

import "errors"

// Sentinel causes wrapped by the *envelope.Error values this package
// returns, for errors.Is checks on the server side. They are never rendered.
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
	// Max); the FailureThrottle refuses the attempt with 429 rather than
	// let a flood of new keys erase a lockout.
	ErrFull = errors.New("ratelimit: failure store full")
	// ErrInvalidLimit means a Limit has a non-positive Events or Period, a
	// Period over MaxPeriod or a negative Burst. New reports it for Config.Limit; a Config.Limits
	// function returning one fails the request with 500.
	ErrInvalidLimit = errors.New("ratelimit: invalid limit")
)

// Package attempts counts the attempts of a login or token request against
// a failure throttle (ratelimit.FailureThrottle or another implementation)
// for the issuer and the token endpoint: every key's attempt before any
// credential is checked, taken back or settled once the outcome is known,
// in one call per step when the throttle batches.
package attempts

import (
	"context"
	"errors"

	"github.com/gatehouse-go/gatehouse/ratelimit"
)

// A Throttle limits failed attempts per key; see issuer.Throttle.
type Throttle interface {
	Begin(ctx context.Context, key string) (attempt string, err error)
	Succeed(ctx context.Context, key, attempt string) error
	Reset(ctx context.Context, key string) error
}

// A Batch is a Throttle that counts and settles several keys in one call
// each, as issuer.Throttle describes.
type Batch interface {
	Throttle
	BeginAll(ctx context.Context, keys ...string) ([]ratelimit.Attempt, error)
	Settle(ctx context.Context, reset []string, succeed ...ratelimit.Attempt) error
}

// An Attempt is one key's attempt: the key, and the id Begin returned.
type Attempt struct{ Key, ID string }

// ErrBatchCount reports a BeginAll whose attempts are not those of the
// keys it was given, one each, in order.
var ErrBatchCount = errors.New("the throttle's BeginAll returned attempts that do not match its keys")

// Begin counts one attempt against each key, filling in their ids: one
// BeginAll when t is a Batch, else Begin per key, taking back the
// attempts already counted when a key refuses, so that a refused request
// counts nowhere. The error is the throttle's (a 429 or a store failure).
func Begin(ctx context.Context, t Throttle, attempts ...*Attempt) error {
	if bt, ok := t.(Batch); ok {
		keys := make([]string, len(attempts))
		for n, a := range attempts {
			keys[n] = a.Key
		}
		got, err := bt.BeginAll(ctx, keys...)
		if err != nil {
			return err
		}
		if !sameKeys(got, keys) {
			// What the throttle counted is taken back: the request
			// fails without charging anyone.
			_ = bt.Settle(context.WithoutCancel(ctx), nil, got...)
			return ErrBatchCount
		}
		for n, a := range attempts {
			a.ID = got[n].ID
		}
		return nil
	}
	for n, a := range attempts {
		id, err := t.Begin(ctx, a.Key)
		if err != nil {
			End(ctx, t, attempts[:n]...)
			return err
		}
		a.ID = id
	}
	return nil
}

// End takes back attempts, for a request that ended without a failed
// credential check. It runs even when ctx was canceled (the client may be
// gone; the count is not its). A store failure leaves the attempt to the
// throttle, which takes it back once its store answers. A nil t does
// nothing.
func End(ctx context.Context, t Throttle, attempts ...*Attempt) {
	if t == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	if bt, ok := t.(Batch); ok {
		_ = bt.Settle(ctx, nil, toRatelimit(attempts)...)
		return
	}
	for _, a := range attempts {
		_ = t.Succeed(ctx, a.Key, a.ID)
	}
}

// SettleGood settles the attempts of a request whose credential was good:
// it forgets the failures of reset's key (the user name, the client) and
// takes back good, the attempt against the address, whose earlier
// failures stay. Both parts are applied even when one fails, as a
// batching throttle's Settle applies them, and the first error is
// returned: the request then answers 503, which counts against neither.
func SettleGood(ctx context.Context, t Throttle, reset, good *Attempt) error {
	if bt, ok := t.(Batch); ok {
		return bt.Settle(ctx, []string{reset.Key}, toRatelimit([]*Attempt{good})...)
	}
	err := t.Reset(ctx, reset.Key)
	if serr := t.Succeed(ctx, good.Key, good.ID); err == nil {
		err = serr
	}
	return err
}

// sameKeys reports whether got holds one attempt per key, in order.
func sameKeys(got []ratelimit.Attempt, keys []string) bool {
	if len(got) != len(keys) {
		return false
	}
	for n, a := range got {
		if a.Key != keys[n] {
			return false
		}
	}
	return true
}

func toRatelimit(attempts []*Attempt) []ratelimit.Attempt {
	out := make([]ratelimit.Attempt, len(attempts))
	for n, a := range attempts {
		out[n] = ratelimit.Attempt{Key: a.Key, ID: a.ID}
	}
	return out
}

package bearer

import (
	"context"
	"errors"
	"fmt"
)

// Ready reports whether every issuer can verify tokens: nil when each has
// static keys or a fetched key set with a usable key, else an error
// wrapping [ErrUnavailable] that names every issuer without keys and the
// last fetch or discovery failure. It does not wait or fetch; it returns
// ctx's error when ctx is done. Serve it from a readiness probe (/readyz):
// a token of an issuer that is not ready is answered 503.
func (a *Authenticator) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var missing []error
	for _, is := range a.all {
		if !is.needsRemote() {
			continue
		}
		if err := is.remote.usable(); err != nil {
			if is.checkISS {
				err = fmt.Errorf("issuer %q: %w", is.url, err)
			} else {
				err = fmt.Errorf("JWK Set %s: %w", is.remote.name(), err)
			}
			missing = append(missing, err)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(missing...))
	}
	return nil
}

// WaitReady waits until [Authenticator.Ready] reports nil, or ctx is done;
// it then returns Ready's error.
func (a *Authenticator) WaitReady(ctx context.Context) error {
	for _, is := range a.all {
		if !is.needsRemote() {
			continue
		}
		select {
		case <-is.remote.ready:
		case <-ctx.Done():
			return a.Ready(context.WithoutCancel(ctx))
		}
	}
	return a.Ready(ctx)
}

// needsRemote reports whether the issuer can verify tokens only once its
// remote set is fetched: it has one and no static keys.
func (is *issuerState) needsRemote() bool { return is.remote != nil && len(is.keys) == 0 }

package bearer

import (
	"context"
	"errors"
	"fmt"
)

// Ready reports whether every issuer can verify tokens: nil when each has
// static keys or a fetched key set with a usable key, else an error
// wrapping [ErrUnavailable] that joins the [Authenticator.Unready] errors.
// It does not wait or fetch; it returns ctx's error when ctx is done.
// Serve it from a readiness probe (/readyz): a token of an issuer that is
// not ready is answered 503.
func (a *Authenticator) Ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	unready := a.Unready()
	if len(unready) == 0 {
		return nil
	}
	errs := make([]error, len(unready))
	for i, e := range unready {
		errs[i] = e
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(errs...))
}

// An IssuerError says why one issuer cannot verify tokens yet. Err is the
// last fetch or discovery failure (wrapping [ErrDiscovery] when discovery
// failed), or says that no set was fetched yet or that the set has no
// usable key. It may quote the issuer's URLs (without password or query):
// log it, do not send it to clients.
type IssuerError struct {
	// Issuer is the issuer's URL, or "" for the set of Config.JWKSURL.
	Issuer string
	// Err is the reason.
	Err error

	set string // the set's URL, safe to log, naming it when Issuer is ""
}

// Error names the issuer, or the set of Config.JWKSURL, and the reason.
func (e *IssuerError) Error() string {
	if e.Issuer == "" {
		return fmt.Sprintf("JWK Set %s: %v", e.set, e.Err)
	}
	return fmt.Sprintf("issuer %q: %v", e.Issuer, e.Err)
}

// Unwrap returns Err.
func (e *IssuerError) Unwrap() error { return e.Err }

// Unready returns, in the order of Config.Issuers, one [IssuerError] per
// issuer that cannot verify tokens yet; none when [Authenticator.Ready]
// is nil.
func (a *Authenticator) Unready() []*IssuerError {
	var out []*IssuerError
	for _, is := range a.all {
		if !is.needsRemote() {
			continue
		}
		if err := is.remote.usable(); err != nil {
			out = append(out, &IssuerError{Issuer: is.remote.issuer, Err: err, set: is.remote.name()})
		}
	}
	return out
}

// WaitReady waits until [Authenticator.Ready] reports nil, or ctx is done
// (or the Authenticator is closed); it then returns Ready's error. An
// issuer whose set had usable keys and lost them (its provider now
// publishes none this issuer may use) is waited for again: WaitReady looks
// at the sets as they are, checking again after each fetch, until it finds
// them all usable at once.
func (a *Authenticator) WaitReady(ctx context.Context) error {
	for {
		// A pass that finds every set usable ends the wait; one that
		// waited for a set looks at all of them again, since another may
		// have lost its keys meanwhile.
		waited := false
		for _, is := range a.all {
			if !is.needsRemote() || is.remote.usable() == nil {
				continue
			}
			waited = true
			if !is.remote.waitUsable(ctx) {
				return a.Ready(context.WithoutCancel(ctx))
			}
		}
		if !waited {
			return a.Ready(ctx)
		}
	}
}

// needsRemote reports whether the issuer can verify tokens only once its
// remote set is fetched: it has one and no static keys.
func (is *issuerState) needsRemote() bool { return is.remote != nil && len(is.keys) == 0 }

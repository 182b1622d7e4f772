package bearer

import (
	"time"
)

// A FetchOutcome is how one refresh of a remote key set ended.
type FetchOutcome string

// The outcomes a [FetchResult] reports.
const (
	// FetchUpdated: the provider sent the set (200) and it was published,
	// with the same keys or others.
	FetchUpdated FetchOutcome = "updated"
	// FetchNotModified: the provider confirmed the set held is current
	// (304 to If-None-Match).
	FetchNotModified FetchOutcome = "not_modified"
	// FetchFailed: discovery or the fetch failed, or the answer was not a
	// JWK Set; the last good keys stay in use.
	FetchFailed FetchOutcome = "error"
)

// A FetchResult reports one refresh of a remote key set to
// Fetch.OnResult. It carries no key material.
type FetchResult struct {
	// Issuer is the issuer's URL, or "" for the set of Config.JWKSURL.
	Issuer string
	// URL is the set's URL as logs show it (without password, its query
	// replaced by "…"), or "" when discovery failed before finding it.
	URL string
	// Outcome is how the refresh ended.
	Outcome FetchOutcome
	// Keys is the number of usable keys the set holds after the refresh
	// (the last good set's after a failure).
	Keys int
	// Duration is how long the refresh took, discovery included.
	Duration time.Duration
	// Err is why the refresh failed, nil unless Outcome is FetchFailed.
	// It may quote the issuer's URLs (without password or query): log it,
	// do not send it to clients.
	Err error
}

// A KeySetStatus describes one remote key set of an [Authenticator], as
// [Authenticator.KeySets] reports it: for a readiness page, a metrics
// gauge of the set's age, or an alert on a provider that stopped
// answering. It carries no key material.
type KeySetStatus struct {
	// Issuer is the issuer's URL, or "" for the set of Config.JWKSURL.
	Issuer string
	// URL is the set's URL (configured, or found by discovery) as logs
	// show it: without password, its query replaced by "…". It is ""
	// while discovery has not found it.
	URL string
	// FetchedAt is when the last refresh succeeded (the set was fetched or
	// confirmed current), by the system clock; zero before the first.
	FetchedAt time.Time
	// Keys is the number of usable keys in the set: those with an
	// algorithm the issuer accepts.
	Keys int
	// Failures is the number of refreshes that failed in a row since the
	// last success.
	Failures int
	// LastError is the last failure, nil after a success. It may quote
	// the issuer's URLs (without password or query): log it, do not send
	// it to clients.
	LastError error
}

// KeySets returns the status of every remote key set, in the order of
// Config.Issuers (the set of Config.JWKSURL when there are no Issuers):
// one per issuer that has a JWK Set URL or discovers one; none when every
// key is static. It does not wait or fetch, and is safe to call at any
// time, from a metrics callback for instance.
func (a *Authenticator) KeySets() []KeySetStatus {
	var out []KeySetStatus
	for _, is := range a.all {
		if is.remote != nil {
			out = append(out, is.remote.status())
		}
	}
	return out
}

// status returns the set's KeySetStatus.
func (ks *keySet) status() KeySetStatus {
	keys := len(ks.snap.Load().byKID)
	ks.mu.Lock()
	defer ks.mu.Unlock()
	st := KeySetStatus{
		Issuer:    ks.issuer,
		FetchedAt: ks.fetchedAt,
		Keys:      keys,
		Failures:  ks.failures,
		LastError: ks.lastErr,
	}
	if ks.jwksURL != "" {
		st.URL = safeURL(ks.jwksURL)
	}
	return st
}

// report calls Fetch.OnResult, if set, for the refresh that started at
// lastStart and ended now: from u (the set's URL, "" when discovery
// failed before finding it), with err when it failed, else updated or
// notModified.
func (ks *keySet) report(u string, notModified bool, err error) {
	if ks.onResult == nil {
		return
	}
	ks.mu.Lock()
	started := ks.lastStart
	ks.mu.Unlock()
	res := FetchResult{
		Issuer:   ks.issuer,
		Outcome:  FetchUpdated,
		Keys:     len(ks.snap.Load().byKID),
		Duration: time.Since(started),
		Err:      err,
	}
	switch {
	case err != nil:
		res.Outcome = FetchFailed
	case notModified:
		res.Outcome = FetchNotModified
	}
	if u != "" {
		res.URL = safeURL(u)
	}
	ks.onResult(res)
}

package otelgatehouse

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/metric"

	"github.com/gatehouse-go/gatehouse/bearer"
)

// KeySetFetched counts the refresh r in gatehouse.jwks.fetches, under its
// issuer and result. Set it as the bearer Config's Fetch.OnResult:
//
//	cfg.Fetch.OnResult = tel.KeySetFetched
//
// The refresh's error is not recorded (it may quote URLs); bearer logs it
// to Config.Logger.
func (t *Telemetry) KeySetFetched(r bearer.FetchResult) {
	t.fetches.Add(context.Background(), 1, metric.WithAttributes(
		AttrIssuer.String(keySetName(r.Issuer, r.URL)),
		AttrFetchResult.String(string(r.Outcome)),
	))
}

// A KeySetSource reports the status of remote key sets:
// *bearer.Authenticator is one.
type KeySetSource interface {
	KeySets() []bearer.KeySetStatus
}

// ObserveKeySets reports the remote key sets of src at every collection,
// one series per set: gatehouse.jwks.age (seconds since the set was last
// fetched or confirmed current, absent before the first success),
// gatehouse.jwks.keys (its usable keys: 0 means its tokens are answered
// 503) and gatehouse.jwks.failures (refreshes failed in a row). Call it
// once per Authenticator; Unregister the returned Registration when the
// Authenticator is closed.
func (t *Telemetry) ObserveKeySets(src KeySetSource) (metric.Registration, error) {
	return t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		now := time.Now()
		for _, st := range src.KeySets() {
			attrs := metric.WithAttributes(AttrIssuer.String(keySetName(st.Issuer, st.URL)))
			o.ObserveInt64(t.keySetKeys, int64(st.Keys), attrs)
			o.ObserveInt64(t.keySetFails, int64(st.Failures), attrs)
			if !st.FetchedAt.IsZero() {
				o.ObserveFloat64(t.keySetAge, now.Sub(st.FetchedAt).Seconds(), attrs)
			}
		}
		return nil
	}, t.keySetAge, t.keySetKeys, t.keySetFails)
}

// keySetName names a set in attributes: its issuer, else its (redacted)
// URL.
func keySetName(issuer, url string) string {
	if issuer != "" {
		return issuer
	}
	return url
}

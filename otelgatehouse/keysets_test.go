package otelgatehouse_test

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/gatehousetest"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

// gauge returns the value of a gauge's data point for issuer, and whether
// there is one.
func gauge[N int64 | float64](t *testing.T, h *harness, name, issuer string) (N, bool) {
	t.Helper()
	m, ok := findMetric(h.collect(t), name)
	if !ok {
		return 0, false
	}
	g, ok := m.Data.(metricdata.Gauge[N])
	require.True(t, ok, "%s is a %T", name, m.Data)
	for _, dp := range g.DataPoints {
		if v, _ := dp.Attributes.Value(otelgatehouse.AttrIssuer); v.AsString() == issuer {
			return dp.Value, true
		}
	}
	return 0, false
}

// TestKeySets: a real provider's JWK Set, fetched by bearer, reported by
// Fetch.OnResult (the fetch counter by result) and ObserveKeySets (age,
// keys, failures); an outage shows as errors while the last good keys
// stay counted.
func TestKeySets(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	p := gatehousetest.NewProvider(t)
	auth := p.Authenticator(t, bearer.Config{Logger: slog.New(slog.DiscardHandler), Fetch: bearer.Fetch{
		OnResult:   h.tel.KeySetFetched,
		MinRefresh: 20 * time.Millisecond, Refresh: 20 * time.Millisecond,
	}})
	reg, err := h.tel.ObserveKeySets(auth)
	require.NoError(t, err)
	t.Cleanup(func() { _ = reg.Unregister() })
	iss := p.Issuer()
	result := func(r string) string {
		return attrs(otelgatehouse.AttrIssuer.String(iss), otelgatehouse.AttrFetchResult.String(r))
	}

	fetches := counts(t, h.collect(t), otelgatehouse.MetricKeySetFetches)
	assert.GreaterOrEqual(t, fetches[result("updated")], int64(1))
	keys, ok := gauge[int64](t, h, otelgatehouse.MetricKeySetKeys, iss)
	require.True(t, ok)
	assert.Equal(t, int64(1), keys)
	age, ok := gauge[float64](t, h, otelgatehouse.MetricKeySetAge, iss)
	require.True(t, ok)
	assert.GreaterOrEqual(t, age, 0.0)
	assert.Less(t, age, 10.0)

	require.Eventually(t, func() bool {
		return counts(t, h.collect(t), otelgatehouse.MetricKeySetFetches)[result("not_modified")] > 0
	}, 5*time.Second, 10*time.Millisecond, "a revalidated set (304) is counted as not_modified")

	p.Fail(http.StatusServiceUnavailable, 0)
	require.Eventually(t, func() bool {
		return counts(t, h.collect(t), otelgatehouse.MetricKeySetFetches)[result("error")] > 0
	}, 5*time.Second, 10*time.Millisecond)
	fails, _ := gauge[int64](t, h, otelgatehouse.MetricKeySetFailures, iss)
	assert.Positive(t, fails)
	keys, _ = gauge[int64](t, h, otelgatehouse.MetricKeySetKeys, iss)
	assert.Equal(t, int64(1), keys, "the last good keys stay")

	require.NoError(t, reg.Unregister())
	_, ok = gauge[int64](t, h, otelgatehouse.MetricKeySetKeys, iss)
	assert.False(t, ok, "unregistered: no more observations")
}

// TestKeySetsNeverFetched: a set never fetched has no age, zero keys,
// and its failures counted.
func TestKeySetsNeverFetched(t *testing.T) {
	h := newHarness(t, otelgatehouse.Config{})
	p := gatehousetest.NewProvider(t)
	p.Fail(http.StatusServiceUnavailable, 0)
	auth, err := bearer.New(bearer.Config{Issuers: []bearer.Issuer{p.BearerIssuer()}, Fetch: bearer.Fetch{OnResult: h.tel.KeySetFetched}, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = auth.Close() })
	_, err = h.tel.ObserveKeySets(auth)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		n, _ := gauge[int64](t, h, otelgatehouse.MetricKeySetFailures, p.Issuer())
		return n > 0
	}, 5*time.Second, 10*time.Millisecond)
	keys, ok := gauge[int64](t, h, otelgatehouse.MetricKeySetKeys, p.Issuer())
	assert.True(t, ok)
	assert.Zero(t, keys)
	_, ok = gauge[float64](t, h, otelgatehouse.MetricKeySetAge, p.Issuer())
	assert.False(t, ok, "no age before the first success")
}

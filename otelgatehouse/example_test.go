package otelgatehouse_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

// The Telemetry is the Auditor of the bearer middleware (beside a
// logging Auditor), and Measure times the authentication step. The
// metric reader here is in-memory; an application gives the Config the
// MeterProvider of its exporter (OTLP, Prometheus).
func Example() {
	reader := sdkmetric.NewManualReader()
	tel, err := otelgatehouse.New(otelgatehouse.Config{
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		panic(err)
	}
	both := gatehouse.Auditors(gatehouse.SlogAuditor(slog.New(slog.NewTextHandler(os.Stderr, nil))), tel)

	secret := []byte("an-hmac-secret-of-at-least-32-bytes!")
	auth, err := bearer.New(bearer.Config{
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://auth.example.com", Keys: []bearer.Key{{Algorithm: "HS256", Key: secret}}}},
		Audiences:  []string{"orders-api"},
		Audit:      both,
	})
	if err != nil {
		panic(err)
	}
	api := gatehouse.Chain(tel.Measure("bearer", auth.Middleware))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "orders")
	}))

	token, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": "https://auth.example.com", "aud": "orders-api", "sub": "user-42", "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	for _, header := range []string{"Bearer " + token, "Bearer " + token, ""} {
		r := httptest.NewRequest(http.MethodGet, "/orders", nil)
		if header != "" {
			r.Header.Set("Authorization", header)
		}
		api.ServeHTTP(httptest.NewRecorder(), r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		switch d := m.Data.(type) {
		case metricdata.Sum[int64]:
			for _, p := range d.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} %d", m.Name, render(p.Attributes), p.Value))
			}
		case metricdata.Histogram[float64]:
			for _, p := range d.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} count %d", m.Name, render(p.Attributes), p.Count))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// gatehouse.decisions{gatehouse.action=authenticate,gatehouse.outcome=allow,gatehouse.source=bearer} 2
	// gatehouse.decisions{gatehouse.action=authenticate,gatehouse.outcome=deny,gatehouse.reason=no_credentials,gatehouse.source=bearer,http.response.status_code=401} 1
	// gatehouse.step.duration{gatehouse.outcome=allow,gatehouse.step=bearer} count 2
	// gatehouse.step.duration{gatehouse.outcome=deny,gatehouse.step=bearer} count 1
}

// The store wrappers time every call the middleware make to a store and
// count its failures; pass the wrapper where the store went.
func ExampleTelemetry_RevocationStore() {
	reader := sdkmetric.NewManualReader()
	tel, err := otelgatehouse.New(otelgatehouse.Config{
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)),
	})
	if err != nil {
		panic(err)
	}
	revocations := tel.RevocationStore(bearer.NewMemoryRevocations(nil))
	ctx := context.Background()
	_ = revocations.RevokeToken(ctx, "user-42", "jti-1", time.Now().Add(time.Hour))
	revoked, _ := revocations.Revoked(ctx, &bearer.TokenRef{Subject: "user-42", ID: "jti-1"})
	fmt.Println("revoked:", revoked)

	var rm metricdata.ResourceMetrics
	_ = reader.Collect(ctx, &rm)
	var lines []string
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if h, ok := m.Data.(metricdata.Histogram[float64]); ok {
			for _, p := range h.DataPoints {
				lines = append(lines, fmt.Sprintf("%s{%s} count %d", m.Name, render(p.Attributes), p.Count))
			}
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		fmt.Println(l)
	}
	// Output:
	// revoked: true
	// gatehouse.store.duration{gatehouse.store=revocations,gatehouse.store.operation=RevokeToken} count 1
	// gatehouse.store.duration{gatehouse.store=revocations,gatehouse.store.operation=Revoked} count 1
}

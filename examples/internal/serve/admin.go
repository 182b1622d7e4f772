package serve

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/otelgatehouse"
)

// MetricsUsage documents the flag of [AddMetricsFlag], for a command's
// usage text.
const MetricsUsage = `  -metrics-addr host:port
                  serve /metrics (Prometheus text format), /healthz and /readyz on
                  this second listener (default: none). Keep it where only your
                  monitoring reaches it: loopback, or a private network
`

// AddMetricsFlag defines -metrics-addr on fs; "" (the default) turns the
// operations listener off. After fs.Parse, build it with [NewAdmin].
func AddMetricsFlag(fs *flag.FlagSet) *string {
	return fs.String("metrics-addr", "", "operations listener: /metrics, /healthz, /readyz (default off)")
}

// readinessTimeout bounds the checks of one /readyz request.
const readinessTimeout = 2 * time.Second

// An Admin is an example's operations listener, apart from the API's:
// /metrics in the Prometheus text format, /healthz (the process serves)
// and /readyz (every readiness check passes). The metrics are gatehouse's,
// recorded by [Admin.Telemetry] through OpenTelemetry and exported by the
// OpenTelemetry Prometheus exporter, beside the Go runtime's and the
// process's.
type Admin struct {
	// Telemetry records gatehouse's decisions, steps, stores and key
	// sets; hand it to the server's middleware and stores.
	Telemetry *otelgatehouse.Telemetry

	ln       net.Listener
	provider *sdkmetric.MeterProvider
	handler  http.Handler
	log      *slog.Logger

	mu     sync.Mutex
	checks []readyCheck
}

type readyCheck struct {
	name  string
	check func(context.Context) error
}

// NewAdmin listens on addr and builds the endpoints and the Telemetry;
// log receives the readiness failures' details, which /readyz does not
// show. Serve it with [Admin.Run].
func NewAdmin(addr string, log *slog.Logger) (*Admin, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(reg),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	tel, err := otelgatehouse.New(otelgatehouse.Config{MeterProvider: provider})
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = provider.Shutdown(context.Background())
		return nil, fmt.Errorf("-metrics-addr: %w", err)
	}
	a := &Admin{Telemetry: tel, ln: ln, provider: provider, log: log}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		_ = envelope.OK(w, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		envelope.Write(w, r, envelope.ErrNotFound.WithMessage("No such endpoint: /metrics, /healthz and /readyz are served here"))
	})
	a.handler = mux
	return a, nil
}

// OpenAdmin is [NewAdmin] for the value of -metrics-addr: nil, and no
// error, when addr is "" (the flag's default, off). Auditor and Start
// of a nil Admin do nothing (the others need an Admin), so a command
// wires the flag in three lines:
//
//	admin, err := serve.OpenAdmin(*metricsAddr, log)  // after fs.Parse
//	cfg.Audit = admin.Auditor(cfg.Audit)              // before the server is built
//	defer admin.Start(ctx, stdout)()                   // after the banner
func OpenAdmin(addr string, log *slog.Logger) (*Admin, error) {
	if addr == "" {
		return nil, nil
	}
	return NewAdmin(addr, log)
}

// Auditor returns an Auditor that sends each decision to also (when not
// nil) and to the Telemetry, so that one chain logs and measures. A nil
// Admin returns also.
func (a *Admin) Auditor(also gatehouse.Auditor) gatehouse.Auditor {
	if a == nil {
		return also
	}
	return gatehouse.Auditors(also, a.Telemetry)
}

// Start prints the listener's banner lines to w ([Admin.PrintBanner]) and
// serves it in the background ([Admin.Run]); the returned function stops
// it. A nil Admin does nothing.
func (a *Admin) Start(ctx context.Context, w io.Writer) (stop func()) {
	if a == nil {
		return func() {}
	}
	a.PrintBanner(w)
	return a.Run(ctx)
}

// Addr returns the address the listener listens on.
func (a *Admin) Addr() string { return a.ln.Addr().String() }

// Ready adds a readiness check: /readyz answers 503 while check returns an
// error, naming the check (name) but not the error, which goes to the log.
func (a *Admin) Ready(name string, check func(context.Context) error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checks = append(a.checks, readyCheck{name, check})
}

// PrintBanner writes where the endpoints are, after the API's
// "listening on" line, and a curl line to try the readiness probe.
func (a *Admin) PrintBanner(w io.Writer) {
	base := "http://" + a.Addr()
	fmt.Fprintf(w, "  metrics  %s/metrics (also /healthz, /readyz)\n", base)
	fmt.Fprintf(w, "  curl -s %s/readyz   # → 200\n", base)
}

// Run serves the endpoints until ctx is done or the process gets SIGINT
// or SIGTERM, in the background; the returned function stops them (if
// ctx is not done yet), waits, and flushes the meter provider.
func (a *Admin) Run(ctx context.Context) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := Serve(ctx, a.ln, a.handler); err != nil && a.log != nil {
			a.log.Error("metrics listener", "error", err)
		}
	}()
	return func() {
		cancel()
		<-done
		_ = a.provider.Shutdown(context.Background())
	}
}

// Handler returns the endpoints' handler, for tests.
func (a *Admin) Handler() http.Handler { return a.handler }

// readyz answers 200 {"status":"ready"} when every check passes, else 503
// naming the checks that failed.
func (a *Admin) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	a.mu.Lock()
	checks := slices.Clone(a.checks)
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
	defer cancel()
	var failed []string
	for _, c := range checks {
		if err := c.check(ctx); err != nil {
			failed = append(failed, c.name)
			if a.log != nil {
				a.log.Warn("not ready", "check", c.name, "error", err)
			}
		}
	}
	if len(failed) > 0 {
		envelope.Write(w, r, envelope.ErrUnavailable.WithMessage("Not ready: "+strings.Join(failed, ", ")))
		return
	}
	_ = envelope.OK(w, map[string]string{"status": "ready"})
}

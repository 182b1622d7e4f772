package monitor_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/monitor"
)

// A monitor beside the audit log: the eleventh failed authentication from
// one address within 15 minutes raises an alert, for that address and
// overall; the twelfth raises none (one alert per window).
func Example() {
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	mon, err := monitor.New(monitor.Config{
		OnAlert: func(_ context.Context, a monitor.Alert) {
			fmt.Printf("alert: %v (%d, %s)\n", a, a.Count, a.Reasons[0].Reason)
		},
		Logger: slog.New(slog.DiscardHandler), // the alerts' log records
		Now:    func() time.Time { return start },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	auditLog := slog.New(slog.DiscardHandler) // the application's audit log
	audit := gatehouse.Auditors(gatehouse.SlogAuditor(auditLog), mon)

	// What an authentication middleware does with its Config.Audit.
	login := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev := gatehouse.NewEvent(r, "issuer", "login")
		ev.Time = start
		ev.Conclude(http.StatusUnauthorized, "invalid_credentials")
		gatehouse.Emit(r.Context(), audit, ev)
		w.WriteHeader(ev.Status)
	})
	for range 12 {
		r := httptest.NewRequest("POST", "/auth/login", nil)
		r.RemoteAddr = "192.0.2.7:50000"
		login.ServeHTTP(httptest.NewRecorder(), r)
	}
	// Output:
	// alert: more than 10 unauthorized answers within 15m0s from 192.0.2.7 (11, invalid_credentials)
	// alert: more than 10 unauthorized answers within 15m0s from all clients (11, invalid_credentials)
}

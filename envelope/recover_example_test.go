package envelope_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// Recover goes outermost, so that a panic anywhere inside — here in a
// handler, just as well in a claim validator or a tenant function — is
// answered with a 500 in the style Use chose, and logged with its stack.
func ExampleRecover() {
	// The example prints the log line without its time and stack, which
	// change from run to run; a real logger keeps them.
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "stack" {
				return slog.Attr{}
			}
			return a
		},
	}))
	var lookup func(id string) string // never set: calling it panics
	orders := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = envelope.OK(w, lookup(r.PathValue("id")))
	})
	h := envelope.Recover(logger)(envelope.Use(envelope.Flat)(orders))

	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/orders/7?token=secret", nil))
	fmt.Println(w.Code, w.Body.String())
	// Output:
	// level=ERROR msg="envelope: panic serving request" method=PUT path=/orders/7 panic="runtime error: invalid memory address or nil pointer dereference" response_started=false
	// 500 {"success":false,"error":"Internal Server Error","message":"Internal server error"}
}

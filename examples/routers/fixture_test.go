package routers_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/examples/routers"
)

type fixture struct {
	guards                     routers.Guards
	readOnly, orders, badToken string
}

// newFixture builds the guards from simple stand-ins until the real
// middleware is wired in.
func newFixture(t *testing.T) fixture {
	t.Helper()
	tokens := map[string]gatehouse.Principal{
		"t-read":   {Subject: "reader", Scopes: []string{"profile"}},
		"t-orders": {Subject: "clerk", Scopes: []string{"orders:read"}},
	}
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
			if !ok {
				envelope.Write(w, r, envelope.ErrUnauthorized.WithChallenge(envelope.BearerChallenge("api", "", "", "")))
				return
			}
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
		})
	}
	read := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p, _ := gatehouse.PrincipalFrom(r.Context()); !p.HasScope("orders:read") {
				envelope.Write(w, r, envelope.ErrForbidden.WithChallenge(envelope.BearerChallenge("", "insufficient_scope", "", "orders:read")))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	return fixture{guards: routers.Guards{Auth: auth, ReadOrders: read}, readOnly: "t-read", orders: "t-orders", badToken: "nope"}
}

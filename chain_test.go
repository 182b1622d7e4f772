package gatehouse_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
)

func tag(name string, log *[]string) gatehouse.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			*log = append(*log, name)
			next.ServeHTTP(w, r)
		})
	}
}

func TestChainOrder(t *testing.T) {
	var log []string
	h := gatehouse.Chain(tag("a", &log), tag("b", &log), tag("c", &log))(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		log = append(log, "handler")
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.Equal(t, []string{"a", "b", "c", "handler"}, log)
}

func TestChainEmpty(t *testing.T) {
	called := false
	h := gatehouse.Chain()(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.True(t, called)
}

// Chain composes middleware in reading order: the first one sees the
// request first.
func ExampleChain() {
	logger := func(name string) gatehouse.Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				fmt.Println("enter", name)
				next.ServeHTTP(w, r)
			})
		}
	}
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := gatehouse.Principal{Subject: "user-42", Scopes: []string{"orders:read"}}
			next.ServeHTTP(w, r.WithContext(gatehouse.WithPrincipal(r.Context(), p)))
		})
	}
	h := gatehouse.Chain(logger("outer"), authenticate, logger("inner"))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := gatehouse.PrincipalFrom(r.Context())
		fmt.Println("handler sees", p.Subject, strings.Join(p.Scopes, ","))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/orders", nil))
	// Output:
	// enter outer
	// enter inner
	// handler sees user-42 orders:read
}

package serve_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse/examples/internal/serve"
)

func TestAllowedMethods(t *testing.T) {
	ok := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	mux := http.NewServeMux()
	mux.Handle("GET /items", ok)
	mux.Handle("POST /items", ok)
	mux.Handle("DELETE /items/{id}", ok)
	mux.Handle("PUT api.example.com/host-only", ok)
	mux.Handle("/", ok)

	cases := []struct {
		method, target string
		want           []string
	}{
		{http.MethodPatch, "/items", []string{"GET", "POST", "HEAD"}},
		{http.MethodGet, "/items/7", []string{"DELETE"}},
		{http.MethodGet, "/nothing", nil},
		{http.MethodGet, "/host-only", nil},
		{http.MethodGet, "http://api.example.com/host-only", []string{"PUT"}},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, nil)
		assert.Equal(t, c.want, serve.AllowedMethods(mux, r), "%s %s", c.method, c.target)
	}
}

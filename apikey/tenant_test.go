package apikey

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTenantHeader(t *testing.T) {
	get := TenantHeader("x-tenant-id")
	tests := []struct {
		name   string
		values []string
		want   string
	}{
		{"present", []string{"acme"}, "acme"},
		{"absent", nil, ""},
		{"empty", []string{""}, ""},
		{"twice names no tenant", []string{"acme", "globex"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tc.values {
				r.Header.Add("X-TENANT-ID", v)
			}
			assert.Equal(t, tc.want, get(r))
		})
	}
}

func TestTenantHeaderOr(t *testing.T) {
	tests := []struct {
		name     string
		fallback string
		values   []string
		want     string
	}{
		{"present", "acme", []string{"globex"}, "globex"},
		{"absent selects the fallback", "acme", nil, "acme"},
		{"empty names no tenant", "acme", []string{""}, ""},
		{"twice names no tenant", "acme", []string{"acme", "globex"}, ""},
		{"no fallback is TenantHeader", "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tc.values {
				r.Header.Add("x-tenant-id", v)
			}
			assert.Equal(t, tc.want, TenantHeaderOr("X-Tenant-ID", tc.fallback)(r))
		})
	}
}

func TestTenantPathValue(t *testing.T) {
	var got string
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tenants/{tenant}/orders", func(w http.ResponseWriter, r *http.Request) {
		got = TenantPathValue("tenant")(r)
	})
	mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/tenants/acme/orders", nil))
	assert.Equal(t, "acme", got)
	assert.Empty(t, TenantPathValue("tenant")(httptest.NewRequest(http.MethodGet, "/tenants/acme/orders", nil)),
		"before routing there is no path value")
}

func TestTenantSubdomain(t *testing.T) {
	get := TenantSubdomain("API.example.com.")
	tests := []struct{ host, want string }{
		{"acme.api.example.com", "acme"},
		{"ACME.Api.Example.Com:8443", "acme"},
		{"acme.api.example.com.", "acme"},
		{"api.example.com", ""},
		{".api.example.com", ""},
		{"a.b.api.example.com", ""},
		{"acme.api.example.com.evil.test", ""},
		{"acmeapi.example.com", ""},
		{"[::1]:8080", ""},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.Host = tc.host
			assert.Equal(t, tc.want, get(r))
		})
	}
}

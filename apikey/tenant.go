package apikey

import (
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// TenantHeader returns a Config.Tenant function that reads the requested
// tenant from the header name (case-insensitive), such as "X-Tenant-ID".
// A missing header, an empty value or a header sent more than once names
// no tenant, which the middleware refuses.
func TenantHeader(name string) func(*http.Request) string {
	name = textproto.CanonicalMIMEHeaderKey(name)
	return func(r *http.Request) string {
		if v := r.Header[name]; len(v) == 1 {
			return v[0]
		}
		return ""
	}
}

// TenantHeaderOr is [TenantHeader] for APIs where naming the tenant is
// optional: a request without the header asks for tenant fallback, so a
// single-tenant client (one that sends only the key header) keeps working
// while multi-tenant clients name their tenant. A header that is present
// but empty, or sent more than once, still names no tenant and is refused:
// only its absence selects fallback. Keys of other tenants are refused
// without the header, as they do not belong to fallback. An empty fallback
// makes it TenantHeader.
func TenantHeaderOr(name, fallback string) func(*http.Request) string {
	name = textproto.CanonicalMIMEHeaderKey(name)
	return func(r *http.Request) string {
		switch v, sent := r.Header[name]; {
		case !sent:
			return fallback
		case len(v) == 1:
			return v[0]
		}
		return ""
	}
}

// TenantPathValue returns a Config.Tenant function that reads the requested
// tenant from the path wildcard name of an http.ServeMux pattern, such as
// "{tenant}" in "/tenants/{tenant}/orders". The path value is only known
// once the mux has routed the request, so the middleware must wrap the
// route's handler, not the mux.
func TenantPathValue(name string) func(*http.Request) string {
	return func(r *http.Request) string { return r.PathValue(name) }
}

// TenantSubdomain returns a Config.Tenant function that takes the requested
// tenant from the host: for domain "api.example.com", a request to
// "acme.api.example.com" (any port, any case) names tenant "acme". A host
// that is not exactly one label under domain names no tenant.
func TenantSubdomain(domain string) func(*http.Request) string {
	suffix := "." + strings.ToLower(strings.Trim(domain, "."))
	return func(r *http.Request) string {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.ToLower(strings.TrimSuffix(host, "."))
		label, ok := strings.CutSuffix(host, suffix)
		if !ok || label == "" || strings.Contains(label, ".") {
			return ""
		}
		return label
	}
}

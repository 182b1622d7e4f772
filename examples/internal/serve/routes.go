package serve

import (
	"net/http"
	"slices"
)

// AllowedMethods returns the methods mux has a route for at r's path and
// host, other than its catch-all "/" pattern, with HEAD after GET as
// net/http serves it; nil when the path has no route at all. A catch-all
// handler uses it to answer 405 with an Allow header rather than 404.
func AllowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range [...]string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if slices.Contains(allow, http.MethodGet) {
		allow = append(allow, http.MethodHead)
	}
	return allow
}

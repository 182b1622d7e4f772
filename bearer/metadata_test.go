package bearer_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/envelope"
)

func TestResourceMetadataPathAndURL(t *testing.T) {
	for _, tc := range []struct{ resource, path, url string }{
		// RFC 9728 §3.1's example, and the identifier without a path.
		{"https://resource.example.com/resource1", "/.well-known/oauth-protected-resource/resource1", "https://resource.example.com/.well-known/oauth-protected-resource/resource1"},
		{"https://api.example.com", "/.well-known/oauth-protected-resource", "https://api.example.com/.well-known/oauth-protected-resource"},
		// The terminating slash following the host is removed.
		{"https://api.example.com/", "/.well-known/oauth-protected-resource", "https://api.example.com/.well-known/oauth-protected-resource"},
		{"https://api.example.com/v1", "/.well-known/oauth-protected-resource/v1", "https://api.example.com/.well-known/oauth-protected-resource/v1"},
		// A path's own trailing slash is part of the path.
		{"https://api.example.com/v1/", "/.well-known/oauth-protected-resource/v1/", "https://api.example.com/.well-known/oauth-protected-resource/v1/"},
		{"https://api.example.com/a/b", "/.well-known/oauth-protected-resource/a/b", "https://api.example.com/.well-known/oauth-protected-resource/a/b"},
		{"https://api.example.com:8443/v1", "/.well-known/oauth-protected-resource/v1", "https://api.example.com:8443/.well-known/oauth-protected-resource/v1"},
		{"https://[2001:db8::1]:8443", "/.well-known/oauth-protected-resource", "https://[2001:db8::1]:8443/.well-known/oauth-protected-resource"},
		{"http://127.0.0.1:8080/mcp", "/.well-known/oauth-protected-resource/mcp", "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"},
		{"http://[::1]:8080", "/.well-known/oauth-protected-resource", "http://[::1]:8080/.well-known/oauth-protected-resource"},
		{"http://localhost:3000/api", "/.well-known/oauth-protected-resource/api", "http://localhost:3000/.well-known/oauth-protected-resource/api"},
		// Escapes are kept as written.
		{"https://api.example.com/a%2Fb", "/.well-known/oauth-protected-resource/a%2Fb", "https://api.example.com/.well-known/oauth-protected-resource/a%2Fb"},
		{"https://api.example.com/{x}", "/.well-known/oauth-protected-resource/%7Bx%7D", "https://api.example.com/.well-known/oauth-protected-resource/%7Bx%7D"},
	} {
		m := bearer.ResourceMetadata{Resource: tc.resource}
		assert.Equal(t, tc.path, m.Path(), tc.resource)
		assert.Equal(t, tc.url, m.URL(), tc.resource)
		_, err := bearer.NewMetadataHandler(m)
		assert.NoError(t, err, tc.resource)
	}
}

func TestResourceMetadataPathOfInvalidResource(t *testing.T) {
	for _, r := range []string{"", "/v1", "https://api.example.com/v1?x=1", "https://api.example.com/#f", "http://api.example.com", "ftp://api.example.com"} {
		m := bearer.ResourceMetadata{Resource: r}
		assert.Empty(t, m.Path(), r)
		assert.Empty(t, m.URL(), r)
	}
}

func TestNewMetadataHandlerRefusesResource(t *testing.T) {
	for _, tc := range []struct{ resource, problem string }{
		{"", "no Resource"},
		{"api.example.com", "not an absolute"},
		{"/v1", "not an absolute"},
		{"//api.example.com/v1", "not an absolute"},
		{"urn:example:api", "not an absolute"},
		{"https:api.example.com", "no host"},
		{"https:///v1", "no host"},
		{"https://:443/v1", "no host"},
		{"http://api.example.com", "must be https"},
		{"http://10.0.0.1/v1", "must be https"},
		{"http://localhost.example.com", "must be https"},
		{"https://api.example.com/v1#section", "fragment"},
		{"https://api.example.com/v1#", "fragment"},
		{"https://api.example.com/v1?tenant=1", "query"},
		{"https://api.example.com?", "query"},
		{"https://user:secret@api.example.com", "user information"},
		{"https://api.example.com/a/../admin", "dot segment"},
		{"https://api.example.com/./v1", "dot segment"},
		{"https://api.example.com/v1\n", "not a URL"},
		{"https://bücher.example", "not a URL"},
		{"https://api.example.com/a b", "not a URL"},
	} {
		h, err := bearer.NewMetadataHandler(bearer.ResourceMetadata{Resource: tc.resource})
		require.ErrorIs(t, err, bearer.ErrConfig, tc.resource)
		assert.Nil(t, h)
		assert.Contains(t, err.Error(), tc.problem, tc.resource)
		assert.NotContains(t, err.Error(), "secret", "a URL's password is never echoed")
	}
}

func TestNewMetadataHandlerListsEveryProblem(t *testing.T) {
	_, err := bearer.NewMetadataHandler(bearer.ResourceMetadata{
		Resource:               "http://api.example.com/v1",
		AuthorizationServers:   []string{"https://as.example.com", "", "http://as.example.com", "https://as.example.com/?x", "https://as.example.com#f", "https://as.example.com"},
		ScopesSupported:        []string{"orders:read", "orders read", "", "orders:read"},
		BearerMethodsSupported: []string{"header", "cookie", "header", "Header"},
		ResourceName:           "Orders\x00",
		ResourceDocumentation:  "docs.example.com",
		ResourcePolicyURI:      "https://example.com/policy#x",
		ResourceTOSURI:         "mailto:legal@example.com",
		CacheControl:           "public\r\nX-Injected: 1",
	})
	require.ErrorIs(t, err, bearer.ErrConfig)
	msg := err.Error()
	for _, want := range []string{
		`the Resource "http://api.example.com/v1" must be https`,
		`the AuthorizationServers[1] is empty`,
		`the AuthorizationServers[2] "http://as.example.com" must be https`,
		`the AuthorizationServers[3] "https://as.example.com/?x" has a query`,
		`the AuthorizationServers[4] "https://as.example.com#f" has a fragment`,
		`the AuthorizationServers[5] "https://as.example.com" is listed twice`,
		`the ScopesSupported[1] "orders read" is not an RFC 6749 scope token`,
		`the ScopesSupported[2] "" is not an RFC 6749 scope token`,
		`the ScopesSupported[3] "orders:read" is listed twice`,
		`the BearerMethodsSupported[1] "cookie" is not one of`,
		`the BearerMethodsSupported[2] "header" is listed twice`,
		`the BearerMethodsSupported[3] "Header" is not one of`,
		`the ResourceName has control characters`,
		`the ResourceDocumentation "docs.example.com" is not an absolute`,
		`the ResourcePolicyURI "https://example.com/policy#x" has a fragment`,
		`the ResourceTOSURI "mailto:legal@example.com" is not an absolute`,
		`the CacheControl`,
	} {
		assert.Contains(t, msg, want)
	}
	assert.Equal(t, 17, strings.Count(msg, "\n")+1, "one line per problem")
}

func TestNewMetadataHandlerAcceptsHTTPDocumentation(t *testing.T) {
	_, err := bearer.NewMetadataHandler(bearer.ResourceMetadata{
		Resource:              "https://api.example.com",
		AuthorizationServers:  []string{"http://127.0.0.1:9000", "https://as.example.com/tenant/1"},
		ResourceDocumentation: "http://docs.example.com/api",
		ResourcePolicyURI:     "https://example.com/policy",
		ResourceTOSURI:        "https://example.com/tos",
	})
	require.NoError(t, err)
}

// metadataServer serves h at m.Path() on a loopback server, as an
// application mounts it.
func metadataServer(t *testing.T, m bearer.ResourceMetadata) *httptest.Server {
	t.Helper()
	h, err := bearer.NewMetadataHandler(m)
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle(m.Path(), h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func metadataDo(t *testing.T, method, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	require.NoError(t, err)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, body
}

func TestMetadataHandlerServesDocument(t *testing.T) {
	m := bearer.ResourceMetadata{
		Resource:              "https://api.example.com/v1",
		AuthorizationServers:  []string{"https://as.example.com"},
		ScopesSupported:       []string{"orders:read", "orders:write"},
		ResourceName:          "Orders API",
		ResourceDocumentation: "https://docs.example.com/orders",
	}
	srv := metadataServer(t, m)
	res, body := metadataDo(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource/v1")

	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, "public, max-age=3600", res.Header.Get("Cache-Control"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))

	var doc map[string]any
	require.NoError(t, json.Unmarshal(body, &doc))
	assert.Equal(t, map[string]any{
		"resource":                 "https://api.example.com/v1",
		"authorization_servers":    []any{"https://as.example.com"},
		"scopes_supported":         []any{"orders:read", "orders:write"},
		"bearer_methods_supported": []any{"header"},
		"resource_name":            "Orders API",
		"resource_documentation":   "https://docs.example.com/orders",
	}, doc)
	// The members come in the RFC's order.
	assert.True(t, strings.HasPrefix(string(body), `{"resource":"https://api.example.com/v1","authorization_servers":`), string(body))

	// The document decodes into the type it came from.
	var back bearer.ResourceMetadata
	require.NoError(t, json.Unmarshal(body, &back))
	want := m
	want.BearerMethodsSupported = []string{"header"}
	assert.Equal(t, want, back)
}

// RFC 9728 §3.3: the resource member is exactly the identifier a client
// used, including a slash or port it spelt.
func TestMetadataResourceEqualsIdentifier(t *testing.T) {
	for _, id := range []string{"https://api.example.com", "https://api.example.com/", "https://api.example.com:8443/v1/", "https://API.example.com/Orders"} {
		h, err := bearer.NewMetadataHandler(bearer.ResourceMetadata{Resource: id})
		require.NoError(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, bearer.ResourceMetadata{Resource: id}.Path(), nil))
		var doc struct{ Resource string }
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
		assert.Equal(t, id, doc.Resource)
	}
}

func TestMetadataHandlerMinimalDocument(t *testing.T) {
	srv := metadataServer(t, bearer.ResourceMetadata{Resource: "http://127.0.0.1/"})
	res, body := metadataDo(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"resource":"http://127.0.0.1/","bearer_methods_supported":["header"]}`, string(body))
}

func TestMetadataHandlerOptions(t *testing.T) {
	srv := metadataServer(t, bearer.ResourceMetadata{
		Resource:               "https://api.example.com",
		BearerMethodsSupported: []string{"header", "body"},
		ScopesSupported:        []string{},
		CacheControl:           "no-cache",
	})
	res, body := metadataDo(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "no-cache", res.Header.Get("Cache-Control"))
	// An empty list is left out (RFC 9728 §3.2).
	assert.JSONEq(t, `{"resource":"https://api.example.com","bearer_methods_supported":["header","body"]}`, string(body))
}

func TestMetadataHandlerHead(t *testing.T) {
	srv := metadataServer(t, bearer.ResourceMetadata{Resource: "https://api.example.com/v1"})
	_, get := metadataDo(t, http.MethodGet, srv.URL+"/.well-known/oauth-protected-resource/v1")
	res, body := metadataDo(t, http.MethodHead, srv.URL+"/.well-known/oauth-protected-resource/v1")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, body)
	assert.Equal(t, "application/json", res.Header.Get("Content-Type"))
	assert.Equal(t, fmt.Sprint(len(get)), res.Header.Get("Content-Length"))
}

func TestMetadataHandlerMethodNotAllowed(t *testing.T) {
	srv := metadataServer(t, bearer.ResourceMetadata{Resource: "https://api.example.com"})
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		res, body := metadataDo(t, method, srv.URL+"/.well-known/oauth-protected-resource")
		require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode, method)
		assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"), method)
		assert.Equal(t, "application/json", res.Header.Get("Content-Type"), method)
		assert.Equal(t, "no-store", res.Header.Get("Cache-Control"), method)
		assert.JSONEq(t, `{"error":{"name":"MethodNotAllowedError","code":"METHOD_NOT_ALLOWED","message":"Method not allowed; use GET"}}`, string(body), method)
	}
}

func TestMetadataHandlerMethodNotAllowedInRequestStyle(t *testing.T) {
	h, err := bearer.NewMetadataHandler(bearer.ResourceMetadata{Resource: "https://api.example.com"})
	require.NoError(t, err)
	srv := httptest.NewServer(envelope.Use(envelope.Flat)(h))
	t.Cleanup(srv.Close)
	res, body := metadataDo(t, http.MethodPost, srv.URL)
	require.Equal(t, http.StatusMethodNotAllowed, res.StatusCode)
	assert.Equal(t, "GET, HEAD", res.Header.Get("Allow"))
	var flat struct {
		Success bool
		Message string
	}
	require.NoError(t, json.Unmarshal(body, &flat))
	assert.False(t, flat.Success)
	assert.Equal(t, "Method not allowed; use GET", flat.Message)
}

// The handler is safe for concurrent use: the document is shared and
// never written after construction.
func TestMetadataHandlerConcurrent(t *testing.T) {
	srv := metadataServer(t, bearer.ResourceMetadata{Resource: "https://api.example.com", ScopesSupported: []string{"a"}})
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			res, err := http.Get(srv.URL + "/.well-known/oauth-protected-resource")
			if err == nil {
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err == nil && res.StatusCode != http.StatusOK {
					err = errors.New(res.Status)
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		require.NoError(t, <-errs)
	}
}

func ExampleNewMetadataHandler() {
	meta := bearer.ResourceMetadata{
		Resource:             "https://api.example.com/v1",
		AuthorizationServers: []string{"https://auth.example.com"},
		ScopesSupported:      []string{"orders:read", "orders:write"},
		ResourceName:         "Orders API",
	}
	h, err := bearer.NewMetadataHandler(meta)
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+meta.Path(), h)

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "https://api.example.com"+meta.Path(), nil))
	fmt.Println(meta.Path())
	fmt.Println(meta.URL())
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(rec.Body.String())
	// Output:
	// /.well-known/oauth-protected-resource/v1
	// https://api.example.com/.well-known/oauth-protected-resource/v1
	// 200 application/json
	// {"resource":"https://api.example.com/v1","authorization_servers":["https://auth.example.com"],"scopes_supported":["orders:read","orders:write"],"bearer_methods_supported":["header"],"resource_name":"Orders API"}
}

// FuzzResourceMetadata checks, for any Resource, that NewMetadataHandler
// either refuses it with ErrConfig or serves a document whose resource is
// the input verbatim at a well-known path that URL names.
func FuzzResourceMetadata(f *testing.F) {
	for _, s := range []string{
		"https://api.example.com", "https://api.example.com/", "https://api.example.com/v1/",
		"http://127.0.0.1:8080/mcp", "https://[::1]/a%2Fb", "https://x/a/../b", "https://u:p@x/",
		"https://x/?q", "https://x/#", "https:x", "//x/y", "https://x/{a}", "https://x//",
		"https://\xff", "https://bücher.example/", "https://x/a b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, resource string) {
		m := bearer.ResourceMetadata{Resource: resource}
		h, err := bearer.NewMetadataHandler(m)
		if err != nil {
			require.ErrorIs(t, err, bearer.ErrConfig)
			assert.Empty(t, m.Path())
			assert.Empty(t, m.URL())
			return
		}
		p := m.Path()
		require.True(t, strings.HasPrefix(p, "/.well-known/oauth-protected-resource"), p)
		u, err := url.Parse(m.URL())
		require.NoError(t, err, m.URL())
		assert.Equal(t, p, u.EscapedPath())
		assert.Empty(t, u.RawQuery)
		assert.Empty(t, u.Fragment)
		assert.True(t, strings.HasPrefix(resource, u.Scheme+"://") || strings.HasPrefix(strings.ToLower(resource), u.Scheme+"://"))

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		var doc struct {
			Resource string `json:"resource"`
		}
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
		assert.Equal(t, resource, doc.Resource)
	})
}

// An Authenticator's own metadata advertises only what it accepts: New
// refuses a bearer method other than the header, and DPoP members while
// DPoP is off. NewMetadataHandler, which can describe another resource
// server, still takes them.
func TestAuthenticatorMetadataAdvertisesWhatItAccepts(t *testing.T) {
	base := bearer.Config{
		Algorithms: []string{"HS256"},
		Issuers:    []bearer.Issuer{{URL: "https://issuer.test", Keys: []bearer.Key{{Algorithm: "HS256", Key: []byte(strings.Repeat("k", 32))}}}},
	}
	for name, m := range map[string]bearer.ResourceMetadata{
		"query":         {Resource: "https://api.example.com", BearerMethodsSupported: []string{"query"}},
		"body":          {Resource: "https://api.example.com", BearerMethodsSupported: []string{"header", "body"}},
		"DPoP algs":     {Resource: "https://api.example.com", DPoPSigningAlgValuesSupported: []string{"ES256"}},
		"DPoP required": {Resource: "https://api.example.com", DPoPBoundAccessTokensRequired: true},
	} {
		cfg := base
		cfg.Metadata = m
		_, err := bearer.New(cfg)
		assert.ErrorIs(t, err, bearer.ErrConfig, name)
		_, err = bearer.NewMetadataHandler(m)
		assert.NoError(t, err, name)
	}
	cfg := base
	cfg.Metadata = bearer.ResourceMetadata{Resource: "https://api.example.com", BearerMethodsSupported: []string{"header"}}
	a, err := bearer.New(cfg)
	require.NoError(t, err)
	require.NoError(t, a.Close())
}

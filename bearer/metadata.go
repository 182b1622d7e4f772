package bearer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// WellKnownResourceMetadata is the well-known URI string of protected
// resource metadata (RFC 9728 §3).
const WellKnownResourceMetadata = "/.well-known/oauth-protected-resource"

// DefaultMetadataCacheControl is the Cache-Control value of the metadata
// document when ResourceMetadata.CacheControl is empty.
const DefaultMetadataCacheControl = "public, max-age=3600"

// ResourceMetadata describes a protected resource to OAuth clients and
// authorization servers (RFC 9728 §2). [NewMetadataHandler] serves it at
// [ResourceMetadata.Path]; a client that received a 401 finds it through
// the resource_metadata parameter of the challenge, which names
// [ResourceMetadata.URL] (RFC 9728 §5.1).
//
// The JSON tags are the RFC's member names, in the RFC's order; members
// without a value are left out of the document (RFC 9728 §3.2).
type ResourceMetadata struct {
	// Resource is the resource identifier: an absolute https URL without
	// query or fragment, such as "https://api.example.com" or
	// "https://api.example.com/v1". Plain http is accepted for a loopback
	// host only (localhost, 127.0.0.0/8, ::1), for development. The
	// document's resource member is this exact string: a client compares it
	// with the URL it used (RFC 9728 §3.3), so spell it as clients do.
	// Required.
	Resource string `json:"resource"`

	// AuthorizationServers lists the issuer identifiers of the
	// authorization servers whose tokens the resource accepts (RFC 8414
	// §2: https URLs without query or fragment; http for a loopback host).
	// They are usually bearer's Config.Issuers. Optional.
	AuthorizationServers []string `json:"authorization_servers,omitempty"`

	// ScopesSupported lists the scopes a client may request to use the
	// resource: RFC 6749 scope tokens. scopes.Enforcer.Scopes returns the
	// scopes of a route table. Optional; an empty list is left out.
	ScopesSupported []string `json:"scopes_supported,omitempty"`

	// BearerMethodsSupported lists how a token may be sent (RFC 6750 §2):
	// "header", "body", "query", each at most once. Default: ["header"],
	// the only method an [Authenticator] accepts: Config.Metadata may list
	// no other (New refuses it), while [NewMetadataHandler], which can
	// describe another resource server, takes all three.
	BearerMethodsSupported []string `json:"bearer_methods_supported,omitempty"`

	// ResourceName is a human-readable name of the resource. Optional.
	ResourceName string `json:"resource_name,omitempty"`

	// ResourceDocumentation is the URL (http or https) of the resource's
	// developer documentation. Optional.
	ResourceDocumentation string `json:"resource_documentation,omitempty"`

	// ResourcePolicyURI is the URL (http or https) of the resource's policy
	// on how a client may use its data. Optional.
	ResourcePolicyURI string `json:"resource_policy_uri,omitempty"`

	// ResourceTOSURI is the URL (http or https) of the resource's terms of
	// service. Optional.
	ResourceTOSURI string `json:"resource_tos_uri,omitempty"`

	// TLSClientCertificateBoundAccessTokens says the resource supports
	// certificate-bound access tokens (RFC 8705). Optional.
	TLSClientCertificateBoundAccessTokens bool `json:"tls_client_certificate_bound_access_tokens,omitempty"`

	// DPoPSigningAlgValuesSupported lists the DPoP proof algorithms the
	// resource accepts (RFC 9449). An Authenticator with DPoP on fills it
	// from its dpop.Verifier when empty. Optional.
	DPoPSigningAlgValuesSupported []string `json:"dpop_signing_alg_values_supported,omitempty"`

	// DPoPBoundAccessTokensRequired says the resource accepts DPoP-bound
	// tokens only. An Authenticator in DPoPRequired mode sets it.
	DPoPBoundAccessTokensRequired bool `json:"dpop_bound_access_tokens_required,omitempty"`

	// CacheControl is the Cache-Control header of the served document; it
	// is not part of the document. Default: DefaultMetadataCacheControl
	// ("public, max-age=3600").
	CacheControl string `json:"-"`
}

// Path returns the path at which the metadata is served: the well-known
// string inserted between the host and the path of Resource (RFC 9728
// §3.1). "https://api.example.com" and "https://api.example.com/" give
// "/.well-known/oauth-protected-resource"; "https://api.example.com/v1"
// gives "/.well-known/oauth-protected-resource/v1". A path's own trailing
// slash is kept ("/v1/" gives ".../oauth-protected-resource/v1/"), so two
// distinct identifiers never share a document. The path is in escaped
// form, as it appears in the URL. Path returns "" when Resource is not a
// valid identifier (see [NewMetadataHandler]).
func (m ResourceMetadata) Path() string {
	u, err := parseResource(m.Resource)
	if err != nil {
		return ""
	}
	return metadataPath(u)
}

// URL returns the absolute URL of the metadata document, the value of the
// resource_metadata parameter of a WWW-Authenticate challenge (RFC 9728
// §5.1): Resource's scheme and host followed by [ResourceMetadata.Path].
// It returns "" when Resource is not a valid identifier.
func (m ResourceMetadata) URL() string {
	u, err := parseResource(m.Resource)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + metadataPath(u)
}

func metadataPath(u *url.URL) string {
	p := u.EscapedPath()
	if p == "/" {
		// "any terminating slash following the host component" is removed
		// (RFC 9728 §3.1).
		p = ""
	}
	return WellKnownResourceMetadata + p
}

// parseResource parses a resource identifier and checks its form.
func parseResource(s string) (*url.URL, error) {
	if s == "" {
		return nil, errors.New("no Resource")
	}
	u, err := parseMetadataURL(s, "Resource", true)
	if err != nil {
		return nil, err
	}
	if strings.Contains(s, "?") {
		return nil, fmt.Errorf("the Resource %q has a query: a resource identifier should not (RFC 8707 §2)", u.Redacted())
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == "." || seg == ".." {
			return nil, fmt.Errorf("the Resource %q has a dot segment", u.Redacted())
		}
	}
	return u, nil
}

// parseMetadataURL parses s as an absolute http(s) URL of ASCII characters
// with a host, no user information and no fragment. With secure, http is accepted only for
// a loopback host.
func parseMetadataURL(s, what string, secure bool) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || strings.ContainsFunc(s, notURLChar) {
		return nil, fmt.Errorf("the %s %q is not a URL", what, redactURL(s))
	}
	shown := u.Redacted()
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return nil, fmt.Errorf("the %s %q is not an absolute http or https URL", what, shown)
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return nil, fmt.Errorf("the %s %q has no host", what, shown)
	case u.User != nil:
		return nil, fmt.Errorf("the %s %q has user information", what, shown)
	case strings.Contains(s, "#"):
		return nil, fmt.Errorf("the %s %q has a fragment", what, shown)
	case secure && u.Scheme == "http" && !isLoopbackHost(u.Hostname()):
		return nil, fmt.Errorf("the %s %q must be https (http only for a loopback host)", what, shown)
	}
	return u, nil
}

// notURLChar reports whether r cannot appear in a URI (RFC 3986 §2): a
// space, a control character or anything outside ASCII, which must be
// percent-encoded (or, in a host name, punycode).
func notURLChar(r rune) bool { return r <= ' ' || r >= 0x7f }

// redactURL returns s, a string that does not parse as a URL, without
// what may be a password: everything before its last '@'.
func redactURL(s string) string {
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		return "xxxxx" + s[i:]
	}
	return s
}

// validate returns nil when m is a valid description, else an error
// wrapping [ErrConfig] that lists every problem.
func (m ResourceMetadata) validate() error {
	var problems []error
	if _, err := parseResource(m.Resource); err != nil {
		problems = append(problems, err)
	}
	for i, as := range m.AuthorizationServers {
		what := fmt.Sprintf("AuthorizationServers[%d]", i)
		switch {
		case as == "":
			problems = append(problems, fmt.Errorf("the %s is empty", what))
			continue
		case strings.Contains(as, "?"):
			problems = append(problems, fmt.Errorf("the %s %q has a query: an issuer identifier has none (RFC 8414 §2)", what, redactURL(as)))
			continue
		case slices.Index(m.AuthorizationServers, as) < i:
			problems = append(problems, fmt.Errorf("the %s %q is listed twice", what, redactURL(as)))
			continue
		}
		if _, err := parseMetadataURL(as, what, true); err != nil {
			problems = append(problems, err)
		}
	}
	for i, s := range m.ScopesSupported {
		switch {
		case !gatehouse.ValidScope(s):
			problems = append(problems, fmt.Errorf("the ScopesSupported[%d] %q is not an RFC 6749 scope token", i, s))
		case slices.Index(m.ScopesSupported, s) < i:
			problems = append(problems, fmt.Errorf("the ScopesSupported[%d] %q is listed twice", i, s))
		}
	}
	for i, b := range m.BearerMethodsSupported {
		switch {
		case b != "header" && b != "body" && b != "query":
			problems = append(problems, fmt.Errorf("the BearerMethodsSupported[%d] %q is not one of header, body, query", i, b))
		case slices.Index(m.BearerMethodsSupported, b) < i:
			problems = append(problems, fmt.Errorf("the BearerMethodsSupported[%d] %q is listed twice", i, b))
		}
	}
	for i, alg := range m.DPoPSigningAlgValuesSupported {
		switch {
		case alg == "" || strings.EqualFold(alg, "none") || strings.HasPrefix(alg, "HS"):
			problems = append(problems, fmt.Errorf("the DPoPSigningAlgValuesSupported[%d] %q is not an asymmetric JWS algorithm", i, alg))
		case slices.Index(m.DPoPSigningAlgValuesSupported, alg) < i:
			problems = append(problems, fmt.Errorf("the DPoPSigningAlgValuesSupported[%d] %q is listed twice", i, alg))
		}
	}
	for _, f := range []struct{ what, value string }{
		{"ResourceDocumentation", m.ResourceDocumentation},
		{"ResourcePolicyURI", m.ResourcePolicyURI},
		{"ResourceTOSURI", m.ResourceTOSURI},
	} {
		if f.value == "" {
			continue
		}
		if _, err := parseMetadataURL(f.value, f.what, false); err != nil {
			problems = append(problems, err)
		}
	}
	if strings.ContainsFunc(m.ResourceName, metadataControl) {
		problems = append(problems, errors.New("the ResourceName has control characters"))
	}
	if strings.ContainsFunc(m.CacheControl, metadataControl) {
		problems = append(problems, fmt.Errorf("the CacheControl %q has control characters", m.CacheControl))
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %w", ErrConfig, errors.Join(problems...))
	}
	return nil
}

func metadataControl(r rune) bool { return r < 0x20 || r == 0x7f }

// metadataMethodNotAllowed is the 405 of a metadata request other than GET
// or HEAD.
var metadataMethodNotAllowed = envelope.New(http.StatusMethodNotAllowed,
	"MethodNotAllowedError", "METHOD_NOT_ALLOWED", "Method not allowed; use GET")

// Pre-built header values; net/http never mutates them.
var (
	hdrMetadataJSON    = []string{"application/json"}
	hdrMetadataAllow   = []string{"GET, HEAD"}
	hdrMetadataNosniff = []string{"nosniff"}
)

type metadataHandler struct {
	length, cacheControl []string
	raw                  []byte
}

// NewMetadataHandler validates m and returns a handler serving its
// document (RFC 9728 §3.2): 200 with Content-Type application/json, the
// Cache-Control of m.CacheControl, and the JSON of m with the default
// BearerMethodsSupported filled in. The document is encoded once, here.
// GET and HEAD are answered; any other method gets a 405 with "Allow: GET,
// HEAD", rendered by [envelope.Write] in the request's style. The handler
// answers whatever path it is mounted at: register it at m.Path(), e.g.
//
//	mux.Handle("GET "+meta.Path(), h)
//
// (a GET pattern matches HEAD too). An invalid m returns an error wrapping
// [ErrConfig] that lists every problem.
func NewMetadataHandler(m ResourceMetadata) (http.Handler, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	doc := m
	if len(doc.BearerMethodsSupported) == 0 {
		doc.BearerMethodsSupported = []string{"header"}
	}
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	cc := m.CacheControl
	if cc == "" {
		cc = DefaultMetadataCacheControl
	}
	return &metadataHandler{
		raw:          raw,
		length:       []string{strconv.Itoa(len(raw))},
		cacheControl: []string{cc},
	}, nil
}

func (h *metadataHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header()["Allow"] = hdrMetadataAllow
		envelope.Write(w, r, metadataMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd["Content-Type"] = hdrMetadataJSON
	hd["Content-Length"] = h.length
	hd["Cache-Control"] = h.cacheControl
	hd["X-Content-Type-Options"] = hdrMetadataNosniff
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(h.raw)
	}
}

// newMetadata returns the document handler of cfg.Metadata, with its
// AuthorizationServers defaulted to the URLs of cfg.Issuers and its DPoP
// members to cfg.DPoP's, and the
// resource_metadata parameter of the challenges; nil and "" when its
// Resource is not set. It refuses a document that advertises what the
// Authenticator does not accept: a bearer method other than the header,
// or DPoP while Config.DPoP is off.
func newMetadata(cfg Config) (http.Handler, string, error) {
	m := cfg.Metadata
	if m.Resource == "" {
		if !reflect.ValueOf(m).IsZero() {
			return nil, "", fmt.Errorf("%w: the Metadata has no Resource", ErrConfig)
		}
		return nil, "", nil
	}
	// The Authenticator's own metadata advertises only what it accepts:
	// the Authorization header, and DPoP only when it takes DPoP.
	for _, b := range m.BearerMethodsSupported {
		if b != "header" {
			return nil, "", fmt.Errorf("%w: the Metadata's BearerMethodsSupported lists %q, but an Authenticator reads tokens from the Authorization header only", ErrConfig, b)
		}
	}
	dpopOn := cfg.DPoP.Mode != DPoPOff && cfg.DPoP.Verifier != nil
	if !dpopOn && (len(m.DPoPSigningAlgValuesSupported) > 0 || m.DPoPBoundAccessTokensRequired) {
		return nil, "", fmt.Errorf("%w: the Metadata advertises DPoP, but Config.DPoP is off", ErrConfig)
	}
	if len(m.AuthorizationServers) == 0 {
		for _, is := range cfg.Issuers {
			m.AuthorizationServers = append(m.AuthorizationServers, is.URL)
		}
	}
	if dpopOn {
		if len(m.DPoPSigningAlgValuesSupported) == 0 {
			m.DPoPSigningAlgValuesSupported = cfg.DPoP.Verifier.Algorithms()
		}
		m.DPoPBoundAccessTokensRequired = m.DPoPBoundAccessTokensRequired || cfg.DPoP.Mode == DPoPRequired
	}
	h, err := NewMetadataHandler(m)
	if err != nil {
		return nil, "", err
	}
	return h, m.URL(), nil
}

// MetadataHandler returns a handler serving Config.Metadata's document
// (see [NewMetadataHandler]), whose AuthorizationServers default to the
// Issuers' URLs. Mount it, outside the Authenticator's middleware, at the
// path its Path method names:
//
//	mux.Handle("GET "+cfg.Metadata.Path(), auth.MetadataHandler())
//
// Without Config.Metadata it answers every request 404 in the envelope.
func (a *Authenticator) MetadataHandler() http.Handler {
	if a.metadata == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			envelope.Write(w, r, envelope.ErrNotFound)
		})
	}
	return a.metadata
}

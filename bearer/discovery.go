package bearer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrDiscovery is wrapped by the error of a discovery that failed: no
// metadata document answered, or the one that did names another issuer
// or an unusable "jwks_uri". The issuer stays without keys (its tokens
// are answered 503) and discovery is retried.
var ErrDiscovery = errors.New("bearer: issuer discovery failed")

// discoveryURLs returns where an issuer's metadata may be read, in order:
// the OpenID Connect Discovery 1.0 document (§4: the issuer with any
// trailing "/" removed, then "/.well-known/openid-configuration") and the
// RFC 8414 authorization server metadata (§3.1: the well-known path
// inserted between the host and the issuer's path).
func discoveryURLs(issuer *url.URL) [2]string {
	path := strings.TrimSuffix(issuer.EscapedPath(), "/")
	origin := issuer.Scheme + "://" + issuer.Host
	return [2]string{
		origin + path + "/.well-known/openid-configuration",
		origin + "/.well-known/oauth-authorization-server" + path,
	}
}

// checkIssuerURL reports why issuer cannot be discovered: it must be an
// absolute https (or loopback http) URL without query or fragment
// (OpenID Connect Discovery §2, RFC 8414 §2).
func checkIssuerURL(issuer string, allowHTTP bool) (*url.URL, error) {
	u, err := parseFetchURL("issuer", issuer, allowHTTP)
	if err != nil {
		return nil, err
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(issuer, "#") {
		return nil, fmt.Errorf("issuer %q has a query or fragment", issuer)
	}
	return u, nil
}

// discover reads the issuer's metadata and returns its "jwks_uri". The
// document's "issuer" must equal the configured one exactly (OpenID
// Connect Discovery §4.3, RFC 8414 §3.3): a document naming another
// issuer is never used, and the RFC 8414 location is not tried after it.
// An https issuer's "jwks_uri" must be https (Discovery §3), whatever
// Fetch.AllowHTTP says. When no location answers, retryAfter is the
// longest Retry-After they sent.
func (ks *keySet) discover(ctx context.Context) (jwksURI string, retryAfter time.Duration, err error) {
	var errs []error
	for _, u := range discoveryURLs(ks.issuerURL) {
		resp, err := ks.fetch.get(ctx, u, "application/json", "")
		if err != nil {
			errs = append(errs, err)
			if se, ok := errors.AsType[*statusError](err); ok {
				retryAfter = max(retryAfter, se.retryAfter)
			}
			continue
		}
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(resp.body, &doc); err != nil {
			errs = append(errs, fmt.Errorf("%s: not a metadata document: %w", safeURL(u), err))
			continue
		}
		if doc.Issuer != ks.issuer {
			return "", 0, fmt.Errorf("%w: %s names issuer %q, not %q", ErrDiscovery, safeURL(u), doc.Issuer, ks.issuer)
		}
		if doc.JWKSURI == "" {
			return "", 0, fmt.Errorf("%w: %s has no jwks_uri", ErrDiscovery, safeURL(u))
		}
		j, err := parseFetchURL("jwks_uri", doc.JWKSURI, ks.fetch.allowHTTP)
		if err == nil && ks.issuerURL.Scheme == "https" && j.Scheme != "https" {
			err = errors.New("an https issuer's jwks_uri must be https")
		}
		if err != nil {
			return "", 0, fmt.Errorf("%w: %s: %w", ErrDiscovery, safeURL(u), err)
		}
		return doc.JWKSURI, 0, nil
	}
	return "", retryAfter, fmt.Errorf("%w: %w", ErrDiscovery, errors.Join(errs...))
}

package bearer

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseFreshness(t *testing.T) {
	for _, tc := range []struct {
		cc, age string
		want    freshness
	}{
		{"", "", freshness{}},
		{"max-age=300", "", freshness{300 * time.Second, true}},
		{"public, max-age=300, must-revalidate", "", freshness{300 * time.Second, true}},
		{`MAX-AGE="60"`, "", freshness{time.Minute, true}},
		{"max-age=300", "100", freshness{200 * time.Second, true}},
		{"max-age=300", "400", freshness{0, true}},
		{"max-age=300", "x", freshness{300 * time.Second, true}},
		{"s-maxage=600", "", freshness{}},
		{"no-cache", "", freshness{0, true}},
		{"max-age=300, no-store", "", freshness{0, true}},
		{"max-age=-1", "", freshness{0, true}},
		{"max-age=1e3", "", freshness{0, true}},
		{"max-age=", "", freshness{0, true}},
		{"max-age=10, max-age=20", "", freshness{0, true}},
		{"max-age=99999999999999999999", "", freshness{maxFreshness, true}},
	} {
		h := http.Header{}
		if tc.cc != "" {
			h.Set("Cache-Control", tc.cc)
		}
		if tc.age != "" {
			h.Set("Age", tc.age)
		}
		assert.Equal(t, tc.want, parseFreshness(h), "Cache-Control %q, Age %q", tc.cc, tc.age)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              0,
		"120":                           2 * time.Minute,
		" 5 ":                           5 * time.Second,
		"-5":                            0,
		"soon":                          0,
		"Sun, 01 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Sun, 01 Mar 2026 11:00:00 GMT": 0,
		"99999999999999999999999":       maxFreshness,
	} {
		assert.Equal(t, want, parseRetryAfter(v, now), "Retry-After %q", v)
	}
}

func TestDiscoveryURLs(t *testing.T) {
	for issuer, want := range map[string][2]string{
		"https://idp.example.com": {
			"https://idp.example.com/.well-known/openid-configuration",
			"https://idp.example.com/.well-known/oauth-authorization-server",
		},
		"https://tenant.auth0.com/": {
			"https://tenant.auth0.com/.well-known/openid-configuration",
			"https://tenant.auth0.com/.well-known/oauth-authorization-server",
		},
		"https://kc.example.com:8443/realms/demo": {
			"https://kc.example.com:8443/realms/demo/.well-known/openid-configuration",
			"https://kc.example.com:8443/.well-known/oauth-authorization-server/realms/demo",
		},
		"https://login.microsoftonline.com/tid/v2.0": {
			"https://login.microsoftonline.com/tid/v2.0/.well-known/openid-configuration",
			"https://login.microsoftonline.com/.well-known/oauth-authorization-server/tid/v2.0",
		},
	} {
		u, err := checkIssuerURL(issuer, false)
		require.NoError(t, err)
		assert.Equal(t, want, discoveryURLs(u), issuer)
	}
	for _, bad := range []string{"tenant-1", "http://idp.example.com", "https://idp.example.com/?a=b", "https://idp.example.com/#x", "https://idp.example.com?"} {
		_, err := checkIssuerURL(bad, false)
		assert.Error(t, err, bad)
	}
	_, err := checkIssuerURL("http://127.0.0.1:8080/realms/x", false)
	assert.NoError(t, err, "loopback http")
}

// FuzzCacheHeaders: any Cache-Control, Age and Retry-After values parse
// without panicking into a freshness and a delay within their bounds.
func FuzzCacheHeaders(f *testing.F) {
	f.Add("public, max-age=300", "12", "120")
	f.Add(`max-age="60", no-cache`, "x", "Sun, 01 Mar 2026 12:00:30 GMT")
	f.Add("max-age=99999999999999999999", "-1", "")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, cc, age, retry string) {
		h := http.Header{"Cache-Control": {cc}, "Age": {age}}
		fr := parseFreshness(h)
		if fr.maxAge < 0 || fr.maxAge > maxFreshness || !fr.known && fr.maxAge != 0 {
			t.Fatalf("freshness %+v for %q, %q", fr, cc, age)
		}
		if d := parseRetryAfter(retry, now); d < 0 || d > maxFreshness {
			t.Fatalf("Retry-After %q: %v", retry, d)
		}
	})
}

// FuzzJWKSet: any body either fails to parse or yields a set whose
// publication binds only usable keys, without panicking.
func FuzzJWKSet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","kid":"k1","alg":"ES256","use":"sig","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"oct","k":"AAAA"},{"kty":"RSA"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		set, err := parseJWKSet(body)
		if err != nil {
			return
		}
		ks := &keySet{allowed: []string{"ES256", "RS256", "EdDSA"}, rsaAlg: "RS256"}
		ks.snap.Store(&jwkSnapshot{})
		ks.publish(set)
		for kid, k := range ks.snap.Load().byKID {
			if k.Key.Key == nil || k.ID != kid || checkAlgorithm(k.Algorithm) != nil {
				t.Fatalf("unusable key %q published: %+v", kid, k)
			}
		}
	})
}

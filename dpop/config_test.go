package dpop_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
)

func TestNewDefaults(t *testing.T) {
	v, err := dpop.New(dpop.Config{})
	require.NoError(t, err)
	assert.Equal(t, []string{"ES256", "ES384", "EdDSA", "PS256", "RS256"}, v.Algorithms())
	assert.Equal(t, dpop.DefaultAlgorithms(), v.Algorithms())
	assert.Empty(t, v.Nonce())
	algs := v.Algorithms()
	algs[0] = "none"
	assert.Equal(t, "ES256", v.Algorithms()[0], "the slice is the caller's own")
}

func TestNewRefusesBadConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  dpop.Config
		msg  string
	}{
		{"none", dpop.Config{Algorithms: []string{"none"}}, `"none"`},
		{"HMAC", dpop.Config{Algorithms: []string{"ES256", "HS256"}}, `"HS256"`},
		{"unknown", dpop.Config{Algorithms: []string{"ES257"}}, `"ES257"`},
		{"twice", dpop.Config{Algorithms: []string{"ES256", "ES256"}}, "twice"},
		{"negative window", dpop.Config{Window: -time.Second}, "Window"},
		{"window over an hour", dpop.Config{Window: 2 * time.Hour}, "Window"},
		{"origin with a path", dpop.Config{Origin: "https://api.example.com/v1"}, "Origin"},
		{"origin with a query", dpop.Config{Origin: "https://api.example.com?x"}, "Origin"},
		{"origin of another scheme", dpop.Config{Origin: "ftp://api.example.com"}, "Origin"},
		{"origin without host", dpop.Config{Origin: "https://"}, "Origin"},
		{"origin not absolute", dpop.Config{Origin: "api.example.com"}, "Origin"},
		{"short nonce secret", dpop.Config{Nonce: &dpop.NonceConfig{Secret: make([]byte, 31)}}, "Nonce.Secret"},
		{"negative nonce lifetime", dpop.Config{Nonce: &dpop.NonceConfig{Secret: make([]byte, 32), Lifetime: -1}}, "Nonce.Lifetime"},
		{"nonce lifetime over an hour", dpop.Config{Nonce: &dpop.NonceConfig{Secret: make([]byte, 32), Lifetime: 2 * time.Hour}}, "Nonce.Lifetime"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := dpop.New(c.cfg)
			require.ErrorIs(t, err, dpop.ErrConfig)
			assert.Contains(t, err.Error(), c.msg)
		})
	}

	_, err := dpop.New(dpop.Config{Algorithms: []string{"none", "HS512"}, Window: -1, Origin: "x"})
	require.ErrorIs(t, err, dpop.ErrConfig)
	for _, want := range []string{`"none"`, `"HS512"`, "Window", "Origin"} {
		assert.Contains(t, err.Error(), want, "every problem is reported")
	}
}

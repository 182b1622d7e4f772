package dpop

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestChallengeAsksForNonce(t *testing.T) {
	cases := map[string]bool{
		`DPoP error="use_dpop_nonce"`:                                         true,
		`dpop error=use_dpop_nonce`:                                           true,
		`DPoP realm="a, b", error_description="x, y", error="use_dpop_nonce"`: true,
		`Bearer realm="api", DPoP algs="ES256", error="use_dpop_nonce"`:       true,
		`DPoP error = "use_dpop_nonce"`:                                       true,
		`Basic abc==, DPoP error="use_dpop_nonce"`:                            true,
		`Bearer error="use_dpop_nonce", DPoP algs="ES256"`:                    false,
		`DPoP error="invalid_dpop_proof"`:                                     false,
		`DPoP error_description="error=\"use_dpop_nonce\"", error="x"`:        false,
		`DPoP error="use_dpop_nonce`:                                          true,
		``:                                                                    false,
		`DPoP`:                                                                false,
		`=,=,"`:                                                               false,
	}
	for v, want := range cases {
		assert.Equal(t, want, challengeAsksForNonce(v), "%s", v)
	}
}

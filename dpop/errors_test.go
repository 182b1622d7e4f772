package dpop_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/dpop"
)

func TestRefusalTable(t *testing.T) {
	rows := dpop.Refusals()
	seenErr := map[error]bool{}
	seenReason := map[gatehouse.Reason]bool{}
	for _, r := range rows {
		assert.False(t, seenErr[r.Err], "%v has one row", r.Err)
		assert.False(t, seenReason[r.Reason], "%q names one refusal", r.Reason)
		seenErr[r.Err], seenReason[r.Reason] = true, true
		assert.NotEmpty(t, r.Message)
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable}, r.Status)

		got, ok := dpop.RefusalFor(fmt.Errorf("wrapped: %w", r.Err))
		require.True(t, ok)
		assert.Equal(t, r, got)
		switch r.Err {
		case dpop.ErrUseNonce:
			assert.Equal(t, dpop.CodeUseNonce, dpop.ErrorCode(r.Err))
		case dpop.ErrUnavailable:
			assert.Equal(t, gatehouse.ReasonStoreUnavailable, r.Reason)
			assert.Empty(t, dpop.ErrorCode(r.Err))
		default:
			assert.Equal(t, dpop.CodeInvalidProof, dpop.ErrorCode(r.Err))
		}
	}
	for _, err := range []error{dpop.ErrMissingProof, dpop.ErrMultipleProofs, dpop.ErrMalformedProof, dpop.ErrProofType,
		dpop.ErrProofAlgorithm, dpop.ErrProofKey, dpop.ErrPrivateKey, dpop.ErrProofSignature, dpop.ErrMethodMismatch,
		dpop.ErrURIMismatch, dpop.ErrProofExpired, dpop.ErrTokenHash, dpop.ErrKeyMismatch, dpop.ErrUseNonce,
		dpop.ErrReplayed, dpop.ErrUnavailable} {
		assert.True(t, seenErr[err], "%v has a row", err)
	}
	_, ok := dpop.RefusalFor(errors.New("other"))
	assert.False(t, ok)
	assert.Empty(t, dpop.ErrorCode(nil))
	rows[0].Message = "changed"
	assert.NotEqual(t, "changed", dpop.Refusals()[0].Message, "the slice is the caller's own")
}

func TestChallenge(t *testing.T) {
	v := newVerifier(t, dpop.Config{Algorithms: []string{"ES256", "EdDSA"}})
	assert.Equal(t, `DPoP algs="ES256 EdDSA"`, v.Challenge("", "", ""))
	assert.Equal(t, `DPoP realm="api", error="use_dpop_nonce", error_description="Use the \"nonce\"", algs="ES256 EdDSA"`,
		v.Challenge("api", dpop.CodeUseNonce, `Use the "nonce"`))
}

package issuance

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/dpop"
	"github.com/gatehouse-go/gatehouse/envelope"
)

// TestConfirmation checks that a bound payload carries "cnf": {"jkt"} and
// a bearer payload no "cnf" at all, and that an application cannot add a
// "cnf" of its own.
func TestConfirmation(t *testing.T) {
	b, err := json.Marshal(AccessPayload{Issuer: "i", Confirmation: BindTo("abc")})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"cnf":{"jkt":"abc"}`)
	b, err = json.Marshal(AccessPayload{Issuer: "i", Confirmation: BindTo("")})
	require.NoError(t, err)
	assert.NotContains(t, string(b), "cnf")

	for _, obj := range []string{`{"cnf":{"jkt":"x"}}`, `{"CNF":{"jkt":"x"}}`, `{"\u0063nf":{}}`} {
		_, err := MergeObject(b, []byte(obj))
		assert.ErrorContains(t, err, "reserved", obj)
	}
	_, err = MergeExtra(b, map[string]any{"Cnf": map[string]string{"jkt": "x"}})
	assert.ErrorContains(t, err, "reserved")
}

// TestDPoPRefusal checks the answers to refused proofs: 400 with the
// refusal's OAuth code and audit reason, 503 for a store.
func TestDPoPRefusal(t *testing.T) {
	for _, r := range dpop.Refusals() {
		c := DPoPRefusal(r.Err)
		require.NotNil(t, c.Err, r.Err)
		assert.ErrorIs(t, c.Err, r.Err)
		if errors.Is(r.Err, dpop.ErrUnavailable) {
			assert.Equal(t, http.StatusServiceUnavailable, c.Err.Status)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, c.Err.Status, r.Err)
		assert.Equal(t, dpop.ErrorCode(r.Err), envelope.OAuthCode(c.Err), r.Err)
		assert.Equal(t, r.Reason, c.Reason)
	}
	c := DPoPRefusal(errors.New("redis: down"))
	assert.Equal(t, http.StatusServiceUnavailable, c.Err.Status)
	assert.NotContains(t, c.Err.Error(), "redis")
}

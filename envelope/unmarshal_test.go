package envelope_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/envelope"
)

// TestUnmarshalExactMembers: Unmarshal applies the body rules to JSON
// already in memory — exact member names, no duplicates — and with
// AllowUnknownFields still refuses a case variant of a known member.
func TestUnmarshalExactMembers(t *testing.T) {
	type claims struct {
		Sub string `json:"sub"`
		SID string `json:"sid"`
	}
	lax := envelope.Decoder{AllowUnknownFields: true}
	var c claims
	require.NoError(t, lax.Unmarshal([]byte(`{"sub":"a","sid":"s","other":1}`), &c))
	assert.Equal(t, claims{Sub: "a", SID: "s"}, c)
	for _, raw := range []string{
		`{"sub":"a","SID":"s"}`,
		`{"sub":"a","sid":"s","SID":"t"}`,
		`{"sub":"a","sid":"s","sid":"t"}`,
		`{"sub":"a","Sub":"b"}`,
		`{"sub":"a"} {}`,
		`{"sub":`,
	} {
		assert.Error(t, lax.Unmarshal([]byte(raw), &claims{}), raw)
	}
	assert.Error(t, envelope.Decoder{}.Unmarshal([]byte(`{"sub":"a","other":1}`), &claims{}), "unknown members refused by default")
	assert.Error(t, lax.Unmarshal([]byte(`{}`), claims{}), "not a pointer")
}

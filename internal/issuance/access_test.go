package issuance

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMergeObject checks that the members of an object are appended to a
// payload, that a reserved name at the top level is refused in any letter
// case and however it is escaped, and that names inside values are the
// application's.
func TestMergeObject(t *testing.T) {
	payload := []byte(`{"iss":"i","sub":"s"}`)
	for _, tc := range []struct {
		obj, want string
	}{
		{`{}`, `{"iss":"i","sub":"s"}`},
		{`{"amount":12.5}`, `{"iss":"i","sub":"s","amount":12.5}`},
		{`{"a":{"sub":"x","scope":[1,{"iss":2}]},"b":["sid","}"],"c":"\"sub\""}`, `{"iss":"i","sub":"s","a":{"sub":"x","scope":[1,{"iss":2}]},"b":["sid","}"],"c":"\"sub\""}`},
	} {
		got, err := MergeObject(append([]byte(nil), payload...), []byte(tc.obj))
		require.NoError(t, err, tc.obj)
		assert.JSONEq(t, tc.want, string(got), tc.obj)
		assert.Equal(t, tc.want, string(got), tc.obj)
	}
	for _, obj := range []string{`{"sub":"x"}`, `{"a":1,"SESSION_KIND":"client"}`, `{"\u0073id":"x"}`, `{"a":[1,2],"Scp":"admin"}`, "{\"ſcope\":\"admin\"}", "{\"session_\u212aind\":\"m2m\"}", "{\"token_uſe\":\"x\"}"} {
		_, err := MergeObject(payload, []byte(obj))
		assert.ErrorContains(t, err, "reserved", obj)
	}
	for _, obj := range []string{`[]`, `"x"`, `1`, ``} {
		_, err := MergeObject(payload, []byte(obj))
		assert.Error(t, err, obj)
	}
	// What json.Marshal writes for a struct is read name by name.
	b, err := json.Marshal(struct {
		Amount string `json:"amount"`
		Key    string `json:"<typ>"`
	}{"1", "k"})
	require.NoError(t, err)
	_, err = MergeObject(payload, b)
	assert.NoError(t, err, "a name that merely contains a reserved one")
}

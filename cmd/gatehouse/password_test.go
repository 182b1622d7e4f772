package main

import (
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gatehouse-go/gatehouse/tokenendpoint"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func TestPasswordHash(t *testing.T) {
	for _, in := range []string{"correct horse\n", "correct horse\r\n", "correct horse"} {
		out := ok(t, gh(t, in, "password", "hash", "-cost", "4"))
		hash := strings.TrimSuffix(out, "\n")
		require.NotContains(t, hash, "\n")
		assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(hash), []byte("correct horse")), "input %q", in)
		cost, err := bcrypt.Cost([]byte(hash))
		require.NoError(t, err)
		assert.Equal(t, 4, cost)
		assert.NotContains(t, out, "correct horse")
	}
	// Only one newline is the line's end; the rest is the password.
	out := ok(t, gh(t, "  spaced  \n\n", "password", "hash", "-cost", "4"))
	assert.NoError(t, bcrypt.CompareHashAndPassword([]byte(strings.TrimSpace(out)), []byte("  spaced  \n")))
}

func TestPasswordHashRefusals(t *testing.T) {
	refused(t, gh(t, "", "password", "hash", "-cost", "4"), "password hash", "empty password")
	refused(t, gh(t, "\n", "password", "hash", "-cost", "4"), "password hash", "empty password")
	refused(t, gh(t, strings.Repeat("x", 73), "password", "hash", "-cost", "4"), "password hash", "longer than 72 bytes")
	refused(t, gh(t, "pw", "password", "hash", "-cost", "3"), "password hash", "-cost 3 is outside 4–31")
	refused(t, gh(t, strings.Repeat("x", 5000), "password", "hash"), "password hash", "longer than 4096 bytes")
	// The password is never an argument.
	usage(t, gh(t, "", "password", "hash", "hunter2"), "this command takes no argument, got 1")
	usage(t, gh(t, "", "password", "hash", "-cost", "many"), "invalid value")
}

func TestSecretGenerate(t *testing.T) {
	v := decodeJSON[struct {
		Secret     string `json:"secret"`
		HashHex    string `json:"hash_hex"`
		HashBase64 string `json:"hash_base64"`
	}](t, ok(t, gh(t, "", "secret", "generate", "-json")))
	assert.Len(t, v.Secret, 43)
	want := tokenendpoint.HashClientSecret(v.Secret)
	assert.Equal(t, hex.EncodeToString(want[:]), v.HashHex)
	assert.Equal(t, base64.StdEncoding.EncodeToString(want[:]), v.HashBase64)

	lines := strings.Split(strings.TrimSuffix(ok(t, gh(t, "", "secret", "generate")), "\n"), "\n")
	require.Len(t, lines, 3)
	h := tokenendpoint.HashClientSecret(lines[0])
	assert.Contains(t, lines[1], hex.EncodeToString(h[:]))
	assert.NotEqual(t, v.Secret, lines[0], "every secret is new")

	usage(t, gh(t, "", "secret", "generate", "extra"), "this command takes no argument, got 1")
}

package server_test

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestBodyCapMatchesREADME reads the body cap the README documents for
// login and refresh and checks it over loopback: a body of exactly that
// size is read (a wrong password answers 401), one byte more is 413 in the
// seed's envelope.
func TestBodyCapMatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	require.NoError(t, err)
	m := regexp.MustCompile("`413` when it is over (\\d+) KiB").FindSubmatch(readme)
	require.NotNil(t, m, "the README documents the body cap")
	kib, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	limit := kib << 10

	e := start(t, nil)
	body := func(n int) string {
		b := `{"username":"nobody","password":"wrong"}`
		return b[:len(b)-1] + strings.Repeat(" ", n-len(b)) + "}"
	}
	for _, path := range []string{"/auth/login", "/auth/refresh"} {
		t.Run(path, func(t *testing.T) {
			at := e.call("127.0.0.1", "POST", path, body(limit))
			assert.NotEqual(t, http.StatusRequestEntityTooLarge, at.status, "a body of exactly %d bytes is read: %s", limit, at.body)

			over := e.call("127.0.0.1", "POST", path, body(limit+1))
			require.Equal(t, http.StatusRequestEntityTooLarge, over.status, over.body)
			var env struct {
				Error struct{ Name, Code, Message string } `json:"error"`
			}
			require.NoError(t, json.Unmarshal([]byte(over.body), &env), over.body)
			assert.Equal(t, "PayloadTooLargeError", env.Error.Name, over.body)
			assert.Equal(t, "PAYLOAD_TOO_LARGE", env.Error.Code, over.body)
			assert.Equal(t, "Request body too large", env.Error.Message, over.body)
		})
	}
}

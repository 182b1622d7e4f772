package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/examples/internal/cmdtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// seedPHPAssertion is seed 002's PHP sample run by firebase/php-jwt,
// byte for byte:
//
//	$signature = "monApiSignature";
//	$criteria = array("amount" => 100, "iat" => time(), "notificationKey" => "12345");
//	$jwt = JWT::encode($criteria, $signature);
//
// json_encode of the header and the claims, urlsafeB64Encode (base64,
// + / → - _, padding trimmed), HMAC-SHA256 over "header.payload".
func seedPHPAssertion(signature string, iat int64) string {
	urlsafe := func(b []byte) string {
		s := base64.StdEncoding.EncodeToString(b)
		return strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(s), "=")
	}
	claims := `{"amount":100,"iat":` + strconv.FormatInt(iat, 10) + `,"notificationKey":"12345"}`
	input := urlsafe([]byte(`{"typ":"JWT","alg":"HS256"}`)) + "." + urlsafe([]byte(claims))
	mac := hmac.New(sha256.New, []byte(signature))
	mac.Write([]byte(input))
	return input + "." + urlsafe(mac.Sum(nil))
}

func TestShortSignatureCredentials(t *testing.T) {
	c, err := loadCredentials(env(map[string]string{"API_SIGNATURE": "monApiSignature"}))
	require.NoError(t, err)
	assert.True(t, c.shortSignature)
	c, err = loadCredentials(env(map[string]string{"API_SIGNATURE": "12345678"}))
	require.NoError(t, err)
	assert.True(t, c.shortSignature, "the floor")
	c, err = loadCredentials(env(map[string]string{"API_SIGNATURE": strings.Repeat("s", 32)}))
	require.NoError(t, err)
	assert.False(t, c.shortSignature)
	c, err = loadCredentials(env(nil))
	require.NoError(t, err)
	assert.False(t, c.shortSignature, "generated signatures are long")
	_, err = loadCredentials(env(map[string]string{"API_SIGNATURE": "1234567"}))
	require.Error(t, err)
}

// TestRunWithTheSeedSignature starts the command with seed 002's own
// "monApiSignature", checks the warning, and follows the seed's flow: the
// PHP sample's assertion in the seed's curl body at POST /v2/token, then
// the client session at work.
func TestRunWithTheSeedSignature(t *testing.T) {
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, env(map[string]string{
			"API_KEY": "ABCD", "API_SIGNATURE": "monApiSignature", "CLIENT_SECRET": "client-secret-0123456789abcdefghijklmnopq",
		}), stdout, stderr)
	})
	base, out, errOut := cmd.Base, cmd.Stdout, cmd.Stderr

	warning := errOut.String()
	assert.Contains(t, warning, "WARNING: API_SIGNATURE is 15 bytes, shorter than the 32 bytes RFC 7518 §3.2 requires")
	assert.Contains(t, warning, "InsecureShortAssertionKey")
	assert.NotContains(t, warning, "monApiSignature", "the key itself is not printed")
	assert.NotContains(t, out.String(), "WARNING", "the warning goes to stderr")

	post := func(path, ct, body string, hdr ...string) (int, string) {
		req, err := http.NewRequest("POST", base+path, strings.NewReader(body))
		require.NoError(t, err)
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		for k := 0; k+1 < len(hdr); k += 2 {
			req.Header.Set(hdr[k], hdr[k+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		return res.StatusCode, string(b)
	}

	// The seed's curl, with the PHP sample's JWT.
	assertion := seedPHPAssertion("monApiSignature", time.Now().Unix())
	status, body := post("/v2/token", "application/json",
		`{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "ABCD", "assertion": "`+assertion+`"}`)
	require.Equal(t, http.StatusOK, status, body)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	assert.Equal(t, "Bearer", tok.TokenType)
	require.NotEmpty(t, tok.AccessToken)

	status, body = post("/v2/vouchers/reserve", "application/json", `{"amount": 40, "storeId": "store-paris"}`, "Authorization", "Bearer "+tok.AccessToken)
	require.Equal(t, http.StatusCreated, status, body)
	assert.Contains(t, body, `"notificationKey":"12345"`)

	// The same assertion again is a replay, and another key is refused.
	status, body = post("/v2/token", "application/json",
		`{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "ABCD", "assertion": "`+assertion+`"}`)
	assert.Equal(t, http.StatusBadRequest, status, body)
	status, body = post("/v2/token", "application/json",
		`{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "ABCD", "assertion": "`+seedPHPAssertion("monApiSignaturX", time.Now().Unix())+`"}`)
	assert.Equal(t, http.StatusBadRequest, status, body)
	assert.Contains(t, body, "invalid_grant")

	// -sign-assertion with the same short signature is accepted too.
	var signed strings.Builder
	require.NoError(t, run(t.Context(), []string{"-sign-assertion", "-notification-key", "67890"},
		env(map[string]string{"API_SIGNATURE": "monApiSignature"}), &signed, io.Discard))
	status, body = post("/v2/token", "application/json",
		`{"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "client_id": "ABCD", "assertion": "`+strings.TrimSpace(signed.String())+`"}`)
	assert.Equal(t, http.StatusOK, status, body)

	cmd.Stop(t)
}

func TestRunWithALongSignatureDoesNotWarn(t *testing.T) {
	cmd := cmdtest.Start(t, func(ctx context.Context, stdout, stderr io.Writer) error {
		return run(ctx, []string{"-addr", "127.0.0.1:0"}, env(map[string]string{"API_SIGNATURE": strings.Repeat("s", 32)}), stdout, stderr)
	})
	cmd.Stop(t)
	assert.NotContains(t, cmd.Stderr.String(), "WARNING")
}

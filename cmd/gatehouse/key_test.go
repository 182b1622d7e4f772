package main

import (
	"context"
	"encoding/hex"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type keyOutput struct {
	Key    string        `json:"key"`
	Record keyRecordJSON `json:"record"`
	Stored string        `json:"stored"`
}

func TestKeyGenerate(t *testing.T) {
	start := time.Now()
	v := decodeJSON[keyOutput](t, ok(t, gh(t, "", "key", "generate", "-env", "test", "-tenant", "acme",
		"-scopes", "orders:read orders:write", "-surfaces", "payment", "-subject", "svc-7", "-name", "Supplier",
		"-expires", "90d", "-json")))
	env, err := apikey.ParseKey(v.Key)
	require.NoError(t, err)
	assert.Equal(t, "test", env)
	hash := apikey.Hash(v.Key)
	assert.Equal(t, hex.EncodeToString(hash[:]), v.Record.Hash)
	assert.Equal(t, apikey.DisplayPrefix(v.Key), v.Record.Prefix)
	assert.True(t, strings.HasPrefix(v.Record.ID, "key_"))
	assert.Equal(t, "acme", v.Record.Tenant)
	assert.Equal(t, "svc-7", v.Record.Subject)
	assert.Equal(t, "Supplier", v.Record.Name)
	assert.Equal(t, []string{"orders:read", "orders:write"}, v.Record.Scopes)
	assert.Equal(t, []string{"payment"}, v.Record.Surfaces)
	assert.Empty(t, v.Stored)
	require.NotNil(t, v.Record.ExpiresAt)
	exp, err := time.Parse(time.RFC3339, *v.Record.ExpiresAt)
	require.NoError(t, err)
	assert.WithinDuration(t, start.Add(90*24*time.Hour), exp, 5*time.Second)

	// Text: the key alone on the first line, then the record.
	out := ok(t, gh(t, "", "key", "generate", "-env", "live"))
	first, rest, _ := strings.Cut(out, "\n")
	_, err = apikey.ParseKey(first)
	require.NoError(t, err)
	h := apikey.Hash(first)
	assert.Contains(t, rest, hex.EncodeToString(h[:]))
	assert.Contains(t, rest, "expires   never")
	assert.Contains(t, rest, "stored    nowhere")
	assert.NotContains(t, rest, first, "the key is printed once")
}

func TestKeyGenerateRefusals(t *testing.T) {
	usage(t, gh(t, "", "key", "generate"), "-env is required")
	usage(t, gh(t, "", "key", "generate", "-env", "test", "stray"), "this command takes no argument, got 1")
	refused(t, gh(t, "", "key", "generate", "-env", "LIVE!"), "key generate", `invalid -env "LIVE!"`)
	refused(t, gh(t, "", "key", "generate", "-env", "test", "-scopes", `bad"scope`), "key generate", `invalid scope "bad\"scope"`)
	refused(t, gh(t, "", "key", "generate", "-env", "test", "-expires", "soon"), "key generate", `invalid time "soon"`)
	refused(t, gh(t, "", "key", "generate", "-env", "test", "-expires", "-1d"), "key generate", "not in the future")
	usage(t, gh(t, "", "key", "generate", "-env", "test", "-redis", "a:1", "-redis-cluster", "b:1"), "not both")
	usage(t, gh(t, "", "key", "revoke", "-redis", "127.0.0.1:6379"), "-id is required")
	usage(t, gh(t, "", "key", "revoke", "-id", "key_x"), "-redis ADDR (or -redis-cluster SEEDS) is required")
}

// TestKeyRoundTripRedis stores a generated key in Redis, authenticates with
// it through a real apikey.Authenticator on redisstore, revokes it with the
// command and sees the authenticator refuse it.
func TestKeyRoundTripRedis(t *testing.T) {
	rs, prefix := redisStore(t, true)
	v := decodeJSON[keyOutput](t, ok(t, gh(t, "", "key", "generate", "-env", "live", "-tenant", "acme",
		"-scopes", "orders:read", "-surfaces", "payment", "-redis", redisAddr(), "-redis-prefix", prefix, "-json")))
	assert.Contains(t, v.Stored, prefix)

	auth, err := apikey.New(apikey.Config{Store: rs.APIKeys(), Surface: "payment", TouchInterval: -1})
	require.NoError(t, err)
	check := func() error {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("ApiKey", v.Key)
		p, err := auth.Check(r)
		if err == nil {
			assert.Equal(t, "acme", p.Tenant)
			assert.Equal(t, []string{"orders:read"}, p.Scopes)
			assert.Equal(t, v.Record.ID, p.TokenID)
		}
		return err
	}
	require.NoError(t, check())

	out := ok(t, gh(t, "", "key", "revoke", "-id", v.Record.ID, "-redis", redisAddr(), "-redis-prefix", prefix))
	assert.Equal(t, "revoked key "+v.Record.ID+"\n", out)
	assert.ErrorIs(t, check(), apikey.ErrKeyRevoked)
	rec, err := rs.APIKeys().Lookup(context.Background(), apikey.Hash(v.Key))
	require.NoError(t, err)
	assert.True(t, rec.Revoked)

	// Revoking again succeeds; an unknown id is refused.
	ok(t, gh(t, "", "key", "revoke", "-id", v.Record.ID, "-redis", redisAddr(), "-redis-prefix", prefix, "-json"))
	refused(t, gh(t, "", "key", "revoke", "-id", "key_nope", "-redis", redisAddr(), "-redis-prefix", prefix),
		"key revoke", `no key with id "key_nope"`)
}

// TestKeyGenerateUnestablished stores a key under a prefix that has no
// epoch record: the write succeeds (it is part of re-seeding) and a note
// on stderr says what the application must do; the command establishes
// nothing.
func TestKeyGenerateUnestablished(t *testing.T) {
	rs, prefix := redisStore(t, false)
	r := gh(t, "", "key", "generate", "-env", "test", "-redis", redisAddr(), "-redis-prefix", prefix, "-json")
	v := decodeJSON[keyOutput](t, ok(t, r))
	assert.Contains(t, r.stderr, "no gatehouse epoch record")
	assert.Contains(t, r.stderr, "Store.Establish (this command never does)")
	_, err := rs.APIKeys().Lookup(context.Background(), apikey.Hash(v.Key))
	require.NoError(t, err)
	assertNotEstablished(t, rs)
}

package main

import (
	"context"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-go/gatehouse/apikey"
	"github.com/gatehouse-go/gatehouse/bearer"
	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// redisAddr is the real Redis the tests use (GATEHOUSE_REDIS_ADDR, default
// 127.0.0.1:6379).
func redisAddr() string { return redistest.Addr() }

// redisStore returns a Store on the real Redis under a prefix of the
// test's own, whose keys, and only those, are deleted when the test ends.
// With establish, the Store writes the prefix's epoch record, as the
// application does once its state is seeded.
func redisStore(t *testing.T, establish bool) (*redisstore.Store, string) {
	t.Helper()
	c := redistest.Client(t)
	prefix := redistest.Prefix(t, c)
	s, err := redisstore.New(redisstore.Config{Client: c, Prefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	if establish {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		require.NoError(t, s.Establish(ctx))
	}
	return s, prefix
}

// assertNotEstablished asserts that the prefix still has no epoch record.
func assertNotEstablished(t *testing.T, rs *redisstore.Store) {
	t.Helper()
	_, err := rs.Lists().AllowList(context.Background(), "any-account")
	assert.ErrorIs(t, err, redisstore.ErrStateLost)
}

// keysUnder returns the keys under prefix.
func keysUnder(t *testing.T, rs *redisstore.Store, prefix string) []string {
	t.Helper()
	keys, err := rs.Client().Keys(context.Background(), prefix+"*").Result()
	require.NoError(t, err)
	return keys
}

// TestRedisDown runs every command that uses Redis against a loopback port
// nothing listens on: each exits 1 with one line naming the address, and
// prints nothing on stdout (key generate prints no key it could not store).
func TestRedisDown(t *testing.T) {
	dir := t.TempDir()
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", filepath.Join(dir, "k.jwk")))
	tok := strings.TrimSpace(ok(t, gh(t, "", "token", "mint", "-key", filepath.Join(dir, "k.jwk"), "-sub", "u")))
	const down = "127.0.0.1:1"
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
	}{
		{"key generate", "", []string{"key", "generate", "-env", "test"}},
		{"key revoke", "", []string{"key", "revoke", "-id", "key_x"}},
		{"revoke jti", "", []string{"revoke", "jti", "j1", "-sub", "u", "-until", "1h"}},
		{"revoke session", "", []string{"revoke", "session", "s1", "-sub", "u", "-until", "1h"}},
		{"revoke subject", "", []string{"revoke", "subject", "u", "-until", "1h"}},
		{"allowlist get", "", []string{"allowlist", "get", "acct"}},
		{"allowlist set", "", []string{"allowlist", "set", "acct", "10.0.0.0/8"}},
		{"token inspect", tok, []string{"token", "inspect", "-key", filepath.Join(dir, "k.jwk"), "-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := gh(t, tc.stdin, append(tc.args, "-redis", down)...)
			refused(t, r, tc.name, "Redis "+down)
			assert.Contains(t, r.stderr, "connection refused")
			assert.Empty(t, r.stdout)
			assert.Less(t, time.Since(start), 10*time.Second)
		})
	}
}

func TestRevokeRedis(t *testing.T) {
	rs, prefix := redisStore(t, true)
	revs := rs.Revocations()
	ctx := context.Background()
	redisArgs := []string{"-redis", redisAddr(), "-redis-prefix", prefix}
	revoked := func(ref bearer.TokenRef) bool {
		t.Helper()
		ref.IssuedAt = time.Now().Unix() + 10 // after the epoch began: only the revocation keys decide
		ok, err := revs.Revoked(ctx, &ref)
		require.NoError(t, err)
		return ok
	}

	assert.False(t, revoked(bearer.TokenRef{Subject: "alice", ID: "j1"}))
	out := ok(t, gh(t, "", append([]string{"revoke", "jti", "j1", "-sub", "alice", "-until", "1h"}, redisArgs...)...))
	assert.Contains(t, out, `revoked token "j1" of subject "alice" until `)
	assert.True(t, revoked(bearer.TokenRef{Subject: "alice", ID: "j1"}))
	assert.False(t, revoked(bearer.TokenRef{Subject: "bob", ID: "j1"}), "filed under its subject")

	v := decodeJSON[map[string]any](t, ok(t, gh(t, "", append([]string{"revoke", "session", "s9", "-sub", "alice", "-until", "never", "-json"}, redisArgs...)...)))
	assert.Equal(t, map[string]any{"kind": "session", "subject": "alice", "id": "s9", "until": nil}, v)
	assert.True(t, revoked(bearer.TokenRef{Subject: "alice", ID: "other", SessionID: "s9"}))

	// A subject revocation refuses the tokens issued at or before -before.
	out = ok(t, gh(t, "", append([]string{"revoke", "subject", "carol", "-until", "2h"}, redisArgs...)...))
	assert.Contains(t, out, `revoked the tokens of subject "carol" issued at or before `)
	ref := bearer.TokenRef{Subject: "carol", ID: "j", IssuedAt: time.Now().Unix() - 1}
	isRevoked, err := revs.Revoked(ctx, &ref)
	require.NoError(t, err)
	assert.True(t, isRevoked)
	ref.IssuedAt = time.Now().Unix() + 5
	isRevoked, err = revs.Revoked(ctx, &ref)
	require.NoError(t, err)
	assert.False(t, isRevoked)

	// A token without sub is revoked with -sub "".
	ok(t, gh(t, "", append([]string{"revoke", "jti", "anon", "-sub", "", "-until", "1h"}, redisArgs...)...))
	assert.True(t, revoked(bearer.TokenRef{Subject: "", ID: "anon"}))
}

func TestRevokeRefusals(t *testing.T) {
	rs, prefix := redisStore(t, false)
	redisArgs := []string{"-redis", redisAddr(), "-redis-prefix", prefix}
	usage(t, gh(t, "", append([]string{"revoke", "jti", "-sub", "u", "-until", "1h"}, redisArgs...)...), "the JTI is required")
	usage(t, gh(t, "", append([]string{"revoke", "jti", "j", "-until", "1h"}, redisArgs...)...), "-sub is required")
	usage(t, gh(t, "", append([]string{"revoke", "session", "s", "-sub", "u"}, redisArgs...)...), "-until is required")
	usage(t, gh(t, "", append([]string{"revoke", "subject", "u", "-sub", "u", "-until", "1h"}, redisArgs...)...), "flag provided but not defined: -sub")
	usage(t, gh(t, "", append([]string{"revoke", "session", "s", "-sub", "u", "-until", "1h", "-before", "now"}, redisArgs...)...), "flag provided but not defined: -before")
	usage(t, gh(t, "", "revoke", "jti", "j", "-sub", "u", "-until", "1h"), "-redis ADDR")
	refused(t, gh(t, "", append([]string{"revoke", "jti", "j", "-sub", "u", "-until", "tomorrow"}, redisArgs...)...), "revoke jti", `invalid time "tomorrow"`)
	refused(t, gh(t, "", append([]string{"revoke", "jti", "j", "-sub", "u", "-until", "-1h"}, redisArgs...)...), "revoke jti", "nothing written")
	refused(t, gh(t, "", append([]string{"revoke", "jti", "-token", "-"}, redisArgs...)...), "revoke jti", "no token on stdin")
	refused(t, gh(t, "garbage", append([]string{"revoke", "jti", "-token", "-"}, redisArgs...)...), "revoke jti", "malformed token")
	// -before takes now or an RFC 3339 time, not a duration, which would
	// be read into the future and revoke the subject's next sign-ins too.
	for _, before := range []string{"1h", "90d", "never", ""} {
		refused(t, gh(t, "", append([]string{"revoke", "subject", "u", "-before", before, "-until", "2h"}, redisArgs...)...), "revoke subject",
			"-before: invalid time "+quoteArg(before))
	}
	assert.Empty(t, keysUnder(t, rs, prefix), "nothing written")
}

// TestRevokeRefusesSecretArgument gives each revoke command a token or an
// API key where its JTI, SID or SUBJECT belongs: a usage error that does
// not repeat it, and nothing written to Redis.
func TestRevokeRefusesSecretArgument(t *testing.T) {
	rs, prefix := redisStore(t, true)
	before := keysUnder(t, rs, prefix)
	key, _, err := apikey.Generate("live")
	require.NoError(t, err)
	for _, c := range []struct {
		kind, secret string
		args         []string
	}{
		{"jti", testJWT, []string{"-sub", "user-42"}},
		{"jti", key, []string{"-sub", "user-42"}},
		{"session", testJWT, []string{"-sub", "user-42"}},
		{"subject", testJWT, nil},
	} {
		args := append([]string{"revoke", c.kind, c.secret, "-until", "1h", "-redis", redisAddr(), "-redis-prefix", prefix}, c.args...)
		r := gh(t, "", args...)
		usage(t, r, "looks like one and was not echoed")
		assert.Contains(t, r.stderr, "revoke jti -token")
		assert.NotContains(t, r.stderr, c.secret)
	}
	after := keysUnder(t, rs, prefix)
	assert.ElementsMatch(t, before, after, "nothing written")
	for _, k := range after {
		assert.NotContains(t, k, "eyJ")
	}
}

// TestRevokeUnestablished writes a revocation under a prefix without an
// epoch record: it is written, a note says the store must be established,
// and the command establishes nothing.
func TestRevokeUnestablished(t *testing.T) {
	rs, prefix := redisStore(t, false)
	r := gh(t, "", "revoke", "jti", "j1", "-sub", "u", "-until", "1h", "-redis", redisAddr(), "-redis-prefix", prefix)
	ok(t, r)
	assert.Contains(t, r.stderr, "no gatehouse epoch record")
	assert.Len(t, keysUnder(t, rs, prefix), 1)
	assertNotEstablished(t, rs)
}

func TestAllowlistRedis(t *testing.T) {
	rs, prefix := redisStore(t, true)
	redisArgs := []string{"-redis", redisAddr(), "-redis-prefix", prefix}
	get := func(account string) []string {
		t.Helper()
		return decodeJSON[struct {
			Prefixes []string `json:"prefixes"`
		}](t, ok(t, gh(t, "", append([]string{"allowlist", "get", account, "-json"}, redisArgs...)...))).Prefixes
	}
	assert.Empty(t, get("acme"))
	assert.Contains(t, ok(t, gh(t, "", append([]string{"allowlist", "get", "acme"}, redisArgs...)...)), "every address is allowed")

	out := ok(t, gh(t, "", append([]string{"allowlist", "set", "acme", "10.1.2.3/8", "192.0.2.7", "2001:db8::/32"}, redisArgs...)...))
	assert.Equal(t, "10.0.0.0/8\n192.0.2.7/32\n2001:db8::/32\n", out)
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, get("acme"))
	stored, err := rs.Lists().AllowList(context.Background(), "acme")
	require.NoError(t, err)
	assert.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("2001:db8::/32")}, stored)

	// One invalid entry writes nothing: the list stays as it was.
	for _, bad := range []string{"10.0.0.0/33", "010.0.0.1", "fe80::1%eth0", "not-an-ip", ""} {
		refused(t, gh(t, "", append([]string{"allowlist", "set", "acme", "192.0.2.8", bad}, redisArgs...)...),
			"allowlist set", "nothing written")
	}
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, get("acme"))

	// No entry is a usage error; -none sets the explicit empty list.
	usage(t, gh(t, "", append([]string{"allowlist", "set", "acme"}, redisArgs...)...), "say -none")
	usage(t, gh(t, "", append([]string{"allowlist", "set", "acme", "10.0.0.0/8", "-none"}, redisArgs...)...), "one or the other")
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32"}, get("acme"))
	ok(t, gh(t, "", append([]string{"allowlist", "set", "acme", "-none"}, redisArgs...)...))
	assert.Empty(t, get("acme"))
	wrote, err := rs.Lists().SetIfAbsent(context.Background(), "acme", []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")})
	require.NoError(t, err)
	assert.False(t, wrote, "the explicit empty list is a record seeding keeps")
}

// TestAllowlistLostState reads an allowlist under a prefix without an
// epoch record (Redis lost its data, or was never established): exit 1
// with what to do, and the store stays unestablished.
func TestAllowlistLostState(t *testing.T) {
	rs, prefix := redisStore(t, false)
	r := gh(t, "", "allowlist", "get", "acme", "-redis", redisAddr(), "-redis-prefix", prefix)
	refused(t, r, "allowlist get", "holds no gatehouse epoch record under prefix")
	assert.Contains(t, r.stderr, "re-seed")
	assert.Contains(t, r.stderr, "this command never establishes a store")
	assertNotEstablished(t, rs)
}

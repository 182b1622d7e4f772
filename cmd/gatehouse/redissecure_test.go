package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/redisstore"
	"github.com/gatehouse-go/gatehouse/redisstore/redistest"
)

// TestSecureRedis runs allowlist set and get against a Redis that speaks
// only TLS, asks for a client certificate and admits one ACL user: the
// password comes from -redis-password-file or $GATEHOUSE_REDIS_PASSWORD,
// never from a flag, and a connection that cannot authenticate or verify
// the server is exit 1 with one line that does not show the password.
func TestSecureRedis(t *testing.T) {
	srv := redistest.StartSecureServer(t)
	rs, err := redisstore.New(redisstore.Config{Addr: srv.Addr(), Username: srv.Username, Password: srv.Password, TLS: srv.TLS(t)})
	require.NoError(t, err)
	t.Cleanup(func() { _ = rs.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, rs.Establish(ctx))

	dir := t.TempDir()
	pwFile := filepath.Join(dir, "redis-password")
	require.NoError(t, os.WriteFile(pwFile, []byte(srv.Password+"\n"), 0o600))
	blankFirst := filepath.Join(dir, "blank-first-line")
	require.NoError(t, os.WriteFile(blankFirst, []byte("\n"+srv.Password+"\n"), 0o600))
	wrongFile := filepath.Join(dir, "wrong-password")
	require.NoError(t, os.WriteFile(wrongFile, []byte("not-the-password\n"), 0o600))
	tlsArgs := []string{"-redis", srv.Addr(), "-redis-user", srv.Username, "-redis-ca", srv.CAFile, "-redis-cert", srv.CertFile, "-redis-key", srv.KeyFile}
	args := func(a ...string) []string { return append(a, tlsArgs...) }

	ok(t, gh(t, "", args("allowlist", "set", "acme", "10.0.0.0/8", "-redis-password-file", pwFile)...))
	r := ghEnv(t, []string{passwordEnv + "=" + srv.Password}, args("allowlist", "get", "acme")...)
	assert.Equal(t, "10.0.0.0/8\n", ok(t, r))
	r = ghEnv(t, []string{passwordEnv + "=" + srv.Password}, args("allowlist", "get", "acme", "-redis-tls-server-name", "localhost")...)
	assert.Equal(t, "10.0.0.0/8\n", ok(t, r), "the certificate also names localhost")

	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"wrong password", nil, args("allowlist", "get", "acme", "-redis-password-file", wrongFile), "WRONGPASS"},
		{"user without password", nil, args("allowlist", "get", "acme"), "-redis-user gatehouse has no password: give -redis-password-file or set $GATEHOUSE_REDIS_PASSWORD"},
		{"no credentials", nil, []string{"allowlist", "get", "acme", "-redis", srv.Addr(), "-redis-ca", srv.CAFile, "-redis-cert", srv.CertFile, "-redis-key", srv.KeyFile}, "NOAUTH"},
		{"missing password file", nil, args("allowlist", "get", "acme", "-redis-password-file", filepath.Join(dir, "none")), "read the file of -redis-password-file: no such file"},
		{"the password given as its file", nil, args("allowlist", "get", "acme", "-redis-password-file", srv.Password), "read the file of -redis-password-file: no such file"},
		{"empty password file", nil, args("allowlist", "get", "acme", "-redis-password-file", os.DevNull), "the file of -redis-password-file is empty"},
		{"empty first line", nil, args("allowlist", "get", "acme", "-redis-password-file", blankFirst), "has an empty first line"},
		{"server under another name", []string{passwordEnv + "=" + srv.Password}, args("allowlist", "get", "acme", "-redis-tls-server-name", "redis.example"), "redis.example"},
		{"no TLS", []string{passwordEnv + "=" + srv.Password}, []string{"allowlist", "get", "acme", "-redis", srv.Addr(), "-redis-user", srv.Username}, "server check"},
		{"system roots", []string{passwordEnv + "=" + srv.Password}, []string{"allowlist", "get", "acme", "-redis", srv.Addr(), "-redis-user", srv.Username, "-redis-tls", "-redis-cert", srv.CertFile, "-redis-key", srv.KeyFile}, "certificate"},
		{"CA file without a certificate", []string{passwordEnv + "=" + srv.Password}, []string{"allowlist", "get", "acme", "-redis", srv.Addr(), "-redis-user", srv.Username, "-redis-ca", pwFile}, "no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ghEnv(t, tc.env, tc.args...)
			refused(t, r, "allowlist get", tc.want)
			assert.NotContains(t, r.stderr, srv.Password)
			assert.NotContains(t, r.stderr, "not-the-password")
		})
	}

	usage(t, gh(t, "", "allowlist", "get", "acme", "-redis", srv.Addr(), "-redis-cert", srv.CertFile), "-redis-cert and -redis-key go together")
	usage(t, gh(t, "", "token", "inspect", "-redis-tls", "-"), "need -redis ADDR")
	usage(t, gh(t, "", "allowlist", "get", "acme", "-redis-password", "x", "-redis", srv.Addr()), "flag provided but not defined")
	r = gh(t, "", "allowlist", "get", "-h")
	assert.True(t, strings.Contains(r.stderr, passwordEnv) || strings.Contains(r.stdout, passwordEnv), "the usage names the environment variable")
}

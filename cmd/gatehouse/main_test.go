package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/apikey"
)

// bin is the gatehouse binary every test runs, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "gatehouse")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the gatehouse binary:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one run of the binary did.
type result struct {
	stdout, stderr string
	code           int
}

// gh runs the binary with args and stdin, bounded to a minute.
func gh(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return runBin(t, nil, stdin, args...)
}

// ghEnv runs gatehouse as gh does, with the variables env ("NAME=value")
// added to its environment.
func ghEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	return runBin(t, env, "", args...)
}

// runBin runs the binary with env added to its environment, stdin and args.
func runBin(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("run gatehouse %v: %v", args, err)
	}
	return r
}

// ok asserts that r succeeded and returns its stdout.
func ok(t *testing.T, r result) string {
	t.Helper()
	require.Equal(t, 0, r.code, "exit code; stderr: %s", r.stderr)
	return r.stdout
}

// refused asserts that r exited 1 with one line on stderr, naming the
// command and containing want.
func refused(t *testing.T, r result, command, want string) {
	t.Helper()
	assert.Equal(t, 1, r.code, "exit code; stdout: %s stderr: %s", r.stdout, r.stderr)
	assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line on stderr: %q", r.stderr)
	assert.True(t, strings.HasPrefix(r.stderr, "gatehouse: "+command+": "), "stderr names the command: %q", r.stderr)
	assert.Contains(t, r.stderr, want)
}

// usage asserts that r was a usage error (exit 2) whose first stderr line
// contains want.
func usage(t *testing.T, r result, want string) {
	t.Helper()
	assert.Equal(t, 2, r.code, "exit code; stderr: %s", r.stderr)
	first, _, _ := strings.Cut(r.stderr, "\n")
	assert.Contains(t, first, want)
	assert.Empty(t, r.stdout)
}

// decodeJSON decodes the JSON output of a command.
func decodeJSON[T any](t *testing.T, out string) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal([]byte(out), &v), "output: %s", out)
	return v
}

func TestTopLevelUsage(t *testing.T) {
	r := gh(t, "")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "gatehouse key generate")

	for _, h := range []string{"-h", "help", "--help"} {
		out := ok(t, gh(t, "", h))
		for _, g := range groups {
			for _, c := range g.commands {
				assert.Contains(t, out, "gatehouse "+c.name+" ")
			}
		}
	}
	usage(t, gh(t, "", "frobnicate"), `unknown command "frobnicate"`)
	usage(t, gh(t, "", "key", "frobnicate"), `unknown command "key frobnicate"`)
	r = gh(t, "", "key")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "gatehouse key generate")
	assert.Contains(t, ok(t, gh(t, "", "token", "-h")), "gatehouse token inspect")
}

// TestEveryCommandHelpAndBadFlag runs every subcommand with -h (its usage
// on stdout, exit 0) and with an unknown flag (exit 2, the error and the
// synopsis on stderr, nothing on stdout).
func TestEveryCommandHelpAndBadFlag(t *testing.T) {
	for _, g := range groups {
		for _, c := range g.commands {
			t.Run(c.name, func(t *testing.T) {
				args := strings.Fields(c.name)
				out := ok(t, gh(t, "", append(args, "-h")...))
				assert.True(t, strings.HasPrefix(out, "usage: gatehouse "+c.name+" "), out)
				assert.Contains(t, out, "flags:")

				r := gh(t, "", append(args, "-no-such-flag")...)
				usage(t, r, "gatehouse: "+c.name+": flag provided but not defined: -no-such-flag")
				assert.Contains(t, r.stderr, "usage: gatehouse "+c.name)
			})
		}
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	// Flags may follow positional arguments, and "--" ends them.
	usage(t, gh(t, "", "allowlist", "get", "acct", "-bogus"), "-bogus")
	usage(t, gh(t, "", "allowlist", "get", "--", "acct", "-bogus"), "want one ACCOUNT")
}

// testJWT is a value that looks like a token (looksSecret).
const testJWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"

// TestLooksSecret: tokens and keys in every compact form look secret;
// URLs, e-mail addresses, file names and ids with two dots do not, so a
// JWK Set URL or a subject such as those is used and quoted as given.
func TestLooksSecret(t *testing.T) {
	key, _, err := apikey.Generate("live")
	require.NoError(t, err)
	for _, s := range []string{
		testJWT, key, "ak_live_short",
		"eyJhbGciOiJIUzI1NiJ9",                                  // a header alone
		"ewogICJhbGciOiAiSFMyNTYiCn0.e30.c2ln",                  // a header with line breaks
		"eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVydGV4dA.dGFn", // a JWE
		"eyAiYWxnIjogIkhTMjU2IiB9..c2ln",                        // a detached payload
	} {
		assert.True(t, looksSecret(s), s)
	}
	for _, s := range []string{
		"https://idp.acme-industries.com/oauth2/v1/keys",
		"jonathan.livingston-seagull@example-mail.com",
		"a-very-long-key-file-name-for-testing.v2.pem",
		"user-42", "key_01HZX3", "j.2.3", "",
	} {
		assert.False(t, looksSecret(s), s)
	}
	// Such a URL reaches the fetch (which nothing answers on port 1).
	const jwks = "http://localhost:1/tenants/acme-industries.eu/jwks.json"
	r := gh(t, testJWT, "token", "inspect", "-timeout", "100ms", "-jwks", jwks, "-")
	assert.NotContains(t, r.stderr, "not a token or key")
	assert.Contains(t, r.stderr, jwks)
}

// TestSecretsInTheWrongPlaceAreNotEchoed: a password, token or API key
// typed where an argument, a flag's value, a file name or an id belongs is
// refused without being repeated on stderr or stdout. Nothing reaches the
// Redis at 127.0.0.1:1, which nothing listens on.
func TestSecretsInTheWrongPlaceAreNotEchoed(t *testing.T) {
	const jwt = testJWT
	key, _, err := apikey.Generate("live")
	require.NoError(t, err)
	for _, c := range []struct {
		name   string
		secret string
		code   int
		stdin  string
		args   []string
	}{
		{"password as an argument", "hunter2-correct-horse", 2, "", []string{"password", "hash", "hunter2-correct-horse"}},
		{"token as -token's file", jwt, 1, "", []string{"revoke", "jti", "-token", jwt, "-redis", "127.0.0.1:1"}},
		{"token as -key's file", jwt, 1, "", []string{"token", "inspect", "-key", jwt, "-"}},
		{"API key as -id", key, 2, "", []string{"key", "revoke", "-id", key, "-redis", "127.0.0.1:1"}},
		{"token as a command", jwt, 2, "", []string{jwt}},
		{"API key as a subcommand", key, 2, "", []string{"key", key}},
		{"token as a flag's value", jwt, 2, jwt, []string{"token", "inspect", "-timeout", jwt, "-"}},
		{"token as a flag", jwt, 2, "", []string{"revoke", "subject", "u", "-" + jwt, "-until", "1h", "-redis", "127.0.0.1:1"}},
		{"token as revoke jti's second argument", jwt, 2, "", []string{"revoke", "jti", "j1", jwt, "-sub", "u", "-until", "1h", "-redis", "127.0.0.1:1"}},
		{"API key as revoke session's second argument", key, 2, "", []string{"revoke", "session", "s1", key, "-sub", "u", "-until", "1h", "-redis", "127.0.0.1:1"}},
		{"token as revoke subject's second argument", jwt, 2, "", []string{"revoke", "subject", "u", jwt, "-until", "1h", "-redis", "127.0.0.1:1"}},
		{"token as -before", jwt, 1, "", []string{"revoke", "subject", "u", "-before", jwt, "-until", "1h", "-redis", "127.0.0.1:1"}},
		{"token as -until", jwt, 1, "", []string{"revoke", "subject", "u", "-until", jwt, "-redis", "127.0.0.1:1"}},
		{"token as an allowlist entry", jwt, 1, "", []string{"allowlist", "set", "acme", jwt, "-redis", "127.0.0.1:1"}},
		{"API key as an allowlist entry", key, 1, "", []string{"allowlist", "set", "acme", key, "-redis", "127.0.0.1:1"}},
		{"token as -jwks", jwt, 2, jwt, []string{"token", "inspect", "-jwks", jwt, "-"}},
		{"token as -issuer", jwt, 2, jwt, []string{"token", "inspect", "-issuer", jwt, "-"}},
		{"token as -iss", jwt, 2, jwt, []string{"token", "inspect", "-jwks", "https://id.example/jwks", "-iss", jwt, "-"}},
		{"token as -aud", jwt, 2, jwt, []string{"token", "inspect", "-jwks", "https://id.example/jwks", "-aud", jwt, "-"}},
		{"token as -alg", jwt, 1, jwt, []string{"token", "inspect", "-jwks", "https://id.example/jwks", "-alg", jwt, "-"}},
		{"API key as -env", key, 1, "", []string{"key", "generate", "-env", key}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := gh(t, c.stdin, c.args...)
			assert.Equal(t, c.code, r.code, r.stderr)
			assert.NotContains(t, r.stderr, c.secret)
			assert.NotContains(t, r.stdout, c.secret)
		})
	}
}

// TestRevokeJTIMismatchDoesNotEchoTheArgument gives revoke jti -token both
// a token and, as the JTI to compare with its jti, a value that looks like
// a token: the mismatch is refused without repeating that value.
func TestRevokeJTIMismatchDoesNotEchoTheArgument(t *testing.T) {
	dir := t.TempDir()
	ok(t, gh(t, "", "jwk", "generate", "-alg", "ES256", "-out", filepath.Join(dir, "k.jwk")))
	tok := strings.TrimSpace(ok(t, gh(t, "", "token", "mint", "-key", filepath.Join(dir, "k.jwk"), "-sub", "u", "-jti", "j-1")))
	r := gh(t, tok, "revoke", "jti", testJWT, "-token", "-", "-redis", "127.0.0.1:1")
	refused(t, r, "revoke jti", `is not the token's jti "j-1"`)
	assert.NotContains(t, r.stderr, testJWT)
	refused(t, gh(t, tok, "revoke", "jti", "j-2", "-token", "-", "-redis", "127.0.0.1:1"), "revoke jti", `JTI "j-2" is not the token's jti "j-1"`)
}

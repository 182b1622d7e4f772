package main

import (
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gatehouse-go/gatehouse/internal/logbuf"
)

// TestDemo runs the command with -demo: its stand-in provider is found by
// discovery on the server's own listener, and the tokens the banner prints
// are accepted (TOKEN), refused for scope (NO_SCOPE_TOKEN), and signed as
// a provider's access tokens are (ES256, kid, typ at+jwt).
func TestDemo(t *testing.T) {
	var stdout, logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-demo"}, &stdout, &logs, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("run did not return within 10s of its context's end")
		}
	})
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("run: %v\n%s", err, &logs)
	case <-time.After(10 * time.Second):
		t.Fatal("not ready within 10s")
	}
	base := "http://" + addr
	banner := stdout.String()
	assert.Contains(t, banner, "resourceserver listening on "+base+"\n")
	assert.Contains(t, banner, "issuer "+base+"/demo, audience demo-api")
	m := regexp.MustCompile(`export TOKEN=(\S+) NO_SCOPE_TOKEN=(\S+)\n`).FindStringSubmatch(banner)
	require.NotNil(t, m, banner)
	token, noScope := m[1], m[2]

	parsed, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	require.NoError(t, err)
	assert.Equal(t, "ES256", parsed.Header["alg"])
	assert.Equal(t, "at+jwt", parsed.Header["typ"])
	assert.NotEmpty(t, parsed.Header["kid"])
	claims := parsed.Claims.(jwt.MapClaims)
	assert.Equal(t, base+"/demo", claims["iss"])
	assert.Equal(t, "demo-api", claims["aud"])
	assert.Equal(t, "products:read", claims["scope"])

	waitReady(t, base)
	assert.Contains(t, logs.String(), "key set found by discovery")
	assert.Equal(t, 200, get(t, base+"/api/v1/products", token).status)
	r := get(t, base+"/api/v1/whoami", token)
	assert.Equal(t, 200, r.status)
	assert.Contains(t, r.body, `"issuer":"`+base+`/demo"`)
	assert.Contains(t, r.body, `"subject":"demo-user"`)
	r = get(t, base+"/api/v1/products", noScope)
	assert.Equal(t, 403, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="insufficient_scope", scope="products:read"`)
	// The key set is the demo provider's: a token it did not sign is refused.
	forged := token[:strings.LastIndexByte(token, '.')+1] + strings.Repeat("A", 86)
	assert.Equal(t, 401, get(t, base+"/api/v1/products", forged).status)
}

// TestDemoNeedsLoopback: the demo issuer is plain http, which only a
// loopback host may be.
func TestDemoNeedsLoopback(t *testing.T) {
	_, err := newDemoProvider(&net.TCPAddr{IP: net.ParseIP("192.0.2.1"), Port: 8080})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-demo needs a loopback -addr")
	d, err := newDemoProvider(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/demo", d.issuer)
}

// TestDemoAlone: the demo provider is never trusted beside a real issuer,
// whose server a proxy may expose.
func TestDemoAlone(t *testing.T) {
	_, err := parseFlags([]string{"-demo", "-issuer", "https://idp.example.com", "-audience", "api"}, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "-demo serves its own provider: give it alone, without -issuer")
	_, err = parseFlags([]string{"-demo"}, io.Discard)
	require.NoError(t, err)
}

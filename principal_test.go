package gatehouse_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gatehouse-go/gatehouse"
)

func TestPrincipalContext(t *testing.T) {
	_, ok := gatehouse.PrincipalFrom(context.Background())
	assert.False(t, ok)

	p := gatehouse.Principal{Subject: "u1", Tenant: "acme", Scopes: []string{"orders:read"}, Method: gatehouse.MethodJWT}
	got, ok := gatehouse.PrincipalFrom(gatehouse.WithPrincipal(context.Background(), p))
	assert.True(t, ok)
	assert.Equal(t, p, got)
}

func TestHasScopeIsExact(t *testing.T) {
	p := gatehouse.Principal{Scopes: []string{"read:users", "administrator"}}
	assert.True(t, p.HasScope("read:users"))
	assert.False(t, p.HasScope("read"))
	assert.False(t, p.HasScope("admin"))
	assert.False(t, p.HasScope("READ:USERS"))
	assert.False(t, gatehouse.Principal{}.HasScope(""))
}

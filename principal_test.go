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

func TestPrincipalRef(t *testing.T) {
	p := &gatehouse.Principal{Subject: "cached", Scopes: []string{"a"}}
	ctx := gatehouse.WithPrincipalRef(context.Background(), p)
	got, ok := gatehouse.PrincipalFrom(ctx)
	assert.True(t, ok)
	assert.Equal(t, *p, got)

	assert.Equal(t, context.Background(), gatehouse.WithPrincipalRef(context.Background(), nil))

	ref, ok := gatehouse.PrincipalRefFrom(ctx)
	assert.True(t, ok)
	assert.Same(t, p, ref)
	_, ok = gatehouse.PrincipalRefFrom(context.Background())
	assert.False(t, ok)
}

func BenchmarkWithPrincipal(b *testing.B) {
	p := gatehouse.Principal{Subject: "u1", Scopes: []string{"a", "b"}}
	ctx := context.Background()
	b.Run("value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = gatehouse.WithPrincipal(ctx, p)
		}
	})
	b.Run("ref", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = gatehouse.WithPrincipalRef(ctx, &p)
		}
	})
}

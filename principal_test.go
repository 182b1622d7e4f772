package gatehouse_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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

// TestPrincipalFromCannotChangeShared guards against a handler changing a
// cached Principal: the value PrincipalFrom returns has the
// request's own Scopes, so appending to them or writing into them changes
// nothing the next request with the same credential sees, nor what
// PrincipalRefFrom (the middleware's view) reads.
func TestPrincipalFromCannotChangeShared(t *testing.T) {
	for _, n := range []int{1, 2, 4, 5, 40} { // inline and on the heap
		scopes := make([]string, n, n+8) // spare capacity: an append would land in it
		for i := range scopes {
			scopes[i] = "s" + strconv.Itoa(i)
		}
		want := slices.Clone(scopes)
		shared := &gatehouse.Principal{Subject: "u1", Scopes: scopes}
		request := func() context.Context { return gatehouse.WithPrincipalRef(context.Background(), shared) }

		ctx := request()
		p, ok := gatehouse.PrincipalFrom(ctx)
		require.True(t, ok)
		assert.Equal(t, want, p.Scopes)
		p.Scopes[0] = "admin"
		p.Scopes = append(p.Scopes, "root")
		p.Subject = "someone else"
		ref, _ := gatehouse.PrincipalRefFrom(ctx)
		assert.Same(t, shared, ref)
		assert.Equal(t, want, ref.Scopes, "the middleware's view is untouched")

		again, ok := gatehouse.PrincipalFrom(request())
		require.True(t, ok)
		assert.Equal(t, want, again.Scopes, "%d scopes", n)
		assert.Equal(t, "u1", again.Subject)
		assert.Equal(t, "", scopes[:n+1][n], "the shared backing array is untouched")
	}

	p, ok := gatehouse.PrincipalFrom(gatehouse.WithPrincipal(context.Background(), gatehouse.Principal{Subject: "x"}))
	require.True(t, ok)
	assert.Nil(t, p.Scopes, "no scopes stay nil")

	shared := gatehouse.Principal{Scopes: []string{"a", "b"}}
	c := shared.Clone()
	c.Scopes[1] = "admin"
	assert.Equal(t, "b", shared.Scopes[1], "Clone copies the Scopes")
	assert.Nil(t, gatehouse.Principal{}.Clone().Scopes)
}

// plainKey and the "plain" benchmarks are the baseline: the shared
// Principal stored with a context.WithValue of its pointer and read by
// plain copy, which hands a handler the shared Scopes.
type plainKey struct{}

// BenchmarkPrincipalFrom compares, in one run, storing a shared Principal
// in a request's context (as an authentication middleware does on a cache
// hit) and reading it (as a handler does), the plain way and gatehouse's.
func BenchmarkPrincipalFrom(b *testing.B) {
	p := &gatehouse.Principal{Subject: "u1", Tenant: "acme", Method: gatehouse.MethodJWT, Scopes: []string{"orders:read", "orders:write"}}
	base := context.WithValue(context.Background(), plainKey{}, 0)
	var sinkCtx context.Context
	var sink gatehouse.Principal
	b.Run("store/plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkCtx = context.WithValue(base, plainKey{}, p)
		}
	})
	b.Run("store/gatehouse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sinkCtx = gatehouse.WithPrincipalRef(base, p)
		}
	})
	plain, own := context.WithValue(base, plainKey{}, p), gatehouse.WithPrincipalRef(base, p)
	b.Run("read/plain", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink = *plain.Value(plainKey{}).(*gatehouse.Principal)
		}
	})
	b.Run("read/gatehouse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			sink, _ = gatehouse.PrincipalFrom(own)
		}
	})
	b.Run("read-ref/gatehouse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ref, _ := gatehouse.PrincipalRefFrom(own)
			sink = *ref
		}
	})
	_, _ = sinkCtx, sink
}

// TestPrincipalContextBehaves checks the context that carries a Principal
// behaves as a context: values, cancellation and deadlines of its parent
// pass through, and its name reads like the standard library's.
func TestPrincipalContextBehaves(t *testing.T) {
	type otherKey struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "v"))
	ctx := gatehouse.WithPrincipal(parent, gatehouse.Principal{Subject: "u"})
	assert.Equal(t, "v", ctx.Value(otherKey{}))
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done()
	assert.ErrorIs(t, ctx.Err(), context.Canceled)
	assert.Contains(t, ctx.(fmt.Stringer).String(), ".WithPrincipal")
	assert.Panics(t, func() {
		//lint:ignore SA1012 a nil parent on purpose: it must panic, as context.WithValue does
		gatehouse.WithPrincipal(nil, gatehouse.Principal{})
	})
}

func TestPrincipalIsZero(t *testing.T) {
	assert.True(t, gatehouse.Principal{}.IsZero())
	assert.True(t, gatehouse.Principal{Scopes: []string{}}.IsZero(), "empty Scopes grant nothing")
	for name, p := range map[string]gatehouse.Principal{
		"subject":    {Subject: "u"},
		"tenant":     {Tenant: "t"},
		"client":     {ClientID: "c"},
		"scopes":     {Scopes: []string{"read"}},
		"method":     {Method: gatehouse.MethodAPIKey},
		"token id":   {TokenID: "j"},
		"session id": {SessionID: "s"},
		"expires at": {ExpiresAt: time.Unix(1, 0)},
		"claims":     {Claims: map[string]any{}},
		"bound":      {Confirmation: gatehouse.Confirmation{JKT: "k"}},
	} {
		assert.False(t, p.IsZero(), name)
	}
}

// Empty Scopes with spare capacity are shared by every request: each
// request's copy has none, so one request's append never writes where
// another's does.
func TestPrincipalFromEmptyScopesAreOwn(t *testing.T) {
	shared := &gatehouse.Principal{Subject: "svc", Scopes: make([]string, 0, 4)}
	pA, _ := gatehouse.PrincipalFrom(gatehouse.WithPrincipalRef(context.Background(), shared))
	pB, _ := gatehouse.PrincipalFrom(gatehouse.WithPrincipalRef(context.Background(), shared))
	mineA := append(pA.Scopes, "orders:read")
	_ = append(pB.Scopes, "admin")
	assert.Equal(t, []string{"orders:read"}, mineA)
	assert.Empty(t, shared.Scopes[:cap(shared.Scopes)][0], "the shared array is untouched")
	none, _ := gatehouse.PrincipalFrom(gatehouse.WithPrincipalRef(context.Background(), &gatehouse.Principal{Subject: "svc"}))
	assert.Nil(t, none.Scopes, "nil stays nil")
}

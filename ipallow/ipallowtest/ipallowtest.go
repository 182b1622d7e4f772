// Package ipallowtest is the conformance kit for ipallow's per-account
// allowlist stores. Every implementation of [ipallow.ListEditor] — the
// in-memory default, a Redis store — must pass [TestListStore]:
//
//	func TestRedisLists(t *testing.T) {
//		ipallowtest.TestListStore(t, func(t *testing.T) ipallow.ListEditor {
//			return newRedisLists(t) // a fresh, empty store for each subtest
//		})
//	}
package ipallowtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"github.com/gatehouse-go/gatehouse/envelope"
	"github.com/gatehouse-go/gatehouse/ipallow"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListStore runs the conformance suite against stores made by newStore,
// which must return a new, empty store on each call (one per subtest).
func TestListStore(t *testing.T, newStore func(t *testing.T) ipallow.ListEditor) {
	ctx := context.Background()
	p := netip.MustParsePrefix

	t.Run("unknown account has an empty list", func(t *testing.T) {
		s := newStore(t)
		got, err := s.AllowList(ctx, "acct_unknown")
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("set then read, IPv4 and IPv6", func(t *testing.T) {
		s := newStore(t)
		want := []netip.Prefix{p("203.0.113.0/24"), p("2001:db8::/32"), p("198.51.100.7/32"), p("::1/128")}
		require.NoError(t, s.Set(ctx, "acct_1", want))
		got, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.ElementsMatch(t, want, got)
	})

	t.Run("prefixes are stored masked", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("10.1.2.3/8"), p("2001:db8::1/32")}))
		got, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.ElementsMatch(t, []netip.Prefix{p("10.0.0.0/8"), p("2001:db8::/32")}, got)
	})

	t.Run("set replaces the whole list", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("10.0.0.0/8"), p("192.0.2.0/24")}))
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("172.16.0.0/12")}))
		got, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.Equal(t, []netip.Prefix{p("172.16.0.0/12")}, got)
	})

	for _, empty := range []struct {
		name string
		list []netip.Prefix
	}{{"nil", nil}, {"empty", []netip.Prefix{}}} {
		t.Run("set "+empty.name+" clears the list", func(t *testing.T) {
			s := newStore(t)
			require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("10.0.0.0/8")}))
			require.NoError(t, s.Set(ctx, "acct_1", empty.list))
			got, err := s.AllowList(ctx, "acct_1")
			require.NoError(t, err)
			assert.Empty(t, got)
		})
	}

	t.Run("accounts are isolated", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("10.0.0.0/8")}))
		require.NoError(t, s.Set(ctx, "acct_10", []netip.Prefix{p("192.0.2.0/24")}))
		got, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.Equal(t, []netip.Prefix{p("10.0.0.0/8")}, got)
		got, err = s.AllowList(ctx, "acct_")
		require.NoError(t, err)
		assert.Empty(t, got)
	})

	t.Run("account names are opaque", func(t *testing.T) {
		s := newStore(t)
		for i, name := range []string{"user@example.com", "tenant:42", "a b", "ключ", "*", ""} {
			want := []netip.Prefix{netip.PrefixFrom(netip.AddrFrom4([4]byte{192, 0, 2, byte(i)}), 32)}
			require.NoError(t, s.Set(ctx, name, want), name)
			got, err := s.AllowList(ctx, name)
			require.NoError(t, err, name)
			assert.Equal(t, want, got, name)
		}
	})

	t.Run("invalid prefix is rejected and changes nothing", func(t *testing.T) {
		s := newStore(t)
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("10.0.0.0/8")}))
		err := s.Set(ctx, "acct_1", []netip.Prefix{p("192.0.2.0/24"), {}})
		require.ErrorIs(t, err, ipallow.ErrInvalidPrefix)
		got, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.Equal(t, []netip.Prefix{p("10.0.0.0/8")}, got)
	})

	t.Run("callers cannot modify stored lists", func(t *testing.T) {
		s := newStore(t)
		in := []netip.Prefix{p("10.0.0.0/8")}
		require.NoError(t, s.Set(ctx, "acct_1", in))
		in[0] = p("0.0.0.0/0")
		out, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		require.Len(t, out, 1)
		out[0] = p("0.0.0.0/0")
		again, err := s.AllowList(ctx, "acct_1")
		require.NoError(t, err)
		assert.Equal(t, []netip.Prefix{p("10.0.0.0/8")}, again)
	})

	t.Run("canceled context", func(t *testing.T) {
		s := newStore(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		// A store may answer from memory or fail, but it must not report
		// success for a write it did not make.
		if err := s.Set(cctx, "acct_1", []netip.Prefix{p("10.0.0.0/8")}); err == nil {
			got, err := s.AllowList(ctx, "acct_1")
			require.NoError(t, err)
			assert.Equal(t, []netip.Prefix{p("10.0.0.0/8")}, got)
		}
	})

	t.Run("concurrent readers and writers", func(t *testing.T) {
		s := newStore(t)
		lists := [][]netip.Prefix{
			{p("10.0.0.0/8")},
			{p("192.0.2.0/24"), p("2001:db8::/32")},
		}
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					account := fmt.Sprintf("acct_%d", i%3)
					if w%2 == 0 {
						assert.NoError(t, s.Set(ctx, account, lists[(i+w)%2]))
						continue
					}
					got, err := s.AllowList(ctx, account)
					assert.NoError(t, err)
					// A reader sees a whole list, never a mix.
					if len(got) > 0 {
						assert.Contains(t, lists, got)
					}
				}
			}()
		}
		wg.Wait()
	})

	t.Run("per-account checks through PerPrincipal", func(t *testing.T) {
		s := newStore(t)
		pp, err := ipallow.NewPerPrincipal(ipallow.PerPrincipalConfig{Lists: s})
		require.NoError(t, err)
		require.NoError(t, s.Set(ctx, "acct_1", []netip.Prefix{p("203.0.113.0/24"), p("2001:db8::/32")}))
		a := netip.MustParseAddr
		assert.NoError(t, pp.CheckAccount(ctx, "acct_1", a("203.0.113.9")))
		assert.NoError(t, pp.CheckAccount(ctx, "acct_1", a("::ffff:203.0.113.9")))
		assert.NoError(t, pp.CheckAccount(ctx, "acct_1", a("2001:db8::5")))
		assert.NoError(t, pp.CheckAccount(ctx, "acct_2", a("198.51.100.1")), "no entries: every address")
		err = pp.CheckAccount(ctx, "acct_1", a("198.51.100.1"))
		require.ErrorIs(t, err, ipallow.ErrDenied)
		var e *envelope.Error
		require.True(t, errors.As(err, &e))
		assert.Equal(t, 403, e.Status)
	})
}

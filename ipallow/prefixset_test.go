package ipallow

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParsePrefixesErrors(t *testing.T) {
	for _, entry := range []string{
		"", " ", "junk", "10.0.0.0/33", "10.0.0.0/-1", "2001:db8::/129", "10.0.0.0/", "/8",
		"010.0.0.1", "127.1", "0x7f.0.0.1", "1.2.3.256", "1.2.3.4.5", "fe80::1%eth0",
		"fe80::/10%eth0", "10.0.0.0/8/8", "10.0.0.0/08", "[::1]", "::1:", "1.2.3.4:80",
	} {
		t.Run(entry, func(t *testing.T) {
			_, err := ParsePrefixes([]string{"192.0.2.0/24", entry})
			require.ErrorIs(t, err, ErrInvalidPrefix)
			assert.Contains(t, err.Error(), "entry 1")
		})
	}
}

func TestPrefixSetContains(t *testing.T) {
	set, err := ParsePrefixes([]string{
		"192.0.2.7",             // a single address
		" 10.1.2.3/8 ",          // host bits are masked: 10.0.0.0/8
		"10.0.0.0/16",           // overlap, merged
		"172.16.0.0/13",         // adjacent ranges merged
		"172.24.0.0/13",         //
		"2001:db8::/32",         // IPv6
		"2001:db8:1::/48",       // contained
		"::ffff:100.64.0.0/106", // IPv4-mapped prefix, matches 100.64.0.0/10
		"fe80::1",
		"255.255.255.255", // the top of the v4 space does not overflow
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
	})
	require.NoError(t, err)
	assert.Equal(t, 8, set.Len(), "5 IPv4 and 3 IPv6 ranges: 10/8 absorbs 10.0/16, 172.16/13+172.24/13 merge, 2001:db8:1::/48 absorbed")

	for _, tc := range []struct {
		addr string
		want bool
	}{
		{"192.0.2.7", true},
		{"192.0.2.8", false},
		{"192.0.2.6", false},
		{"10.0.0.0", true},
		{"10.255.255.255", true},
		{"11.0.0.0", false},
		{"9.255.255.255", false},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"172.32.0.0", false},
		{"::ffff:10.2.3.4", true}, // mapped address matches an IPv4 entry
		{"::ffff:11.2.3.4", false},
		{"100.64.0.1", true}, // IPv4 address matches a mapped entry
		{"100.128.0.0", false},
		{"2001:db8:ffff::1", true},
		{"2001:db9::", false},
		{"2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", false},
		{"fe80::1%eth0", true}, // zones are ignored
		{"fe80::2", false},
		{"255.255.255.255", true},
		{"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true},
		{"::", false},
		{"0.0.0.0", false},
	} {
		t.Run(tc.addr, func(t *testing.T) {
			assert.Equal(t, tc.want, set.Contains(netip.MustParseAddr(tc.addr)))
		})
	}
	assert.False(t, set.Contains(netip.Addr{}), "the zero Addr is in no set")
}

func TestPrefixSetEdges(t *testing.T) {
	t.Run("nil and empty sets contain nothing", func(t *testing.T) {
		var nilSet *PrefixSet
		assert.False(t, nilSet.Contains(netip.MustParseAddr("1.2.3.4")))
		assert.Zero(t, nilSet.Len())
		empty, err := ParsePrefixes(nil)
		require.NoError(t, err)
		assert.False(t, empty.Contains(netip.MustParseAddr("::1")))
		assert.False(t, (&PrefixSet{}).Contains(netip.MustParseAddr("1.2.3.4")))
	})
	t.Run("::/0 covers IPv4 through the mapped range", func(t *testing.T) {
		set, err := ParsePrefixes([]string{"::/0"})
		require.NoError(t, err)
		assert.True(t, set.Contains(netip.MustParseAddr("1.2.3.4")))
		assert.True(t, set.Contains(netip.MustParseAddr("2001:db8::1")))
	})
	t.Run("::ffff:0:0/96 is all of IPv4 and nothing else", func(t *testing.T) {
		set, err := ParsePrefixes([]string{"::ffff:0:0/96"})
		require.NoError(t, err)
		assert.True(t, set.Contains(netip.MustParseAddr("203.0.113.9")))
		assert.False(t, set.Contains(netip.MustParseAddr("2001:db8::1")))
	})
	t.Run("0.0.0.0/0 is all of IPv4 only", func(t *testing.T) {
		set, err := ParsePrefixes([]string{"0.0.0.0/0", "0.0.0.0/0", "1.2.3.4"})
		require.NoError(t, err)
		assert.Equal(t, 1, set.Len())
		assert.True(t, set.Contains(netip.MustParseAddr("255.255.255.255")))
		assert.False(t, set.Contains(netip.MustParseAddr("::1")))
	})
	t.Run("adjacent IPv6 ranges merge", func(t *testing.T) {
		set, err := ParsePrefixes([]string{"2001:db8::/33", "2001:db8:8000::/33", "::/1", "8000::/1"})
		require.NoError(t, err)
		assert.Equal(t, 2, set.Len(), "all of IPv6 plus all of IPv4 (via ::/1)")
	})
	t.Run("NewPrefixSet rejects the zero Prefix", func(t *testing.T) {
		_, err := NewPrefixSet([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), {}})
		require.ErrorIs(t, err, ErrInvalidPrefix)
	})
}

// reference is the obvious, slow definition of PrefixSet.Contains.
func reference(ps []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range ps {
		p = p.Masked()
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96).Masked()
		}
		if p.Contains(a) {
			return true
		}
		if a.Is4() && p.Addr().Is6() && p.Bits() < 96 && p.Contains(netip.AddrFrom16(a.As16())) {
			return true
		}
	}
	return false
}

func TestPrefixSetMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		ps := randomPrefixes(rng, 1+rng.IntN(300), true)
		set, err := NewPrefixSet(ps)
		require.NoError(t, err)
		for range 2000 {
			var a netip.Addr
			if rng.IntN(2) == 0 {
				a = addrIn(rng, ps[rng.IntN(len(ps))])
			} else {
				a = randomAddr(rng)
			}
			require.Equal(t, reference(ps, a), set.Contains(a), "round %d addr %s", round, a)
		}
	}
}

// randomPrefixes returns n prefixes, half IPv4 and half IPv6; when dense,
// they are short and crowded into small parts of the space so that they
// overlap and touch.
func randomPrefixes(rng *rand.Rand, n int, dense bool) []netip.Prefix {
	ps := make([]netip.Prefix, n)
	for i := range ps {
		var a netip.Addr
		var bits int
		if i%2 == 0 {
			b := [4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}
			if dense {
				b[0] = 10 + byte(rng.IntN(2))
			}
			a, bits = netip.AddrFrom4(b), 8+rng.IntN(25)
			if rng.IntN(10) == 0 {
				a = netip.AddrFrom16(a.As16()) // mapped form
				bits += 96
			}
		} else {
			var b [16]byte
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			b[0], b[1] = 0x20, 0x01
			if dense {
				b[2], b[3] = 0x0d, 0xb8+byte(rng.IntN(2))
			}
			a, bits = netip.AddrFrom16(b), 24+rng.IntN(105)
		}
		ps[i] = netip.PrefixFrom(a, bits)
	}
	return ps
}

// addrIn returns a random address inside p.
func addrIn(rng *rand.Rand, p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As16()
	r := randomAddr(rng).As16()
	off := 0
	if p.Addr().Is4() {
		off = 96
	}
	for bit := p.Bits() + off; bit < 128; bit++ {
		if r[bit/8]&(0x80>>(bit%8)) != 0 {
			b[bit/8] |= 0x80 >> (bit % 8)
		}
	}
	a := netip.AddrFrom16(b)
	if p.Addr().Is4() {
		return a.Unmap()
	}
	return a
}

func randomAddr(rng *rand.Rand) netip.Addr {
	if rng.IntN(2) == 0 {
		return netip.AddrFrom4([4]byte{10 + byte(rng.IntN(2)), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
	}
	var b [16]byte
	for j := range b {
		b[j] = byte(rng.Uint32())
	}
	b[0], b[1], b[2], b[3] = 0x20, 0x01, 0x0d, 0xb8+byte(rng.IntN(2))
	return netip.AddrFrom16(b)
}

func TestPrefixSetContainsDoesNotAllocate(t *testing.T) {
	set, err := ParsePrefixes([]string{"10.0.0.0/8", "2001:db8::/32"})
	require.NoError(t, err)
	a4, a6 := netip.MustParseAddr("10.1.2.3"), netip.MustParseAddr("2001:db8::1")
	assert.Zero(t, testing.AllocsPerRun(100, func() { set.Contains(a4); set.Contains(a6) }))
}

func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8", "2001:db8::/32", "1.2.3.4", "::ffff:1.2.3.4/120", "010.0.0.1", "127.1", "/33", "fe80::1%eth0", "::/0"} {
		f.Add(s, "1.2.3.4")
	}
	f.Fuzz(func(t *testing.T, entry, addr string) {
		set, err := ParsePrefixes([]string{entry})
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidPrefix)
			return
		}
		p, perr := parsePrefix(entry)
		require.NoError(t, perr)
		a, aerr := netip.ParseAddr(addr)
		if aerr != nil {
			return
		}
		require.Equal(t, reference([]netip.Prefix{p}, a), set.Contains(a), "entry %q addr %q", entry, addr)
		// A prefix always contains its own network address.
		require.True(t, set.Contains(p.Masked().Addr()))
	})
}

func TestPrefixSetIndexedMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	ps := append(benchPrefixes(rng, 10_000), randomPrefixes(rng, 500, true)...)
	ps = append(ps, netip.MustParsePrefix("0.0.0.0/4"), netip.MustParsePrefix("3fff::/16"), netip.MustParsePrefix("255.255.0.0/16"))
	set, err := NewPrefixSet(ps)
	require.NoError(t, err)
	require.NotNil(t, set.idx4, "the IPv4 index is in use")
	require.NotNil(t, set.idx6, "the IPv6 index is in use")
	check := func(a netip.Addr) {
		require.Equal(t, reference(ps, a), set.Contains(a), "addr %s", a)
	}
	for range 600 {
		check(addrIn(rng, ps[rng.IntN(len(ps))]))
		check(randomAddr(rng))
		check(netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())}))
	}
	for _, a := range []string{"0.0.0.0", "15.255.255.255", "16.0.0.0", "255.255.255.255", "3fff::", "3fff:ffff::1", "::", "ffff::"} {
		check(netip.MustParseAddr(a))
	}
}

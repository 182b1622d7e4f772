package ipallow

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// A PrefixSet is an immutable set of IPv4 and IPv6 addresses built from IP
// addresses and CIDR prefixes. Lookups are a binary search over merged,
// sorted, non-overlapping ranges: O(log n), no allocation, no matter how
// many prefixes the set was built from.
//
// Sets of more than a few thousand ranges per address family also keep a
// 256 KiB index on the top 16 address bits, which narrows each search to
// a handful of ranges.
//
// Addresses and prefixes are normalised on both sides: an IPv4-mapped IPv6
// address (::ffff:1.2.3.4) matches IPv4 entries, an IPv4-mapped IPv6 prefix
// (::ffff:10.0.0.0/104) matches IPv4 addresses, and zones are ignored.
//
// The zero PrefixSet and a nil *PrefixSet are empty. A PrefixSet is safe for
// concurrent use; to change one at run time build a new set and swap it in
// (see [Allowlist.Update]).
type PrefixSet struct {
	// v4lo[i]..v4hi[i] is the i-th IPv4 range, inclusive; sorted by v4lo,
	// disjoint and non-adjacent.
	v4lo, v4hi []uint32
	// v6lo[i]..v6hi[i] is the i-th IPv6 range, likewise.
	v6lo, v6hi []u128
	// idx4 and idx6 index large range lists by the address's top 16 bits
	// (nil for small lists), so that a search touches a few cache lines
	// instead of log2(n).
	idx4, idx6 bucketIndex
}

// indexMin is the number of ranges from which a family gets a
// [bucketIndex] (256 KiB); below it a plain binary search is as fast.
const indexMin = 4096

// A bucketIndex maps the top 16 bits b of an address to positions:
// ix[b] is the first range whose start has top bits >= b, so the last range
// starting at or below an address of bucket b lies in [ix[b]-1, ix[b+1]).
type bucketIndex []uint32

func newBucketIndex(n int, top func(i int) uint32) bucketIndex {
	if n < indexMin {
		return nil
	}
	ix := make(bucketIndex, 1<<16+1)
	i := 0
	for b := range ix {
		for i < n && top(i) < uint32(b) {
			i++
		}
		ix[b] = uint32(i)
	}
	return ix
}

// window returns the positions [from, to) to search for bucket b in a list
// of n ranges.
func (ix bucketIndex) window(b uint32, n int) (from, to int) {
	if ix == nil {
		return 0, n
	}
	from, to = int(ix[b]), int(ix[b+1])
	if from > 0 {
		from--
	}
	return from, to
}

// ParsePrefixes builds a PrefixSet from entries, each an IP address
// ("192.0.2.7", "2001:db8::1") or a CIDR prefix ("10.0.0.0/8",
// "2001:db8::/32"). Surrounding spaces are trimmed. A prefix with host bits
// set ("10.1.2.3/8") is masked to its network ("10.0.0.0/8"), exactly as
// written for the prefix length. Duplicates and overlapping entries are
// merged.
//
// Parsing is strict, like [netip.ParseAddr]: empty entries, zones
// ("fe80::1%eth0", which name an interface of this host), out-of-range
// lengths ("/33", "/-1"), leading-zero, hexadecimal and shortened IPv4 forms
// ("010.0.0.1", "0x7f.0.0.1", "127.1") are errors wrapping
// [ErrInvalidPrefix]. An empty entries slice gives an empty set.
func ParsePrefixes(entries []string) (*PrefixSet, error) {
	ps := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		p, err := parsePrefix(e)
		if err != nil {
			return nil, fmt.Errorf("%w: entry %d %q", ErrInvalidPrefix, i, e)
		}
		ps = append(ps, p)
	}
	return build(ps), nil
}

// NewPrefixSet builds a PrefixSet from already parsed prefixes. Each is
// masked to its network; an invalid prefix (such as the zero Prefix) is an
// error wrapping [ErrInvalidPrefix].
func NewPrefixSet(prefixes []netip.Prefix) (*PrefixSet, error) {
	for i, p := range prefixes {
		if !p.IsValid() {
			return nil, fmt.Errorf("%w: prefix %d %q", ErrInvalidPrefix, i, p)
		}
	}
	return build(prefixes), nil
}

// parsePrefix parses one entry of [ParsePrefixes].
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') < 0 {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		if a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("zone not allowed")
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	// netip.ParsePrefix rejects zones, bad lengths and non-canonical IPv4.
	return netip.ParsePrefix(s)
}

// Contains reports whether a is in s. The zero Addr is in no set.
// Contains does not allocate.
func (s *PrefixSet) Contains(a netip.Addr) bool {
	if s == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		x := binary.BigEndian.Uint32(b[:])
		from, to := s.idx4.window(x>>16, len(s.v4lo))
		i := search4(s.v4lo[from:to], x)
		return i >= 0 && x <= s.v4hi[from+i]
	}
	x := u128of(a)
	from, to := s.idx6.window(uint32(x.hi>>48), len(s.v6lo))
	i := search6(s.v6lo[from:to], x)
	return i >= 0 && !s.v6hi[from+i].less(x)
}

// Len returns the number of disjoint address ranges s holds after merging.
func (s *PrefixSet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.v4lo) + len(s.v6lo)
}

// search4 returns the index of the last element of lo that is <= x, or -1.
// The loop body compiles to a conditional move: no unpredictable branches.
func search4(lo []uint32, x uint32) int {
	n := len(lo)
	if n == 0 {
		return -1
	}
	base := 0
	for n > 1 {
		half := n >> 1
		if lo[base+half] <= x {
			base += half
		}
		n -= half
	}
	if lo[base] > x {
		return -1
	}
	return base
}

// search6 is search4 for IPv6 ranges.
func search6(lo []u128, x u128) int {
	n := len(lo)
	if n == 0 {
		return -1
	}
	base := 0
	for n > 1 {
		half := n >> 1
		if !x.less(lo[base+half]) {
			base += half
		}
		n -= half
	}
	if x.less(lo[base]) {
		return -1
	}
	return base
}

// u128 is an IPv6 address as a big-endian 128-bit integer.
type u128 struct{ hi, lo uint64 }

func u128of(a netip.Addr) u128 {
	b := a.As16()
	return u128{binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])}
}

func (x u128) less(y u128) bool { return x.hi < y.hi || (x.hi == y.hi && x.lo < y.lo) }

func (x u128) cmp(y u128) int {
	if c := cmp.Compare(x.hi, y.hi); c != 0 {
		return c
	}
	return cmp.Compare(x.lo, y.lo)
}

// hostMask returns the mask of the low 128-bits host bits.
func hostMask(bits int) u128 {
	h := 128 - bits
	switch {
	case h == 0:
		return u128{}
	case h < 64:
		return u128{0, 1<<h - 1}
	case h == 64:
		return u128{0, ^uint64(0)}
	case h < 128:
		return u128{1<<(h-64) - 1, ^uint64(0)}
	default:
		return u128{^uint64(0), ^uint64(0)}
	}
}

// succ returns x+1 and whether it did not overflow.
func (x u128) succ() (u128, bool) {
	lo := x.lo + 1
	hi := x.hi
	if lo == 0 {
		hi++
		if hi == 0 {
			return u128{}, false
		}
	}
	return u128{hi, lo}, true
}

type range4 struct{ lo, hi uint32 }
type range6 struct{ lo, hi u128 }

// mapped is ::ffff:0.0.0.0/96, the IPv4-mapped part of the IPv6 space.
var mapped = netip.MustParsePrefix("::ffff:0.0.0.0/96")

// build sorts, normalises and merges valid prefixes into a PrefixSet.
func build(prefixes []netip.Prefix) *PrefixSet {
	var r4 []range4
	var r6 []range6
	add4 := func(p netip.Prefix) {
		b := p.Addr().As4()
		lo := binary.BigEndian.Uint32(b[:])
		var hi uint32 = lo
		if p.Bits() < 32 {
			hi = lo | (1<<(32-p.Bits()) - 1)
		}
		r4 = append(r4, range4{lo, hi})
	}
	for _, p := range prefixes {
		p = p.Masked()
		a := p.Addr()
		switch {
		case a.Is4():
			add4(p)
			continue
		case a.Is4In6() && p.Bits() >= 96:
			// ::ffff:a.b.c.d/n is the IPv4 prefix a.b.c.d/(n-96).
			add4(netip.PrefixFrom(a.Unmap(), p.Bits()-96).Masked())
			continue
		case p.Bits() < 96 && p.Contains(mapped.Addr()):
			// A short IPv6 prefix such as ::/0 covers every mapped address,
			// hence all of IPv4 once addresses are unmapped.
			add4(netip.PrefixFrom(netip.IPv4Unspecified(), 0))
		}
		lo := u128of(a)
		m := hostMask(p.Bits())
		r6 = append(r6, range6{lo, u128{lo.hi | m.hi, lo.lo | m.lo}})
	}

	slices.SortFunc(r4, func(x, y range4) int { return cmp.Compare(x.lo, y.lo) })
	slices.SortFunc(r6, func(x, y range6) int { return x.lo.cmp(y.lo) })

	s := &PrefixSet{}
	for _, r := range r4 {
		if n := len(s.v4lo); n > 0 && (s.v4hi[n-1] == ^uint32(0) || r.lo <= s.v4hi[n-1]+1) {
			s.v4hi[n-1] = max(s.v4hi[n-1], r.hi)
			continue
		}
		s.v4lo = append(s.v4lo, r.lo)
		s.v4hi = append(s.v4hi, r.hi)
	}
	for _, r := range r6 {
		if n := len(s.v6lo); n > 0 {
			next, ok := s.v6hi[n-1].succ()
			if !ok || !next.less(r.lo) {
				if s.v6hi[n-1].less(r.hi) {
					s.v6hi[n-1] = r.hi
				}
				continue
			}
		}
		s.v6lo = append(s.v6lo, r.lo)
		s.v6hi = append(s.v6hi, r.hi)
	}
	s.v4lo, s.v4hi = slices.Clip(s.v4lo), slices.Clip(s.v4hi)
	s.v6lo, s.v6hi = slices.Clip(s.v6lo), slices.Clip(s.v6hi)
	s.idx4 = newBucketIndex(len(s.v4lo), func(i int) uint32 { return s.v4lo[i] >> 16 })
	s.idx6 = newBucketIndex(len(s.v6lo), func(i int) uint32 { return uint32(s.v6lo[i].hi >> 48) })
	return s
}

package bearer

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/gatehouse-go/gatehouse"
	"github.com/gatehouse-go/gatehouse/internal/compact"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// within reports whether s's bytes lie in b's backing array.
func within(s string, b []byte) bool {
	if s == "" || cap(b) == 0 {
		return false
	}
	p, lo := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return p >= lo && p+uintptr(len(s)) <= lo+uintptr(cap(b))
}

// TestEntrySize: a cache entry fills one of the allocator's size classes
// exactly (entryText is chosen for it), so that its room for strings costs
// no memory the allocator would not hand out anyway.
func TestEntrySize(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the size is chosen for 64-bit platforms")
	}
	assert.EqualValues(t, 512, unsafe.Sizeof(cacheEntry{}))
}

// TestEntryLayout: what a cache hit reads of its entry (the lookup's
// fields, p.Scopes and the scopes kept in place) lies in the entry's
// first three 64-byte cache lines, so that a hit on an entry no longer in
// the core's caches waits for one run of memory (BenchmarkCacheHitCold).
func TestEntryLayout(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("the layout is chosen for 64-bit platforms")
	}
	var e cacheEntry
	for name, end := range map[string]uintptr{
		"scopesIn": unsafe.Offsetof(e.scopesIn) + unsafe.Sizeof(e.scopesIn),
		"hash":     unsafe.Offsetof(e.hash) + unsafe.Sizeof(e.hash),
		"exp":      unsafe.Offsetof(e.exp) + unsafe.Sizeof(e.exp),
		"tok":      unsafe.Offsetof(e.tok) + unsafe.Sizeof(e.tok),
		"key":      unsafe.Offsetof(e.key) + unsafe.Sizeof(e.key),
		"bound":    unsafe.Offsetof(e.bound) + unsafe.Sizeof(e.bound),
		"p.Scopes": unsafe.Offsetof(e.p) + unsafe.Offsetof(e.p.Scopes) + unsafe.Sizeof(e.p.Scopes),
	} {
		assert.LessOrEqual(t, end, uintptr(3*64), name)
	}
}

// TestEntryText: keep copies each string into the room reserve made (in
// the entry when it fits, else one buffer), and into a string of its own
// once that room is used up; a kept string never changes when its source
// does.
func TestEntryText(t *testing.T) {
	src := []byte("user-42 tok-1 orders:read")
	var e cacheEntry
	e.reserve(len(src))
	sub := e.keep(string(src[:7]))
	jti := e.keep(string(src[8:13]))
	for i := range src {
		src[i] = 'x'
	}
	assert.Equal(t, "user-42", sub)
	assert.Equal(t, "tok-1", jti)
	assert.True(t, within(sub, e.textIn[:]) && within(jti, e.textIn[:]), "kept in the entry")
	assert.Empty(t, e.keep(""))

	long := strings.Repeat("s", entryText+1)
	e = cacheEntry{}
	e.reserve(len(long) + 4)
	got := e.keep(long)
	assert.Equal(t, long, got)
	assert.False(t, within(got, e.textIn[:]), "past the entry's room: a buffer of its own")
	assert.True(t, within(got, e.text), "in the reserved buffer")
	over := e.keep("abcdef") // 6 bytes where 4 are left
	assert.Equal(t, "abcdef", over)
	assert.False(t, within(over, e.text), "past the reservation: a string of its own")
	assert.Equal(t, "wxyz", e.keep("wxyz"), "the room left is still used")
}

// TestPrincipalStrings: every string of a verified token's Principal,
// scopes and confirmation included, is read right whether the strings
// fit in the entry or not, and whether the payload was decoded on the
// stack (one issuer) or before the signature check (several issuers).
func TestPrincipalStrings(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	for _, size := range []int{1, 40} {
		m := claimsAt(t0)
		m["sub"], m["jti"], m["sid"] = strings.Repeat("s", size), strings.Repeat("j", size), strings.Repeat("i", size)
		m["client_id"], m["tenant"] = strings.Repeat("c", size), strings.Repeat("t", size)
		m["scope"] = strings.Repeat("a", size) + " b:read " + strings.Repeat("a", size)
		m["cnf"] = map[string]any{"jkt": strings.Repeat("k", size)}
		tok := hs.sign(t, m, nil)
		for _, issuers := range []int{1, 2} {
			cfg := baseConfig(c, hs)
			if issuers == 2 {
				cfg.Issuers = append(cfg.Issuers, Issuer{URL: "https://other.test", Keys: cfg.Issuers[0].Keys})
			}
			a := mustNew(t, cfg)
			p, rs, err := a.verifyJWT(t.Context(), tok)
			require.NoError(t, err)
			require.Equal(t, rOK, rs)
			assert.Equal(t, strings.Repeat("s", size), p.Subject)
			assert.Equal(t, strings.Repeat("j", size), p.TokenID)
			assert.Equal(t, strings.Repeat("i", size), p.SessionID)
			assert.Equal(t, strings.Repeat("c", size), p.ClientID)
			assert.Equal(t, strings.Repeat("t", size), p.Tenant)
			assert.Equal(t, []string{strings.Repeat("a", size), "b:read"}, p.Scopes)
			assert.Equal(t, strings.Repeat("k", size), p.Confirmation.JKT)
			sub, _ := p.Claims.(Claims).String("sub")
			assert.Equal(t, p.Subject, sub, "the claims decode from the payload segment")
		}
	}
	// An array of scopes: each element kept on its own.
	m := claimsAt(t0)
	delete(m, "scope")
	m["scp"] = []any{"x:read", 7, "x:read", "y:write", "not a scope"}
	a := mustNew(t, baseConfig(c, hs))
	p, rs, err := a.verifyJWT(t.Context(), hs.sign(t, m, nil))
	require.NoError(t, err)
	require.Equal(t, rOK, rs)
	assert.Equal(t, []string{"x:read", "y:write"}, p.Scopes)
}

// TestScopeBytes: the room reserved for scopes counts the strings a scope
// claim can grant, not its numbers or objects.
func TestScopeBytes(t *testing.T) {
	names := compact.NewNames("s")
	for doc, want := range map[string][2]int{
		`{"s":"a b"}`:                        {5, 1},
		`{"s":["ab",1,{"x":"yyyy"},"c",[]]}`: {7, 2},
		`{"s":[12345678901234]}`:             {0, 0},
		`{"s":{"a":"b"}}`:                    {0, 0},
		`{"s":null}`:                         {0, 0},
		`{}`:                                 {0, 0},
	} {
		vals := make([]compact.Value, 1)
		_, ok := compact.DecodeObject([]byte(doc), names, vals)
		require.True(t, ok)
		size, strs := scopeBytes([]byte(doc), vals[0])
		assert.Equal(t, want, [2]int{size, strs}, doc)
	}
}

// TestScopeRoom: the scopes are kept in the entry when they fit, and a
// scope claim of many duplicates or invalid tokens does not leave its
// Principal holding room for each.
func TestScopeRoom(t *testing.T) {
	c := newClock(t0)
	hs := newSigner(t, "HS256", "hs-1")
	a := mustNew(t, baseConfig(c, hs))
	many := func(n int, f func(i int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = f(i)
		}
		return out
	}
	for _, tc := range []struct {
		name    string
		scope   any
		want    int // scopes granted
		maxRoom int // the most capacity the Principal's Scopes may have
	}{
		{"one", "orders:read", 1, 1},
		{"one, array", []string{"x"}, 1, 1},
		{"one, twice", "a a", 1, 1},
		{"four", "a b c d", 4, 4},
		{"five", "a b c d e", 5, 5},
		{"duplicates that fit", "a a a a a a a a", 1, 1},
		{"invalid that fit", `a b " \ x`, 3, 3},
		{"many duplicates", strings.Repeat("a ", 500) + "b", 2, 2},
		{"many duplicates, array", append(many(500, func(int) string { return "a" }), "b", "c", "d", "e", "f"), 6, 12},
		{"many distinct", strings.Join(many(300, func(i int) string { return fmt.Sprint("s", i) }), " "), 300, 600},
		{"many distinct, array", many(100, func(i int) string { return fmt.Sprint("s", i) }), 100, 200},
	} {
		m := claimsAt(t0)
		m["scope"] = tc.scope
		p, rs, err := a.verifyJWT(t.Context(), hs.sign(t, m, nil))
		require.NoError(t, err, tc.name)
		require.Equal(t, rOK, rs, tc.name)
		assert.Len(t, p.Scopes, tc.want, tc.name)
		assert.LessOrEqual(t, cap(p.Scopes), tc.maxRoom, tc.name)
		// p is a field of its cache entry.
		e := (*cacheEntry)(unsafe.Add(unsafe.Pointer(p), -int(unsafe.Offsetof(cacheEntry{}.p))))
		inEntry := unsafe.SliceData(p.Scopes) == &e.scopesIn[0]
		assert.Equal(t, tc.want <= len(e.scopesIn), inEntry, "%s: the scopes are kept in the entry when they fit", tc.name)
	}

	// The room made beforehand is bounded too: a claim of 2,000
	// duplicates does not make room for 2,000 scopes (32 KB) first. (Not
	// under the race detector, where sync.Pool drops the HMAC states.)
	if raceEnabled {
		return
	}
	m := claimsAt(t0)
	m["scope"] = strings.Repeat("a ", 2000) + "b"
	tok := hs.sign(t, m, nil)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	const calls = 10
	for range calls {
		_, rs, _ := a.verifyJWT(t.Context(), tok)
		require.Equal(t, rOK, rs)
	}
	runtime.ReadMemStats(&after)
	perCall := (after.TotalAlloc - before.TotalAlloc) / calls
	assert.Less(t, perCall, uint64(16<<10), "bytes allocated per verification")
}

// TestScopesFew: the one-pass split of a scope string into the entry's
// room agrees with gatehouse.ParseScope whenever it reports that the
// scopes fit, and reports that they do exactly when ParseScope finds at
// most entryScopes of them; strings of parts drawn from valid tokens,
// duplicates, empty parts and invalid ones, up to eight parts.
func TestScopesFew(t *testing.T) {
	parts := []string{"a", "b", "c", "d", "e", "orders:read", "", `"`, "x\ty", "é", "a"}
	rnd := rand.New(rand.NewPCG(7, 8))
	for range 20000 {
		f := make([]string, 1+rnd.IntN(8))
		for i := range f {
			f[i] = parts[rnd.IntN(len(parts))]
		}
		s := strings.Join(f, " ")
		var e cacheEntry
		var l scopeList
		want := gatehouse.ParseScope(s)
		if !l.few(&e, s) {
			assert.Greater(t, len(want), entryScopes, "%q", s)
			continue
		}
		assert.Equal(t, len(want), len(l.s), "%q", s)
		if len(want) > 0 {
			assert.Equal(t, want, l.s, "%q", s)
			assert.Same(t, &e.scopesIn[0], unsafe.SliceData(l.s), "%q: in the entry", s)
		}
	}
}

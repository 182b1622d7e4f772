package apikey

import (
	"errors"
	"hash/crc32"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// scanner is the regular expression a secret scanner would use for keys.
var scanner = regexp.MustCompile(`\bak_[a-z0-9]{1,16}_[0-9A-Za-z]{38}\b`)

func TestGenerate(t *testing.T) {
	for _, env := range []string{"live", "test", "x", "staging2", strings.Repeat("e", MaxEnvLength)} {
		t.Run(env, func(t *testing.T) {
			key, rec, err := Generate(env)
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(key, "ak_"+env+"_"))
			assert.Len(t, key, len("ak_")+len(env)+1+38)
			assert.True(t, scanner.MatchString(key), "secret scanners recognise %s", key)

			got, err := ParseKey(key)
			require.NoError(t, err)
			assert.Equal(t, env, got)

			assert.Regexp(t, `^key_[0-9A-Za-z]{20}$`, rec.ID)
			assert.Equal(t, DisplayPrefix(key), rec.Prefix)
			assert.Equal(t, Hash(key), rec.Hash)
			assert.False(t, rec.Created.IsZero())
			assert.NotContains(t, rec.ID, key[len(key)-38:len(key)-32], "the ID is not derived from the key")
		})
	}
}

func TestGenerateInvalidEnv(t *testing.T) {
	for _, env := range []string{"", "Live", "li_ve", "live-1", "ünï", strings.Repeat("e", MaxEnvLength+1)} {
		t.Run(env, func(t *testing.T) {
			_, _, err := Generate(env)
			require.ErrorIs(t, err, ErrInvalidEnv)
		})
	}
}

// Each generated key is fresh and its characters are spread over the whole
// alphabet: a weak check that rejection sampling is wired correctly (a bias
// such as c%62 without rejection would still pass; TestRandomUniform checks
// the sampler itself).
func TestGenerateUnique(t *testing.T) {
	seen := make(map[string]bool)
	chars := make(map[byte]bool)
	for range 2000 {
		key, rec, err := Generate("test")
		require.NoError(t, err)
		require.False(t, seen[key], "duplicate key")
		require.False(t, seen[rec.ID], "duplicate id")
		seen[key], seen[rec.ID] = true, true
		for i := range bodyLen {
			chars[key[len("ak_test_")+i]] = true
		}
	}
	assert.Len(t, chars, 62)
}

// Rejection sampling never emits a character for bytes 248..255, so every
// character has exactly 4 of the 248 accepted byte values.
func TestRandomUniform(t *testing.T) {
	counts := make(map[byte]int)
	for c := range 248 {
		counts[base62[c%62]]++
	}
	require.Len(t, counts, 62)
	for ch, n := range counts {
		assert.Equal(t, 4, n, "character %q", ch)
	}
}

func TestChecksumMatchesCRC32(t *testing.T) {
	for _, s := range []string{"", "a", "ak_live_0123456789abcdefghijABCDEFGHIJ01", strings.Repeat("\xff", 100)} {
		assert.Equal(t, crc32.ChecksumIEEE([]byte(s)), checksum(s), "%q", s)
	}
}

func TestParseKey(t *testing.T) {
	valid, _, err := Generate("live")
	require.NoError(t, err)
	body := valid[len("ak_live_"):]
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name, key string
		wantEnv   string
	}{
		{"valid", valid, "live"},
		{"empty", "", ""},
		{"prefix only", "ak_", ""},
		{"wrong prefix", "sk_live_" + body, ""},
		{"upper-case prefix", "AK_live_" + body, ""},
		{"no env", "ak__" + body, ""},
		{"env with capitals", "ak_Live_" + body, ""},
		{"env too long", "ak_" + strings.Repeat("e", 17) + "_" + body, ""},
		{"env separator missing", "ak_live" + body, ""},
		{"body one short", valid[:len(valid)-1], ""},
		{"body one long", valid + "0", ""},
		{"non-base62 in body", valid[:12] + "-" + valid[13:], ""},
		{"first body char changed", flip(valid, len("ak_live_")), ""},
		{"last body char changed", flip(valid, len(valid)-7), ""},
		{"checksum changed", flip(valid, len(valid)-1), ""},
		{"env changed", "ak_test_" + body, ""},
		{"seed 003 hex key", "ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d", ""},
		{"trailing space", valid + " ", ""},
		{"NUL inside", valid[:20] + "\x00" + valid[21:], ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env, err := ParseKey(tc.key)
			if tc.wantEnv == "" {
				require.ErrorIs(t, err, ErrMalformedKey)
				assert.Empty(t, DisplayPrefix(tc.key))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantEnv, env)
		})
	}
}

func TestDisplayPrefix(t *testing.T) {
	key, _, err := Generate("live")
	require.NoError(t, err)
	p := DisplayPrefix(key)
	assert.Equal(t, key[:len("ak_live_")+6], p)
	assert.Empty(t, DisplayPrefix("ABCD"), "foreign keys are never partially shown")
}

func TestParseKeyDoesNotAllocate(t *testing.T) {
	key, _, err := Generate("live")
	require.NoError(t, err)
	assert.Zero(t, testing.AllocsPerRun(100, func() {
		if _, ok := parseKey(key); !ok {
			panic("invalid")
		}
	}))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = Hash(key) }))
}

// FuzzParseKey checks the key-format parser on arbitrary input: it never
// panics, accepts only strings a secret scanner would match, and every
// accepted string round-trips through its environment and checksum; a
// one-character change to an accepted key is rejected (CRC-32 detects every
// single-character error).
func FuzzParseKey(f *testing.F) {
	for _, env := range []string{"live", "test"} {
		key, _, err := Generate(env)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(key, 10, byte('x'))
	}
	f.Add("ak_live_8f3b1c0e5a4d4f2c9b1e7d6c5a4b3c2d", 0, byte(0))
	f.Add("ABCD", 1, byte('_'))
	f.Fuzz(func(t *testing.T, s string, pos int, c byte) {
		env, err := ParseKey(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedKey) || env != "" {
				t.Fatalf("ParseKey(%q) = %q, %v", s, env, err)
			}
			return
		}
		if !scanner.MatchString(s) || len(s) > maxKeyLen || !strings.HasPrefix(s, KeyPrefix+env+"_") {
			t.Fatalf("accepted %q (env %q) outside the documented format", s, env)
		}
		if DisplayPrefix(s) == "" {
			t.Fatalf("accepted %q without display prefix", s)
		}
		if pos < 0 {
			pos = -pos
		}
		i := pos % len(s)
		if s[i] == c {
			return
		}
		mutated := s[:i] + string([]byte{c}) + s[i+1:]
		if _, err := ParseKey(mutated); err == nil {
			t.Fatalf("accepted %q, a one-byte change of %q", mutated, s)
		}
	})
}

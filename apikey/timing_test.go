package apikey

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The timing-independence tests. Wall-clock assertions are flaky and prove
// little, so these tests assert the structural properties that make the
// response time independent of how much of a key an attacker has guessed
// (see "Timing" in the package README):
//
//  1. the plaintext key reaches the store only as its SHA-256 digest, so
//     whatever comparison the store's index makes runs on digests, and a
//     prefix match of the key is not a prefix match of the digest;
//  2. near-miss keys (a stored key with its first, a middle or its last
//     random character changed) all take exactly the same path: one lookup
//     of their own digest, the same response bytes, the same audit reason;
//  3. the format check is over public data only (the CRC-32 of the key is
//     no secret) and rejects near-miss keys with bad checksums on the same
//     path, before the store, wherever the change is.
//
// The constant-time comparison of the digest inside the store is asserted
// by the conformance kit's LookupNearMiss test (digests that differ in
// their first, middle or last byte are all not found).

// reform returns key with the character at body position i replaced by c
// and the checksum recomputed: a well-formed key that is a near miss.
func reform(key string, i int, c byte) string {
	start := len(key) - tailLen
	b := []byte(key[:len(key)-checkLen])
	b[start+i] = c
	sum := checksum(string(b))
	var digits [checkLen]byte
	for j := checkLen - 1; j >= 0; j-- {
		digits[j] = base62[sum%62]
		sum /= 62
	}
	return string(b) + string(digits[:])
}

func TestTimingNearMissKeysTakeTheSamePath(t *testing.T) {
	f := newFixture(t)
	a := must(New(f.config()))
	body := f.valid[len(f.valid)-tailLen:]
	positions := map[string]int{"first": 0, "middle": bodyLen / 2, "last": bodyLen - 1}

	type outcome struct {
		status  int
		body    []byte
		reason  string
		lookups int
	}
	run := func(key string) (outcome, [][32]byte) {
		f.events, f.store.lookups = nil, nil
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", key)
		r.Header.Set("X-Tenant-ID", "acme")
		w := httptest.NewRecorder()
		a.Middleware(&principalHandler{}).ServeHTTP(w, r)
		require.Len(t, f.events, 1)
		return outcome{w.Code, w.Body.Bytes(), string(f.events[0].Reason), len(f.store.lookups)}, f.store.lookups
	}

	t.Run("well-formed near misses", func(t *testing.T) {
		var first *outcome
		for name, pos := range positions {
			near := reform(f.valid, pos, nextBase62(body[pos]))
			require.NotEqual(t, f.valid, near)
			_, err := ParseKey(near)
			require.NoError(t, err, "near miss %s is well-formed", name)

			got, digests := run(near)
			assert.Equal(t, 1, got.lookups, name)
			assert.Equal(t, [][32]byte{Hash(near)}, digests, "%s: the store sees the digest of the sent key, nothing else", name)
			assert.Equal(t, "unknown_api_key", got.reason, name)
			if first == nil {
				first = &got
				continue
			}
			assert.Equal(t, first.status, got.status, name)
			assert.True(t, bytes.Equal(first.body, got.body), "%s: same response bytes", name)
		}
	})

	t.Run("bad-checksum near misses", func(t *testing.T) {
		var first *outcome
		for name, pos := range positions {
			i := len(f.valid) - tailLen + pos
			near := f.valid[:i] + string(nextBase62(f.valid[i])) + f.valid[i+1:]
			got, _ := run(near)
			assert.Equal(t, 0, got.lookups, "%s: rejected before the store", name)
			assert.Equal(t, "malformed_key", got.reason, name)
			if first == nil {
				first = &got
				continue
			}
			assert.Equal(t, *first, got, name)
		}
	})

	t.Run("digests of near misses share no structure with the key's", func(t *testing.T) {
		h := Hash(f.valid)
		for name, pos := range positions {
			nh := Hash(reform(f.valid, pos, nextBase62(body[pos])))
			same := 0
			for i := range h {
				if h[i] == nh[i] {
					same++
				}
			}
			// A change anywhere in the key changes about every byte of the
			// digest; a handful of equal bytes (1/256 each) is chance.
			assert.Less(t, same, 6, name)
		}
	})
}

// The key never reaches the store in plaintext: Lookup's parameter is a
// [32]byte digest by type, and the spy sees exactly Hash(key).
func TestTimingStoreSeesOnlyDigests(t *testing.T) {
	f := newFixture(t)
	a := must(New(f.config()))
	for _, key := range []string{f.valid, f.supplier, f.revoked} {
		f.store.lookups = nil
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("ApiKey", key)
		r.Header.Set("X-Tenant-ID", "acme")
		_, _ = a.Check(r)
		require.Len(t, f.store.lookups, 1)
		assert.Equal(t, Hash(key), f.store.lookups[0])
		assert.False(t, strings.Contains(string(f.store.lookups[0][:]), key[len(key)-tailLen:len(key)-tailLen+8]))
	}
}

package jwsalg

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testKey is a signing key and its verification key for one algorithm.
type testKey struct {
	alg        string
	priv, pub  any
	other      any // another verification key of the same family
	wrongTyped any // a key of another family
}

var (
	rsaOnce       sync.Once
	rsaA, rsaB    *rsa.PrivateKey
	testKeysOnce  sync.Once
	testKeysCache []testKey
)

func testKeys(t testing.TB) []testKey {
	t.Helper()
	testKeysOnce.Do(func() {
		rsaOnce.Do(func() {
			var err error
			if rsaA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
			if rsaB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
				panic(err)
			}
		})
		ec := func(c elliptic.Curve) *ecdsa.PrivateKey {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			return k
		}
		edPub, edPriv, _ := ed25519.GenerateKey(rand.Reader)
		edOther, _, _ := ed25519.GenerateKey(rand.Reader)
		secret := []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		other := []byte("fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210")
		for _, alg := range []string{"HS256", "HS384", "HS512"} {
			testKeysCache = append(testKeysCache, testKey{alg, secret, secret, other, &rsaA.PublicKey})
		}
		for _, alg := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512"} {
			testKeysCache = append(testKeysCache, testKey{alg, rsaA, &rsaA.PublicKey, &rsaB.PublicKey, secret})
		}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			k, o := ec(c), ec(c)
			testKeysCache = append(testKeysCache, testKey{alg, k, &k.PublicKey, &o.PublicKey, edPub})
		}
		testKeysCache = append(testKeysCache, testKey{"EdDSA", edPriv, edPub, edOther, secret})
	})
	return testKeysCache
}

// reference is golang-jwt's verification of sig.
func reference(alg string, key any, input string, sig []byte) bool {
	return jwt.GetSigningMethod(alg).Verify(input, sig, key) == nil
}

// TestVerifyMatchesGolangJWT: for every algorithm, Verify accepts exactly
// the signatures golang-jwt's SigningMethod accepts: a valid signature,
// and none of its corruptions, truncations, extensions, other keys or
// keys of another type.
func TestVerifyMatchesGolangJWT(t *testing.T) {
	const input = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIn0"
	for _, k := range testKeys(t) {
		t.Run(k.alg, func(t *testing.T) {
			sig, err := jwt.GetSigningMethod(k.alg).Sign(input, k.priv)
			require.NoError(t, err)
			cases := map[string]struct {
				key any
				in  string
				sig []byte
			}{
				"valid":           {k.pub, input, sig},
				"other key":       {k.other, input, sig},
				"key of a family": {k.wrongTyped, input, sig},
				"nil key":         {nil, input, sig},
				"other input":     {k.pub, input + "x", sig},
				"empty signature": {k.pub, input, nil},
				"truncated":       {k.pub, input, sig[:len(sig)-1]},
				"extended":        {k.pub, input, append(append([]byte(nil), sig...), 0)},
				"leading zero":    {k.pub, input, append([]byte{0}, sig...)},
			}
			for i := range sig {
				if i%7 == 0 || i == len(sig)-1 {
					b := append([]byte(nil), sig...)
					b[i] ^= 0x01
					cases["flip "+string(rune('a'+i%26))+itoa(i)] = struct {
						key any
						in  string
						sig []byte
					}{k.pub, input, b}
				}
			}
			if k.alg[0] == 'E' && k.alg != "EdDSA" {
				n := len(sig) / 2
				zero := make([]byte, len(sig))
				rZero := append(make([]byte, n), sig[n:]...)
				sZero := append(append([]byte(nil), sig[:n]...), make([]byte, n)...)
				order := curveOrder(k.pub.(*ecdsa.PublicKey), n)
				rOrder := append(append([]byte(nil), order...), sig[n:]...)
				cases["r=s=0"] = struct {
					key any
					in  string
					sig []byte
				}{k.pub, input, zero}
				cases["r=0"] = struct {
					key any
					in  string
					sig []byte
				}{k.pub, input, rZero}
				cases["s=0"] = struct {
					key any
					in  string
					sig []byte
				}{k.pub, input, sZero}
				cases["r=N"] = struct {
					key any
					in  string
					sig []byte
				}{k.pub, input, rOrder}
			}
			for name, c := range cases {
				want := reference(k.alg, c.key, c.in, c.sig)
				assert.Equal(t, want, Verify(k.alg, c.key, c.in, c.sig), name)
				if name == "valid" {
					assert.True(t, want)
				}
			}
			assert.False(t, Verify("none", k.pub, input, sig))
			assert.False(t, Verify("hs256", k.pub, input, sig))
		})
	}
}

func curveOrder(pub *ecdsa.PublicKey, n int) []byte {
	return pub.Curve.Params().N.FillBytes(make([]byte, n))
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestMAC(t *testing.T) {
	for _, k := range testKeys(t)[:3] {
		m := NewMAC(k.alg, k.pub.([]byte))
		const input = "a.b"
		sig, err := jwt.GetSigningMethod(k.alg).Sign(input, k.priv)
		require.NoError(t, err)
		for range 3 { // the pooled state is reset after each use
			assert.True(t, m.Verify(input, sig))
			assert.False(t, m.Verify(input+"c", sig))
			assert.False(t, m.Verify(input, sig[:len(sig)-1]))
		}
		if !raceEnabled {
			allocs := testing.AllocsPerRun(100, func() { m.Verify(input, sig) })
			assert.Zero(t, allocs, "%s: a verification reuses a pooled hash state", k.alg)
		}
	}
}

// TestVerifyCopiesNothing: the asymmetric verifications allocate no copy
// of the signing input (what they allocate is the standard library's own
// work, the same for any input length).
func TestVerifyCopiesNothing(t *testing.T) {
	for _, k := range testKeys(t) {
		if k.alg[0] == 'H' || k.alg[0] == 'R' || k.alg[0] == 'P' {
			continue
		}
		short := "a.b"
		long := short + string(make([]byte, 8<<10))
		s1, err := jwt.GetSigningMethod(k.alg).Sign(short, k.priv)
		require.NoError(t, err)
		s2, err := jwt.GetSigningMethod(k.alg).Sign(long, k.priv)
		require.NoError(t, err)
		a1 := testing.AllocsPerRun(20, func() { Verify(k.alg, k.pub, short, s1) })
		a2 := testing.AllocsPerRun(20, func() { Verify(k.alg, k.pub, long, s2) })
		assert.Equal(t, a1, a2, k.alg)
	}
}

// FuzzVerify compares Verify with golang-jwt on arbitrary signatures of
// the fast algorithms (the fuzzer cannot forge one: this checks the
// refusals, above all the decoding of ECDSA's R || S).
func FuzzVerify(f *testing.F) {
	keys := testKeys(f)
	for _, k := range keys {
		if k.alg == "HS256" || k.alg == "ES256" || k.alg == "ES512" || k.alg == "EdDSA" {
			sig, err := jwt.GetSigningMethod(k.alg).Sign("a.b", k.priv)
			require.NoError(f, err)
			f.Add(k.alg, "a.b", sig)
		}
	}
	f.Add("ES256", "a.b", make([]byte, 64))
	f.Fuzz(func(t *testing.T, alg, input string, sig []byte) {
		for _, k := range keys {
			if k.alg != alg || alg[0] == 'R' || alg[0] == 'P' {
				continue
			}
			if got, want := Verify(alg, k.pub, input, sig), reference(alg, k.pub, input, sig); got != want {
				t.Fatalf("%s %q %x: Verify %v, golang-jwt %v", alg, input, sig, got, want)
			}
		}
	})
}

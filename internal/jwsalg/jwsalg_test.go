package jwsalg

import (
	"crypto/elliptic"
	"testing"
)

func TestFamilyOf(t *testing.T) {
	tests := map[string]Family{
		"HS256": HMAC, "HS512": HMAC,
		"RS256": RSA, "PS512": RSA,
		"ES384": ECDSA,
		"EdDSA": Ed25519,
		"none":  "", "hs256": "", "HS1": "", "": "",
	}
	for alg, want := range tests {
		if got := FamilyOf(alg); got != want {
			t.Errorf("FamilyOf(%q) = %q, want %q", alg, got, want)
		}
	}
}

func TestCurveRoundTrip(t *testing.T) {
	for _, alg := range []string{"ES256", "ES384", "ES512"} {
		if got := ForCurve(Curve(alg)); got != alg {
			t.Errorf("ForCurve(Curve(%q)) = %q", alg, got)
		}
	}
	if got := ForCurve(elliptic.P224()); got != "" {
		t.Errorf("ForCurve(P-224) = %q, want none", got)
	}
}

func TestHMACMinLen(t *testing.T) {
	for alg, want := range map[string]int{"HS256": 32, "HS384": 48, "HS512": 64} {
		if got := HMACMinLen(alg); got != want {
			t.Errorf("HMACMinLen(%q) = %d, want %d", alg, got, want)
		}
	}
}

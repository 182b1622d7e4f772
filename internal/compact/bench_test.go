package compact

import (
	"encoding/base64"
	"strings"
	"testing"
)

var benchSeg = base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat(`{"aud":"orders-api","exp":4070908800}`, 5)))

// BenchmarkAppendDecode decodes a claims segment, and the signatures of
// HS256 (32 bytes), ES256 and EdDSA (64) and RS256 (256).
func BenchmarkAppendDecode(b *testing.B) {
	for _, tc := range []struct {
		name string
		seg  string
	}{
		{"claims", benchSeg},
		{"sig32", benchSig(32)},
		{"sig64", benchSig(64)},
		{"sig256", benchSig(256)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			buf := make([]byte, 0, len(tc.seg))
			b.SetBytes(int64(len(tc.seg)))
			for b.Loop() {
				if _, ok := AppendDecode(buf, tc.seg); !ok {
					b.Fatal("refused")
				}
			}
		})
	}
}

func BenchmarkEncodingDecode(b *testing.B) {
	buf := make([]byte, len(benchSeg))
	b.SetBytes(int64(len(benchSeg)))
	for b.Loop() {
		if _, err := Encoding.Decode(buf, Bytes(benchSeg)); err != nil {
			b.Fatal(err)
		}
	}
}

var benchClaims = []byte(`{"aud":"orders-api","exp":4070908800,"iat":1735689600,"iss":"https://auth.example.com","jti":"tok-1","nbf":1735689600,"scope":"orders:read orders:write","sub":"user-42","tenant":"acme"}`)

func BenchmarkDecodeObject(b *testing.B) {
	names := NewNames("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "client_id", "cnf", "scope", "scp", "scopes", "tenant")
	vals := make([]Value, names.Len())
	b.SetBytes(int64(len(benchClaims)))
	for b.Loop() {
		if _, ok := DecodeObject(benchClaims, names, vals); !ok {
			b.Fatal("refused")
		}
	}
}

// benchSig returns the encoding of an n-byte signature.
func benchSig(n int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Repeat("\x9c\x01\xfe\x42", n/4)))
}

func BenchmarkAlphabet(b *testing.B) {
	b.SetBytes(int64(len(benchSeg)))
	for b.Loop() {
		if !Alphabet(benchSeg) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkCutClean cuts an RS256 token of the bench's size, and checks
// the same token the way CutClean replaces: a count of its dots, two
// searches for line breaks, Cut and the alphabet check of its payload.
func BenchmarkCutClean(b *testing.B) {
	tok := benchSeg[:36] + "." + benchSeg + "." + benchSig(256)
	b.Run("CutClean", func(b *testing.B) {
		b.SetBytes(int64(len(tok)))
		for b.Loop() {
			if _, _, _, ok := CutClean(tok); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("scans", func(b *testing.B) {
		b.SetBytes(int64(len(tok)))
		for b.Loop() {
			if strings.Count(tok, ".") != 2 || strings.IndexByte(tok, '\n') >= 0 || strings.IndexByte(tok, '\r') >= 0 {
				b.Fatal("refused")
			}
			if _, p, _, ok := Cut(tok); !ok || !Alphabet(p) {
				b.Fatal("refused")
			}
		}
	})
}
